"""`copilot-runtime serve --workers 2` as a real process: connections spread over the workers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from copilot_runtime.app.workers import SPREADS_CONNECTIONS
from tests.e2e.conftest import LiveServer, start_server
from tests.postgres import DATABASE_URL, needs_postgres

LISTEN, ESTABLISHED = "0A", "01"  # TCP states as /proc/net/tcp writes them

pytestmark = pytest.mark.skipif(not SPREADS_CONNECTIONS, reason="SO_REUSEPORT spreads on Linux")


@contextlib.contextmanager
def serving_two_workers(tmp_path: Path, **env: str) -> Iterator[LiveServer]:
    server = start_server(tmp_path, COPILOT_WORKERS="2", **env)
    try:
        # One worker answering is not both listening: wait for the second one's socket.
        deadline = time.monotonic() + 60
        while len(_sockets_by_worker(server, LISTEN)) < 2:
            assert time.monotonic() < deadline, server.log.read_text()
            time.sleep(0.2)
        yield server
    finally:
        server.process.terminate()
        server.process.wait(timeout=20)


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[LiveServer]:
    with serving_two_workers(tmp_path) as server:
        yield server


def test_served_connections_are_spread_over_the_workers(two_workers: LiveServer) -> None:
    address = urlsplit(two_workers.url)
    # 32 connections held open at once, as a browser or a proxy's pool holds them.
    clients = [socket.create_connection((address.hostname, address.port)) for _ in range(32)]
    try:
        deadline = time.monotonic() + 10
        while sum((held := _sockets_by_worker(two_workers, ESTABLISHED)).values()) < 32:
            assert time.monotonic() < deadline, held
            time.sleep(0.1)
        assert len(held) == 2, held  # both workers hold some of them
    finally:
        for client in clients:
            client.close()
    # And the workers serve runs (threads live in the shared SQLite file).
    for run in range(4):
        body = {
            "threadId": "t-workers", "runId": f"r-{run}", "state": {}, "tools": [], "context": [],
            "forwardedProps": {}, "messages": [{"id": "u1", "role": "user", "content": "hi"}],
        }  # fmt: skip
        response = httpx.post(f"{two_workers.url}/agent/default/run", json=body, timeout=10)
        frames = [line[6:] for line in response.text.splitlines() if line.startswith("data:")]
        assert json.loads(frames[-1])["type"] == "RUN_FINISHED"


def _sockets_by_worker(server: LiveServer, state: str) -> dict[int, int]:
    """How many sockets on the server's port in `state` each worker holds (those holding one)."""
    port = urlsplit(server.url).port
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == state:
            inodes.add(fields[9])
    children = subprocess.run(
        ["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True
    ).stdout.split()
    held = {}
    for pid in map(int, children):
        count = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                count += 1
        if count:
            held[pid] = count
    return held


# -- one run per thread and stop, across workers sharing the SQLite file ----------------------

SLOW = "Write a slowReport about cats"  # the demo model calls slowReport: a minute long


def run_body(thread_id: str, text: str, run_id: str) -> dict[str, Any]:
    return {
        "threadId": thread_id, "runId": run_id, "state": {}, "tools": [], "context": [],
        "forwardedProps": {}, "messages": [{"id": f"u-{run_id}", "role": "user", "content": text}],
    }  # fmt: skip


def worker_of(server: LiveServer, client: httpx.Client) -> int:
    """The worker process that serves `client`'s (kept-alive) connection."""
    response = client.get("/info")
    client_port = response.extensions["network_stream"].get_extra_info("client_addr")[1]
    port = urlsplit(server.url).port
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = (int(f.split(":")[1], 16) for f in fields[1:3])
            is_ours = (local, remote, fields[3]) == (port, client_port, ESTABLISHED)
            if is_ours and (pid := _holder(server, fields[9])) is not None:
                return pid
        time.sleep(0.05)
    raise AssertionError("no worker holds the connection")


def _wait_for_exit(pid: int) -> None:
    """Until every thread of `pid` has exited. A killed process's main thread can turn zombie
    while its other threads (the action pool, aiosqlite's) are still exiting, and its files,
    with their locks, close only when the last of them has."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return  # gone
        if tasks == [str(pid)] and "State:\tZ" in status:
            return  # exited: only its parent has still to collect it
        time.sleep(0.02)
    raise AssertionError(f"worker {pid} did not die")


def _holder(server: LiveServer, inode: str) -> int | None:
    children = subprocess.run(
        ["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True
    ).stdout.split()
    for pid in map(int, children):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
    return None


@contextlib.contextmanager
def clients_of_both_workers(server: LiveServer) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Two clients whose connections are served by different workers."""
    by_worker: dict[int, httpx.Client] = {}
    spare: list[httpx.Client] = []
    try:
        for _ in range(64):
            client = httpx.Client(base_url=server.url, timeout=30)
            by_worker.setdefault(worker_of(server, client), client)
            if client not in by_worker.values():
                spare.append(client)
            if len(by_worker) == 2:
                first, second = by_worker.values()
                yield first, second
                return
        raise AssertionError("every connection went to the same worker")
    finally:
        for client in [*by_worker.values(), *spare]:
            client.close()


def events_of(lines: Iterator[str], until: str) -> list[dict[str, Any]]:
    events = []
    for line in lines:
        if line.startswith("data:"):
            events.append(json.loads(line[5:]))
            if events[-1]["type"] == until:
                break
    return events


def test_a_thread_runs_once_across_workers_and_a_stop_reaches_its_worker(
    two_workers: LiveServer,
) -> None:
    with clients_of_both_workers(two_workers) as (first, second):
        with first.stream(
            "POST", "/agent/default/run", json=run_body("t-across", SLOW, "r-slow")
        ) as running:
            lines = running.iter_lines()
            assert events_of(lines, until="TOOL_CALL_END")  # the run is in its minute-long action
            busy = second.post("/agent/default/run", json=run_body("t-across", "hi", "r-2"))
            assert busy.status_code == 409
            assert busy.json()["error"] == "thread_busy"
            stopped = second.post("/agent/default/stop/t-across", json={})
            assert stopped.json()["stopped"] is True
            rest = events_of(lines, until="RUN_FINISHED")  # ended by a stop from the other worker
            assert rest[-1]["type"] == "RUN_FINISHED"
        after = second.post("/agent/default/run", json=run_body("t-across", "hi", "r-3"))
        assert after.status_code == 200, after.text
        messages = second.get("/threads/t-across/messages", params={"agentId": "default"})
        stored = [m["content"] for m in messages.json()["messages"] if m["role"] == "user"]
        assert stored == [SLOW, "hi"]  # both runs' messages: neither overwrote the other


def test_concurrent_runs_on_one_thread_get_one_200_across_workers(two_workers: LiveServer) -> None:
    def run(index: int) -> int:
        with httpx.Client(base_url=two_workers.url, timeout=120) as client:
            body = run_body("t-six", SLOW, f"r-{index}")
            return client.post("/agent/default/run", json=body).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        runs = [pool.submit(run, index) for index in range(6)]
        deadline = time.monotonic() + 60
        while len([r for r in runs if r.done()]) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        statuses = sorted(r.result() for r in runs if r.done())
        httpx.post(f"{two_workers.url}/agent/default/stop/t-six", json={}, timeout=10)
        httpx.post(f"{two_workers.url}/agent/default/stop/t-six", json={}, timeout=10)
        finished = [r.result(timeout=60) for r in runs]
    assert statuses == [409] * 5
    assert sorted(finished) == [200] + [409] * 5


def test_a_killed_worker_leaves_no_thread_busy(two_workers: LiveServer) -> None:
    with clients_of_both_workers(two_workers) as (first, second):
        pid = worker_of(two_workers, first)
        with first.stream(
            "POST", "/agent/default/run", json=run_body("t-crash", SLOW, "r-slow")
        ) as running:
            assert events_of(running.iter_lines(), until="TOOL_CALL_END")
            os.kill(pid, signal.SIGKILL)  # the kernel drops the dead worker's lock
            _wait_for_exit(pid)
        after = second.post("/agent/default/run", json=run_body("t-crash", "hi", "r-2"))
        assert after.status_code == 200, after.text


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=needs_postgres)])
def two_workers_on_each_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    env = {"DATABASE_URL": DATABASE_URL} if request.param == "postgres" else {}
    with serving_two_workers(tmp_path, **env) as server:
        yield server


