"""The scenarios: what each server is asked, how the fake model answers, and how hard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from benchmarks.servers import MODEL

Measure = Literal["cost", "throughput", "paced", "conversation", "threads"]

CHAT_QUESTION = "Tell me a long story."
ACTION_QUESTION = "What is the name of user 42? Use fetchNameForUserId."
ACTION_SCRIPT = (
    {"kind": "tool_calls", "calls": [{"name": "fetchNameForUserId", "arguments": {"userId": "42"},
                                      "id": "call_fetch"}]},
    {"kind": "text", "tokens": 20},
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """One row group of the results table."""

    name: str
    title: str
    tokens: int
    """Tokens in each model answer."""
    delay_ms: float
    """The fake model's pause between tokens."""
    question: str = CHAT_QUESTION
    measure: Measure = "cost"
    requests: int = 10
    concurrency: tuple[int, ...] = (1,)
    """One level for cost and throughput; the levels tried for paced streams."""
    warmup: int = 10
    streams_per_client: int = 1
    """Paced: each client runs this many streams back to back (0 requests = level x this)."""
    ramp: float = 0.0
    """Seconds over which the clients start (paced: one stream's length, so starts spread)."""
    script: tuple[dict[str, Any], ...] = ()
    """The fake model's replies for each run, in order (scripted before each server's turn)."""
    turns: int = 1
    """Conversation: the requests on one thread, each re-sending the history so far."""
    budget: float = 0.0
    """Seconds the measured load may start requests for, the warm-up half of it (0: no limit):
    in the quick suite a slow server serves fewer requests instead of stretching the run."""
    stop_at_first_miss: bool = False
    """Paced: a server is not tried at levels above the first one it does not hold."""

    def agui_body(self) -> dict[str, Any]:
        """The AG-UI RunAgentInput every server gets (ids are made fresh per request)."""
        return {
            "threadId": "bench",
            "runId": "bench",
            "messages": [{"id": "u1", "role": "user", "content": self.question}],
            "tools": [],
            "context": [],
            "forwardedProps": {},
            "state": {},
        }

    def floor_body(self) -> dict[str, Any]:
        """The streamed chat completion the floor (the fake model called directly) gets."""
        return {
            "model": MODEL,
            "stream": True,
            "messages": [{"role": "user", "content": self.question}],
        }


def scenarios(*, quick: bool) -> list[Scenario]:
    """The suite; `quick` runs fewer requests and paced levels (under three minutes in all).

    The quick suite also caps each load at a few seconds: the slowest peer (ag-ui-langgraph)
    took over half of a 286 s quick run on a slower machine, mostly finishing request counts
    that its first seconds already measured.
    """
    n = 15 if quick else 100
    turns = 40 if quick else 200
    threads = 300 if quick else 2000
    budget = 4.0 if quick else 0.0
    return [
        Scenario(name="chat-20", title="20-token chat, concurrency 1", tokens=20, delay_ms=0,
                 requests=n, budget=budget),
        Scenario(name="chat-200", title="200-token chat, concurrency 1", tokens=200, delay_ms=0,
                 requests=n, budget=budget),
        Scenario(name="action", title="Backend action turn (call, result, 20-token answer)",
                 tokens=20, delay_ms=0, question=ACTION_QUESTION, script=ACTION_SCRIPT, requests=n,
                 budget=budget),
        Scenario(name="throughput", title="200-token chats at concurrency 32, instant model",
                 tokens=200, delay_ms=0, measure="throughput", requests=96 if quick else 640,
                 concurrency=(32,), warmup=8 if quick else 32, budget=budget),
        Scenario(name="paced", title="Paced streams: 100 tokens at 50 tokens/s each",
                 tokens=100, delay_ms=20, measure="paced", requests=0,
                 streams_per_client=1 if quick else 2, ramp=2.0,
                 concurrency=(25, 200) if quick else (1, 25, 50, 100, 200, 300, 500),
                 warmup=2, stop_at_first_miss=quick),
        Scenario(name="long", title="One 2000-token stream (cost per event)", tokens=2000,
                 delay_ms=0, requests=3 if quick else 10, warmup=1, budget=budget),
        Scenario(name="threads", title=f"Up to {threads} threads of one 20-token turn each "
                 "(what an idle thread costs)", tokens=20, delay_ms=0, measure="threads",
                 requests=threads, concurrency=(8,), warmup=50, budget=budget),
        Scenario(name="conversation", title=f"One {turns}-turn conversation (the history "
                 "re-sent every turn, 20-token answers, concurrency 1)", tokens=20, delay_ms=0,
                 measure="conversation", requests=turns, turns=turns, warmup=5),
    ]  # fmt: skip
