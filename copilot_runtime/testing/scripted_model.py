"""ScriptedChatModel: a LangChain chat model that answers each call with the next scripted step."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import PrivateAttr

from copilot_runtime.graphs import RunError
from copilot_runtime.testing.chunks import turn_chunks
from copilot_runtime.testing.steps import ScriptedAnswer, Step, Turn, scripted_answer

_SHOWN = 200  # characters of a prompt message quoted in an error


class ScriptError(RunError):
    """The script does not fit the call: it ran out, or it calls a tool that was not offered.

    A run of the built-in agent (or of a graph served by the runtime) ends with RUN_ERROR
    `SCRIPTED_MODEL_ERROR` carrying this message; called directly, the model raises it.
    """

    code = "SCRIPTED_MODEL_ERROR"


@dataclass(frozen=True, slots=True)
class ModelRequest:
    """One call of the model: the prompt and the tools it was offered."""

    messages: list[BaseMessage]
    tools: list[dict[str, Any]]
    """The offered tools in OpenAI's format (`{"type": "function", "function": {...}}`)."""
    tool_choice: Any = None
    """The `tool_choice` the tools were bound with, if any."""

    @property
    def tool_names(self) -> list[str]:
        """The names of the offered tools."""
        return [_tool_name(tool) for tool in self.tools]


class ScriptedChatModel(BaseChatModel):
    """Answers the n-th model call with the n-th step of its script.

        model = ScriptedChatModel([call("get_weather", city="Paris"), reply("Sunny.")])

    Steps are `reply(text)`, `call(name, **arguments)`, `reasoning(text)`, a list of these
    (parallel calls, or reasoning before a reply), an `AIMessage` (answered as it is: exact
    ids, usage metadata, or a call to a tool that was not offered) or an exception (raised).
    Each answer is streamed as a provider streams it (chunks.py), or returned whole when the
    caller does not stream. Every call is recorded in `requests`.

    A call after the last step, or a scripted call to a tool the call did not offer, raises
    ScriptError with what happened and what the model was asked.
    """

    steps: list[Any]
    """The script as given (the steps a list holds are checked when the model is made)."""
    delay: float = 0.0
    """Seconds before each streamed chunk, to catch a run mid-answer (a stop, a disconnect)."""
    interleave: bool = True
    """Parallel calls' argument fragments alternate between the calls (the order that is
    hardest for a consumer); False streams one call after the other, as OpenAI does."""

    _answers: list[ScriptedAnswer] = PrivateAttr(default_factory=list)
    _used: int = PrivateAttr(default=0)
    _requests: list[ModelRequest] = PrivateAttr(default_factory=list)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def __init__(self, steps: Iterable[Step] = (), **kwargs: Any) -> None:
        """Script the answers, one step per model call, in order."""
        script = list(steps)
        super().__init__(steps=script, **kwargs)
        self._answers = [scripted_answer(step, number) for number, step in enumerate(script, 1)]

    @property
    def _llm_type(self) -> str:
        return "scripted-chat-model"

    @property
    def requests(self) -> list[ModelRequest]:
        """Every call so far, oldest first (a failed one too)."""
        with self._lock:
            return list(self._requests)

    @property
    def pending(self) -> int:
        """Steps not used yet."""
        with self._lock:
            return len(self._answers) - self._used

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Offer `tools` to the calls of the returned runnable, as a provider's model does."""
        formatted = [
            tool if isinstance(tool, dict) and "type" in tool else convert_to_openai_tool(tool)
            for tool in tools
        ]
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=formatted, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return generate_from_stream(self._chunks(self._answer(messages, kwargs)))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return generate_from_stream(self._chunks(self._answer(messages, kwargs)))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in self._chunks(self._answer(messages, kwargs)):
            if self.delay:
                time.sleep(self.delay)
            yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._chunks(self._answer(messages, kwargs)):
            if self.delay:
                await asyncio.sleep(self.delay)
            yield chunk

    def _chunks(self, turn: Turn) -> Iterator[ChatGenerationChunk]:
        for chunk in turn_chunks(turn, interleave=self.interleave):
            yield ChatGenerationChunk(message=chunk)

    def _answer(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> Turn:
        """Record the call and take the next step: the answer, or what to raise."""
        request = ModelRequest(
            messages=list(messages),
            tools=list(kwargs.get("tools") or ()),
            tool_choice=kwargs.get("tool_choice"),
        )
        with self._lock:
            self._requests.append(request)
            number = len(self._requests)
            answer = None
            if self._used < len(self._answers):
                answer = self._answers[self._used]
                self._used += 1
        if answer is None:
            count = len(self._answers)
            raise ScriptError(
                f"ScriptedChatModel has no step for model call {number}: its script has "
                f"{count} step{'' if count == 1 else 's'}. {_last_message(messages)}"
            )
        if isinstance(answer, BaseException):
            raise answer
        if answer.checked:
            _check_calls(answer, request, number)
        return answer


def _check_calls(turn: Turn, request: ModelRequest, number: int) -> None:
    offered = request.tool_names
    for scripted in turn.calls:
        if scripted.name in offered:
            continue
        what = (
            f"it offered {', '.join(repr(name) for name in offered)}"
            if offered
            else "it offered no tools (the model was not bound with bind_tools)"
        )
        raise ScriptError(
            f"step {number} of the script calls the tool {scripted.name!r}, which model call "
            f"{number} did not offer: {what}. (Script an AIMessage to call it anyway.)"
        )


def _last_message(messages: Sequence[BaseMessage]) -> str:
    if not messages:
        return "Its prompt was empty."
    last = messages[-1]
    text = last.text if len(last.text) <= _SHOWN else last.text[:_SHOWN] + "..."
    return f"The prompt's last message ({last.type}): {text!r}."


def _tool_name(tool: dict[str, Any]) -> str:
    function = tool.get("function")
    if isinstance(function, dict) and isinstance(function.get("name"), str):
        return str(function["name"])
    return str(tool.get("name", ""))
