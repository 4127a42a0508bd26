"""NodeSteps: STEP_STARTED / STEP_FINISHED per node run, from LangGraph's `tasks` stream.

A node's task announces itself when it starts (its payload has `input`) and when it ends (its
payload has `result` or `error`), in the graph and in each subgraph. Tasks of one step run
in parallel, and a client keeps one open step per name, so a name already open is counted
rather than started twice, and finished when its last task ends. The task that failed is
remembered, for the log line that says which node raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ag_ui.core import BaseEvent, StepFinishedEvent, StepStartedEvent


class NodeSteps:
    """Turns `tasks` stream payloads into step events; closes what is open at the end."""

    __slots__ = ("_names", "_open", "failed_node")

    def __init__(self) -> None:
        self._names: dict[str, str] = {}  # task id -> node name
        self._open: dict[str, int] = {}  # node name -> tasks running under it
        self.failed_node: str | None = None
        """The node whose task ended with an error, if one did."""

    def task(self, payload: Any) -> list[BaseEvent]:
        """Events for one `tasks` payload."""
        if not isinstance(payload, Mapping):
            return []
        task_id, name = str(payload.get("id", "")), str(payload.get("name", ""))
        if not name:
            return []
        if "input" in payload:
            self._names[task_id] = name
            self._open[name] = self._open.get(name, 0) + 1
            return [StepStartedEvent(step_name=name)] if self._open[name] == 1 else []
        if payload.get("error") is not None:
            self.failed_node = name
        if self._names.pop(task_id, None) is None:
            return []
        return self._finish(name)

    def _finish(self, name: str) -> list[BaseEvent]:
        count = self._open.get(name, 0) - 1
        if count > 0:
            self._open[name] = count
            return []
        self._open.pop(name, None)
        return [StepFinishedEvent(step_name=name)]

    def close(self) -> list[BaseEvent]:
        """Finish every step still open (a run that ends in an error or is stopped)."""
        events: list[BaseEvent] = [StepFinishedEvent(step_name=name) for name in self._open]
        self._open.clear()
        self._names.clear()
        return events
