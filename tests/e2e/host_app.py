"""A user's own FastAPI apps with the runtime embedded (served by tests/e2e/test_embedding.py).

Each app has routes, state and error handling of its own, set up the two ways FastAPI offers
(a `lifespan=` function or `on_startup` handlers), to check that embedding leaves them alone.
The thread store is the SQLite file named by COPILOT_THREADS_PATH, which the test sets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from copilot_runtime import CopilotRuntime, add_copilotkit_endpoint, create_app
from tests.e2e.served_actions import actions

BASE = "/api/copilotkit"


class HostError(Exception):
    """An error of the host's own routes, answered by the host's own handler."""


def add_host_routes(app: FastAPI) -> None:
    """What the user's app serves besides the runtime."""

    @app.get("/health")
    async def health(request: Request) -> dict[str, str]:
        return {"started_by": request.app.state.started_by}

    @app.get("/boom")
    async def boom() -> None:
        raise HostError("host failure")

    @app.exception_handler(HostError)
    async def host_error(request: Request, error: HostError) -> JSONResponse:
        return JSONResponse({"host_error": str(error)}, status_code=418)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.started_by = "lifespan"
    yield


lifespan_app = FastAPI(lifespan=lifespan)
add_host_routes(lifespan_app)
add_copilotkit_endpoint(lifespan_app, CopilotRuntime(actions=actions, model="demo"), BASE)


async def on_startup() -> None:
    startup_app.state.started_by = "on_startup"


startup_app = FastAPI(on_startup=[on_startup])
add_host_routes(startup_app)
add_copilotkit_endpoint(startup_app, CopilotRuntime(actions=actions, model="demo"), BASE)

# The wrong way: Starlette runs no lifespan for a mounted app, so the runtime never opens.
mounted_app = FastAPI(lifespan=lifespan)
add_host_routes(mounted_app)
mounted_app.mount("/copilot", create_app(CopilotRuntime(actions=actions, model="demo")))
