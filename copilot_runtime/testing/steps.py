"""The steps of a ScriptedChatModel's script: what the model answers to one call.

A step is `reply("text")`, `call("name", **arguments)`, `reasoning("text")`, a list of these
(one answer made of several parts: reasoning, then text, then parallel calls), an `AIMessage`
(answered exactly as it is), or an exception (raised, as a failing provider raises).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from langchain_core.messages import AIMessage
from langchain_core.messages.ai import UsageMetadata


@dataclass(frozen=True, slots=True)
class Reply:
    """Answer text, streamed word by word."""

    text: str


@dataclass(frozen=True, slots=True)
class Call:
    """A tool call, its arguments streamed in fragments as providers stream them."""

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    """The arguments; a string is sent as the raw argument text, valid JSON or not."""
    id: str | None = None
    """The tool call id; None makes one up (`call_...`, as OpenAI's ids look)."""

    @property
    def arguments_text(self) -> str:
        """The arguments as the model streams them: JSON text."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(dict(self.arguments), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Reasoning:
    """The model's reasoning, streamed as LangChain's standard `reasoning` content blocks."""

    text: str


Part: TypeAlias = Reply | Call | Reasoning
Step: TypeAlias = Part | Sequence[Part] | AIMessage | BaseException
"""One scripted answer: a part, several parts, an AIMessage or an exception to raise."""


def reply(text: str) -> Reply:
    """A step that answers with `text`."""
    return Reply(text)


def call(name: str, arguments: Mapping[str, Any] | str | None = None, /, **kwargs: Any) -> Call:
    """A step that calls the tool `name`: `call("get_weather", city="Paris")`.

    The arguments may also be given as a mapping (for names that are not Python identifiers)
    or as a string, sent as the raw argument text, to script a model that sends broken JSON.
    A list of calls is a step with parallel calls.
    """
    if isinstance(arguments, str):
        if kwargs:
            raise TypeError("call(): give the arguments as keywords or as a string, not both")
        return Call(name, arguments)
    return Call(name, {**(arguments or {}), **kwargs})


def reasoning(text: str) -> Reasoning:
    """A part that streams `text` as the model's reasoning; put it first in a list with the
    reply or the calls that follow it: `[reasoning("..."), reply("...")]`."""
    return Reasoning(text)


@dataclass(frozen=True, slots=True)
class Turn:
    """One answer of the model, ready to stream."""

    message_id: str
    parts: tuple[Part, ...]
    checked: bool
    """Whether its calls must name offered tools (AIMessage steps are answered as they are)."""
    usage: UsageMetadata | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def calls(self) -> list[Call]:
        """The tool calls, with their ids."""
        return [part for part in self.parts if isinstance(part, Call)]


ScriptedAnswer: TypeAlias = Turn | BaseException


def scripted_answer(step: object, number: int) -> ScriptedAnswer:
    """A step checked and made ready to stream; `number` (from 1) names it in errors."""
    if isinstance(step, BaseException):
        return step
    if isinstance(step, AIMessage):
        return _turn_of_message(step)
    if isinstance(step, Reply | Call | Reasoning):
        return _turn((step,))
    if isinstance(step, Sequence) and not isinstance(step, str | bytes):
        parts = tuple(step)
        if not parts:
            raise ValueError(f"step {number} of the script is an empty list")
        for part in parts:
            if not isinstance(part, Reply | Call | Reasoning):
                raise TypeError(
                    f"step {number} of the script holds {type(part).__name__} {part!r}; a list "
                    "holds reply(...), call(...) and reasoning(...) parts"
                )
        return _turn(parts)
    raise TypeError(
        f"step {number} of the script is {type(step).__name__} {step!r}; a step is reply(...), "
        "call(...), reasoning(...), a list of them, an AIMessage or an exception"
    )


def _turn(parts: tuple[Part, ...]) -> Turn:
    return Turn(message_id=_new_id("scripted-"), parts=_with_call_ids(parts), checked=True)


def _turn_of_message(message: AIMessage) -> Turn:
    parts: list[Part] = [
        Reasoning(str(block.get("reasoning", "")))
        for block in message.content_blocks
        if block["type"] == "reasoning" and block.get("reasoning")
    ]
    if message.text:
        parts.append(Reply(message.text))
    parts += [Call(c["name"], c["args"], c["id"]) for c in message.tool_calls]
    parts += [Call(c["name"] or "", c["args"] or "", c["id"]) for c in message.invalid_tool_calls]
    return Turn(
        message_id=message.id or _new_id("scripted-"),
        parts=_with_call_ids(tuple(parts)),
        checked=False,
        usage=message.usage_metadata,
        metadata=dict(message.response_metadata),
    )


def _with_call_ids(parts: tuple[Part, ...]) -> tuple[Part, ...]:
    return tuple(
        Call(part.name, part.arguments, _new_id("call_"))
        if isinstance(part, Call) and part.id is None
        else part
        for part in parts
    )


def _new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:24]
