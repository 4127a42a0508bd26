"""`copilot-runtime serve` as a real process: what it says when it starts, what it refuses,
and --reload."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ROOT, LiveServer, free_port, start_server

VERSIONED_ACTIONS = '''
from copilot_runtime.actions import action


@action
def projectVersion() -> str:
    """Tell the projectVersion of this project."""
    return "{version}"


actions = [projectVersion]
'''


def serve_command(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    """`copilot-runtime serve ARGS` run to its end (for the runs that are refused)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "-m", "copilot_runtime.app.cli", "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
        env=environment,
    )


def test_a_port_in_use_is_one_line_and_a_failed_exit(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = serve_command("--port", str(port), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"copilot-runtime: cannot listen on 127.0.0.1:{port}: the port is in use by another "
        "program (choose one with --port)"
    ]
    assert done.stdout == ""


def test_a_database_that_does_not_answer_is_one_line_and_a_failed_exit(tmp_path: Path) -> None:
    closed = free_port()  # nothing listens there
    url = f"postgresql://copilot:hunter2@127.0.0.1:{closed}/threads"
    done = serve_command("--port", str(free_port()), cwd=tmp_path, DATABASE_URL=url)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith(
        f"copilot-runtime: cannot reach the PostgreSQL database copilot@127.0.0.1:{closed}/threads "
        "(DATABASE_URL): "
    )
    assert "refused" in line
    assert "hunter2" not in line


def test_a_bad_value_exits_with_one_line(tmp_path: Path) -> None:
    done = serve_command("--workers", "0", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "copilot-runtime: --workers (COPILOT_WORKERS): Input should be greater than or equal "
        "to 1 (got '0')"
    ]


def test_version_and_help_exit_well() -> None:
    version = subprocess.run(
        [sys.executable, "-m", "copilot_runtime.app.cli", "--version"],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert version.returncode == 0
    assert version.stdout.startswith("copilot-runtime ")


@pytest.fixture
def json_logged_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(tmp_path, COPILOT_LOG_FORMAT="json")
    yield server
    server.process.terminate()
    server.process.wait(timeout=20)


def test_the_banner_says_what_is_served_and_its_command_runs(
    json_logged_server: LiveServer, tmp_path: Path
) -> None:
    server = json_logged_server
    [banner] = [line["banner"] for line in log_lines(server) if "banner" in line]
    assert banner["url"] == server.url
    assert banner["model"] == "offline demo model"
    assert banner["actions"] == (
        "tests.e2e.served_actions:actions, a generator: 4 actions for an empty request context"
    )
    assert banner["threads"] == f"SQLite file {tmp_path / 'threads.sqlite'}"
    # The curl line, as a shell would run it.
    words = shlex.split(banner["try_it"])
    assert words[:2] == ["curl", "-N"]
    url, body = words[2], json.loads(words[words.index("-d") + 1])
    response = httpx.post(url, json=body, timeout=30)
    frames = [json.loads(line[6:]) for line in response.text.splitlines() if line[:6] == "data: "]
    assert frames[-1]["type"] == "RUN_FINISHED"

    server.process.terminate()
    server.process.wait(timeout=20)
    lines = log_lines(server)
    [run] = [line["run"] for line in lines if "run" in line]
    assert (run["run_id"], run["thread_id"], run["protocol"]) == ("run-1", "try-it", "rest")
    assert run["outcome"] == "finished"
    loggers = {line["logger"] for line in lines}
    assert {"copilot_runtime", "copilot_runtime.runs", "uvicorn.error", "uvicorn.access"} <= loggers


def log_lines(server: LiveServer) -> list[dict[str, Any]]:
    """Every line the server wrote, each one JSON object (stdout and stderr alike)."""
    return [json.loads(line) for line in server.log.read_text().splitlines()]


def test_text_logs_of_server_and_uvicorn_share_one_format(live_server: LiveServer) -> None:
    lines = [line for line in live_server.log.read_text().splitlines() if not line[:1].isspace()]
    assert lines
    for line in lines:
        date, clock, level, logger = line.split(" ")[:4]
        assert (len(date), len(clock), level) == (10, 12, level.upper()), line
        assert logger.endswith(":"), line
    assert any(" uvicorn.error: " in line for line in lines)
    assert any(" copilot_runtime: copilot-runtime serving " in line for line in lines)


def test_reload_serves_the_changed_actions_module(tmp_path: Path) -> None:
    actions = tmp_path / "project_actions.py"
    actions.write_text(VERSIONED_ACTIONS.format(version="first"))
    port = free_port()
    log = (tmp_path / "reload.log").open("wb")
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment.pop("OPENAI_API_KEY", None)
    command = [
        sys.executable, "-m", "copilot_runtime.app.cli", "serve", "--reload", "--port",
        str(port), "--actions", "project_actions:actions", "--model", "demo",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=tmp_path, env=environment, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}/api/copilotkit/agent/default/run"
    try:
        assert _version_served(url, process, tmp_path) == "first"
        actions.write_text(VERSIONED_ACTIONS.format(version="second"))
        deadline = time.monotonic() + 60
        while (served := _version_served(url, process, tmp_path)) != "second":
            assert time.monotonic() < deadline, (served, (tmp_path / "reload.log").read_text())
            time.sleep(0.5)
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert "Reloading" in (tmp_path / "reload.log").read_text()


def _version_served(url: str, process: subprocess.Popen[bytes], tmp_path: Path) -> str | None:
    """What projectVersion answers, waiting for the server to be up (None while it is not)."""
    body = {
        "threadId": f"t-{time.monotonic_ns()}", "runId": "r1", "state": {}, "tools": [],
        "context": [], "forwardedProps": {},
        "messages": [{"id": "u1", "role": "user", "content": "What is the projectVersion?"}],
    }  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, (tmp_path / "reload.log").read_text()
        try:
            response = httpx.post(url, json=body, timeout=10)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, (tmp_path / "reload.log").read_text()
            time.sleep(0.2)
    frames = [json.loads(line[6:]) for line in response.text.splitlines() if line[:6] == "data: "]
    results = [frame["content"] for frame in frames if frame["type"] == "TOOL_CALL_RESULT"]
    return str(results[0]) if results else None
