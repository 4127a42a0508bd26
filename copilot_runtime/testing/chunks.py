"""A scripted answer as the chunks a provider streams.

Text comes word by word as plain string content (as OpenAI's chat completions stream it). An
answer with reasoning streams content blocks instead, each part under its own `index`, the way
LangChain's standard output (`output_version="v1"`, Anthropic's thinking) streams them:
`{"type": "reasoning", "reasoning": ...}` then `{"type": "text", "text": ...}`; merged, the
message holds one block per part, and `content_blocks` shows the reasoning. A tool call starts
with its id and name and no arguments, then its argument text follows in token-sized
fragments; parallel calls' fragments alternate between the calls, each tagged by its call's
index, so code that pairs fragments by arrival order fails. Usage and metadata come last, as
providers send them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.messages.tool import tool_call_chunk

from copilot_runtime.testing.steps import Call, Reasoning, Reply, Turn

# A JSON token with the spaces before it: a word or number, or a run of punctuation.
_FRAGMENT = re.compile(r"\s*[\w.+-]+|\s*[^\w\s.+-]+|\s+$")


def words(text: str) -> list[str]:
    """`text` cut after each space, so that the pieces join back into it."""
    pieces = text.split(" ")
    cut = [piece if i == len(pieces) - 1 else f"{piece} " for i, piece in enumerate(pieces)]
    return [piece for piece in cut if piece]


def fragments(text: str) -> list[str]:
    """Argument text cut into token-sized fragments that join back into it."""
    return _FRAGMENT.findall(text)


def turn_chunks(turn: Turn, *, interleave: bool = True) -> Iterator[AIMessageChunk]:
    """The chunks of one answer, all carrying its message id."""
    as_blocks = any(isinstance(part, Reasoning) for part in turn.parts)
    block_index = 0
    call_index = 0
    group: list[tuple[int, Call]] = []
    for part in turn.parts:
        if isinstance(part, Call):
            group.append((call_index, part))
            call_index += 1
            continue
        yield from _call_chunks(turn.message_id, group, interleave)
        group = []
        for piece in words(part.text):
            content: Any = piece
            if as_blocks:
                content = [_block(part, piece, block_index)]
            yield AIMessageChunk(content=content, id=turn.message_id)
        block_index += 1
    yield from _call_chunks(turn.message_id, group, interleave)
    finish = "tool_calls" if turn.calls else "stop"
    yield AIMessageChunk(
        content="",
        id=turn.message_id,
        chunk_position="last",
        usage_metadata=turn.usage,
        response_metadata={"finish_reason": finish, "model_name": "scripted", **turn.metadata},
    )


def _block(part: Reply | Reasoning, piece: str, index: int) -> dict[str, Any]:
    if isinstance(part, Reasoning):
        return {"type": "reasoning", "reasoning": piece, "index": index}
    return {"type": "text", "text": piece, "index": index}


def _call_chunks(
    message_id: str, calls: list[tuple[int, Call]], interleave: bool
) -> Iterator[AIMessageChunk]:
    """Heads (id and name), then argument fragments: round by round over the calls when
    interleaved, else each call's fragments before the next call's head."""
    pending = [(index, call, fragments(call.arguments_text)) for index, call in calls]
    if not interleave:
        for index, call, pieces in pending:
            yield _piece(message_id, index, "", call)
            for piece in pieces:
                yield _piece(message_id, index, piece)
        return
    for index, call, _ in pending:
        yield _piece(message_id, index, "", call)
    rounds = max((len(pieces) for _, _, pieces in pending), default=0)
    for round_ in range(rounds):
        for index, _, pieces in pending:
            if round_ < len(pieces):
                yield _piece(message_id, index, pieces[round_])


def _piece(message_id: str, index: int, args: str, head: Call | None = None) -> AIMessageChunk:
    chunk = tool_call_chunk(
        name=head.name if head else None,
        args=args,
        id=head.id if head else None,
        index=index,
    )
    return AIMessageChunk(content="", id=message_id, tool_call_chunks=[chunk])
