"""serve_workers: several server processes on one port, each accepting from its own socket.

uvicorn's `--workers` hands every worker the same listening socket, and the worker that wakes
first accepts every connection waiting (uvloop and asyncio accept in a loop until the queue is
empty). Clients that keep their connections open (a browser, a Node runtime embedding us, a
load balancer's pool) then stay with that worker while the others idle: at concurrency 32,
one of two workers served all 640 runs in two runs out of three. Here each worker
binds a socket of its own to the port with SO_REUSEPORT and the kernel spreads new connections
across them. uvicorn's supervisor still starts, watches, restarts and stops the workers.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

# Elsewhere SO_REUSEPORT either does not exist or does not spread connections (macOS hands them
# to one socket), so the shared socket is as good.
SPREADS_CONNECTIONS = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


class WorkerSocket(socket.socket):
    """A socket bound with SO_REUSEPORT that reaches a worker process as a new socket of its own.

    uvicorn sends its workers the listening sockets by pickling them (spawned processes); an
    ordinary socket arrives as a duplicate of the same socket, this one binds a new one to the
    same address, so each worker has its own queue of connections. The parent's socket is only
    bound, never listened on: it holds the port (and resolves port 0) but gets no connections.
    """

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        host, port = self.getsockname()[:2]
        return bind_worker_socket, (self.family, host, port)


def bind_worker_socket(family: int, host: str, port: int) -> WorkerSocket:
    """A WorkerSocket bound to (host, port), not yet listening."""
    sock = WorkerSocket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def serve_workers(app: str, *, workers: int, sock: socket.socket, **options: Any) -> None:
    """Run `workers` processes of the app factory `app` ("module:function") accepting
    connections from `sock`: a bound WorkerSocket where SO_REUSEPORT spreads them, else a
    plain bound socket that the workers share (`app/preflight.py` open_listener)."""
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(app, factory=True, workers=workers, host=host, port=port, **options)
    try:
        Multiprocess(config, sockets=[sock]).run()
    finally:
        sock.close()
