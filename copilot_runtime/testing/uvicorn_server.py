"""serve: an app on a real uvicorn server on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import uvicorn

from copilot_runtime.app.main import create_app
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.app.settings import MEMORY, Settings

STARTUP_SECONDS = 30.0


def settings_for_tests(**overrides: Any) -> Settings:
    """The server defaults with threads in memory, whatever COPILOT_* or DATABASE_URL the
    machine sets: a test should not change with the environment it runs in."""
    values: dict[str, Any] = {"threads_path": MEMORY, **overrides}
    return Settings.model_validate({**Settings.model_construct().model_dump(), **values})


@asynccontextmanager
async def serve(
    app: CopilotRuntime | Any,
    *,
    settings: Settings | None = None,
    host: str = "127.0.0.1",
    log_level: str = "warning",
    lifespan: Literal["on", "off", "auto"] = "on",
) -> AsyncIterator[str]:
    """Serve `app` with uvicorn in this event loop until the block ends; yields the base URL.

        async with serve(CopilotRuntime(actions=[...], model=model)) as url:
            events = await post_run(url, "What is the weather in Paris?")

    The server runs in the test's own event loop, so talk to it with an async client
    (`post_run`, `httpx.AsyncClient`, a subprocess); a blocking call would wait for ever.

    Args:
        app: A CopilotRuntime (served by `create_app` at /api/copilotkit) or any ASGI app,
            such as a FastAPI app with `add_copilotkit_endpoint`.
        settings: The settings of a CopilotRuntime's app; by default `settings_for_tests()`
            (threads in memory, the environment ignored).
        host: The loopback interface to listen on; the port is a free one.
        log_level: uvicorn's log level.
        lifespan: Run the app's lifespan ("on": a failing start-up fails here).

    Yields:
        "http://HOST:PORT", the URL the routes are under.

    Raises:
        RuntimeError: The server did not start (uvicorn's log says why).
    """
    if isinstance(app, CopilotRuntime):
        app = create_app(app, settings or settings_for_tests())
    config = uvicorn.Config(
        app,
        host=host,
        port=0,
        log_level=log_level,
        lifespan=lifespan,
        timeout_graceful_shutdown=10,  # a stream a test left open must not hang its end
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(_serve(server))
    try:
        port = await _started(server, serving)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await asyncio.gather(serving, return_exceptions=True)


async def _serve(server: uvicorn.Server) -> None:
    # uvicorn exits when the app's start-up fails (after logging why); in a test that must
    # fail the block, not end the event loop.
    with contextlib.suppress(SystemExit):
        await server.serve()


async def _started(server: uvicorn.Server, serving: asyncio.Task[None]) -> int:
    deadline = asyncio.get_running_loop().time() + STARTUP_SECONDS
    # uvicorn offers no event to wait on, only its `started` flag.
    while not server.started:
        if serving.done() or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.01)
    if not server.started:
        reason = "it stopped during start-up" if serving.done() else "it took too long"
        raise RuntimeError(f"the app did not start under uvicorn: {reason} (see uvicorn's log)")
    port: int = server.servers[0].sockets[0].getsockname()[1]
    return port
