"""Load generator: POST a body at a given concurrency and read every SSE stream to its end.

Raw HTTP/1.1 over asyncio protocols on keep-alive connections (one per concurrent client), so
the client stays cheap next to the servers it measures on a small machine. Per request it
records the time to the first response byte, to the first text token, and to the end of the
stream; a request counts as an error unless it answered 200 and its stream ended with the
terminal event the server kind promises (RUN_FINISHED for AG-UI, [DONE] or
response.completed for the OpenAI floor), with no RUN_ERROR and at least one text token.

Run it as its own process (the runner does): `python -m benchmarks.loadgen < spec.json`
prints a JSON report; see `LoadSpec` for the fields of the spec.
"""

from __future__ import annotations

import asyncio
import enum
import json
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from benchmarks.procstat import run_seconds, tree

Kind = Literal["agui", "openai-chat", "openai-responses"]

# What a text token and a proper end look like in each kind of stream (a substring of the frame).
TEXT_MARKERS: dict[str, tuple[bytes, ...]] = {
    "agui": (b'"type":"TEXT_MESSAGE_CONTENT"', b'"type":"TEXT_MESSAGE_CHUNK"'),
    "openai-chat": (b'"content":"',),
    "openai-responses": (b'"type":"response.output_text.delta"',),
}
END_MARKERS: dict[str, bytes] = {
    "agui": b'"type":"RUN_FINISHED"',
    "openai-chat": b"[DONE]",
    "openai-responses": b'"type":"response.completed"',
}
EMPTY_TEXT = (b'"content":""', b'"delta":""')
ERROR_MARKER = b'"type":"RUN_ERROR"'


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadSpec:
    """One load: `requests` POSTs of `body` to `url`, `concurrency` at a time."""

    url: str
    body: dict[str, Any]
    kind: Kind = "agui"
    requests: int = 10
    concurrency: int = 1
    timeout: float = 120.0
    """Seconds one request may take before it counts as an error."""
    ramp: float = 0.0
    """Seconds over which the concurrent clients start, evenly (0: all at once)."""
    fresh_ids: bool = True
    """Give every request its own threadId and runId (AG-UI), so threads never grow."""
    turns: int = 1
    """AG-UI: requests each client makes on one thread before starting another, each re-sending
    the conversation so far (its questions and the answers it read), as AG-UI clients do."""
    server_pid: int = 0
    """When set, each sample holds the CPU the server's processes ran for during the request
    (meaningful at concurrency 1, where nothing else runs on the server meanwhile)."""
    budget: float = 0.0
    """Seconds after the start past which no client sends another request (0: no limit); each
    client still sends its first, and the requests under way run to their end. A slow server
    then serves fewer requests, and the report counts what it served."""


@dataclass(slots=True)
class Sample:
    """One request's timings (seconds from sending it) and what its stream held."""

    ok: bool = False
    error: str = ""
    status: int = 0
    ttfb: float = 0.0
    ttft: float = 0.0
    total: float = 0.0
    frames: int = 0
    text_frames: int = 0
    bytes: int = 0
    turn: int = 0
    """Its place in its conversation (0: the first request on the thread)."""
    server_cpu: float = 0.0
    """Seconds of server CPU during the request (with `LoadSpec.server_pid`)."""


