"""Request bodies -> validated values: JSON objects, RunAgentInput (with legacy parts upgraded)."""

from __future__ import annotations

from typing import Any

from ag_ui.core import RunAgentInput
from pydantic import ValidationError
from starlette.requests import Request

from copilot_runtime.app.body import parse_json, read_body
from copilot_runtime.app.errors import BadRequestError, UnsupportedMediaError
from copilot_runtime.app.settings import Settings

MEDIA_PART_TYPES = {"image": "image", "audio": "audio", "video": "video"}


async def json_body(
    request: Request, settings: Settings, *, required: bool = True
) -> dict[str, Any]:
    """The body as a JSON object of at most `settings.max_body_bytes` (app/body.py: 413, 415,
    400)."""
    raw = await read_body(request, settings.max_body_bytes)
    if not raw.strip() and not required:
        return {}
    if "application/json" not in request.headers.get("content-type", ""):
        raise UnsupportedMediaError("Send the body as JSON with Content-Type: application/json")
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise BadRequestError("The body must be a JSON object", error="invalid_json")
    return body


def run_input_from_body(body: Any) -> RunAgentInput:
    """Validate a RunAgentInput; 400 with the problems listed when it does not fit."""
    if isinstance(body, dict) and isinstance(body.get("messages"), list):
        body = {**body, "messages": [_upgrade_message(m) for m in body["messages"]]}
    try:
        return RunAgentInput.model_validate(body)
    except ValidationError as error:
        raise BadRequestError(
            "Invalid request body: not a RunAgentInput",
            details=validation_problems(error),
            error="Invalid request body",
        ) from None


def validation_problems(error: ValidationError) -> list[dict[str, str]]:
    """Where a body does not fit and why, without echoing its values."""
    return [
        {"path": ".".join(str(p) for p in item["loc"]), "message": item["msg"]}
        for item in error.errors(include_url=False, include_input=False)
    ]


def _upgrade_message(message: Any) -> Any:
    # Clients before @ag-ui/core 0.0.48 send {"type": "binary", ...} parts, which ag-ui-protocol
    # 1.0 no longer models; upgrade them to media parts as the TypeScript client does.
    if not isinstance(message, dict) or not isinstance(message.get("content"), list):
        return message
    return {**message, "content": [_upgrade_part(part) for part in message["content"]]}


def _upgrade_part(part: Any) -> Any:
    if not isinstance(part, dict) or part.get("type") != "binary":
        return part
    mime = str(part.get("mimeType") or "application/octet-stream")
    kind = MEDIA_PART_TYPES.get(mime.split("/")[0], "document")
    if part.get("data"):
        source = {"type": "data", "value": part["data"], "mimeType": mime}
    else:
        source = {"type": "url", "value": part.get("url") or "", "mimeType": mime}
    return {"type": kind, "source": source}
