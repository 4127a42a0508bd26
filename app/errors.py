"""HTTP errors before streaming: one JSON shape, {"error", "message"}, never an exception's text.

```
ProtocolError               the request cannot be served; answered before any streaming
├── BadRequestError         400: malformed JSON, invalid RunAgentInput, unknown envelope method
├── NotFoundError           404: unknown agent or route
├── MethodNotAllowedError   405 (with Allow)
├── ConflictError           409: a run is already streaming on the caller's thread (any worker)
├── PayloadTooLargeError    413: a body over COPILOT_MAX_BODY_BYTES (the rest is not read)
├── InternalError           500: an unexpected exception (logged as type and frames only)
├── NotStartedError         503: the runtime's resources are not open (its lifespan never ran)
└── UnsupportedMediaError   415: a POST body that is not application/json
```
The runtime's routes answer these themselves (`ProtocolRoute`), so an app that embeds them keeps
its own error handlers for its own routes.
An ActionDefinitionError from the actions generator is a 500 that names the action (the
developer's own declaration); any other exception is a 500 with a fixed message, logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from copilot_runtime.actions import ActionDefinitionError, failure_summary, loggable

logger = logging.getLogger(__name__)


class ProtocolError(Exception):
    """A request that cannot be served, with the status and body to answer it with."""

    status = 400
    error = "invalid_request"

    def __init__(self, message: str, *, details: Any = None, error: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if error is not None:
            self.error = error

    def response(self) -> JSONResponse:
        """The JSON answer."""
        body: dict[str, Any] = {"error": self.error, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return JSONResponse(body, status_code=self.status, headers=self.headers())

    def headers(self) -> dict[str, str] | None:
        """Extra response headers."""
        return None


class BadRequestError(ProtocolError):
    """400."""


class NotFoundError(ProtocolError):
    """404."""

    status = 404
    error = "not_found"


class MethodNotAllowedError(ProtocolError):
    """405, naming the allowed methods."""

    status = 405
    error = "method_not_allowed"

    def __init__(self, allowed: str) -> None:
        super().__init__(f"Method not allowed; use {allowed}")
        self.allowed = allowed

    def headers(self) -> dict[str, str] | None:
        """The Allow header."""
        return {"Allow": self.allowed}


class ConflictError(ProtocolError):
    """409: the thread already has a run in progress."""

    status = 409
    error = "thread_busy"


class PayloadTooLargeError(ProtocolError):
    """413: the body is larger than the server accepts."""

    status = 413
    error = "body_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The body is larger than {limit} bytes (COPILOT_MAX_BODY_BYTES)")


class InternalError(ProtocolError):
    """500 for an unexpected exception; its text stays out of the answer and the log."""

    status = 500
    error = "internal_error"

    def __init__(self) -> None:
        super().__init__("Internal server error; see the server log.")


class NotStartedError(ProtocolError):
    """503: a request reached the routes before their app's lifespan opened the runtime."""

    status = 503
    error = "not_started"

    def __init__(self) -> None:
        super().__init__(
            "The copilot runtime has not started: its threads open with the lifespan of the app "
            "that serves it, and Starlette runs no lifespan for a mounted app. Use "
            "add_copilotkit_endpoint(app, runtime) instead of app.mount(...)."
        )


class UnsupportedMediaError(ProtocolError):
    """415."""

    status = 415
    error = "unsupported_media_type"


class ProtocolRoute(APIRoute):
    """A route that answers its own errors in the one JSON shape, whatever app it is part of."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, with every error raised before streaming answered as JSON."""
        handle = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handle(request)
            except ProtocolError as error:
                return error.response()
            except ActionDefinitionError as error:
                return bad_declaration_response(error)
            except Exception as error:  # noqa: BLE001  # a 500 with no text, logged
                _log_unexpected(request, error)
                return InternalError().response()

        return answer


def _log_unexpected(request: Request, error: Exception) -> None:
    path = loggable(request.url.path)
    logger.error("unexpected error on %s: %s", path, failure_summary(error))


def base_url_paths(prefix: str) -> tuple[str, ...]:
    """The paths of the base URL itself under `prefix`: with and without the slash, except at
    the root, where FastAPI refuses an empty path."""
    return ("", "/") if prefix else ("/",)


def bad_declaration_response(error: ActionDefinitionError) -> JSONResponse:
    """500 naming the action: the developer's own declaration is wrong."""
    logger.error("bad action declaration: %s", loggable(error))
    body = {"error": "action_definition_error", "message": str(error)}
    return JSONResponse(body, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Map every error of a standalone app to the one JSON shape (unknown routes included)."""

    @app.exception_handler(ProtocolError)
    async def protocol_error(request: Request, error: ProtocolError) -> JSONResponse:
        return error.response()

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        # Routing errors from Starlette itself: unknown paths and methods.
        if error.status_code == 405:
            allowed = (error.headers or {}).get("Allow", "")
            return MethodNotAllowedError(allowed).response()
        if error.status_code == 404:
            return NotFoundError(f"No route {request.method} {request.url.path}").response()
        return ProtocolError(str(error.detail), error="http_error").response()

    @app.exception_handler(ActionDefinitionError)
    async def bad_declaration(request: Request, error: ActionDefinitionError) -> JSONResponse:
        return bad_declaration_response(error)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # Last resort: Starlette re-raises after this answer, so handlers catch what they can.
        _log_unexpected(request, error)
        return InternalError().response()