@dataclass(slots=True)
class LoadReport:
    """Every sample, plus the wall time of the whole load."""

    samples: list[Sample] = field(default_factory=list)
    wall: float = 0.0

    @property
    def errors(self) -> int:
        """Requests that failed."""
        return sum(1 for sample in self.samples if not sample.ok)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {"wall": self.wall, "samples": [asdict(sample) for sample in self.samples]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadReport:
        """Read back `to_json`."""
        return cls(samples=[Sample(**item) for item in data["samples"]], wall=data["wall"])


class _State(enum.Enum):
    SIZE = 1
    DATA = 2
    CRLF = 3
    TRAILER = 4


class _Stream(asyncio.Protocol):
    """One keep-alive connection: parses a response head, chunked (or sized) body, SSE frames."""

    def __init__(self, kind: Kind, *, read_answer: bool = False) -> None:
        self.kind = kind
        self.read_answer = read_answer
        self.text_markers = TEXT_MARKERS[kind]
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()
        self.done: asyncio.Future[None] | None = None
        self._reset()

    def _reset(self) -> None:
        self.sample = Sample()
        self.started = time.perf_counter()
        self.head = b""
        self.in_body = False
        self.chunked = False
        self.state = _State.SIZE
        self.remaining = -1  # bytes left in the current chunk or the sized body (-1: unknown)
        self.raw = b""  # chunked bytes not decoded yet
        self.sse = b""  # decoded body not yet split into frames
        self.last_frame = b""
        self.answer: dict[str, str] = {}  # with read_answer: the streamed text by message id

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        if self.done is not None and not self.done.done():
            if self.in_body and not self.chunked and self.remaining < 0:
                self._end_of_body()  # a body delimited by the end of the connection
            else:
                self._finish("connection closed before the end of the response")

    def send(self, request: bytes) -> asyncio.Future[None]:
        """Send one request; the future resolves when its response has been read."""
        assert self.transport is not None
        self.done = asyncio.get_running_loop().create_future()
        self._reset()
        self.transport.write(request)
        return self.done

    def data_received(self, data: bytes) -> None:
        if self.done is None or self.done.done():
            return
        if not self.sample.ttfb:
            self.sample.ttfb = time.perf_counter() - self.started
        self.sample.bytes += len(data)
        if not self.in_body:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            self._read_head(self.head[:end])
            data, self.head = self.head[end + 4 :], b""
            self.in_body = True
        if self.chunked:
            self._dechunk(data)
        else:
            self._body(data)
            if self.remaining == 0:
                self._end_of_body()

    def _read_head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        self.sample.status = int(lines[0].split(b" ", 2)[1])
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"transfer-encoding" and b"chunked" in value.lower():
                self.chunked = True
            elif name == b"content-length":
                self.remaining = int(value.strip())

    def _dechunk(self, data: bytes) -> None:
        raw = self.raw + data if self.raw else data
        position, size = 0, len(raw)
        while position < size:
            if self.state is _State.DATA:
                take = min(self.remaining, size - position)
                self._body(raw[position : position + take])
                position += take
                self.remaining -= take
                if self.remaining == 0:
                    self.state = _State.CRLF
                continue
            end = raw.find(b"\r\n", position)
            if end < 0:
                break
            line, position = raw[position:end], end + 2
            if self.state is _State.CRLF:
                self.state = _State.SIZE
            elif self.state is _State.TRAILER:
                if not line:  # the blank line after the last chunk: the response is complete
                    self.raw = b""
                    self._end_of_body()
                    return
            else:
                self.remaining = int(line.split(b";", 1)[0], 16)
                self.state = _State.DATA if self.remaining else _State.TRAILER
        self.raw = raw[position:]

    def _body(self, data: bytes) -> None:
        if self.remaining > 0 and not self.chunked:
            self.remaining -= len(data)
        sse = self.sse + data
        frames = sse.split(b"\n\n")
        self.sse = frames.pop()
        for frame in frames:
            self._frame(frame)

    def _frame(self, frame: bytes) -> None:
        if not frame.startswith(b"data:"):
            return  # comments (keep-alive) and event names
        sample = self.sample
        sample.frames += 1
        self.last_frame = frame
        if any(marker in frame for marker in self.text_markers) and not any(
            empty in frame for empty in EMPTY_TEXT
        ):
            sample.text_frames += 1
            if not sample.ttft:
                sample.ttft = time.perf_counter() - self.started
            if self.read_answer:
                event = json.loads(frame[5:])
                message_id = event.get("messageId", "")
                self.answer[message_id] = self.answer.get(message_id, "") + event.get("delta", "")
        elif ERROR_MARKER in frame:
            sample.error = frame[:300].decode(errors="replace")

    def _end_of_body(self) -> None:
        if self.sse.strip():
            self._frame(self.sse.strip())
            self.sse = b""
        problem = ""
        if self.sample.status != 200:
            problem = f"HTTP {self.sample.status}"
        elif self.sample.error:
            problem = self.sample.error
        elif END_MARKERS[self.kind] not in self.last_frame:
            problem = "the stream did not end with its terminal event"
        elif not self.sample.text_frames:
            problem = "no text token"
        self._finish(problem)

    def _finish(self, problem: str) -> None:
        self.sample.total = time.perf_counter() - self.started
        self.sample.ok = not problem
        self.sample.error = problem
        if self.done is not None and not self.done.done():
            self.done.set_result(None)


def _request(spec: LoadSpec, host: str, path: str, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Accept: text/event-stream\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


def _body_for(spec: LoadSpec, index: int) -> dict[str, Any]:
    if not (spec.fresh_ids and spec.kind == "agui"):
        return spec.body
    run = uuid.uuid4().hex[:12]
    return {**spec.body, "threadId": f"bench-{run}-{index}", "runId": f"run-{run}-{index}"}


@dataclass(slots=True)
class _Conversation:
    """One client's thread: every request re-sends what was said before, as AG-UI clients do."""

    thread_id: str = field(default_factory=lambda: f"chat-{uuid.uuid4().hex[:12]}")
    messages: list[dict[str, Any]] = field(default_factory=list)
    turn: int = 0

    def body(self, spec: LoadSpec) -> dict[str, Any]:
        """The next turn: the history, then the scenario's question under a new id."""
        asked = [{**m, "id": f"{m.get('id', 'u')}-{self.turn}"} for m in spec.body["messages"]]
        self.messages += asked
        run_id = f"{self.thread_id}-run-{self.turn}"
        return {**spec.body, "threadId": self.thread_id, "runId": run_id, "messages": self.messages}

    def answered(self, answer: dict[str, str]) -> None:
        """Keep the answers streamed back, under their ids, for the next turn to re-send."""
        self.messages += [
            {"id": message_id, "role": "assistant", "content": text}
            for message_id, text in answer.items()
        ]
        self.turn += 1


@dataclass(slots=True)
class _Connection:
    """One client's keep-alive connection to the server, opened again after a failure."""

    spec: LoadSpec
    read_answer: bool
    stream: _Stream | None = None
    host: str = field(init=False)
    port: int = field(init=False)
    path: str = field(init=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.spec.url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = parts.path + (f"?{parts.query}" if parts.query else "")

    async def exchange(self, body: dict[str, Any]) -> Sample:
        """POST `body` and read the response to its end (a failure is a sample too)."""
        try:
            if self.stream is None or self.stream.closed.done():
                _, self.stream = await asyncio.get_running_loop().create_connection(
                    lambda: _Stream(self.spec.kind, read_answer=self.read_answer),
                    self.host,
                    self.port,
                )
            request = _request(self.spec, f"{self.host}:{self.port}", self.path, body)
            await asyncio.wait_for(self.stream.send(request), self.spec.timeout)
        except (OSError, TimeoutError) as error:
            self.close()
            return Sample(error=f"{type(error).__name__}: {error}")
        sample = self.stream.sample
        if not sample.ok:
            self.close()  # never reuse a connection in an unknown state
        return sample

    def close(self) -> None:
        """Let the connection go; the next exchange opens a new one."""
        if self.stream is not None and self.stream.transport is not None:
            self.stream.transport.close()
        self.stream = None


async def _client(
    spec: LoadSpec, counter: list[int], report: LoadReport, delay: float, deadline: float
) -> None:
    if delay:
        await asyncio.sleep(delay)
    talking = spec.turns > 1 and spec.kind == "agui"
    connection = _Connection(spec, read_answer=talking)
    chat = _Conversation()
    server = tree(spec.server_pid) if spec.server_pid else []
    while counter[0] < spec.requests:
        index = counter[0]
        counter[0] += 1
        if chat.turn >= spec.turns:
            chat = _Conversation()
        turn = chat.turn if talking else 0
        body = chat.body(spec) if talking else _body_for(spec, index)
        cpu_before = run_seconds(server)
        sample = await connection.exchange(body)
        sample.turn, sample.server_cpu = turn, run_seconds(server) - cpu_before
        report.samples.append(sample)
        if talking and sample.ok and connection.stream is not None:
            chat.answered(connection.stream.answer)
        elif talking:
            chat = _Conversation()  # a failed turn leaves the thread in an unknown state
        if time.perf_counter() >= deadline:
            break
    connection.close()


async def run_load(spec: LoadSpec) -> LoadReport:
    """Drive the load to the end and report every request."""
    report = LoadReport()
    counter = [0]
    started = time.perf_counter()
    deadline = started + spec.budget if spec.budget else float("inf")
    clients = min(spec.concurrency, spec.requests)
    delays = [spec.ramp * index / clients for index in range(clients)]
    await asyncio.gather(*(_client(spec, counter, report, delay, deadline) for delay in delays))
    report.wall = time.perf_counter() - started
    return report


def main() -> None:
    """Read a LoadSpec as JSON on stdin, print the LoadReport as JSON."""
    spec = LoadSpec(**json.load(sys.stdin))
    try:
        import uvloop  # the cheapest event loop for the client, when installed

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    report = runner(run_load(spec))
    json.dump(report.to_json(), sys.stdout)


if __name__ == "__main__":
    main()
