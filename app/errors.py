"""HTTP errors before streaming: one JSON shape, {"error", "message"}, never an exception's text.

```
ProtocolError               the request cannot be served; answered before any streaming
├── BadRequestError         400: malformed JSON, invalid RunAgentInput, unknown envelope method
├── NotFoundError           404: unknown agent or route
├── MethodNotAllowedError   405 (with Allow)
├── ConflictError           409: a run is already streaming on the thread (any worker)
├── InternalError           500: an unexpected exception (logged as type and frames only)
└── UnsupportedMediaError   415: a POST body that is not application/json
```
An ActionDefinitionError from the actions generator is a 500 that names the action (the
developer's own declaration); any other exception is a 500 with a fixed message, logged.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import Request

from actions import ActionDefinitionError, failure_summary

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


class InternalError(ProtocolError):
    """500 for an unexpected exception; its text stays out of the answer and the log."""

    status = 500
    error = "internal_error"

    def __init__(self) -> None:
        super().__init__("Internal server error; see the server log.")


class UnsupportedMediaError(ProtocolError):
    """415."""

    status = 415
    error = "unsupported_media_type"


def install_error_handlers(app: FastAPI) -> None:
    """Map every error raised before streaming to the one JSON shape."""

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
        logger.error("bad action declaration: %s", error)
        body = {"error": "action_definition_error", "message": str(error)}
        return JSONResponse(body, status_code=500)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # Last resort: Starlette re-raises after this answer, so handlers catch what they can.
        logger.error("unexpected error on %s: %s", request.url.path, failure_summary(error))
        return InternalError().response()
