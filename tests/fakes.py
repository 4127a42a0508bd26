"""Helpers of the project's own tests that are not part of the testing kit.

The scripted model, the stream validator and the fake OpenAI server live in
`copilot_runtime.testing`. `ScriptedChatModel(turns=...)` and `assert_valid_stream` remain here
under their old names for tests written before the kit; new tests use the kit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from ag_ui.core import BaseEvent
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.tool import invalid_tool_call

from copilot_runtime import testing


class ScriptedChatModel(testing.ScriptedChatModel):
    """The kit's model under its old interface: `turns=` and the `seen`, `bound` and
    `tool_choices` views of `requests`."""

    def __init__(self, turns: Iterable[testing.Step] = (), **kwargs: Any) -> None:
        super().__init__(turns, **kwargs)

    @property
    def turns(self) -> list[Any]:
        """The steps not used yet."""
        return self.steps[len(self.steps) - self.pending :]

    @property
    def seen(self) -> list[list[BaseMessage]]:
        return [request.messages for request in self.requests]

    @property
    def bound(self) -> list[list[str]]:
        return [request.tool_names for request in self.requests]

    @property
    def tool_choices(self) -> list[Any]:
        return [request.tool_choice for request in self.requests]


def assert_valid_stream(events: Sequence[dict[str, Any]]) -> None:
    """The old name of `assert stream_problems(events) == []`."""
    assert testing.stream_problems(events) == []


def answer(text: str, *, id: str) -> AIMessage:
    """A scripted text turn with a known message id."""
    return AIMessage(content=text, id=id)


def calls(*specs: tuple[str, str, dict[str, Any]], id: str, text: str = "") -> AIMessage:
    """A scripted turn calling tools with known ids: each spec is (call id, tool name, args).

    An AIMessage step is answered as it is, so it may call a tool that was not offered."""
    return AIMessage(
        content=text,
        id=id,
        tool_calls=[{"id": cid, "name": name, "args": args} for cid, name, args in specs],
    )


def cut_call(
    call_id: str, name: str, arguments: str, *, id: str, finish_reason: str | None = None
) -> AIMessage:
    """A turn streaming one call whose argument text is `arguments` exactly (say, cut off
    halfway), its answer ending with `finish_reason` (None: the stream just stopped)."""
    return AIMessage(
        content="",
        id=id,
        invalid_tool_calls=[invalid_tool_call(name=name, args=arguments, id=call_id)],
        response_metadata={"finish_reason": finish_reason},
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


def tool_args(events: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each streamed tool call's arguments, joined from its ARGS deltas and parsed."""
    pieces: dict[str, str] = {}
    for event in events:
        if event["type"] == "TOOL_CALL_START":
            pieces[event["toolCallId"]] = ""
        elif event["type"] == "TOOL_CALL_ARGS":
            pieces[event["toolCallId"]] += event["delta"]
    return {call_id: json.loads(text) for call_id, text in pieces.items()}
