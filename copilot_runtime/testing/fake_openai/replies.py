"""The fake OpenAI server's replies: what the fake model answers to one request."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from copilot_runtime.testing.fake_openai.wire import JsonObject, ToolCall, Turn

VOCABULARY = ("lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit")


class TokenGate:
    """Holds a reply's tokens until the test lets them through, one `release()` per token.

    Lets a test prove that tokens are streamed (each arrives before the next one exists)
    without timing anything. Thread-safe: the server may run in another thread's loop.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._released = 0
        self._used = 0
        self._wakeups: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def release(self, count: int = 1) -> None:
        with self._lock:
            self._released += count
            wakeups = list(self._wakeups)
        for loop, event in wakeups:
            loop.call_soon_threadsafe(event.set)

    async def wait(self) -> None:
        wakeup = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._wakeups.append(wakeup)
        try:
            while True:
                with self._lock:
                    if self._used < self._released:
                        self._used += 1
                        return
                    wakeup[1].clear()  # under the lock: a release after this sets it again
                await wakeup[1].wait()
        finally:
            with self._lock:
                self._wakeups.remove(wakeup)


@dataclass(frozen=True, slots=True, kw_only=True)
class Text:
    """Answer with `text` (split into words) or with `tokens` generated words."""

    tokens: int = 8
    text: str | None = None
    delay_ms: float = 0.0
    """Pause before every token but the first."""
    first_delay_ms: float = 0.0
    """Pause before the first token (time to first token)."""
    gate: TokenGate | None = field(default=None, compare=False)
    """When set, every token waits for `gate.release()` (after any delay)."""
    cut_after: int | None = None
    """Streamed: drop the connection after this many tokens (a model server dying mid-answer)."""

    def words(self) -> tuple[str, ...]:
        if self.text is not None:
            words = self.text.split(" ")
            return tuple(w if i == len(words) - 1 else f"{w} " for i, w in enumerate(words) if w)
        return tuple(f"{VOCABULARY[i % len(VOCABULARY)]} " for i in range(self.tokens))


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCalls:
    """Call tools (several are parallel calls), each call's arguments split across `pieces`."""

    calls: tuple[ToolCall, ...]
    pieces: int = 3
    interleave: bool = False
    """Alternate the calls' argument pieces (OpenAI itself sends them call after call)."""
    text: str = ""
    """Text the model says before calling."""
    finish_reason: str | None = None
    """"length" says the model hit its output limit; None: "tool_calls"."""
    delay_ms: float = 0.0
    first_delay_ms: float = 0.0
    gate: TokenGate | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """Answer with an HTTP error in OpenAI's error shape (429 and 5xx are retried by clients)."""

    status: int = 500
    message: str = "The fake server failed on purpose."
    retry_after_ms: int | None = 1
    """Sent as `retry-after-ms` so that clients retry at once instead of backing off."""


Reply = Text | ToolCalls | Failure


def call(name: str, arguments: dict[str, Any] | str, call_id: str | None = None) -> ToolCall:
    """A tool call for `ToolCalls`; the id defaults to one made from the name."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return ToolCall(call_id=call_id or f"call_{name}", name=name, arguments=text)


def reply_from_json(data: JsonObject) -> Reply:
    """A reply from its JSON form: `{"kind": "text" | "tool_calls" | "failure", ...fields}`."""
    fields = {key: value for key, value in data.items() if key != "kind"}
    match data.get("kind", "text"):
        case "text":
            return Text(**fields)
        case "tool_calls":
            calls = tuple(
                call(c["name"], c.get("arguments", {}), c.get("id")) for c in fields.pop("calls")
            )
            return ToolCalls(calls=calls, **fields)
        case "failure":
            return Failure(**fields)
        case other:
            raise ValueError(f"unknown reply kind {other!r}")


def turn_for(reply: Text | ToolCalls) -> Turn:
    if isinstance(reply, Text):
        return Turn(tokens=reply.words())
    tokens = Text(text=reply.text).words() if reply.text else ()
    return Turn(
        tokens=tokens,
        calls=reply.calls,
        pieces=reply.pieces,
        interleave=reply.interleave,
        finish_reason=reply.finish_reason,
    )
