"""A fake OpenAI-compatible server speaking real HTTP on loopback, for tests and benchmarks.

It answers `POST /v1/chat/completions` and `POST /v1/responses`, streamed (SSE, exactly as
OpenAI frames them) or not, with a scripted reply per request and a default reply otherwise:

    with serve_in_thread(default=Text(tokens=5)) as server:      # from pytest
        server.script(Failure(status=429), ToolCalls(calls=(call("lookup", {"id": 7}),)))
        ChatOpenAI(base_url=server.base_url, api_key="fake", ...)
        server.requests                                           # what it received

    async with FakeOpenAIServer() as server: ...                 # in the test's own loop

    python -m copilot_runtime.testing.fake_openai --port 8100 --tokens 50 --delay-ms 20

A standalone server is scripted over HTTP: `POST /fake/script` with a JSON list of replies
(`{"kind": "text" | "tool_calls" | "failure", ...}` with the fields of the reply classes in
`replies.py`), `GET /fake/requests`, `POST /fake/reset`. The wire formats are in `wire.py`,
the HTTP plumbing in `http1.py`.

Only the standard library is used (the standalone server runs on uvloop when it is installed),
and the HTTP/1.1 loop is hand-written (keep-alive, chunked bodies both ways): the server must
stay cheap enough that 500 concurrent streams measure the runtime, not the fake. Accepted
sockets get TCP_NODELAY and the listener a large backlog; without them small SSE writes wait
for delayed ACKs (40 ms stalls) and bursts of connections are refused, which distorts any
benchmark run against it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from copilot_runtime.testing.fake_openai.http1 import (
    HttpRequest,
    read_request,
    send_json,
    send_stream,
)
from copilot_runtime.testing.fake_openai.replies import (
    Failure,
    Reply,
    Text,
    TokenGate,
    ToolCalls,
    call,
    reply_from_json,
    turn_for,
)
from copilot_runtime.testing.fake_openai.wire import (
    ChatStream,
    JsonObject,
    ResponsesStream,
    Step,
    ToolCall,
    Turn,
    Usage,
    chat_completion,
    error_body,
    response_object,
)

__all__ = [
    "Failure",
    "FakeOpenAIServer",
    "RecordedRequest",
    "Reply",
    "Text",
    "TokenGate",
    "ToolCall",
    "ToolCalls",
    "call",
    "reply_from_json",
    "serve_in_thread",
]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the fake server received it, and what it answered."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    reply: str
    """The kind of reply: "text", "tool_calls", "failure" or "none" (not a model request)."""
    usage: Usage | None = None
    """The token counts the answer reported."""

    def as_json(self) -> JsonObject:
        data = asdict(self)
        data["usage"] = asdict(self.usage) if self.usage else None
        return data


class FakeOpenAIServer:
    """The server; start it inside a running loop, or use `serve_in_thread`."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        default: Reply | None = None,
        model: str | None = None,
        max_recorded: int | None = None,
        backlog: int = 4096,
    ) -> None:
        """Listen on `host:port` (0 picks a free port) once started.

        Args:
            host: The interface; keep it on loopback.
            port: The port, or 0 for any free one.
            default: The reply when nothing is scripted; 8 words by default.
            model: The model name answers carry; None echoes the request's.
            max_recorded: Keep only the last N requests (None keeps all, for tests).
            backlog: The listen backlog.
        """
        self.host, self.port, self.backlog = host, port, backlog
        self.path_prefix = ""
        """Put before /v1 in `base_url`; the routes match any prefix."""
        self.default: Reply = default or Text()
        self.model = model
        self._script: deque[Reply] = deque()
        self._recorded: deque[RecordedRequest] = deque(maxlen=max_recorded)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        """What to give a client as its OpenAI base URL."""
        return f"http://{self.host}:{self.port}{self.path_prefix}/v1"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, one each, then with the default."""
        with self._lock:
            self._script.extend(replies)

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self._script)

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests received so far, oldest first."""
        with self._lock:
            return list(self._recorded)

    def model_requests(self) -> list[RecordedRequest]:
        """Only the chat-completion and Responses API requests."""
        return [r for r in self.requests if r.reply != "none"]

    def reset(self) -> None:
        """Forget the script and the recorded requests."""
        with self._lock:
            self._script.clear()
            self._recorded.clear()

    async def start(self) -> None:
        """Listen; `port` holds the real port afterwards."""
        self._server = await asyncio.start_server(
            self._connection, self.host, self.port, backlog=self.backlog, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def __aenter__(self) -> FakeOpenAIServer:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        """Stop listening and drop open connections."""
        if self._server is None:
            return
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    def _record(self, request: HttpRequest, body: Any, reply: str, usage: Usage | None) -> None:
        recorded = RecordedRequest(
            request.method, request.path, request.headers, body, reply, usage
        )
        with self._lock:
            self._recorded.append(recorded)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while (request := await read_request(reader)) is not None:
                await self._respond(request, writer)
                if not request.keep_alive:
                    break
        except (
            ConnectionError,
            ValueError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
        ):
            pass  # the client went away or sent garbage; nothing to answer
        except asyncio.CancelledError:
            # stop() cancels open connections. Ending normally matters: on Python 3.11 the
            # stream's done-callback calls task.exception(), which logs a cancelled task as an
            # error.
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _respond(self, request: HttpRequest, writer: asyncio.StreamWriter) -> None:
        path = request.path.split("?")[0].rstrip("/")
        if request.method == "POST" and path.endswith(("/chat/completions", "/responses")):
            await self._model_request(request, path.endswith("/responses"), writer)
        elif path.startswith("/fake/"):
            await self._control(request, path, writer)
        elif request.method == "GET" and path.endswith("/models"):
            models = {
                "object": "list",
                "data": [{"id": self.model or "gpt-fake", "object": "model"}],
            }
            await send_json(writer, 200, models)
        else:
            self._record(request, None, "none", None)
            await send_json(writer, 404, error_body(404, f"No route {request.method} {path}"))

    async def _control(self, request: HttpRequest, path: str, writer: asyncio.StreamWriter) -> None:
        if path == "/fake/script" and request.method == "POST":
            replies = [reply_from_json(item) for item in json.loads(request.raw or b"[]")]
            self.script(*replies)
            await send_json(writer, 200, {"pending": self.pending})
        elif path == "/fake/requests":
            await send_json(writer, 200, [r.as_json() for r in self.requests])
        elif path == "/fake/reset" and request.method == "POST":
            self.reset()
            await send_json(writer, 200, {"pending": 0})
        else:
            await send_json(writer, 404, error_body(404, f"No route {request.method} {path}"))

    async def _model_request(
        self, request: HttpRequest, is_responses: bool, writer: asyncio.StreamWriter
    ) -> None:
        try:
            body = json.loads(request.raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            self._record(request, None, "none", None)
            await send_json(writer, 400, error_body(400, "The body is not valid JSON."))
            return
        reply = self._next_reply()
        if isinstance(reply, Failure):
            self._record(request, body, "failure", None)
            await send_failure(writer, reply)
            return
        turn = turn_for(reply)
        usage = Usage(input_tokens=max(1, len(request.raw) // 4), output_tokens=turn.output_tokens)
        self._record(request, body, "text" if isinstance(reply, Text) else "tool_calls", usage)
        answer = Answer(
            answer_id=f"{next(self._ids):06d}",
            created=int(time.time()),
            model=self.model or str(body.get("model") or "gpt-fake"),
            turn=turn,
            usage=usage,
            body=body,
        )
        if body.get("stream"):
            frames = answer.responses_frames() if is_responses else answer.chat_frames()
            await send_stream(writer, paced(frames, reply))
        else:
            await pace_whole(turn, reply)
            await send_json(writer, 200, answer.responses_body() if is_responses else answer.chat())


@dataclass(frozen=True, slots=True)
class Answer:
    """One model answer, ready to render for either API."""

    answer_id: str
    created: int
    model: str
    turn: Turn
    usage: Usage
    body: JsonObject

    def chat(self) -> JsonObject:
        return chat_completion(
            f"chatcmpl-fake{self.answer_id}", self.created, self.model, self.turn, self.usage
        )

    def responses_body(self) -> JsonObject:
        return response_object(
            f"resp_fake{self.answer_id}", self.created, self.model, self.turn, self.body, self.usage
        )

    def chat_frames(self) -> Iterator[tuple[Step | None, list[bytes]]]:
        options = self.body.get("stream_options") or {}
        stream = ChatStream(
            completion_id=f"chatcmpl-fake{self.answer_id}",
            created=self.created,
            model=self.model,
            include_usage=bool(options.get("include_usage")),
            turn=self.turn,
        )
        yield None, stream.head()
        for step in self.turn.steps():
            yield step, [stream.step(step)]
        yield None, stream.tail(self.usage)

    def responses_frames(self) -> Iterator[tuple[Step | None, list[bytes]]]:
        stream = ResponsesStream(
            f"resp_fake{self.answer_id}", self.created, self.model, self.turn, self.body
        )
        yield None, stream.head()
        for step in self.turn.steps():
            yield step, stream.step(step)
        yield None, stream.tail(self.usage)


async def paced(
    frames: Iterator[tuple[Step | None, list[bytes]]], reply: Text | ToolCalls
) -> AsyncIterator[bytes]:
    """The frames, each model step after its delay (and its gate, when the reply has one)."""
    is_first = True
    steps_left = reply.cut_after if isinstance(reply, Text) else None
    for step, chunk in frames:
        if step is not None:
            if steps_left is not None:
                if steps_left == 0:
                    raise ConnectionAbortedError("the fake model drops the connection")
                steps_left -= 1
            delay = reply.first_delay_ms if is_first else reply.delay_ms
            is_first = False
            if delay:
                await asyncio.sleep(delay / 1000)
            if reply.gate is not None:
                await reply.gate.wait()
        yield b"".join(chunk)


async def pace_whole(turn: Turn, reply: Text | ToolCalls) -> None:
    """A non-streamed answer takes as long as its stream would have."""
    steps = len(turn.steps())
    total = reply.first_delay_ms + reply.delay_ms * max(steps - 1, 0)
    if total:
        await asyncio.sleep(total / 1000)
    if reply.gate is not None:
        for _ in range(steps):
            await reply.gate.wait()


async def send_failure(writer: asyncio.StreamWriter, failure: Failure) -> None:
    headers = {}
    if failure.retry_after_ms is not None:
        headers["retry-after-ms"] = str(failure.retry_after_ms)
    await send_json(writer, failure.status, error_body(failure.status, failure.message), headers)


# -- running it -------------------------------------------------------------------------------


@contextlib.contextmanager
def serve_in_thread(**options: Any) -> Iterator[FakeOpenAIServer]:
    """A started server whose event loop runs in a daemon thread (for sync or async tests)."""
    server = FakeOpenAIServer(**options)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-openai", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=10)
        yield server
    finally:
        with contextlib.suppress(RuntimeError):
            asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


async def serve_forever(server: FakeOpenAIServer) -> None:
    await server.start()
    print(f"fake OpenAI server listening on {server.base_url}", flush=True)  # noqa: T201
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m copilot_runtime.testing.fake_openai", description=__doc__
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed)")
    parser.add_argument("--tokens", type=int, default=8, help="words in each default answer")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="pause between tokens")
    parser.add_argument("--first-delay-ms", type=float, default=0.0, help="pause before the first")
    parser.add_argument("--model", default=None, help="model name in answers (default: echoed)")
    parser.add_argument("--record", type=int, default=1000, help="requests kept for /fake/requests")
    args = parser.parse_args(argv)
    server = FakeOpenAIServer(
        host=args.host,
        port=args.port,
        default=Text(
            tokens=args.tokens, delay_ms=args.delay_ms, first_delay_ms=args.first_delay_ms
        ),
        model=args.model,
        max_recorded=args.record,
    )
    try:
        import uvloop  # the cheapest event loop, when installed: the fake must cost little

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    with contextlib.suppress(KeyboardInterrupt):
        runner(serve_forever(server))
