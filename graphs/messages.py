"""AG-UI messages <-> LangChain messages, keeping ids so the client and the thread agree."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any, cast

from ag_ui.core import (
    AssistantMessage,
    AudioPart,
    DataSource,
    DeveloperMessage,
    DocumentPart,
    FunctionCall,
    ImagePart,
    Message,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolMessage,
    UrlSource,
    UserMessage,
    VideoPart,
)
from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    HumanMessage,
)
from langchain_core.messages import SystemMessage as LcSystemMessage
from langchain_core.messages import ToolMessage as LcToolMessage
from langchain_core.messages.tool import invalid_tool_call, tool_call

logger = logging.getLogger(__name__)

OPENAI_ROLE = "__openai_role__"  # how langchain-openai marks a system message as "developer"
MEDIA_BLOCKS = {"image": "image", "audio": "audio", "video": "video", "document": "file"}
MediaPart = ImagePart | AudioPart | VideoPart | DocumentPart


def langchain_messages(
    messages: Iterable[Message], known: Sequence[BaseMessage] = ()
) -> list[AnyMessage]:
    """The client's history for the model. Activity and reasoning messages are UI-only: dropped.

    A `known` message (the stored thread's) of the same id that says the same is taken as it
    is instead of being built again: clients re-send the whole conversation every turn, and
    building hundreds of messages only to find them unchanged grew with the thread.
    """
    by_id = {message.id: message for message in known if message.id}
    converted: list[AnyMessage] = []
    for message in messages:
        same = by_id.get(message.id)
        if same is not None and _says_the_same(same, message):
            converted.append(cast(AnyMessage, same))  # what the thread stores is AnyMessage
            continue
        match message:
            case UserMessage():
                converted.append(
                    HumanMessage(
                        content=_user_content(message.content), id=message.id, name=message.name
                    )
                )
            case AssistantMessage():
                converted.append(_ai_message(message))
            case ToolMessage():
                converted.append(
                    LcToolMessage(
                        content=_text(message.content),
                        tool_call_id=message.tool_call_id,
                        id=message.id,
                        status="error" if message.error else "success",
                    )
                )
            case SystemMessage():
                converted.append(LcSystemMessage(content=message.content, id=message.id))
            case DeveloperMessage():
                converted.append(
                    LcSystemMessage(
                        content=message.content,
                        id=message.id,
                        additional_kwargs={OPENAI_ROLE: "developer"},
                    )
                )
            case _:
                continue
    return converted


def _says_the_same(stored: BaseMessage, message: Message) -> bool:
    """Whether converting `message` would give what `stored` holds (checked for plain text
    only; anything else is converted and compared as usual)."""
    match message:
        case UserMessage(content=str(text)):
            return isinstance(stored, HumanMessage) and (stored.content, stored.name) == (
                text,
                message.name,
            )
        case AssistantMessage(tool_calls=None | []):
            return (
                isinstance(stored, AIMessage)
                and not stored.tool_calls
                and not stored.invalid_tool_calls
                and stored.name is None
                and _answer_text(stored) == (message.content or "")
            )
        case ToolMessage(content=str(text)):
            return (
                isinstance(stored, LcToolMessage)
                and stored.name is None
                and (stored.content, stored.tool_call_id, stored.status)
                == (text, message.tool_call_id, "error" if message.error else "success")
            )
    return False


def _answer_text(stored: AIMessage) -> str | list[str | dict[str, Any]]:
    """What a client holds of a stored answer: its text, when the provider answered in
    content blocks (reasoning, then text), which the thread keeps as they came."""
    return stored.text if isinstance(stored.content, list) else stored.content


def _ai_message(message: AssistantMessage) -> AIMessage:
    calls, invalid = [], []
    for call in message.tool_calls or ():
        try:
            args = json.loads(call.function.arguments or "{}")
        except json.JSONDecodeError as error:
            args, problem = None, str(error)
        else:
            problem = "" if isinstance(args, dict) else "arguments are not a JSON object"
        if problem:
            invalid.append(
                invalid_tool_call(
                    name=call.function.name, args=call.function.arguments, id=call.id, error=problem
                )
            )
        else:
            calls.append(tool_call(name=call.function.name, args=args, id=call.id))
    return AIMessage(
        content=message.content or "", id=message.id, tool_calls=calls, invalid_tool_calls=invalid
    )


def _user_content(content: str | Sequence[Any]) -> str | list[str | dict[str, Any]]:
    if isinstance(content, str):
        return content
    blocks: list[str | dict[str, Any]] = []
    for part in content:
        if isinstance(part, TextPart):
            blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, MediaPart):
            blocks.append(_media_block(part))
    return blocks


def _media_block(part: MediaPart) -> dict[str, Any]:
    block: dict[str, Any] = {"type": MEDIA_BLOCKS[part.type]}
    source = part.source
    if isinstance(source, DataSource):
        block.update(base64=source.value, mime_type=source.mime_type)
    elif isinstance(source, UrlSource):
        block["url"] = source.value
        if source.mime_type:
            block["mime_type"] = source.mime_type
    else:  # a provider file handle
        block["file_id"] = source.value
    return block


def _text(content: str | Sequence[Any]) -> str:
    if isinstance(content, str):
        return content
    return "".join(part.text for part in content if isinstance(part, TextPart))


def agui_messages(messages: Iterable[BaseMessage]) -> list[Message]:
    """A thread's messages as AG-UI messages (for MESSAGES_SNAPSHOT and run records)."""
    converted: list[Message] = []
    for message in messages:
        item = agui_message(message)
        if item is not None:
            converted.append(item)
    return converted


def agui_message(message: BaseMessage) -> Message | None:
    """One LangChain message in AG-UI form, or None for kinds AG-UI has no place for."""
    message_id = message.id or ""
    match message:
        case HumanMessage():
            return UserMessage(id=message_id, content=_agui_user_content(message.content))
        case AIMessage():
            calls = [
                ToolCall(
                    id=call["id"] or "",
                    function=FunctionCall(name=call["name"], arguments=json.dumps(call["args"])),
                )
                for call in message.tool_calls
            ]
            return AssistantMessage(
                id=message_id, content=message.text or None, tool_calls=calls or None
            )
        case LcToolMessage():
            text = message.text
            return ToolMessage(
                id=message_id,
                content=text,
                tool_call_id=message.tool_call_id,
                error=text if message.status == "error" else None,
            )
        case LcSystemMessage():
            if message.additional_kwargs.get(OPENAI_ROLE) == "developer":
                return DeveloperMessage(id=message_id, content=message.text)
            return SystemMessage(id=message_id, content=message.text)
        case _:
            return None


def _agui_user_content(content: str | list[str | dict[str, Any]]) -> str | list[Any]:
    if isinstance(content, str):
        return content
    parts: list[Any] = []
    for block in content:
        if isinstance(block, str):
            parts.append(TextPart(text=block))
        elif block.get("type") == "text":
            parts.append(TextPart(text=str(block.get("text", ""))))
        elif block.get("type") == "image" and "base64" in block:
            source = DataSource(value=block["base64"], mime_type=block.get("mime_type", ""))
            parts.append(ImagePart(source=source))
        elif block.get("type") == "image" and "url" in block:
            parts.append(ImagePart(source=UrlSource(value=block["url"])))
    if all(isinstance(part, TextPart) for part in parts):
        return "".join(part.text for part in parts)
    return parts
