"""Server and start_run: protocol-neutral run start-up shared by every wire protocol."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from ag_ui.core import BaseEvent, RunAgentInput

from actions import ActionContext, ActionDefinitionError, failure_summary
from app.errors import InternalError, NotFoundError, ProtocolError
from app.runs import ActiveRun, RunRegistry
from app.runtime import CopilotRuntime, ServedAgent
from app.settings import Settings
from app.streaming import stream_run

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Server:
    """What every protocol handler needs; one per app, kept on `app.state.server`."""

    runtime: CopilotRuntime
    registry: RunRegistry
    settings: Settings
    new_id: Callable[[], str]

    def agent(self, agent_id: str) -> ServedAgent:
        """The agent, or 404 before anything is streamed."""
        agent = self.runtime.agents.get(agent_id)
        if agent is None:
            raise NotFoundError(f"Agent '{agent_id}' does not exist", error="Agent not found")
        return agent


@dataclass(frozen=True, slots=True)
class StartedRun:
    """A run whose first event exists; iterate `events` (None marks a keep-alive), then release."""

    active: ActiveRun
    events: AsyncIterator[BaseEvent | None]
    registry: RunRegistry

    async def release(self) -> None:
        """Forget the run (however the response ended, even if it never started streaming)."""
        self.registry.unregister(self.active)


async def start_run(
    server: Server, agent_id: str, run_input: RunAgentInput, context: ActionContext
) -> StartedRun:
    """Start a run and wait for its first event, so that failures before it are HTTP errors.

    Raises:
        NotFoundError: unknown agent.
        ActionDefinitionError: the actions generator declared something wrong.
        InternalError: anything else went wrong before the first event (logged, no text).
    """
    agent = server.agent(agent_id)
    active = server.registry.register(run_input.thread_id, run_input.run_id, agent_id)
    events = agent.run(run_input, context)
    try:
        # The actions generator runs here, so a bad declaration is a JSON error, not a stream.
        first = await anext(events)
    except (ActionDefinitionError, ProtocolError):
        server.registry.unregister(active)
        raise
    except Exception as error:  # noqa: BLE001  # the user's generator: answer 500, log no text
        server.registry.unregister(active)
        logger.error("run %s could not start: %s", run_input.run_id, failure_summary(error))
        raise InternalError() from None
    except BaseException:
        server.registry.unregister(active)
        raise
    stream = stream_run(
        _prepend(first, events),
        active,
        keepalive_seconds=server.settings.keepalive_seconds,
        new_id=server.new_id(),
    )
    return StartedRun(active=active, events=stream, registry=server.registry)


async def _prepend(first: BaseEvent, rest: AsyncIterator[BaseEvent]) -> AsyncIterator[BaseEvent]:
    try:
        yield first
        async for event in rest:
            yield event
    finally:
        aclose = getattr(rest, "aclose", None)
        if aclose is not None:
            await aclose()
