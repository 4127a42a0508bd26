"""RunTally and log_run_end: the one INFO line that says a run happened, written as it ends.

The counts come from the events the run sent: model steps (the assistant messages that
streamed text or tool calls), tool calls, and the token usage of its RUN_FINISHED or
RUN_ERROR. The line goes to the `copilot_runtime.runs` logger, so that it can be routed or
silenced on its own; its fields are on the record as `run` too (one JSON object per line
with COPILOT_LOG_FORMAT=json).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from ag_ui.core import BaseEvent, EventType, RunErrorEvent, RunFinishedEvent

from copilot_runtime.actions import loggable

logger = logging.getLogger("copilot_runtime.runs")
CLIENT_CHOSEN = frozenset({"run_id", "thread_id"})


@dataclass(slots=True)
class RunTally:
    """What a run did, counted from its events as they are sent."""

    protocol: str
    """How the client asked: "rest" (AG-UI over the REST route), "envelope" or "graphql"."""
    started: float = field(default_factory=time.monotonic)
    answers: set[str] = field(default_factory=set)
    """The ids of the assistant messages the model wrote: one per model step."""
    tool_calls: int = 0
    end: RunFinishedEvent | RunErrorEvent | None = None
    """The run's own last event; None when it was cut short (stopped, or the client left)."""

    def observe(self, event: BaseEvent) -> None:
        """Count one event (the streams pass every event but text and argument deltas)."""
        match event.type:
            case EventType.TEXT_MESSAGE_START:
                self.answers.add(event.message_id)  # type: ignore[attr-defined]
            case EventType.TOOL_CALL_START:
                self.tool_calls += 1
                if event.parent_message_id:  # type: ignore[attr-defined]
                    self.answers.add(event.parent_message_id)  # type: ignore[attr-defined]
            case EventType.RUN_FINISHED | EventType.RUN_ERROR:
                self.end = event  # type: ignore[assignment]


def log_run_end(
    tally: RunTally, *, run_id: str, thread_id: str, agent_id: str, is_stopped: bool
) -> None:
    """Write the run's line: ids, agent, protocol, outcome, duration, steps, calls, tokens."""
    fields: dict[str, Any] = {
        "run_id": run_id,
        "thread_id": thread_id,
        "agent": agent_id,
        "protocol": tally.protocol,
        "outcome": _outcome(tally, is_stopped),
        "duration_ms": round((time.monotonic() - tally.started) * 1000),
        "model_steps": len(tally.answers),
        "tool_calls": tally.tool_calls,
        **_tokens(tally.end),
    }
    # The ids are the client's: escaped, they cannot forge a line (the JSON form escapes them).
    text = " ".join(
        f"{key}={loggable(value) if key in CLIENT_CHOSEN else value}"
        for key, value in fields.items()
    )
    logger.info("run ended: %s", text, extra={"run": fields})


def _outcome(tally: RunTally, is_stopped: bool) -> str:
    if is_stopped:
        return "stopped"
    if isinstance(tally.end, RunErrorEvent):
        return f"error:{tally.end.code or 'UNKNOWN'}"
    if tally.end is None:
        return "disconnected"  # the response ended before the run: the client went away
    kind = tally.end.outcome.type if tally.end.outcome is not None else "success"
    return {"success": "finished", "interrupt": "interrupted"}.get(kind, kind)


def _tokens(end: RunFinishedEvent | RunErrorEvent | None) -> dict[str, int]:
    usage = getattr(end, "usage", None) or []
    return {
        "input_tokens": sum(entry.input_tokens or 0 for entry in usage),
        "output_tokens": sum(entry.output_tokens or 0 for entry in usage),
    }
