"""What a graph emits besides its messages: custom events, and the `copilotkit` package's
helpers and switches, as AG-UI events.

`adispatch_custom_event(name, data)` reaches LangChain's callbacks only; `CustomEventRelay`
writes each into the run's own LangGraph stream (`custom` mode), so it arrives in order with
the tokens around it. There:

- `copilotkit_emit_state` / `manually_emit_state` -> STATE_SNAPSHOT of that state;
- `copilotkit_emit_message` / `manually_emit_message` -> one whole text message;
- `copilotkit_emit_tool_call` / `manually_emit_tool_call` -> one whole tool call;
- `copilotkit_exit` -> CUSTOM `Exit` (what CopilotKit's clients listen for);
- any other name -> CUSTOM with that name and value.

`copilotkit_customize_config` puts its switches in the model call's metadata, which comes
with each streamed chunk (`ModelCallSwitches`): `emit_messages=False` hides the call's text,
`emit_tool_calls=False` (or the names to show) hides its tool calls, and
`emit_intermediate_state=[{state_key, tool, tool_argument}]` announces the predicted keys
(CUSTOM `PredictState`) and streams the tool's argument into the state as it is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from ag_ui.core import (
    BaseEvent,
    CustomEvent,
    EventType,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallStartEvent,
)
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessageChunk
from langchain_core.utils.json import parse_partial_json
from langgraph.config import get_stream_writer

from copilot_runtime.graphs.state_events import StateEvents

RELAYED = "__copilot_runtime_custom_event__"
"""The key of a relayed custom event in the `custom` stream (a user's own writes lack it)."""

EMIT_STATE = frozenset({"copilotkit_manually_emit_intermediate_state", "manually_emit_state"})
EMIT_MESSAGE = frozenset({"copilotkit_manually_emit_message", "manually_emit_message"})
EMIT_TOOL_CALL = frozenset({"copilotkit_manually_emit_tool_call", "manually_emit_tool_call"})
COPILOTKIT_EXIT = "copilotkit_exit"

EMIT_MESSAGES_KEY = "copilotkit:emit-messages"
EMIT_TOOL_CALLS_KEY = "copilotkit:emit-tool-calls"
INTERMEDIATE_STATE_KEY = "copilotkit:emit-intermediate-state"


class CustomEventRelay(BaseCallbackHandler):
    """Writes each custom event a graph dispatches into the graph's own stream."""

    run_inline = True  # in the dispatching node's context, where its stream writer is
    ignore_llm = True
    ignore_chain = True
    ignore_agent = True
    ignore_retriever = True
    ignore_retry = True
    ignore_chat_model = True

    def on_custom_event(
        self,
        name: str,
        data: Any,
        *,
        run_id: UUID,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Relay one event (outside a graph's node there is no stream to relay it to)."""
        try:
            write = get_stream_writer()
        except RuntimeError:
            return
        write({RELAYED: name, "data": data})


def relayed_event(payload: Any) -> tuple[str, Any] | None:
    """The (name, data) of a relayed custom event in a `custom` stream payload."""
    if isinstance(payload, Mapping) and isinstance(payload.get(RELAYED), str):
        return payload[RELAYED], payload.get("data")
    return None


def custom_events(name: str, data: Any, state: StateEvents) -> list[BaseEvent]:
    """The AG-UI events for one custom event a graph dispatched."""
    if name in EMIT_STATE and isinstance(data, Mapping):
        return state.replace(data, as_snapshot=True)
    if name in EMIT_MESSAGE and isinstance(data, Mapping):
        message_id = str(data.get("message_id") or "")
        return [
            TextMessageStartEvent(message_id=message_id, role="assistant"),
            TextMessageContentEvent(message_id=message_id, delta=str(data.get("message", ""))),
            TextMessageEndEvent(message_id=message_id),
            _custom(name, data),
        ]
    if name in EMIT_TOOL_CALL and isinstance(data, Mapping):
        call_id, args = str(data.get("id") or ""), data.get("args")
        return [
            ToolCallStartEvent(
                tool_call_id=call_id,
                tool_call_name=str(data.get("name", "")),
                parent_message_id=call_id,
            ),
            ToolCallArgsEvent(
                tool_call_id=call_id, delta=args if isinstance(args, str) else json.dumps(args)
            ),
            ToolCallEndEvent(tool_call_id=call_id),
            _custom(name, data),
        ]
    if name == COPILOTKIT_EXIT:
        return [CustomEvent(name="Exit", value=True)]
    return [_custom(name, data)]


def _custom(name: str, data: Any) -> CustomEvent:
    return CustomEvent(name=name, value=json.loads(json.dumps(data, default=str)))


@dataclass(slots=True)
class _Predicted:
    name: str | None = None
    call_id: str | None = None
    args: list[str] = field(default_factory=list)
    announced: bool = False


@dataclass(slots=True)
class ModelCallSwitches:
    """Applies the `copilotkit_customize_config` switches of each model call to its events."""

    state: StateEvents
    _hidden_texts: set[str] = field(default_factory=set)
    _call_filters: dict[str, Callable[[str], bool]] = field(default_factory=dict)
    _hidden_calls: set[str] = field(default_factory=set)
    _predicted: dict[tuple[str, Hashable], _Predicted] = field(default_factory=dict)

    def chunk(self, chunk: AIMessageChunk, metadata: Mapping[str, Any]) -> list[BaseEvent]:
        """Note the switches of the call `chunk` belongs to; events for what it predicts."""
        message_id = chunk.id or ""
        if metadata.get(EMIT_MESSAGES_KEY) is False:
            self._hidden_texts.add(message_id)
        shown = metadata.get(EMIT_TOOL_CALLS_KEY)
        if shown is not None and shown is not True:
            self._call_filters[message_id] = _call_filter(shown)
        predictions = metadata.get(INTERMEDIATE_STATE_KEY)
        if isinstance(predictions, Sequence) and predictions and chunk.tool_call_chunks:
            return self._predict(message_id, chunk, predictions)
        return []

    def _predict(
        self, message_id: str, chunk: AIMessageChunk, predictions: Sequence[Any]
    ) -> list[BaseEvent]:
        events: list[BaseEvent] = []
        for piece in chunk.tool_call_chunks:
            key = (message_id, piece.get("index", piece.get("id")))
            call = self._predicted.setdefault(key, _Predicted())
            call.name = call.name or piece.get("name")
            call.args.append(piece.get("args") or "")
            matching = [
                p for p in predictions if isinstance(p, Mapping) and p.get("tool") == call.name
            ]
            if not matching:
                continue
            if not call.announced:
                call.announced = True
                events.append(CustomEvent(name="PredictState", value=list(predictions)))
            arguments = _partial_arguments("".join(call.args))
            if arguments is None:
                continue
            for prediction in matching:
                state_key = prediction.get("state_key")
                argument = prediction.get("tool_argument")
                if not isinstance(state_key, str):
                    continue
                if not argument:
                    events += self.state.predict(state_key, dict(arguments))
                elif argument in arguments:
                    events += self.state.predict(state_key, arguments[argument])
        return events

    def shown(self, events: list[BaseEvent]) -> list[BaseEvent]:
        """`events` without the text and tool calls their model calls asked to hide."""
        if not (self._hidden_texts or self._call_filters):
            return events
        return [event for event in events if self._is_shown(event)]

    def _is_shown(self, event: BaseEvent) -> bool:
        match event.type:
            case EventType.TEXT_MESSAGE_START | EventType.TEXT_MESSAGE_CONTENT:
                return event.message_id not in self._hidden_texts  # type: ignore[attr-defined]
            case EventType.TEXT_MESSAGE_END:
                return event.message_id not in self._hidden_texts  # type: ignore[attr-defined]
            case EventType.TOOL_CALL_START:
                parent = event.parent_message_id or ""  # type: ignore[attr-defined]
                allowed = self._call_filters.get(parent)
                if allowed is not None and not allowed(event.tool_call_name):  # type: ignore[attr-defined]
                    self._hidden_calls.add(event.tool_call_id)  # type: ignore[attr-defined]
                    return False
            case EventType.TOOL_CALL_ARGS | EventType.TOOL_CALL_END:
                return event.tool_call_id not in self._hidden_calls  # type: ignore[attr-defined]
        return True


def _partial_arguments(text: str) -> Mapping[str, Any] | None:
    """The arguments streamed so far, read as JSON that is still being written."""
    if not text.strip():
        return None
    try:
        arguments = parse_partial_json(text)
    except ValueError:
        return None
    return arguments if isinstance(arguments, Mapping) else None


def _call_filter(shown: Any) -> Callable[[str], bool]:
    if shown is False:
        return lambda _name: False
    names = {shown} if isinstance(shown, str) else set(shown or ())
    return lambda name: name in names
