"""Test doubles: a scripted chat model and helpers to read event streams."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import Any

from ag_ui.core import BaseEvent
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field


class ScriptedChatModel(BaseChatModel):
    """Replays `turns` in order: words as text chunks, then tool-call chunks.

    The arguments of parallel calls are interleaved (every call's first half, then every second
    half), as OpenAI streams them, so code that keys calls by arrival order fails. A turn that is
    an exception is raised instead. `seen` records every prompt, `bound` every set of tool names.
    """

    turns: list[Any]  # AIMessage or Exception; a union would make pydantic coerce exceptions
    delay: float = 0.0
    seen: list[list[BaseMessage]] = Field(default_factory=list)
    bound: list[list[str]] = Field(default_factory=list)
    tool_choices: list[str | None] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        names = [convert_to_openai_tool(tool)["function"]["name"] for tool in tools]
        return self.bind(tool_names=names, tool_choice=tool_choice, **kwargs)

    def _next_turn(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
        self.seen.append(list(messages))
        self.bound.append(list(kwargs.get("tool_names", [])))
        self.tool_choices.append(kwargs.get("tool_choice"))
        if not self.turns:
            raise AssertionError("the model was called more often than the script allows")
        turn = self.turns.pop(0)
        if isinstance(turn, Exception):
            raise turn
        assert isinstance(turn, AIMessage)
        return turn

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._next_turn(messages, kwargs))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        yield from stream_turn(self._next_turn(messages, kwargs))

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in stream_turn(self._next_turn(messages, kwargs)):
            if self.delay:
                await asyncio.sleep(self.delay)
            yield chunk


def stream_turn(turn: AIMessage) -> Iterator[ChatGenerationChunk]:
    """One scripted turn as provider-like chunks, all carrying the turn's id."""
    text = turn.text
    words = text.split(" ")
    for index, word in enumerate(words):
        piece = word if index == len(words) - 1 else f"{word} "
        if piece:
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece, id=turn.id))
    halves = []
    for index, call in enumerate(turn.tool_calls):
        args = json.dumps(call["args"])
        cut = len(args) // 2
        halves.append((index, call, args[:cut], args[cut:]))
    for index, call, first, _ in halves:
        chunk = tool_call_chunk(name=call["name"], args=first, id=call["id"], index=index)
        yield ChatGenerationChunk(
            message=AIMessageChunk(content="", id=turn.id, tool_call_chunks=[chunk])
        )
    for index, _, _, second in halves:
        chunk = tool_call_chunk(name=None, args=second, id=None, index=index)
        yield ChatGenerationChunk(
            message=AIMessageChunk(content="", id=turn.id, tool_call_chunks=[chunk])
        )
    # Usage and metadata come last, as providers send them (OpenAI's include_usage chunk).
    last = AIMessageChunk(
        content="",
        id=turn.id,
        chunk_position="last",
        usage_metadata=turn.usage_metadata,
        response_metadata=turn.response_metadata,
    )
    yield ChatGenerationChunk(message=last)


def answer(text: str, *, id: str) -> AIMessage:
    """A scripted text turn."""
    return AIMessage(content=text, id=id)


def calls(*specs: tuple[str, str, dict[str, Any]], id: str, text: str = "") -> AIMessage:
    """A scripted turn calling tools: each spec is (call id, tool name, args)."""
    return AIMessage(
        content=text,
        id=id,
        tool_calls=[{"id": cid, "name": name, "args": args} for cid, name, args in specs],
    )


def seq_ids(prefix: str = "id") -> Any:
    """Deterministic ids: id-1, id-2, ..."""
    counter = iter(range(1, 1_000_000))
    return lambda: f"{prefix}-{next(counter)}"


def dumped(events: Iterable[BaseEvent]) -> list[dict[str, Any]]:
    """Events as the JSON objects a client receives (camelCase, absent optionals left out)."""
    return [json.loads(event.model_dump_json(by_alias=True)) for event in events]


def types(events: Iterable[dict[str, Any]]) -> list[str]:
    """The event type names, in order."""
    return [event["type"] for event in events]


def assert_valid_stream(events: Sequence[dict[str, Any]]) -> None:
    """The ordering rules @ag-ui/client enforces on a run (protocols.md section 4.4)."""
    assert events, "empty stream"
    assert events[0]["type"] == "RUN_STARTED", events[0]
    assert events[-1]["type"] in ("RUN_FINISHED", "RUN_ERROR"), events[-1]
    open_text: set[str] = set()
    open_calls: set[str] = set()
    for event in events[1:-1]:
        kind = event["type"]
        assert kind not in ("RUN_STARTED", "RUN_FINISHED", "RUN_ERROR"), event
        if kind == "TEXT_MESSAGE_START":
            assert event["messageId"] not in open_text, event
            open_text.add(event["messageId"])
        elif kind in ("TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END"):
            assert event["messageId"] in open_text, event
            if kind == "TEXT_MESSAGE_END":
                open_text.discard(event["messageId"])
            else:
                assert event["delta"], event
        elif kind == "TOOL_CALL_START":
            assert event["toolCallId"] not in open_calls, event
            open_calls.add(event["toolCallId"])
        elif kind in ("TOOL_CALL_ARGS", "TOOL_CALL_END"):
            assert event["toolCallId"] in open_calls, event
            if kind == "TOOL_CALL_END":
                open_calls.discard(event["toolCallId"])
    if events[-1]["type"] == "RUN_FINISHED":
        assert not open_text, open_text
        assert not open_calls, open_calls


def tool_args(events: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each streamed tool call's arguments, joined from its ARGS deltas and parsed."""
    pieces: dict[str, str] = {}
    for event in events:
        if event["type"] == "TOOL_CALL_START":
            pieces[event["toolCallId"]] = ""
        elif event["type"] == "TOOL_CALL_ARGS":
            pieces[event["toolCallId"]] += event["delta"]
    return {call_id: json.loads(text) for call_id, text in pieces.items()}
