"""reconcile: merge the history a client re-sends with the thread the checkpointer holds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)

INTERRUPTED_CALL = "Error: this call has no result (it was interrupted or left unanswered)."


def reconcile(
    stored: Sequence[BaseMessage], client: Sequence[AnyMessage]
) -> list[AnyMessage | RemoveMessage]:
    """The update that makes the thread agree with the client, for the `add_messages` reducer.

    - No message of the client is stored (a first run, or a client that sends only the new
      message): the client's messages are appended; nothing stored is lost.
    - Otherwise the client's history wins from its first stored message on: stored messages
      after that point which the client no longer has (a regenerated answer, an edited
      message and what followed it) are removed; the client's versions replace stored
      messages of the same id that they differ from; new ones are appended. Stored messages
      before that point stay (a client that trimmed the start of its history loses nothing).

    A message the client sends back as it is stored stays out of the update: clients re-send
    the whole conversation every turn, and putting it all in the update made every turn write
    the whole thread again (the cost of a turn grew with the thread's length).
    """
    position = {message.id: index for index, message in enumerate(stored) if message.id}
    anchor = next((position[m.id] for m in client if m.id in position), None)
    if anchor is None:
        return list(client)
    keep = {message.id for message in client}
    removed: list[AnyMessage | RemoveMessage] = [
        RemoveMessage(id=message.id)
        for message in stored[anchor:]
        if message.id and message.id not in keep
    ]
    changed = [
        message
        for message in client
        if message.id not in position or not _unchanged(stored[position[message.id]], message)
    ]
    return [*removed, *changed]


def _unchanged(stored: BaseMessage, sent: BaseMessage) -> bool:
    """Whether the client's copy says what the stored message says (metadata aside: clients
    never see the provider's, and the stored copy keeps it)."""
    if stored is sent:  # taken from the thread as it is (graphs.messages.langchain_messages)
        return True
    if type(stored) is not type(sent) or (stored.content, stored.name) != (sent.content, sent.name):
        return False
    if isinstance(stored, AIMessage) and isinstance(sent, AIMessage):
        return _calls(stored) == _calls(sent)
    if isinstance(stored, ToolMessage) and isinstance(sent, ToolMessage):
        return (stored.tool_call_id, stored.status) == (sent.tool_call_id, sent.status)
    return True


def _calls(message: AIMessage) -> list[tuple[str | None, str, dict[str, Any]]]:
    return [(call["id"], call["name"], call["args"]) for call in message.tool_calls]


def split_instructions(
    messages: Sequence[AnyMessage],
) -> tuple[list[SystemMessage], list[AnyMessage]]:
    """The client's system/developer messages (instructions for this request) and the rest.

    Clients re-send their instructions on every request, often under new ids (CopilotKit's
    GraphQL clients build a system message from readables each time), so they reach the model
    but are not stored in the thread, where they would pile up.
    """
    instructions: list[SystemMessage] = []
    conversation: list[AnyMessage] = []
    for message in messages:
        if isinstance(message, SystemMessage):
            instructions.append(message)
        else:
            conversation.append(message)
    return instructions, conversation


def close_dangling_calls(messages: Sequence[AnyMessage]) -> list[AnyMessage]:
    """The prompt with an error result after every tool call that never got one.

    A run stopped or killed mid-tool, or a client that moved on without answering its own
    tool call, leaves such calls in the thread; providers reject a prompt containing them.
    """
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    prompt: list[AnyMessage] = []
    for message in messages:
        prompt.append(message)
        if isinstance(message, AIMessage):
            prompt.extend(
                ToolMessage(content=INTERRUPTED_CALL, tool_call_id=call["id"], status="error")
                for call in message.tool_calls
                if call["id"] and call["id"] not in answered
            )
    return prompt
