"""create_app: the FastAPI application serving a CopilotRuntime over every CopilotKit protocol."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from actions.examples import example_actions
from app.checkpoints import open_checkpointer
from app.coordination import open_postgres_coordinator
from app.eager_send import EagerSendApp
from app.errors import install_error_handlers
from app.protocols.agui.router import agui_router
from app.protocols.graphql import graphql_router
from app.runs import RunRegistry
from app.runtime import CopilotRuntime
from app.server import Server
from app.settings import Settings
from app.threads import open_thread_store
from graphs import aiohttp_available, aiohttp_transport, new_uuid

logger = logging.getLogger("copilot_runtime")

OFFLINE_NOTICE = (
    "Using the OFFLINE DEMO MODEL: it only picks actions named or described in the user's words. "
    "Set OPENAI_API_KEY (and OPENAI_BASE_URL for any OpenAI-compatible server) or pass "
    "--model provider:model (COPILOT_MODEL) to use a real model."
)


def create_app(
    runtime: CopilotRuntime | None = None,
    settings: Settings | None = None,
    *,
    new_id: Callable[[], str] = new_uuid,
) -> FastAPI:
    """Build the app; threads are opened on start-up and closed on shutdown.

    Args:
        runtime: What to serve; None serves the example actions with the configured model.
        settings: Server settings; None reads COPILOT_* environment variables.
        new_id: Id source for messages the server makes up.
    """
    settings = settings or Settings()
    if runtime is None:
        runtime = CopilotRuntime(
            actions=example_actions,
            model=settings.model,
            model_options=settings.model_options(),
            instructions=settings.instructions,
            max_steps=settings.max_steps,
            durability=settings.durability,
        )
    server = Server(runtime=runtime, registry=RunRegistry(), settings=settings, new_id=new_id)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            open_checkpointer(settings) as checkpointer,
            open_thread_store(settings) as thread_store,
            model_transport(settings),
        ):
            runtime.use_checkpointer(checkpointer)
            server.threads = thread_store
            if settings.database_url:
                server.coordinator = await open_postgres_coordinator(
                    settings.database_url, server.registry.stop
                )
            logger.info("model: %s; agents: %s", runtime.model_label, ", ".join(runtime.agents))
            if runtime.is_offline_demo:
                logger.warning(OFFLINE_NOTICE)
            try:
                yield
            finally:
                await server.coordinator.close()

    app = EagerSendApp(title="copilot-runtime", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.server = server
    install_error_handlers(app)
    app.include_router(
        agui_router(rest_routes=settings.rest_routes), prefix=settings.normalized_base_path
    )
    app.include_router(graphql_router(), prefix=settings.normalized_base_path)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=settings.cors_allow_credentials,
        allow_methods=["*"],
        allow_headers=["*"],  # Starlette echoes the requested headers, Authorization included
        expose_headers=["*"],
    )
    app.plain_middleware = (CORSMiddleware,)
    return app


@asynccontextmanager
async def model_transport(settings: Settings) -> AsyncIterator[None]:
    """The HTTP stack `openai:` models use while the server runs (settings.model_http)."""
    if settings.model_http != "aiohttp":
        yield
        return
    if not aiohttp_available():
        logger.info("aiohttp is not installed: openai models use the SDK's httpx client")
    async with aiohttp_transport():
        yield
