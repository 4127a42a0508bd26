"""`serve --workers N`: every worker accepts connections from a socket of its own."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.workers import SPREADS_CONNECTIONS, WorkerSocket, bind_worker_socket

ROOT = Path(__file__).resolve().parents[2]
BASE = "/api/copilotkit"
LISTEN, ESTABLISHED = "0A", "01"  # TCP states as /proc/net/tcp writes them

pytestmark = pytest.mark.skipif(not SPREADS_CONNECTIONS, reason="SO_REUSEPORT spreads on Linux")


def sent_to_a_worker(sock: socket.socket) -> socket.socket:
    """The socket a spawned worker receives: uvicorn pickles its sockets for its workers."""
    received = ForkingPickler.loads(bytes(ForkingPickler.dumps(sock)))
    assert isinstance(received, socket.socket)
    return received


def accepted(listener: socket.socket) -> int:
    listener.setblocking(False)
    count = 0
    while True:
        try:
            connection, _ = listener.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


def test_each_worker_gets_a_socket_of_its_own_and_the_kernel_spreads_connections() -> None:
    parent = bind_worker_socket(socket.AF_INET, "127.0.0.1", 0)
    first, second = sent_to_a_worker(parent), sent_to_a_worker(parent)
    clients: list[socket.socket] = []
    try:
        assert isinstance(first, WorkerSocket)
        assert len({parent.fileno(), first.fileno(), second.fileno()}) == 3  # not duplicates
        assert first.getsockname() == second.getsockname() == parent.getsockname()
        first.listen(64)
        second.listen(64)
        for _ in range(32):
            clients.append(socket.create_connection(parent.getsockname(), timeout=5))
        time.sleep(0.2)
        counts = accepted(first), accepted(second)
        # Every connection reaches a listening worker socket (none waits on the parent's,
        # which only holds the port), and both workers get some: a shared socket would
        # leave that to whichever worker woke first.
        assert sum(counts) == 32
        assert min(counts) > 0
    finally:
        for sock in (parent, first, second, *clients):
            sock.close()


def test_a_port_in_use_is_refused() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError, match="in use"):
            bind_worker_socket(socket.AF_INET, "127.0.0.1", taken.getsockname()[1])


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environ = {**os.environ, "COPILOT_THREADS_PATH": str(tmp_path / "threads.sqlite")}
    environ.pop("OPENAI_API_KEY", None)
    command = [
        sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2",
        "--model", "demo",
    ]  # fmt: skip
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while len(_sockets_by_worker(process.pid, port, LISTEN)) < 2 or not _answers(port):
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail((tmp_path / "server.log").read_text())
            time.sleep(0.2)
        yield port, process
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_served_connections_are_spread_over_the_workers(
    two_workers: tuple[int, subprocess.Popen[bytes]],
) -> None:
    port, process = two_workers
    # 32 connections held open at once, as a browser or a proxy's pool holds them.
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(32)]
    try:
        deadline = time.monotonic() + 10
        while sum((held := _sockets_by_worker(process.pid, port, ESTABLISHED)).values()) < 32:
            assert time.monotonic() < deadline, held
            time.sleep(0.1)
        assert len(held) == 2, held  # both workers hold some of them
    finally:
        for sock in clients:
            sock.close()
    # And the workers serve runs (threads live in the shared SQLite file).
    body: dict[str, Any] = {
        "threadId": "t-workers", "runId": "r-1", "state": {}, "tools": [], "context": [],
        "forwardedProps": {}, "messages": [{"id": "u1", "role": "user", "content": "hi"}],
    }  # fmt: skip
    for run in range(4):
        body["runId"] = f"r-{run}"
        response = httpx.post(f"http://127.0.0.1:{port}{BASE}/agent/default/run", json=body)
        frames = [line[6:] for line in response.text.splitlines() if line.startswith("data:")]
        assert json.loads(frames[-1])["type"] == "RUN_FINISHED"


def _answers(port: int) -> bool:
    try:
        return httpx.post(f"http://127.0.0.1:{port}{BASE}", json={"method": "info"}).is_success
    except httpx.TransportError:
        return False


def _workers(parent: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True)
    workers = []
    for pid in map(int, found.stdout.split()):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"multiprocessing.resource_tracker" not in cmdline:
            workers.append(pid)
    return workers


def _sockets_by_worker(parent: int, port: int, state: str) -> dict[int, int]:
    """How many sockets on `port` in `state` each worker process holds (workers holding one)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == state:
            inodes.add(fields[9])
    held = {}
    for pid in _workers(parent):
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
