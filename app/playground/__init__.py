"""The playground: a page at the base URL for trying the runtime from a browser.

`GET {base}` from a browser (an `Accept` that names `text/html`, no `query` parameter) answers
the page; every other `GET {base}` (GraphQL queries, API clients) falls through to the routes
after it, which is why the page's route decides in `matches` rather than in its handler. The
page and its scripts ship in this folder and are served as they are: no build step, nothing
fetched from elsewhere (its Content-Security-Policy allows only this origin). The scripts speak
the public REST routes (`/info`, `/agent/{id}/run|connect|stop`, `/threads`), so the page can
do nothing that any other client could not.
"""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from importlib.resources import files
from urllib.parse import parse_qs

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Match
from starlette.types import Scope

from copilot_runtime.app.errors import NotFoundError, ProtocolRoute, base_url_paths

ASSETS_PATH = "/playground"
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
ASSET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*\.(?:js|css|svg)$")
BASE_MARKER = "<!--base-->"
# Only this origin: the page loads its own files and talks to its own server, nothing else.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'self'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


class PageRoute(APIRoute):
    """A route that matches only a browser asking for a page (see `wants_page`)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """No match for API clients, so the GraphQL `GET {base}` after it answers them."""
        if scope["type"] != "http" or not wants_page(scope):
            return Match.NONE, {}
        return super().matches(scope)


def wants_page(scope: Scope) -> bool:
    """A browser's navigation: `Accept` names text/html (with q > 0), and no GraphQL query."""
    if "query" in parse_qs(scope.get("query_string", b"").decode("latin-1"), True):
        return False
    accept = b",".join(value for name, value in scope["headers"] if name == b"accept")
    for item in accept.decode("latin-1").lower().split(","):
        media, _, params = item.partition(";")
        if media.strip() == "text/html":
            return _quality(params) > 0
    return False


def _quality(params: str) -> float:
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def playground_router(prefix: str) -> APIRouter:
    """The page at the base URL `prefix` and its files under `{prefix}/playground/`."""
    folder = files(__package__)
    page = folder.joinpath("index.html").read_text(encoding="utf-8")
    assets: dict[str, tuple[bytes, str]] = {
        item.name: (item.read_bytes(), CONTENT_TYPES[item.name[item.name.rindex(".") :]])
        for item in folder.iterdir()
        if ASSET_NAME.match(item.name)
    }
    router = APIRouter(prefix=prefix)

    def page_at(base_href: str) -> Callable[[Request], Awaitable[Response]]:
        # The document's base URL is the runtime's base URL with a slash, whatever proxy
        # prefix is in front of it: the scripts address the routes relative to it.
        body = page.replace(BASE_MARKER, f'<base href="{html.escape(base_href)}">', 1)

        async def playground(request: Request) -> Response:
            return HTMLResponse(body, headers=PAGE_HEADERS)

        return playground

    last_segment = prefix.rsplit("/", 1)[-1]
    for path in base_url_paths(prefix):
        base_href = f"{last_segment}/" if path == "" else "./"
        router.add_api_route(
            path,
            page_at(base_href),
            methods=["GET"],
            route_class_override=PageRoute,
            include_in_schema=False,
        )

    async def asset(request: Request, name: str) -> Response:
        found = assets.get(name)
        if found is None:
            raise NotFoundError(f"No playground file '{name}'")
        content, media_type = found
        return Response(content, media_type=media_type, headers=PAGE_HEADERS)

    router.add_api_route(
        f"{ASSETS_PATH}/{{name}}",
        asset,
        methods=["GET"],
        route_class_override=ProtocolRoute,
        include_in_schema=False,
    )
    return router