def test_a_connect_on_the_other_worker_follows_the_run_from_its_start_to_its_end(
    two_workers_on_each_store: LiveServer,
) -> None:
    server = two_workers_on_each_store
    thread = f"t-follow-{time.monotonic_ns()}"
    with (
        clients_of_both_workers(server) as (first, second),
        first.stream("POST", "/agent/default/run", json=run_body(thread, SLOW, "r1")) as run,
    ):
        lines = run.iter_lines()
        started = events_of(lines, until="TOOL_CALL_END")  # the run is in its long action
        connect_body = run_body(thread, "", "r-connect") | {"messages": []}
        with second.stream("POST", "/agent/default/connect", json=connect_body) as joined:
            followed = joined.iter_lines()
            replay = events_of(followed, until="RUN_FINISHED")  # the stored thread
            snapshot = next(e for e in replay if e["type"] == "MESSAGES_SNAPSHOT")
            assert [m["content"] for m in snapshot["messages"]] == [SLOW]
            so_far = events_of(followed, until="TOOL_CALL_END")  # relayed from the start
            assert so_far == started
            stopped = second.post(f"/agent/default/stop/{thread}", json={})
            assert stopped.json()["stopped"] is True
            rest = events_of(lines, until="RUN_FINISHED")
            assert events_of(followed, until="RUN_FINISHED") == rest
