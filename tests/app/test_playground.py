"""The playground's routes: the page for browsers at GET {base}, GraphQL's GET for everyone
else, its files, the off switch, and an app that embeds the runtime at a path of its own."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from copilot_runtime.app.embed import add_copilotkit_endpoint
from copilot_runtime.app.runtime import CopilotRuntime
from tests.app.conftest import BASE, serve, settings

ROOT = Path(__file__).resolve().parents[2]
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PAGE_FILES = ("main.js", "api.js", "sse.js", "conversation.js", "json-patch.js", "view.js")


async def test_a_browser_gets_the_page_with_its_base_url() -> None:
    async with serve(CopilotRuntime(model="demo")) as client:
        for path, base in ((BASE, "copilotkit/"), (f"{BASE}/", "./")):
            page = await client.get(path, headers={"accept": BROWSER_ACCEPT})
            assert page.status_code == 200
            assert page.headers["content-type"] == "text/html; charset=utf-8"
            assert f'<base href="{base}">' in page.text
            assert '<script type="module" src="playground/main.js">' in page.text
            policy = page.headers["content-security-policy"]
            assert "default-src 'none'" in policy
            assert "connect-src 'self'" in policy
            assert page.headers["x-content-type-options"] == "nosniff"


async def test_api_clients_and_graphql_queries_keep_their_answers() -> None:
    async with serve(CopilotRuntime(model="demo")) as client:
        plain = await client.get(BASE)
        assert plain.status_code == 400
        assert plain.json()["error"] == "invalid_graphql_request"
        api = await client.get(BASE, headers={"accept": "application/json"})
        assert api.json()["error"] == "invalid_graphql_request"
        query = await client.get(
            BASE, params={"query": "{ hello }"}, headers={"accept": BROWSER_ACCEPT}
        )
        assert query.json() == {"data": {"hello": "Hello World"}}
        refused = await client.get(BASE, headers={"accept": "text/html;q=0, application/json"})
        assert refused.headers["content-type"] == "application/json"


async def test_the_page_files_are_served_and_nothing_else() -> None:
    async with serve(CopilotRuntime(model="demo")) as client:
        for name in (*PAGE_FILES, "playground.css"):
            served = await client.get(f"{BASE}/playground/{name}")
            assert served.status_code == 200, name
            assert served.content == (ROOT / "app" / "playground" / name).read_bytes()
            assert served.headers["content-type"].startswith(("text/javascript", "text/css"))
        for name in ("index.html", "__init__.py", "..%2F__init__.py", "missing.js"):
            missing = await client.get(f"{BASE}/playground/{name}")
            assert missing.status_code == 404, name
            assert missing.headers["content-type"] == "application/json"


def test_the_scripts_load_only_files_of_their_own() -> None:
    # Nothing from elsewhere: every import is one of the shipped files.
    for name in PAGE_FILES:
        source = (ROOT / "app" / "playground" / name).read_text()
        for imported in re.findall(r'from "([^"]+)"', source):
            assert imported.removeprefix("./") in PAGE_FILES, (name, imported)
        assert "http://" not in source, name
        assert "https://" not in source, name


@pytest.mark.parametrize("switch", [{"playground": False}, {"rest_routes": False}])
async def test_no_page_when_turned_off_or_without_the_rest_routes(switch: dict[str, bool]) -> None:
    async with serve(CopilotRuntime(model="demo"), **switch) as client:
        page = await client.get(BASE, headers={"accept": BROWSER_ACCEPT})
        assert page.headers["content-type"] == "application/json"
        asset = await client.get(f"{BASE}/playground/main.js")
        assert asset.status_code == 404


def test_the_switch_is_an_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPILOT_PLAYGROUND", "false")
    assert settings().playground is False


async def test_an_embedding_app_serves_the_page_at_its_path() -> None:
    host = FastAPI()

    @host.get("/")
    async def home() -> dict[str, str]:
        return {"app": "mine"}

    add_copilotkit_endpoint(host, CopilotRuntime(model="demo"), "/copilot", settings=settings())
    async with host.router.lifespan_context(host):
        transport = httpx.ASGITransport(app=host)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            page = await client.get("/copilot", headers={"accept": BROWSER_ACCEPT})
            assert '<base href="copilot/">' in page.text
            assert (await client.get("/copilot/playground/main.js")).status_code == 200
            home_page = await client.get("/", headers={"accept": BROWSER_ACCEPT})
            assert home_page.json() == {"app": "mine"}


def test_the_wheel_ships_the_page(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    [wheel] = tmp_path.glob("copilot_runtime-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("index.html", "playground.css", *PAGE_FILES):
        assert f"copilot_runtime/app/playground/{name}" in names
