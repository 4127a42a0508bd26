"""ReasoningStream: a model's streamed reasoning (thinking, reasoning summaries) as AG-UI
reasoning events, beside its text.

Providers stream reasoning in their own shapes, all of which LangChain passes on as content
blocks of the chunk: its standard `{"type": "reasoning", "reasoning": ...}`, Anthropic's
`{"type": "thinking", "thinking": ...}`, OpenAI's Responses API
`{"type": "reasoning", "summary": [{"text": ...}]}`, or, from OpenAI-compatible servers that
reason (DeepSeek, vLLM), `additional_kwargs["reasoning_content"]`. The message keeps them as
the provider returned them; only the events are made here.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from ag_ui.core import (
    BaseEvent,
    ReasoningEndEvent,
    ReasoningMessageContentEvent,
    ReasoningMessageEndEvent,
    ReasoningMessageStartEvent,
    ReasoningStartEvent,
)
from langchain_core.messages import AIMessageChunk


def reasoning_pieces(chunk: AIMessageChunk) -> list[tuple[Hashable, str]]:
    """The reasoning text a chunk carries, as (part key, text): a new key starts a new part."""
    pieces: list[tuple[Hashable, str]] = []
    if isinstance(chunk.content, list):
        for position, block in enumerate(chunk.content):
            if isinstance(block, Mapping):
                pieces += _block_pieces(block, position)
    extra = chunk.additional_kwargs.get("reasoning_content")
    if isinstance(extra, str) and extra:
        pieces.append(("reasoning_content", extra))
    return pieces


def _block_pieces(block: Mapping[str, Any], position: int) -> list[tuple[Hashable, str]]:
    kind = block.get("type")
    index = block.get("index", position)
    key: Hashable = index if isinstance(index, Hashable) else position
    if kind == "thinking" and isinstance(block.get("thinking"), str):
        return [(key, block["thinking"])] if block["thinking"] else []
    if kind != "reasoning":
        return []
    if isinstance(block.get("reasoning"), str):
        return [(key, block["reasoning"])] if block["reasoning"] else []
    pieces: list[tuple[Hashable, str]] = []
    for part in block.get("summary") or ():
        if isinstance(part, Mapping) and isinstance(part.get("text"), str) and part["text"]:
            pieces.append(((key, part.get("index", 0)), part["text"]))
    return pieces


@dataclass(slots=True)
class _Open:
    part: tuple[str, Hashable]
    message_id: str


class ReasoningStream:
    """Opens a reasoning message per part of an answer's reasoning, closes it when the text
    (or anything else) follows; the ids are the answer's id with the part's number."""

    __slots__ = ("_count", "_open")

    def __init__(self) -> None:
        self._open: _Open | None = None
        self._count = 0

    @property
    def is_open(self) -> bool:
        """Whether a reasoning message is open."""
        return self._open is not None

    def piece(self, message_id: str, key: Hashable, text: str) -> list[BaseEvent]:
        """Events for one piece of reasoning of the answer `message_id`."""
        events: list[BaseEvent] = []
        part = (message_id, key)
        if self._open is None or self._open.part != part:
            events += self.close()
            self._count += 1
            opened = _Open(part, f"{message_id}-reasoning-{self._count}")
            self._open = opened
            events += [
                ReasoningStartEvent(message_id=opened.message_id),
                ReasoningMessageStartEvent(message_id=opened.message_id, role="reasoning"),
            ]
        events.append(ReasoningMessageContentEvent(message_id=self._open.message_id, delta=text))
        return events

    def close(self) -> list[BaseEvent]:
        """End the open reasoning message, if any."""
        if self._open is None:
            return []
        message_id, self._open = self._open.message_id, None
        return [
            ReasoningMessageEndEvent(message_id=message_id),
            ReasoningEndEvent(message_id=message_id),
        ]
