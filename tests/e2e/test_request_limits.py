"""Request limits against a real uvicorn server: what a client over the network sees."""

from __future__ import annotations

import json
import socket

from tests.e2e.conftest import BASE, LiveServer


def test_a_real_server_answers_413_without_waiting_for_the_rest(live_server: LiveServer) -> None:
    host, port = live_server.url.split("//")[1].split("/")[0].split(":")
    path = f"{BASE}/agent/default/run"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {200 * 1024 * 1024}\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head.encode() + b"[" * 1024)  # 200 MiB announced, 1 KiB sent
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            data = sock.recv(65536)
            if not data:
                break
            reply += data
    status_line, _, rest = reply.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
    assert json.loads(rest.split(b"\r\n\r\n", 1)[1])["error"] == "body_too_large"
