"""add_copilotkit_endpoint: every CopilotKit route inside a FastAPI app the user already has.

The routes come as one APIRouter whose lifespan opens the runtime's resources (checkpointer,
thread store, run coordination, model transport). FastAPI merges an included router's lifespan
into the app's, whatever lifespan the app has, so the resources open when the host app starts
and close when it stops. Nothing is put on the host app itself: no middleware, no error
handlers, no `app.state` entries; the routes capture their Server and answer their own errors.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI

from copilot_runtime.actions import user_failure_messages
from copilot_runtime.actions.examples import example_actions
from copilot_runtime.app.checkpoints import open_checkpointer
from copilot_runtime.app.coordination import open_postgres_coordinator
from copilot_runtime.app.errors import NotStartedError
from copilot_runtime.app.playground import playground_router
from copilot_runtime.app.protocols.agui.router import agui_router
from copilot_runtime.app.protocols.graphql import graphql_router
from copilot_runtime.app.protocols.remote import remote_router
from copilot_runtime.app.run_relay import open_relay
from copilot_runtime.app.runs import RunRegistry
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.app.server import Server
from copilot_runtime.app.settings import MEMORY, Settings
from copilot_runtime.app.sqlite_coordinator import HAS_FILE_LOCKS, open_sqlite_coordinator
from copilot_runtime.app.threads import open_thread_store
from copilot_runtime.graphs import aiohttp_available, aiohttp_transport, new_uuid
from copilot_runtime.graphs.fast_paths import fast_paths_enabled

logger = logging.getLogger("copilot_runtime")

OFFLINE_NOTICE = (
    "Using the OFFLINE DEMO MODEL: it only picks actions named or described in the user's words. "
    "Set OPENAI_API_KEY (and OPENAI_BASE_URL for any OpenAI-compatible server) or pass "
    "--model provider:model (COPILOT_MODEL) to use a real model."
)
DEBUG_NOTICE = (
    "COPILOT_DEBUG is on: the log keeps the messages of exceptions raised by actions and "
    "graphs, which may hold user data; turn it off outside development"
)
RUNTIME_IN_USE = (
    "this CopilotRuntime already serves another endpoint; its agents keep one set of threads, "
    "so give each endpoint a CopilotRuntime of its own"
)


def add_copilotkit_endpoint(
    app: FastAPI | APIRouter,
    runtime: CopilotRuntime | None = None,
    path: str | None = None,
    *,
    settings: Settings | None = None,
    new_id: Callable[[], str] = new_uuid,
) -> Server:
    """Serve `runtime` at `path` in `app`: every CopilotKit protocol, the thread routes included.

    Args:
        app: The host FastAPI app (or an APIRouter that is included in one later).
        runtime: What to serve; None serves the example actions with the configured model.
        path: The base URL, e.g. "/api/copilotkit"; None takes the settings' base path.
        settings: Server settings; None reads COPILOT_* environment variables.
        new_id: Id source for messages the server makes up.

    Returns:
        The endpoint's Server (what its routes use), for tests and tools.

    Raises:
        RuntimeError: `runtime` already serves another endpoint.
    """
    settings = settings or Settings()
    router, server = copilotkit_router(runtime, settings, _base_path(path, settings), new_id=new_id)
    app.include_router(router)
    return server


def copilotkit_router(
    runtime: CopilotRuntime | None,
    settings: Settings,
    prefix: str,
    *,
    new_id: Callable[[], str] = new_uuid,
) -> tuple[APIRouter, Server]:
    """The routes under the base path `prefix` ("" for the root, else "/..."), with the
    lifespan that opens their resources."""
    runtime = runtime or runtime_from_settings(settings)
    if runtime.is_attached:
        raise RuntimeError(RUNTIME_IN_USE)
    runtime.is_attached = True
    server = Server(runtime=runtime, registry=RunRegistry(), settings=settings, new_id=new_id)

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        async with open_resources(server):
            yield

    def require_started() -> None:
        if not server.is_open:
            raise NotStartedError()

    router = APIRouter(lifespan=lifespan)
    if settings.playground and settings.rest_routes:
        # First: it takes only browsers' page requests and lets GraphQL's GET {base} have
        # the rest. A static page, so it needs no open resources.
        router.include_router(playground_router(prefix))
    protocols = [agui_router(server, prefix), graphql_router(server, prefix)]
    if settings.remote_endpoint_path.strip("/"):  # on the host app, beside the base path
        protocols.append(remote_router(server, "/" + settings.remote_endpoint_path.strip("/")))
    for routes in protocols:
        router.include_router(routes, dependencies=[Depends(require_started)])
    return router, server


@asynccontextmanager
async def open_resources(server: Server) -> AsyncIterator[None]:
    """Open what the server's runs keep threads in, for as long as the host app runs."""
    settings, runtime = server.settings, server.runtime
    async with AsyncExitStack() as stack:
        checkpointer = await stack.enter_async_context(open_checkpointer(settings))
        server.threads = await stack.enter_async_context(open_thread_store(settings))
        await stack.enter_async_context(model_transport(settings))
        if settings.debug:
            stack.enter_context(user_failure_messages())
            logger.warning(DEBUG_NOTICE)
        runtime.use_checkpointer(checkpointer)
        server.relay = await stack.enter_async_context(open_relay(settings))
        if settings.database_url:
            server.coordinator = await open_postgres_coordinator(
                settings.database_url, server.registry.stop, server.relay_run
            )
            stack.push_async_callback(server.coordinator.close)
        elif settings.threads_path != MEMORY and HAS_FILE_LOCKS:
            # Other processes may serve the same file (`serve --workers N`, or two servers).
            server.coordinator = await open_sqlite_coordinator(
                settings.threads_path, server.registry.stop, server.relay_run
            )
            stack.push_async_callback(server.coordinator.close)
        # Closed first: runs finish (or are stopped) while what they write to is still open.
        stack.push_async_callback(
            server.owned.shut_down, server.registry, settings.shutdown_grace_seconds
        )
        logger.info("model: %s; agents: %s", runtime.model_label, ", ".join(runtime.agents))
        if runtime.is_offline_demo:
            logger.warning(OFFLINE_NOTICE)
        server.is_open = True
        try:
            yield
        finally:
            server.is_open = False


def runtime_from_settings(settings: Settings, actions: Any = example_actions) -> CopilotRuntime:
    """The runtime the settings describe (the example actions unless given others)."""
    return CopilotRuntime(
        actions=actions,
        model=settings.model,
        model_options=settings.model_options(),
        instructions=settings.instructions,
        max_steps=settings.max_steps,
        durability=settings.durability,
        model_timeout=settings.model_timeout,
        action_timeout=settings.action_timeout,
        action_threads=settings.action_threads,
    )


@asynccontextmanager
async def model_transport(settings: Settings) -> AsyncIterator[None]:
    """The HTTP stack `openai:` models use while the server runs (settings.model_http)."""
    if settings.model_http != "aiohttp" or not fast_paths_enabled():
        yield
        return
    if not aiohttp_available():
        logger.info("aiohttp is not installed: openai models use the SDK's httpx client")
    async with aiohttp_transport():
        yield


def _base_path(path: str | None, settings: Settings) -> str:
    if path is None:
        return settings.normalized_base_path
    return "/" + path.strip("/") if path.strip("/") else ""
