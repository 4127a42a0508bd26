"""Server, start_run and the end of a run, shared by every wire protocol.

`start_run` is the one place a run starts (its thread entered, registered, its production
started: app/streaming.py) and `_release` the one place it ends (unregistered, its thread
freed, its log line written), whichever protocol asked for it and however it ended."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from functools import partial

import anyio
from ag_ui.core import RunAgentInput

from copilot_runtime.actions import (
    ActionContext,
    ActionDefinitionError,
    failure_summary,
    loggable,
)
from copilot_runtime.app.coordination import LocalCoordinator, RunCoordinator
from copilot_runtime.app.errors import InternalError, NotFoundError, ProtocolError
from copilot_runtime.app.ownership import Caller, enter_thread
from copilot_runtime.app.run_log import RunTally, log_run_end
from copilot_runtime.app.runs import ActiveRun, RunRegistry
from copilot_runtime.app.runtime import CopilotRuntime, ServedAgent
from copilot_runtime.app.settings import Settings
from copilot_runtime.app.streaming import Batch, Production, consume, produce
from copilot_runtime.app.threads import ThreadStore

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Server:
    """What every protocol handler needs; one per endpoint, captured by its routes."""

    runtime: CopilotRuntime
    registry: RunRegistry
    settings: Settings
    new_id: Callable[[], str]
    coordinator: RunCoordinator = field(default_factory=LocalCoordinator)
    """Replaced at start-up by the PostgreSQL one when workers share a database."""
    threads: ThreadStore | None = None
    """Thread metadata, opened at start-up."""
    is_open: bool = False
    """Whether the resources above are open (the host app's lifespan is running)."""

    async def stop(self, agent_id: str, thread_id: str, run_id: str | None) -> bool:
        """Stop the thread's run, here or in another worker."""
        if self.registry.stop(agent_id, thread_id, run_id):
            return True
        return await self.coordinator.stop_elsewhere(agent_id, thread_id, run_id)

    def agent(self, agent_id: str) -> ServedAgent:
        """The agent, or 404 before anything is streamed."""
        agent = self.runtime.agents.get(agent_id)
        if agent is None:
            raise NotFoundError(f"Agent '{agent_id}' does not exist", error="Agent not found")
        return agent


@dataclass(frozen=True, slots=True)
class StartedRun:
    """A run whose first event exists: read its batches once, then release it."""

    active: ActiveRun
    server: Server
    production: Production
    stop_id: str
    """Ids for what a stop makes up (the results of calls it cuts short)."""

    def batches(self) -> AsyncGenerator[Batch]:
        """The events (None marks a keep-alive) in lists of those ready together."""
        return consume(
            self.production,
            self.active,
            keepalive_seconds=self.server.settings.keepalive_seconds,
            new_id=self.stop_id,
            on_end=partial(_release, self.server, self.active),
        )

    async def release(self) -> None:
        """Free the thread (however the response ended, even if it never started streaming).

        The run is stopped first if it still runs: a response that never streamed never
        reached `consume`'s own clean-up, and a thread must not be freed under a live run.
        """
        with anyio.CancelScope(shield=True):
            await self.production.stop()
        await _release(self.server, self.active)


async def _release(server: Server, active: ActiveRun) -> None:
    # Called when the events end and again when the response closes: only the first frees the
    # thread, since by the second a new run may hold it.
    if active.released:
        return
    active.released = True
    server.registry.unregister(active)
    await server.coordinator.release(active.thread_id)
    if active.tally is not None:  # the run started: say how it went
        log_run_end(
            active.tally,
            run_id=active.run_id,
            thread_id=active.thread_id,
            agent_id=active.agent_id,
            is_stopped=active.stopped.is_set(),
        )


async def start_run(
    server: Server,
    agent_id: str,
    run_input: RunAgentInput,
    context: ActionContext,
    *,
    protocol: str = "rest",
) -> StartedRun:
    """Start a run and wait for its first event, so that failures before it are HTTP errors.

    `protocol` names how the client asked, for the line logged when the run ends.

    Raises:
        NotFoundError: unknown agent.
        ActionDefinitionError: the actions generator declared something wrong.
        InternalError: anything else went wrong before the first event (logged, no text).
    """
    agent = server.agent(agent_id)
    caller = Caller(owner=server.runtime.owner(context), agent_id=agent_id)
    await enter_thread(server, caller, run_input.thread_id, _title(run_input))
    active = server.registry.register(run_input.thread_id, run_input.run_id, agent_id)
    tally = RunTally(protocol)
    try:
        # The actions generator runs here, so a bad declaration is a JSON error, not a stream.
        production = produce(agent.run(run_input, context))
        try:
            await production.started()
        except BaseException:
            with anyio.CancelScope(shield=True):
                await production.stop()
            raise
    except (ActionDefinitionError, ProtocolError):
        await _release(server, active)
        raise
    except Exception as error:  # noqa: BLE001  # the user's generator: answer 500, log no text
        await _release(server, active)
        summary = failure_summary(error, is_user_code=True)
        logger.error("run %s could not start: %s", loggable(run_input.run_id), summary)
        raise InternalError() from None
    except BaseException:
        await _release(server, active)
        raise
    active.tally = tally
    return StartedRun(active=active, server=server, production=production, stop_id=server.new_id())


def _title(run_input: RunAgentInput) -> str:
    """What a new thread is named after: its first user text."""
    return next(
        (m.content for m in run_input.messages if m.role == "user" and isinstance(m.content, str)),
        "",
    )
