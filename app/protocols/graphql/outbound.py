"""GraphqlEncoder: AG-UI events -> the legacy incremental payloads of generateCopilotResponse.

The payloads are built by hand for the selection set runtime-client-gql sends (every field of
each message kind, plus `__typename`), in the legacy format that @urql/core merges correctly:
`{"items": [...], "path": [..., <index of the first item>]}` for @stream and
`{"data": {...}, "path": [...]}` for @defer (protocols.md 2.2). graphql-core's own incremental
format (`pending`/`completed`) would be merged into the wrong place by urql.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ag_ui.core import (
    BaseEvent,
    EventType,
    RunErrorEvent,
    RunFinishedEvent,
    StateSnapshotEvent,
    StepStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    TextPart,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
)
from pydantic import JsonValue

ROOT = "generateCopilotResponse"
Json = dict[str, JsonValue]
Path = list[JsonValue]

SUCCESS: Json = {"code": "Success", "__typename": "SuccessMessageStatus"}
# A message the run left open is not finished: Pending keeps the client from executing it.
PENDING: Json = {"code": "Pending", "__typename": "PendingMessageStatus"}
RESPONSE_SUCCESS: Json = {"code": "Success", "__typename": "SuccessResponseStatus"}
UNKNOWN_ACTION = "unknown"
EMITTED_EVENTS = frozenset(
    {
        EventType.RUN_FINISHED,
        EventType.RUN_ERROR,
        EventType.STATE_SNAPSHOT,
        EventType.STEP_STARTED,
        EventType.TEXT_MESSAGE_START,
        EventType.TEXT_MESSAGE_CONTENT,
        EventType.TEXT_MESSAGE_END,
        EventType.TOOL_CALL_START,
        EventType.TOOL_CALL_ARGS,
        EventType.TOOL_CALL_END,
        EventType.TOOL_CALL_RESULT,
    }
)
"""The event types that change the response; every other one is translated to nothing."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSession:
    """The agent the chat is locked to: state changes go out as AgentStateMessageOutput."""

    agent_name: str
    state: Mapping[str, JsonValue]
    """The state the run started from."""


@dataclass(slots=True)
class _Message:
    index: int
    record: Json
    """The whole message, as the non-streamed answer shows it."""
    chunks: str | None = None
    """The streamed list field ("content" or "arguments"), if any."""


