"""A real uvicorn server on loopback, and the published clients driven from Node."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / "tests" / "node"
BASE = "/api/copilotkit"


@dataclass(frozen=True)
class LiveServer:
    url: str  # the runtime URL, base path included
    process: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(tmp: Path, *, model: str = "demo", **env: str) -> LiveServer:
    """The runtime in its own process; `env` adds variables (a real key is never inherited)."""
    port = free_port()
    environ = {
        **os.environ,
        "COPILOT_THREADS_PATH": str(tmp / "threads.sqlite"),
        "COPILOT_KEEPALIVE_SECONDS": "1",
        "PYTHONPATH": str(ROOT),
    }
    environ.pop("OPENAI_API_KEY", None)
    environ.pop("OPENAI_BASE_URL", None)
    environ.update(env)
    command = [
        sys.executable, "-m", "copilot_runtime.app.cli", "serve", "--port", str(port),
        "--actions", "tests.e2e.served_actions:actions", "--model", model,
    ]  # fmt: skip
    log = (tmp / f"server-{port}.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}{BASE}"
    deadline = time.monotonic() + 90  # a loaded 2-core machine takes ~30 s for two workers
    while time.monotonic() < deadline:
        try:
            if httpx.post(url, json={"method": "info"}, timeout=1).status_code == 200:
                return LiveServer(url, process, tmp / f"server-{port}.log")
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not start: {(tmp / f'server-{port}.log').read_text()}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("live"))
    yield server
    server.process.terminate()
    server.process.wait(timeout=10)


@pytest.fixture(scope="session")
def single_route_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("single"), COPILOT_REST_ROUTES="false")
    yield server
    server.process.terminate()
    server.process.wait(timeout=10)


def run_node(script: str, url: str, scenario: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """Run a driver in tests/node; they need `npm ci --prefix tests/node` (never skipped)."""
    if not (NODE_DIR / "node_modules").is_dir():
        pytest.fail("run `npm ci --prefix tests/node` first: the client conformance tests need it")
    scenario_file = tmp_path / f"{script}.json"
    scenario_file.write_text(json.dumps(scenario))
    done = subprocess.run(
        ["node", str(NODE_DIR / script), url, str(scenario_file)],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stderr[-4000:]}"
    result: dict[str, Any] = json.loads(done.stdout)
    return result
