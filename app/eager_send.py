"""EagerSendApp: the app marks the requests whose ASGI `send` may be stepped outside a task.

app/body_writer.py writes a run's events from a loop callback by stepping `send` by hand,
which needs every layer between the server and the response to run without a current task.
Starlette's and FastAPI's own layers and the CORS middleware only look at the message and
pass it on; uvicorn's `send` writes to its transport. A user's middleware may not (Starlette's
BaseHTTPMiddleware sends through anyio, which finds no event loop outside a task), and neither
may a wrapper around the app or another server. So a request is marked only when its `send` is
uvicorn's own and the app's middleware is exactly what `create_app` added; the rest get a task
per send, slower but right for any ASGI stack.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.types import Receive, Scope, Send

EAGER_SEND = "copilot_runtime.eager_send"
"""The scope key: True when `send` may be stepped outside a task."""


class EagerSendApp(FastAPI):
    """FastAPI that marks requests whose `send` chain is plain (`EAGER_SEND` in the scope)."""

    plain_middleware: tuple[type, ...] = ()
    """The middleware classes `create_app` adds: with nothing else, the chain is plain."""
    _is_plain: bool | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Mark the request, then serve it as FastAPI does."""
        if scope["type"] == "http" and is_server_send(send):
            if self._is_plain is None:
                # Starlette refuses middleware once the app has served: the answer is final.
                self._is_plain = _classes(self.user_middleware) == self.plain_middleware
            scope[EAGER_SEND] = self._is_plain
        await super().__call__(scope, receive, send)


def is_server_send(send: Send) -> bool:
    """Whether `send` is uvicorn's own (not a wrapper's around the app)."""
    owner = getattr(send, "__self__", None)
    return type(owner).__module__.startswith("uvicorn.protocols.http.")


def is_eager(scope: Scope) -> bool:
    """Whether this request's `send` may be stepped outside a task."""
    return bool(scope.get(EAGER_SEND, False))


def _classes(middleware: Sequence[Middleware]) -> tuple[type, ...]:
    return tuple(item.cls for item in middleware)  # type: ignore[misc]  # cls is a class
