"""RuntimeEventEncoder: AG-UI events -> the CopilotKit runtime events a Node runtime (<= 1.10)
reads from `agents/execute`, one JSON object per line.

The Node runtime passes these events on unchanged to its GraphQL resolver, through one step of
its own (`RuntimeEventSource.processRuntimeEvents`): on `ActionExecutionEnd` it runs the call
itself when the name is one of its server-side actions, and this server's actions are among
those (it learnt them from `info`). So a call this server's agent runs itself is sent without
`ActionExecutionEnd` (its result follows as `ActionExecutionResult`), and only a call left to
the Node runtime or the page (a tool it offered) is ended. The arguments stream of an unended
call closes with the response.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ag_ui.core import (
    BaseEvent,
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

from copilot_runtime.app.streaming import Batch, Framing

RuntimeEvent = dict[str, JsonValue]
KEEPALIVE_LINE = b"\n"
"""An empty line: the runtime's reader skips blank lines, and proxies see bytes moving."""
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
FAILED_TEXT = "Error: {message}"
UNKNOWN_ACTION = "unknown"


@dataclass(slots=True, kw_only=True)
class RuntimeEventEncoder:
    """Translates one agent run; holds the call names, the node and the state so far."""

    thread_id: str
    run_id: str
    agent_name: str
    client_tools: frozenset[str]
    """The tools the Node runtime offered the agent: it (or the page) runs their calls."""
    state: Mapping[str, JsonValue]
    """The state the run started from."""
    new_id: Callable[[], str]
    _call_names: dict[str, str] = field(default_factory=dict)
    _node: str = ""
    _is_over: bool = False

    def translate(self, event: BaseEvent) -> list[RuntimeEvent]:
        """The runtime events for one AG-UI event (none for most lifecycle events)."""
        if self._is_over:
            return []  # nothing may follow the end of the run
        match event:
            case TextMessageStartEvent(message_id=message_id):
                return [{"type": "TextMessageStart", "messageId": message_id}]
            case TextMessageContentEvent(message_id=message_id, delta=delta):
                return [{"type": "TextMessageContent", "messageId": message_id, "content": delta}]
            case TextMessageEndEvent(message_id=message_id):
                return [{"type": "TextMessageEnd", "messageId": message_id}]
            case ToolCallStartEvent():
                return [self._call_started(event)]
            case ToolCallArgsEvent(tool_call_id=call_id, delta=delta):
                return [
                    {"type": "ActionExecutionArgs", "actionExecutionId": call_id, "args": delta}
                ]
            case ToolCallEndEvent(tool_call_id=call_id):
                return self._call_ended(call_id)
            case ToolCallResultEvent():
                return [self._result(event)]
            case _:
                return self._run_event(event)

    def _run_event(self, event: BaseEvent) -> list[RuntimeEvent]:
        match event:
            case StepStartedEvent(step_name=name):
                self._node = name
                return []
            case StateSnapshotEvent(snapshot=snapshot):
                self.state = snapshot if isinstance(snapshot, dict) else {}
                return [self._agent_state(is_active=True)]
            case RunFinishedEvent():
                self._is_over = True
                return [self._agent_state(is_active=False)]
            case RunErrorEvent(message=message, code=code):
                self._is_over = True
                return self._failed(message, code)
            case _:
                return []

    def _call_started(self, event: ToolCallStartEvent) -> RuntimeEvent:
        self._call_names[event.tool_call_id] = event.tool_call_name
        started: RuntimeEvent = {
            "type": "ActionExecutionStart",
            "actionExecutionId": event.tool_call_id,
            "actionName": event.tool_call_name,
        }
        if event.parent_message_id is not None:
            started["parentMessageId"] = event.parent_message_id
        return started

    def _call_ended(self, call_id: str) -> list[RuntimeEvent]:
        if self._call_names.get(call_id) not in self.client_tools:
            return []  # run here: an End would make the Node runtime run it again
        return [{"type": "ActionExecutionEnd", "actionExecutionId": call_id}]

    def _result(self, event: ToolCallResultEvent) -> RuntimeEvent:
        return {
            "type": "ActionExecutionResult",
            "actionName": self._call_names.get(event.tool_call_id, UNKNOWN_ACTION),
            "actionExecutionId": event.tool_call_id,
            "result": _plain_text(event.content),
        }

    def _agent_state(self, *, is_active: bool) -> RuntimeEvent:
        state = {key: value for key, value in self.state.items() if key != "messages"}
        # A `messages` key would replace the page's transcript; `running: true` keeps the
        # page's agent session (and its thread) for the next turn, as the Python SDK did.
        return {
            "type": "AgentStateMessage",
            "threadId": self.thread_id,
            "agentName": self.agent_name,
            "nodeName": self._node,
            "runId": self.run_id,
            "active": is_active,
            "role": "assistant",
            "state": json.dumps(state, ensure_ascii=False),
            "running": True,
        }

    def _failed(self, message: str, code: str | None) -> list[RuntimeEvent]:
        # The 1.10 runtime has no error event for these streams (it passes `RunError` on and
        # its resolver drops it), so the failure is also said in the chat, where the user sees it.
        message_id = self.new_id()
        failure: RuntimeEvent = {"type": "RunError", "message": message}
        if code is not None:
            failure["code"] = code
        return [
            failure,
            {"type": "TextMessageStart", "messageId": message_id},
            {
                "type": "TextMessageContent",
                "messageId": message_id,
                "content": FAILED_TEXT.format(message=message),
            },
            {"type": "TextMessageEnd", "messageId": message_id},
        ]


def json_lines(events: Sequence[RuntimeEvent]) -> bytes:
    """Events as lines; JSON escapes every newline inside a value, so a line is one event."""
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events).encode()


def json_lines_framing(encoder: RuntimeEventEncoder) -> Framing:
    """A run's events as runtime-event lines (`application/json`, as the Python SDK sent it);
    a silence is a blank line."""

    def lines(batch: Batch) -> bytes:
        parts: list[bytes] = []
        for event in batch:
            if event is None:
                parts.append(KEEPALIVE_LINE)
            elif translated := encoder.translate(event):
                parts.append(json_lines(translated))
        return b"".join(parts)

    return Framing(media_type="application/json", headers=STREAM_HEADERS, batch=lines)


def _plain_text(content: str | Sequence[object]) -> str:
    # A result with content parts: the runtime events carry text only.
    if isinstance(content, str):
        return content
    return "".join(part.text for part in content if isinstance(part, TextPart))
