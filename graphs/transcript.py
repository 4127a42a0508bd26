"""Transcript: the messages a client holds after applying a run's events (as @ag-ui/client does)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ag_ui.core import (
    AssistantMessage,
    BaseEvent,
    FunctionCall,
    Message,
    MessagesSnapshotEvent,
    TextMessageContentEvent,
    TextMessageStartEvent,
    ToolCall,
    ToolCallArgsEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
    ToolMessage,
)


@dataclass(slots=True)
class Transcript:
    """The conversation so far, updated event by event.

    Text and tool calls join the assistant message whose id they carry, tool results become
    tool messages, and MESSAGES_SNAPSHOT replaces everything, which is what @ag-ui/client's
    `defaultApplyEvents` does with the same events.
    """

    messages: list[Message] = field(default_factory=list)
    _calls: dict[str, ToolCall] = field(default_factory=dict)

    @classmethod
    def of(cls, messages: Iterable[Message], events: Iterable[BaseEvent]) -> list[Message]:
        """The messages after applying `events` to a copy of `messages`."""
        transcript = cls([message.model_copy(deep=True) for message in messages])
        for event in events:
            transcript.apply(event)
        return transcript.messages

    def apply(self, event: BaseEvent) -> None:
        """Update the messages with one event; kinds that change no message are ignored."""
        match event:
            case TextMessageStartEvent(message_id=message_id):
                self._assistant(message_id)
            case TextMessageContentEvent(message_id=message_id, delta=delta):
                message = self._assistant(message_id)
                message.content = (message.content or "") + delta
            case ToolCallStartEvent():
                call = ToolCall(
                    id=event.tool_call_id,
                    function=FunctionCall(name=event.tool_call_name, arguments=""),
                )
                self._calls[call.id] = call
                owner = self._assistant(event.parent_message_id or event.tool_call_id)
                owner.tool_calls = [*(owner.tool_calls or []), call]
            case ToolCallArgsEvent(tool_call_id=call_id, delta=delta):
                if call_id in self._calls:
                    self._calls[call_id].function.arguments += delta
            case ToolCallResultEvent():
                self.messages.append(
                    ToolMessage(
                        id=event.message_id, tool_call_id=event.tool_call_id, content=event.content
                    )
                )
            case MessagesSnapshotEvent(messages=messages):
                self.messages = [message.model_copy(deep=True) for message in messages]
                self._calls = {}

    def _assistant(self, message_id: str) -> AssistantMessage:
        for message in reversed(self.messages):
            if message.id == message_id and isinstance(message, AssistantMessage):
                return message
        created = AssistantMessage(id=message_id, content=None)
        self.messages.append(created)
        return created
