"""Interrupts of a user's graph, in both of the dialects CopilotKit's clients read, and resume.

A graph that calls LangGraph's `interrupt()` (in a node, a tool or a subgraph) ends its run
with the interrupts pending in its checkpoint. They are announced

- as `CUSTOM on_interrupt` events, one per interrupt, whose value is the interrupt's value as
  JSON text (a string value as it is): what `useLangGraphInterrupt` / `useInterrupt` read;
  the default ("custom"), as `ag-ui-langgraph` does;
- as AG-UI's `RUN_FINISHED.outcome = {type: "interrupt", interrupts: [...]}` ("outcome");
- or both ("both").

The next run resumes them from `RunAgentInput.resume[]` (by interrupt id, one entry per
pending interrupt: a resolved entry's payload is what `interrupt()` returns, a cancelled one
returns `{"__agui_cancelled__": True, "interrupt_id": ...}`), or from CopilotKit's
`forwardedProps.command = {resume, interruptEvent}`, which may also carry `goto` and `update`.
A run on a thread with pending interrupts that resumes none of them runs nothing: it
announces them again, as `ag-ui-langgraph` does (the client then shows them once more).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ag_ui.core import BaseEvent, CustomEvent, RunAgentInput, RunFinishedInterruptOutcome
from ag_ui.core import Interrupt as AguiInterrupt
from langgraph.types import Command, Interrupt

from copilot_runtime.graphs.errors import RunError

InterruptDialect = Literal["custom", "outcome", "both"]
"""How a run announces its pending interrupts (see the module's docstring)."""

ON_INTERRUPT = "on_interrupt"
CANCELLED = "__agui_cancelled__"
"""The key of the value `interrupt()` returns for a cancelled resume entry (ag-ui-langgraph's)."""


class ResumeError(RunError):
    """The run's resume entries do not match the thread's pending interrupts."""

    code = "INVALID_RESUME"


@dataclass(frozen=True, slots=True)
class Announcement:
    """What ends a run that stopped at interrupts: events before RUN_FINISHED, its outcome."""

    events: list[BaseEvent]
    outcome: RunFinishedInterruptOutcome | None


def announcement(interrupts: Sequence[Interrupt], dialect: InterruptDialect) -> Announcement:
    """How the run announces `interrupts` (none: no events, no outcome)."""
    if not interrupts:
        return Announcement([], None)
    events: list[BaseEvent] = []
    if dialect in ("custom", "both"):
        events = [CustomEvent(name=ON_INTERRUPT, value=_as_text(item.value)) for item in interrupts]
    outcome = None
    if dialect in ("outcome", "both"):
        outcome = RunFinishedInterruptOutcome(
            type="interrupt", interrupts=[agui_interrupt(item) for item in interrupts]
        )
    return Announcement(events, outcome)


def agui_interrupt(item: Interrupt) -> AguiInterrupt:
    """One LangGraph interrupt as AG-UI describes it; a dict value may name its `reason`,
    `message`, `toolCallId`, `responseSchema` and `expiresAt` (snake case too)."""
    value = item.value
    fields = value if isinstance(value, Mapping) else {}
    reason = fields.get("reason")
    message = value if isinstance(value, str) else fields.get("message")
    return AguiInterrupt(
        id=item.id,
        reason=reason if isinstance(reason, str) else "langgraph:interrupt",
        message=message if isinstance(message, str) else None,
        tool_call_id=_either(fields, "toolCallId", "tool_call_id"),
        response_schema=_either(fields, "responseSchema", "response_schema"),
        expires_at=_either(fields, "expiresAt", "expires_at"),
        metadata={"value": _json(value)},
    )


def _either(fields: Mapping[str, Any], camel: str, snake: str) -> Any:
    return fields.get(camel, fields.get(snake))


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def resume_command(run_input: RunAgentInput, pending: Sequence[Interrupt]) -> Command[Any] | None:
    """The Command that continues the thread from its pending interrupts, or None when the
    request resumes nothing (nor says where to go).

    Raises:
        ResumeError: a resume entry names no pending interrupt (interrupts it leaves
            unanswered stay pending and are announced again when the run ends).
    """
    if run_input.resume:
        return Command(resume=_resume_by_id(run_input, pending))
    command = legacy_command(run_input.forwarded_props)
    if command is None:
        return None
    fields: dict[str, Any] = {}
    if command.get("resume") is not None and pending:
        fields["resume"] = _legacy_resume(command, pending)
    if command.get("goto") is not None:
        fields["goto"] = command["goto"]
    if isinstance(command.get("update"), Mapping):
        fields["update"] = dict(command["update"])
    return Command(**fields) if fields else None


def legacy_command(forwarded_props: Any) -> Mapping[str, Any] | None:
    """`forwardedProps.command`, when the client sent one."""
    if not isinstance(forwarded_props, Mapping):
        return None
    command = forwarded_props.get("command")
    return command if isinstance(command, Mapping) else None


def _resume_by_id(run_input: RunAgentInput, pending: Sequence[Interrupt]) -> dict[str, Any]:
    ids = {item.id for item in pending}
    answers: dict[str, Any] = {}
    for entry in run_input.resume or ():
        if entry.interrupt_id not in ids:
            raise ResumeError(
                f"The resume entry for interrupt '{entry.interrupt_id[:100]}' names no "
                "interrupt pending on this thread."
            )
        answers[entry.interrupt_id] = (
            entry.payload
            if entry.status == "resolved"
            else {CANCELLED: True, "interrupt_id": entry.interrupt_id}
        )
    return answers


def _legacy_resume(command: Mapping[str, Any], pending: Sequence[Interrupt]) -> Any:
    """CopilotKit's resume value (JSON text is decoded, as ag-ui-langgraph decodes it); with
    several interrupts pending, given to the one its `interruptEvent` names."""
    value = command["resume"]
    if isinstance(value, str):
        with contextlib.suppress(json.JSONDecodeError):
            value = json.loads(value)
    if len(pending) == 1:
        return {pending[0].id: value}
    named = command.get("interruptEvent")
    for item in pending:
        if named is not None and (named == _as_text(item.value) or named == item.value):
            return {item.id: value}
    return {pending[0].id: value}