@dataclass(slots=True)
class GraphqlEncoder:
    """Translates one run; holds the message list and the messages still streaming."""

    thread_id: str
    run_id: str
    new_id: Callable[[], str]
    now: Callable[[], str]
    session: AgentSession | None = None
    _messages: list[Json] = field(default_factory=list)
    _open: dict[str, _Message] = field(default_factory=dict)
    _call_names: dict[str, str] = field(default_factory=dict)
    _node: str = ""
    _state: Mapping[str, JsonValue] | None = None
    _status: Json | None = None

    def start(self) -> Json:
        """The first payload: the response without its streamed and deferred parts."""
        head = {**self._head(), "messages": [], "metaEvents": [], "__typename": "CopilotResponse"}
        return {"data": {ROOT: head}, "hasNext": True}

    def translate(self, event: BaseEvent) -> list[JsonValue]:
        """The incremental entries (items or deferred data) for one event."""
        if self._status is not None:
            return []  # the run is over; nothing may follow its end
        entries = self._message_event(event)
        return entries if entries is not None else self._run_event(event)

    def _message_event(self, event: BaseEvent) -> list[JsonValue] | None:
        match event:
            case TextMessageStartEvent(message_id=message_id):
                return self._open_message(message_id, _text(message_id), "content")
            case ToolCallStartEvent(tool_call_id=call_id, tool_call_name=name):
                self._call_names[call_id] = name
                return self._open_message(call_id, _call(call_id, name, event), "arguments")
            case TextMessageContentEvent(message_id=key, delta=delta):
                return self._chunk(key, delta)
            case ToolCallArgsEvent(tool_call_id=key, delta=delta):
                return self._chunk(key, delta)
            case TextMessageEndEvent(message_id=key) | ToolCallEndEvent(tool_call_id=key):
                return self._close(key, SUCCESS)
            case ToolCallResultEvent():
                return self._result(event)
            case _:
                return None

    def _run_event(self, event: BaseEvent) -> list[JsonValue]:
        match event:
            case StepStartedEvent(step_name=name):
                self._node = name
                return []
            case StateSnapshotEvent(snapshot=snapshot):
                self._state = snapshot if isinstance(snapshot, dict) else {}
                return self._agent_state(is_active=True)
            case RunFinishedEvent():
                entries = self._agent_state(is_active=False)
                self._status = RESPONSE_SUCCESS
                return entries
            case RunErrorEvent(message=message, code=code):
                self._status = _failed(message, code)
                return []
            case _:
                return []

    def finish(self) -> Json:
        """The last payload: leftover statuses and the response status (hasNext false)."""
        if self._status is None:  # the stream ended without RUN_FINISHED or RUN_ERROR
            self._status = _failed("The run ended without finishing.", "INCOMPLETE_STREAM")
        entries = [entry for key in list(self._open) for entry in self._close(key, PENDING)]
        entries.append(
            {"data": {"status": self._status, "__typename": "CopilotResponse"}, "path": [ROOT]}
        )
        return {"incremental": entries, "hasNext": False}

    def response(self) -> Json:
        """The whole CopilotResponse, with every list materialised (for single-JSON answers)."""
        return {
            **self._head(),
            "status": self._status,
            "messages": list(self._messages),
            "metaEvents": [],
            "__typename": "CopilotResponse",
        }

    def _head(self) -> Json:
        return {"threadId": self.thread_id, "runId": self.run_id, "extensions": None}

    def _add(self, record: Json, chunks: str | None = None) -> tuple[_Message, Json]:
        message = _Message(index=len(self._messages), record=record, chunks=chunks)
        self._messages.append(record)
        item: Json = {
            "__typename": record["__typename"],
            "id": record["id"],
            "createdAt": self.now(),
        }
        item.update((k, v) for k, v in record.items() if k not in item and k != "status")
        record["createdAt"] = item["createdAt"]
        if chunks is not None:
            item[chunks] = []  # the chunks follow as @stream items
        entry: Json = {"items": [item], "path": [ROOT, "messages", message.index]}
        return message, entry

    def _open_message(self, key: str, record: Json, chunks: str) -> list[JsonValue]:
        message, entry = self._add(record, chunks)
        self._open[key] = message
        return [entry]

    def _chunk(self, key: str, delta: str) -> list[JsonValue]:
        message = self._open.get(key)
        if message is None or message.chunks is None:
            return []
        pieces = message.record[message.chunks]
        assert isinstance(pieces, list)
        path: Path = [ROOT, "messages", message.index, message.chunks, len(pieces)]
        pieces.append(delta)
        return [{"items": [delta], "path": path}]

    def _close(self, key: str, status: Json) -> list[JsonValue]:
        message = self._open.pop(key, None)
        if message is None:
            return []
        message.record["status"] = status
        return [_status_entry(message, status)]

    def _result(self, event: ToolCallResultEvent) -> list[JsonValue]:
        call_id = event.tool_call_id
        record: Json = {
            "__typename": "ResultMessageOutput",
            # CopilotKit's runtime named results this way; the client re-sends them so.
            "id": f"result-{call_id}",
            "result": _plain_text(event.content),
            "actionExecutionId": call_id,
            "actionName": self._call_names.get(call_id, UNKNOWN_ACTION),
            "status": SUCCESS,
        }
        message, entry = self._add(record)
        return [entry, _status_entry(message, SUCCESS)]

    def _agent_state(self, *, is_active: bool) -> list[JsonValue]:
        if self.session is None:
            return []
        state = dict(self._state if self._state is not None else self.session.state)
        state.pop("messages", None)  # a `messages` key would replace the client's transcript
        record: Json = {
            "__typename": "AgentStateMessageOutput",
            "id": self.new_id(),
            "threadId": self.thread_id,
            "state": json.dumps(state, ensure_ascii=False),
            # As CopilotKit's AG-UI bridge: the session stays alive until the agent exits.
            "running": True,
            "agentName": self.session.agent_name,
            "nodeName": self._node,
            "runId": self.run_id,
            "active": is_active,
            "role": "assistant",
            "status": SUCCESS,
        }
        message, entry = self._add(record)
        return [entry, _status_entry(message, SUCCESS)]


def _text(message_id: str) -> Json:
    return {
        "__typename": "TextMessageOutput",
        "id": message_id,
        "content": [],
        "role": "assistant",
        "parentMessageId": None,
    }


def _call(call_id: str, name: str, event: ToolCallStartEvent) -> Json:
    return {
        "__typename": "ActionExecutionMessageOutput",
        "id": call_id,
        "name": name,
        "arguments": [],
        "parentMessageId": event.parent_message_id,
    }


def _plain_text(content: str | Sequence[object]) -> str:
    # A result with content parts: the legacy format carries text only.
    if isinstance(content, str):
        return content
    return "".join(part.text for part in content if isinstance(part, TextPart))


def _status_entry(message: _Message, status: Json) -> Json:
    data: Json = {"status": status, "__typename": message.record["__typename"]}
    return {"data": data, "path": [ROOT, "messages", message.index]}


def _failed(message: str, code: str | None) -> Json:
    # The client shows `details.description`; `originalError.code` must be one of its own
    # error codes (anything else is reported as a network error), so the run's code rides along.
    original: Json = {"code": "UNKNOWN", "runErrorCode": code}
    return {
        "code": "Failed",
        "reason": "UNKNOWN_ERROR",
        "details": {"description": message, "originalError": original},
        "__typename": "FailedResponseStatus",
    }
