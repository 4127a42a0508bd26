"""StreamedArguments: a tool call runs only when its arguments arrived whole.

LangChain parses streamed tool-call arguments with a partial-JSON parser that closes whatever
is left open, so a stream cut inside them (`{"userId": "4`) comes out as a valid call
(`{"userId": "4"}`) and its handler would run on half an argument. The argument text as the
model streamed it tells the two apart: a call keeps running only if that text is a JSON object
as it stands. An answer the model's output limit cut off runs none of its calls.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, InvalidToolCall, ToolCall
from langchain_core.messages.tool import invalid_tool_call

CUT_OFF = "they were cut off before they were complete"
OUTPUT_LIMIT = "the answer reached the model's output limit before the call was complete"
# How providers say an answer hit its output limit (OpenAI, Anthropic, Gemini, Ollama).
LIMIT_REASONS = frozenset({"length", "max_tokens", "MAX_TOKENS"})
REASON_KEYS = ("finish_reason", "stop_reason", "done_reason")


@dataclass(slots=True)
class _Streamed:
    call_id: str | None = None
    pieces: list[str] = field(default_factory=list)


@dataclass(slots=True)
class StreamedArguments:
    """The argument text of each tool call of one run, as its model answers streamed it."""

    _calls: dict[tuple[str, Hashable], _Streamed] = field(default_factory=dict)

    def observe(self, chunk: AIMessageChunk) -> None:
        """Keep the argument pieces of a streamed chunk (keyed as the chunks key them)."""
        for piece in chunk.tool_call_chunks:
            index = piece.get("index")
            key = (chunk.id or "", index if index is not None else piece.get("id"))
            streamed = self._calls.setdefault(key, _Streamed())
            streamed.call_id = streamed.call_id or piece.get("id")
            if piece.get("args"):
                streamed.pieces.append(piece["args"] or "")

    def checked(self, message: AIMessage) -> AIMessage:
        """`message`, with every call whose arguments were not whole moved to its invalid calls
        (the graph answers those with an error result the model reads)."""
        texts = self._texts()
        limited = hit_output_limit(message.response_metadata)
        whole: list[ToolCall] = []
        cut: list[InvalidToolCall] = []
        for call in message.tool_calls:
            text = texts.get(call["id"] or "")
            if limited:
                cut.append(_invalid(call, text, OUTPUT_LIMIT))
            elif text is not None and not is_json_object(text):
                cut.append(_invalid(call, text, CUT_OFF))
            else:
                whole.append(call)
        if not cut:
            return message
        invalid = [*message.invalid_tool_calls, *cut]
        return message.model_copy(update={"tool_calls": whole, "invalid_tool_calls": invalid})

    def _texts(self) -> dict[str, str]:
        return {
            streamed.call_id: "".join(streamed.pieces)
            for streamed in self._calls.values()
            if streamed.call_id
        }


def is_json_object(text: str) -> bool:
    """Whether streamed arguments are whole: a JSON object, or nothing (no arguments)."""
    if not text.strip():
        return True
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def hit_output_limit(metadata: Mapping[str, Any]) -> bool:
    """Whether the provider says the answer stopped at the model's output limit."""
    return any(metadata.get(key) in LIMIT_REASONS for key in REASON_KEYS)


def _invalid(call: ToolCall, text: str | None, error: str) -> InvalidToolCall:
    args = text if text is not None else json.dumps(call["args"])
    return invalid_tool_call(name=call["name"], args=args, id=call["id"], error=error)
