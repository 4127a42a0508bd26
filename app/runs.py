"""RunRegistry: the runs streaming in this process, so /stop can end one by thread and run id."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from copilot_runtime.app.run_events import RunEvents
from copilot_runtime.app.run_log import RunTally


@dataclass(slots=True)
class ActiveRun:
    """A run in progress; `stopped` is set to end it cleanly."""

    thread_id: str
    run_id: str
    agent_id: str
    stopped: asyncio.Event = field(default_factory=asyncio.Event)
    released: bool = False
    """Its thread was freed; freeing it again could free a newer run's claim."""
    tally: RunTally | None = None
    """What it did, for the line logged when it ends; None until it has started."""
    events: RunEvents | None = None
    """What it has sent, for every client that follows it; None until it has started."""
    driver: asyncio.Task[None] | None = None
    """The server's task that reads the run into `events` (app/owned_runs.py)."""


@dataclass(slots=True)
class RunRegistry:
    """Active runs by thread. Lives on the app (one per process), never on a module global."""

    _runs: dict[str, list[ActiveRun]] = field(default_factory=dict)

    def register(self, thread_id: str, run_id: str, agent_id: str) -> ActiveRun:
        """Track a run from before its first event until `unregister`."""
        run = ActiveRun(thread_id=thread_id, run_id=run_id, agent_id=agent_id)
        self._runs.setdefault(thread_id, []).append(run)
        return run

    def unregister(self, run: ActiveRun) -> None:
        """Forget a run that ended (safe to call twice)."""
        runs = self._runs.get(run.thread_id, [])
        if run in runs:
            runs.remove(run)
        if not runs:
            self._runs.pop(run.thread_id, None)

    def stop(self, agent_id: str, thread_id: str, run_id: str | None = None) -> bool:
        """Signal the thread's active runs (only `run_id` when given); True if any was running."""
        matching = [
            run
            for run in self._runs.get(thread_id, ())
            if run.agent_id == agent_id and (run_id is None or run.run_id == run_id)
        ]
        for run in matching:
            run.stopped.set()
        return bool(matching)

    def following(self, thread_id: str) -> ActiveRun | None:
        """The thread's newest run that clients can follow, if one runs in this process."""
        runs = [run for run in self._runs.get(thread_id, ()) if run.events is not None]
        return runs[-1] if runs else None

    def all(self) -> list[ActiveRun]:
        """Every run in progress here."""
        return [run for runs in self._runs.values() for run in runs]

    def is_running(self, thread_id: str) -> bool:
        """Whether a run is streaming on this thread in this process."""
        return bool(self._runs.get(thread_id))
