"""Server, start_run and the end of a run, shared by every wire protocol.

`start_run` is the one place a run starts (its thread entered, registered, its production
started: app/streaming.py, and its events read by a task of the server into the run's log:
app/owned_runs.py) and `_end` the one place it ends (a stopped run's text kept, unregistered,
its thread freed, its log line written), whichever protocol asked for it and however it
ended. The response that started the run is one reader of its log among any others."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from functools import partial

import anyio
from ag_ui.core import Message, RunAgentInput

from copilot_runtime.actions import (
    ActionContext,
    ActionDefinitionError,
    failure_summary,
    loggable,
)
from copilot_runtime.app.coordination import LocalCoordinator, RunCoordinator
from copilot_runtime.app.errors import InternalError, NotFoundError, ProtocolError
from copilot_runtime.app.owned_runs import OwnedRuns, with_keepalives
from copilot_runtime.app.ownership import Caller, enter_thread
from copilot_runtime.app.run_events import RunEvents
from copilot_runtime.app.run_log import RunTally, log_run_end
from copilot_runtime.app.run_relay import RelayStore
from copilot_runtime.app.runs import ActiveRun, RunRegistry
from copilot_runtime.app.runtime import CopilotRuntime, ServedAgent
from copilot_runtime.app.settings import Settings
from copilot_runtime.app.stopped_answer import keep_stopped_answer
from copilot_runtime.app.streaming import Batch, consume, produce
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
    relay: RelayStore | None = None
    """Where runs are relayed to other workers' followers (app/run_relay.py), opened at
    start-up; None when no other worker can share the thread store."""
    owned: OwnedRuns = field(default_factory=OwnedRuns)
    """The tasks that drive this worker's runs."""
    is_open: bool = False
    """Whether the resources above are open (the host app's lifespan is running)."""

    def relay_run(self, thread_id: str, stream: str) -> None:
        """Another worker's follower asked for the thread's run (if it runs here)."""
        self.owned.relay(self.registry, self.relay, thread_id, stream)

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
    """A run whose first event exists, driven by the server: follow it, then let go of it."""

    active: ActiveRun
    server: Server
    leaves_with_client: bool
    """Whether the run is stopped when the client that started it goes away."""

    def batches(self) -> AsyncGenerator[Batch]:
        """The run's events from its start (None marks a keep-alive), in lists of those ready
        together, as the starting client reads them."""
        events = self.active.events
        assert events is not None  # set by start_run
        return with_keepalives(events.reader(), self.server.settings.keepalive_seconds)

    async def release(self) -> None:
        """The starting client's response has ended (however it did, even unstarted): the
        run goes on without it, or is cancelled and its thread freed when it leaves with it."""
        driver = self.active.driver
        if driver is None or not self.leaves_with_client or driver.done():
            return
        driver.cancel()
        with anyio.CancelScope(shield=True):
            await asyncio.wait([driver])


async def _end(server: Server, active: ActiveRun, agent: ServedAgent) -> None:
    """The run's production has stopped: keep what a stopped run showed, then release it."""
    if active.stopped.is_set() and active.events is not None and not active.released:
        if active.events.is_whole:
            await keep_stopped_answer(agent, active.thread_id, active.events.events())
        else:
            logger.warning("a stopped run outgrew COPILOT_RUN_BUFFER_BYTES: its text is not kept")
    await _release(server, active)


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
    leaves_with_client: bool | None = None,
) -> StartedRun:
    """Start a run and wait for its first event, so that failures before it are HTTP errors.

    `protocol` names how the client asked, for the line logged when the run ends.
    `leaves_with_client`: whether the run stops when its client goes away (protocols whose
    clients stop a run by leaving say True); None: as COPILOT_ON_DISCONNECT says.

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
    settings = server.settings
    active.events = RunEvents(settings.run_buffer_bytes, anchor=_anchor(run_input))
    batches = consume(
        production,
        active,
        keepalive_seconds=settings.keepalive_seconds,
        new_id=server.new_id(),
        on_end=partial(_end, server, active, agent),
    )
    server.owned.start(active, batches, settings.run_buffer_bytes)
    if leaves_with_client is None:
        leaves_with_client = settings.on_disconnect == "cancel"
    return StartedRun(active=active, server=server, leaves_with_client=leaves_with_client)


def _anchor(run_input: RunAgentInput) -> Message | None:
    """The last message the run was given: its own messages come after it in the thread."""
    return run_input.messages[-1] if run_input.messages else None


def _title(run_input: RunAgentInput) -> str:
    """What a new thread is named after: its first user text."""
    return next(
        (m.content for m in run_input.messages if m.role == "user" and isinstance(m.content, str)),
        "",
    )
