"""create_app: a standalone FastAPI app serving a CopilotRuntime over every CopilotKit protocol."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from copilot_runtime.app.embed import add_copilotkit_endpoint
from copilot_runtime.app.errors import install_error_handlers
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.app.settings import Settings
from copilot_runtime.graphs import new_uuid


def create_app(
    runtime: CopilotRuntime | None = None,
    settings: Settings | None = None,
    *,
    new_id: Callable[[], str] = new_uuid,
) -> FastAPI:
    """An app that serves only the runtime (what `copilot-runtime serve` runs).

    Built on `add_copilotkit_endpoint`, plus what a standalone server needs: CORS and JSON
    answers for unknown routes. Threads are opened on start-up and closed on shutdown.

    Args:
        runtime: What to serve; None serves the example actions with the configured model.
        settings: Server settings; None reads COPILOT_* environment variables.
        new_id: Id source for messages the server makes up.
    """
    settings = settings or Settings()
    # The routes' schema tells a visitor every route and body shape: only when asked for.
    docs = settings.docs
    app = FastAPI(
        title="copilot-runtime",
        openapi_url="/openapi.json" if docs else None,
        docs_url="/docs" if docs else None,
        redoc_url=None,
    )
    # The standalone app's Server, for tools and tests (an embedding app gets it returned).
    app.state.server = add_copilotkit_endpoint(app, runtime, settings=settings, new_id=new_id)
    install_error_handlers(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=settings.cors_allow_credentials,
        allow_methods=["*"],
        allow_headers=["*"],  # Starlette echoes the requested headers, Authorization included
        expose_headers=["*"],
    )
    return app
