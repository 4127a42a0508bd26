"""action_context: what a request tells the actions generator (properties, url, headers)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import JsonValue
from starlette.requests import Request

from copilot_runtime.actions import ActionContext

PAGE_URL_PROPERTY = "url"


def action_context(
    request: Request,
    *,
    agent_id: str,
    thread_id: str | None,
    properties: JsonValue,
    page_url: str | None = None,
) -> ActionContext:
    """The ActionContext of one request.

    AG-UI carries no page URL, so v2 clients may send it as `properties.url`; the legacy
    GraphQL protocol passes `frontend.url` as `page_url`.
    """
    props: Mapping[str, JsonValue] = properties if isinstance(properties, dict) else {}
    if page_url is None and isinstance(props.get(PAGE_URL_PROPERTY), str):
        page_url = str(props[PAGE_URL_PROPERTY])
    return ActionContext(
        properties=props,
        url=page_url,
        request_url=str(request.url),
        headers={key.lower(): value for key, value in request.headers.items()},
        agent_id=agent_id,
        thread_id=thread_id,
    )
