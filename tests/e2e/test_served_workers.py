"""`copilot-runtime serve --workers 2` as a real process: connections spread over the workers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from copilot_runtime.app.workers import SPREADS_CONNECTIONS
from tests.e2e.conftest import LiveServer, start_server

LISTEN, ESTABLISHED = "0A", "01"  # TCP states as /proc/net/tcp writes them

pytestmark = pytest.mark.skipif(not SPREADS_CONNECTIONS, reason="SO_REUSEPORT spreads on Linux")


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(tmp_path, COPILOT_WORKERS="2")
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
