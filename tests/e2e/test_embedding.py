"""The runtime inside a user's own FastAPI app, served by a real uvicorn on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from copilot_runtime import CopilotRuntime, add_copilotkit_endpoint, create_app
from tests.e2e.conftest import ROOT, free_port
from tests.e2e.host_app import BASE


@dataclass(frozen=True)
class HostServer:
    app: str  # its name in tests/e2e/host_app.py
    url: str  # the host app's root
    threads: Path  # the runtime's SQLite file
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture
def host(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HostServer]:
    """`uvicorn tests.e2e.host_app:<param>`, as a user would serve their app."""
    port = free_port()
    threads = tmp_path / "threads.sqlite"
    environ = {**os.environ, "COPILOT_THREADS_PATH": str(threads), "PYTHONPATH": str(ROOT)}
    environ.pop("OPENAI_API_KEY", None)
    log = tmp_path / "host.log"
    command = [
        sys.executable, "-m", "uvicorn", f"tests.e2e.host_app:{request.param}",
        "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environ, stdout=output, stderr=subprocess.STDOUT
        )
    server = HostServer(request.param, f"http://127.0.0.1:{port}", threads, process, log)
    try:
        _wait_until_up(server)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_until_up(server: HostServer) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{server.url}/health", timeout=1)
            return
        except httpx.TransportError:
            assert server.process.poll() is None, server.log.read_text()
            time.sleep(0.1)
    raise AssertionError(f"the host app did not start: {server.log.read_text()}")


def run_body(thread_id: str, text: str) -> dict[str, Any]:
    return {
        "threadId": thread_id, "runId": "r-embedded", "state": {}, "tools": [], "context": [],
        "forwardedProps": {}, "messages": [{"id": "u1", "role": "user", "content": text}],
    }  # fmt: skip


def sse_data(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    lines = response.text.splitlines()
    return [json.loads(line[6:]) for line in lines if line.startswith("data: ")]


@pytest.mark.parametrize("host", ["lifespan_app", "startup_app"], indirect=True)
def test_embedded_runtime_keeps_threads_beside_the_host_routes(host: HostServer) -> None:
    runtime = f"{host.url}{BASE}"
    ran = sse_data(
        httpx.post(
            f"{runtime}/agent/default/run",
            json=run_body("t-host", "What is the name of user 42?"),
            timeout=30,
        )
    )
    assert ran[-1]["type"] == "RUN_FINISHED"
    results = [event["content"] for event in ran if event["type"] == "TOOL_CALL_RESULT"]
    assert [json.loads(result) for result in results] == [{"name": "Darth Doe"}]

    connected = sse_data(
        httpx.post(f"{runtime}/agent/default/connect", json=run_body("t-host", ""), timeout=10)
    )
    snapshot = next(event for event in connected if event["type"] == "MESSAGES_SNAPSHOT")
    roles = [message["role"] for message in snapshot["messages"]]
    assert roles == ["user", "assistant", "tool", "assistant"]

    listed = httpx.get(f"{runtime}/threads", params={"agentId": "default"}, timeout=10).json()
    assert [thread["id"] for thread in listed["threads"]] == ["t-host"]
    stored = httpx.get(f"{runtime}/threads/t-host/messages", params={"agentId": "default"})
    assert stored.json()["messages"] == snapshot["messages"]
    assert host.threads.is_file()

    # The host's own routes, lifespan and error handling are as the host set them up.
    started_by = {"lifespan_app": "lifespan", "startup_app": "on_startup"}[host.app]
    assert httpx.get(f"{host.url}/health").json() == {"started_by": started_by}
    boom = httpx.get(f"{host.url}/boom")
    assert (boom.status_code, boom.json()) == (418, {"host_error": "host failure"})
    missing = httpx.get(f"{host.url}/no-such-page")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found"})
    # The runtime's own errors keep the runtime's JSON shape.
    unknown = httpx.post(f"{runtime}/agent/nobody/run", json=run_body("t-host", "hi"))
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "Agent not found"


@pytest.mark.parametrize("host", ["mounted_app"], indirect=True)
def test_mounted_app_answers_that_the_runtime_has_not_started(host: HostServer) -> None:
    answer = httpx.post(
        f"{host.url}/copilot{BASE}/agent/default/run", json=run_body("t-mounted", "hi")
    )
    assert answer.status_code == 503
    assert answer.json()["error"] == "not_started"
    assert "add_copilotkit_endpoint(app, runtime)" in answer.json()["message"]
    assert not host.threads.exists()
    assert httpx.get(f"{host.url}/health").json() == {"started_by": "lifespan"}


def test_a_runtime_serves_one_endpoint() -> None:
    runtime = CopilotRuntime(model="demo")
    add_copilotkit_endpoint(FastAPI(), runtime, "/one")
    with pytest.raises(RuntimeError, match="already serves another endpoint"):
        add_copilotkit_endpoint(FastAPI(), runtime, "/two")
    with pytest.raises(RuntimeError, match="already serves another endpoint"):
        create_app(runtime)
