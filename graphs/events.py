"""EventTranslator: LangGraph stream chunks -> AG-UI events, with every START closed by its END."""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

from ag_ui.core import (
    BaseEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
)
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage
from langchain_core.messages.tool import ToolCallChunk

from copilot_runtime.graphs.reasoning import ReasoningStream, reasoning_pieces


@dataclass(slots=True)
class _OpenCall:
    message_id: str
    tool_call_id: str | None = None
    name: str | None = None
    is_started: bool = False
    # Argument text that arrived before the call's id and name (some providers split them).
    early_args: list[str] = field(default_factory=list)


@dataclass(slots=True)
class EventTranslator:
    """Turns model chunks and node updates into AG-UI events; synchronous and pure.

    Text and tool-call ids are the ids of the LangChain messages, which are the ids the
    checkpointer stores, so a later MESSAGES_SNAPSHOT never duplicates a streamed message.
    Parallel tool calls are keyed by (message id, chunk index), never by arrival order.
    """

    _open_text: str | None = None
    _calls: dict[tuple[str, Hashable], _OpenCall] = field(default_factory=dict)
    _sent_messages: set[str] = field(default_factory=set)
    _started_calls: set[str] = field(default_factory=set)
    _sent_results: set[str] = field(default_factory=set)
    _reasoning: ReasoningStream = field(default_factory=ReasoningStream)
    _known: set[str] = field(default_factory=set)

    def know(self, message_ids: Iterable[str | None]) -> None:
        """Messages the client has already (the thread's, the request's): never sent again."""
        self._known.update(message_id for message_id in message_ids if message_id)

    def message_chunk(self, chunk: AIMessageChunk) -> list[BaseEvent]:
        """Events for one streamed piece of a model answer."""
        message_id = chunk.id or ""
        events: list[BaseEvent] = []
        if isinstance(chunk.content, list) or chunk.additional_kwargs:
            for key, text in reasoning_pieces(chunk):
                events += self._end_text()
                events += self._reasoning.piece(message_id, key, text)
        events += self.text_piece(message_id, chunk.text)
        for piece in chunk.tool_call_chunks:
            events += self._tool_call_piece(message_id, piece)
        return events

    def text_piece(self, message_id: str, text: str) -> list[BaseEvent]:
        """Events for a piece of answer text (a chunk that carries nothing else)."""
        self._sent_messages.add(message_id)
        if not text:
            return []
        if self._reasoning.is_open:
            return [*self._reasoning.close(), *self.text_piece(message_id, text)]
        if self._open_text == message_id:
            return [TextMessageContentEvent(message_id=message_id, delta=text)]
        events = self._end_text()
        events.append(TextMessageStartEvent(message_id=message_id, role="assistant"))
        self._open_text = message_id
        events.append(TextMessageContentEvent(message_id=message_id, delta=text))
        return events

    def _tool_call_piece(self, message_id: str, piece: ToolCallChunk) -> list[BaseEvent]:
        index = piece.get("index")
        key = (message_id, index if index is not None else piece.get("id"))
        call = self._calls.setdefault(key, _OpenCall(message_id))
        args = piece.get("args") or ""
        events: list[BaseEvent] = []
        if not call.is_started:
            events += self._reasoning.close()
            call.tool_call_id = call.tool_call_id or piece.get("id")
            call.name = call.name or piece.get("name")
            if not (call.tool_call_id and call.name):
                call.early_args.append(args)
                return events
            events += self._end_text()
            events += self._start_call(call.tool_call_id, call.name, message_id)
            call.is_started = True
            args = "".join(call.early_args) + args
        if args and call.tool_call_id:
            events.append(ToolCallArgsEvent(tool_call_id=call.tool_call_id, delta=args))
        return events

    def node_update(self, update: Mapping[str, object]) -> list[BaseEvent]:
        """Events for the messages a node wrote: finished answers and tool results."""
        return self.messages_added(messages_written(update))

    def messages_added(self, messages: Iterable[BaseMessage]) -> list[BaseEvent]:
        """Events for messages a graph wrote: each once, and none the client already has."""
        events: list[BaseEvent] = []
        for message in messages:
            if message.id in self._known:
                continue
            if isinstance(message, AIMessage):
                events += self._answer_done(message)
            elif isinstance(message, ToolMessage):
                events += self._tool_result(message)
        return events

    def _answer_done(self, message: AIMessage) -> list[BaseEvent]:
        message_id = message.id or ""
        events: list[BaseEvent] = self._reasoning.close()
        if message_id in self._sent_messages:
            if self._open_text == message_id:
                events += self._end_text()
        elif message.text:
            # A model that did not stream: the whole answer at once, once (a subgraph's update
            # carries its parent's messages again).
            self._sent_messages.add(message_id)
            events += [
                TextMessageStartEvent(message_id=message_id, role="assistant"),
                TextMessageContentEvent(message_id=message_id, delta=message.text),
                TextMessageEndEvent(message_id=message_id),
            ]
        for key in [key for key in self._calls if key[0] == message_id]:
            events += self._end_call(self._calls.pop(key))
        complete = [(c["id"], c["name"], json.dumps(c["args"])) for c in message.tool_calls]
        invalid = [(c["id"], c["name"], c["args"] or "") for c in message.invalid_tool_calls]
        for call_id, name, args in complete + invalid:
            if call_id and call_id not in self._started_calls:
                events += self._start_call(call_id, name or "", message_id)
                if args:
                    events.append(ToolCallArgsEvent(tool_call_id=call_id, delta=args))
                events.append(ToolCallEndEvent(tool_call_id=call_id))
        return events

    def _tool_result(self, message: ToolMessage) -> list[BaseEvent]:
        message_id = message.id or ""
        if message_id in self._sent_results:
            return []
        self._sent_results.add(message_id)
        return [
            ToolCallResultEvent(
                message_id=message_id,
                tool_call_id=message.tool_call_id,
                content=message.text,
                role="tool",
            )
        ]

    def close(self) -> list[BaseEvent]:
        """End whatever is still open (the run is finishing, failing or being stopped)."""
        events = [*self._reasoning.close(), *self._end_text()]
        for call in self._calls.values():
            events += self._end_call(call)
        self._calls.clear()
        return events

    def _start_call(self, call_id: str, name: str, message_id: str) -> list[BaseEvent]:
        self._started_calls.add(call_id)
        return [
            ToolCallStartEvent(
                tool_call_id=call_id, tool_call_name=name, parent_message_id=message_id
            )
        ]

    def _end_call(self, call: _OpenCall) -> list[BaseEvent]:
        if not call.is_started or call.tool_call_id is None:  # nothing was sent for it
            return []
        return [ToolCallEndEvent(tool_call_id=call.tool_call_id)]

    def _end_text(self) -> list[BaseEvent]:
        if self._open_text is None:
            return []
        message_id, self._open_text = self._open_text, None
        return [TextMessageEndEvent(message_id=message_id)]


def messages_written(update: Mapping[str, object]) -> list[BaseMessage]:
    """The messages the nodes of one `updates` payload wrote to their `messages` channel."""
    written: list[BaseMessage] = []
    for values in update.values():
        if not isinstance(values, Mapping):
            continue
        value = values.get("messages")
        if isinstance(value, BaseMessage):
            written.append(value)
        elif isinstance(value, list | tuple):
            written += [item for item in value if isinstance(item, BaseMessage)]
    return written
