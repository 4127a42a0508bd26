"""The checks `serve` makes before it starts: the thread store can be reached, the port is free.

Each failure is a StartupError whose message is one line for the person starting the server,
rather than a traceback from deep inside the first request or the app's start-up.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from urllib.parse import urlsplit

from copilot_runtime.app.settings import MEMORY, Settings
from copilot_runtime.app.workers import SPREADS_CONNECTIONS, bind_worker_socket

DATABASE_TIMEOUT_SECONDS = 5


class StartupError(Exception):
    """The server cannot start; the message says why, in one line."""


def check_thread_store(settings: Settings) -> None:
    """Connect once to the PostgreSQL database, or make the SQLite file's folder."""
    if settings.database_url:
        _check_postgres(settings.database_url)
    elif settings.threads_path != MEMORY:
        folder = Path(settings.threads_path).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StartupError(
                f"cannot create {folder} for the thread file (--threads-path, "
                f"COPILOT_THREADS_PATH): {error.strerror}"
            ) from None


def _check_postgres(url: str) -> None:
    import psycopg  # here: the workers' supervisor never imports it

    try:
        with psycopg.connect(url, connect_timeout=DATABASE_TIMEOUT_SECONDS):
            pass
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise StartupError(
            f"cannot reach the PostgreSQL database {database_label(url)} (DATABASE_URL): {reason}"
        ) from None


def database_label(url: str) -> str:
    """host:port/database of a PostgreSQL URL, without the user's password."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or 5432
    user = f"{parts.username}@" if parts.username else ""
    return f"{user}{host}:{port}{parts.path or '/'}"


def open_listener(host: str, port: int, *, for_workers: bool) -> socket.socket:
    """The bound socket the server will accept connections from (listening starts later).

    For workers on Linux it is a WorkerSocket, which each worker re-binds (app/workers.py).
    """
    try:
        if for_workers and SPREADS_CONNECTIONS:
            return bind_worker_socket(_family(host), host, port)
        sock = socket.socket(_family(host), socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
        except BaseException:
            sock.close()
            raise
        return sock
    except OSError as error:
        raise StartupError(_listen_problem(host, port, error)) from None


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _listen_problem(host: str, port: int, error: OSError) -> str:
    where = f"cannot listen on {host}:{port}"
    if error.errno == errno.EADDRINUSE:
        return f"{where}: the port is in use by another program (choose one with --port)"
    if error.errno == errno.EACCES:
        return f"{where}: permission denied (ports below 1024 need privileges; try --port 8000)"
    if isinstance(error, socket.gaierror) or error.errno == errno.EADDRNOTAVAIL:
        return f"{where}: no such address on this machine (check --host)"
    return f"{where}: {error.strerror or error}"
