"""Worker sockets: each worker of `serve --workers N` gets a listening socket of its own.

The served processes themselves: tests/e2e/test_served_workers.py."""

from __future__ import annotations

import socket
import time
from multiprocessing.reduction import ForkingPickler

import pytest

from copilot_runtime.app.workers import SPREADS_CONNECTIONS, WorkerSocket, bind_worker_socket

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
