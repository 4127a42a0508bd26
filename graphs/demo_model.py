"""DemoChatModel: an offline, deterministic chat model that really selects and calls tools."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool

from copilot_runtime.graphs.demo_arguments import fill_arguments

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "get",
        "give",
        "how",
        "i",
        "is",
        "it",
        "me",
        "my",
        "of",
        "on",
        "or",
        "please",
        "the",
        "this",
        "to",
        "use",
        "using",
        "what",
        "when",
        "which",
        "who",
        "with",
        "would",
        "you",
        "your",
    ]
)
NO_TOOL_ANSWER = (
    "I am the offline demo model, so I only understand requests that name one of my actions "
    "or match its description. {actions} Configure a real model with OPENAI_API_KEY or "
    "--model provider:model for real conversations."
)


@dataclass(frozen=True, slots=True)
class PlannedCall:
    """A tool call the demo model decided to make."""

    name: str
    args: dict[str, Any]


class DemoChatModel(BaseChatModel):
    """Selects a tool when the user's words name it or match its description, fills its
    arguments from the text, and answers with the tool's result afterwards.

    With no matching tool it answers plainly. It streams word by word and splits tool-call
    arguments across chunks, like a real provider, so every streaming path is exercised offline.
    """

    @property
    def _llm_type(self) -> str:
        return "copilot-runtime-demo"

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools in any form LangChain accepts (BaseTool, OpenAI dicts, functions)."""
        schemas = [convert_to_openai_tool(tool)["function"] for tool in tools]
        return self.bind(tools=schemas, tool_choice=tool_choice, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        chunks = list(self._chunks(messages, **kwargs))
        merged = chunks[0]
        for chunk in chunks[1:]:
            merged += chunk
        message = AIMessage(
            content=merged.message.content,
            tool_calls=merged.message.tool_calls,  # type: ignore[attr-defined]
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        yield from self._chunks(messages, **kwargs)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._chunks(messages, **kwargs):
            if run_manager and isinstance(chunk.message.content, str) and chunk.message.content:
                await run_manager.on_llm_new_token(chunk.message.content, chunk=chunk)
            yield chunk

    def _chunks(
        self,
        messages: list[BaseMessage],
        tools: Sequence[dict[str, Any]] = (),
        tool_choice: str | None = None,
        **_: Any,
    ) -> Iterator[ChatGenerationChunk]:
        reply = plan_reply(messages, tools, tool_choice)
        if isinstance(reply, str):
            for word in re.findall(r"\S+\s*", reply):
                yield ChatGenerationChunk(message=AIMessageChunk(content=word))
        else:
            yield from _call_chunks(messages, reply)
        yield ChatGenerationChunk(message=AIMessageChunk(content="", chunk_position="last"))


def _call_chunks(
    messages: Sequence[BaseMessage], calls: list[PlannedCall]
) -> Iterator[ChatGenerationChunk]:
    seed = hashlib.sha256(repr([m.content for m in messages]).encode()).hexdigest()
    for index, call in enumerate(calls):
        call_id = f"call_{seed[:12]}_{index}"
        args = json.dumps(call.args)
        half = len(args) // 2
        for piece_index, piece in enumerate((args[:half], args[half:])):
            chunk = tool_call_chunk(
                name=call.name if piece_index == 0 else None,
                args=piece,
                id=call_id if piece_index == 0 else None,
                index=index,
            )
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=[chunk]))


def plan_reply(
    messages: Sequence[BaseMessage], tools: Sequence[dict[str, Any]], tool_choice: str | None
) -> str | list[PlannedCall]:
    """What the demo model answers: text, or the tool calls it makes."""
    conversation = [m for m in messages if m.type != "system"]
    if not conversation:
        return "Hello! Ask me something."
    last = conversation[-1]
    if isinstance(last, ToolMessage):
        return _summarise_results(conversation)
    text = last.text if isinstance(last, HumanMessage) else ""
    forced = [t for t in tools if tool_choice and t["name"] == tool_choice]
    chosen = forced or select_tools(text, tools)
    if chosen:
        return [
            PlannedCall(t["name"], fill_arguments(t.get("parameters") or {}, text)) for t in chosen
        ]
    names = ", ".join(t["name"] for t in tools)
    listing = f"My actions here are: {names}." if names else "No actions are available here."
    return NO_TOOL_ANSWER.format(actions=listing)


def select_tools(text: str, tools: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every tool the text names (parallel calls), else the best description match."""
    lowered = text.lower()
    phrase = " ".join(words(text))
    named = [
        t for t in tools if t["name"].lower() in lowered or " ".join(words(t["name"])) in phrase
    ]
    if named:
        return sorted(named, key=lambda t: _position(t["name"], lowered, phrase))
    said = _significant(text)
    best, best_score = None, 1
    for tool in tools:
        # A word of the tool's name weighs double: "weather in Paris" means getWeather.
        score = 2 * len(said & _significant(tool["name"]))
        score += len(said & _significant(tool.get("description", "")))
        if score > best_score:
            best, best_score = tool, score
    return [best] if best else []


def _position(name: str, lowered: str, phrase: str) -> int:
    index = lowered.find(name.lower())
    return index if index >= 0 else phrase.find(" ".join(words(name)))


def words(text: str) -> list[str]:
    """Lower-case words, splitting camelCase and snake_case: fetchNameForUserId -> fetch name ..."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)
    return [w.lower() for w in re.findall(r"[A-Za-z0-9]+", spaced)]


def _significant(text: str) -> set[str]:
    return {w.removesuffix("s") for w in words(text) if len(w) > 2 and w not in STOPWORDS}


def _summarise_results(conversation: Sequence[BaseMessage]) -> str:
    results: list[ToolMessage] = []
    for message in reversed(conversation):
        if not isinstance(message, ToolMessage):
            break
        results.insert(0, message)
    names = {
        call["id"]: call["name"]
        for message in conversation
        if isinstance(message, AIMessage)
        for call in message.tool_calls
    }
    lines = []
    for result in results:
        name = result.name or names.get(result.tool_call_id, "the action")
        if result.status == "error":
            lines.append(f"{name} did not work: {result.text}")
        else:
            lines.append(f"{name} returned: {result.text}")
    return "\n".join(lines)
