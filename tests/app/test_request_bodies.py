"""Request bodies: a size cap that stops reading, and strict JSON answered 400 naming the field."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from copilot_runtime.app.main import create_app
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.app.settings import Settings
from tests.app.conftest import BASE, body, run_events, run_scope, serve, settings

RUN = f"{BASE}/agent/default/run"
LIMIT = 4096


class Uploader:
    """An ASGI `receive` that sends a body in chunks and counts how many the app asked for."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.read = 0

    async def __call__(self) -> dict[str, Any]:
        if self.read == len(self.chunks):
            await asyncio.Event().wait()  # the client waits for the answer, connected
        self.read += 1
        more = self.read < len(self.chunks)
        return {"type": "http.request", "body": self.chunks[self.read - 1], "more_body": more}


async def answer(headers: list[tuple[bytes, bytes]], uploader: Uploader) -> tuple[int, bytes]:
    app = create_app(CopilotRuntime(model="demo"), settings(max_body_bytes=LIMIT))
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = run_scope(RUN)
    scope["headers"] = [*scope["headers"], *headers]
    async with app.router.lifespan_context(app):
        await app(scope, uploader, send)  # type: ignore[arg-type]
    status = sent[0]["status"]
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, content


async def test_a_declared_length_over_the_cap_is_refused_before_any_of_the_body_is_read() -> None:
    uploader = Uploader([b"x" * 1024] * 200)
    status, answered = await answer([(b"content-length", b"204800")], uploader)
    assert status == 413
    assert json.loads(answered) == {
        "error": "body_too_large",
        "message": f"The body is larger than {LIMIT} bytes (COPILOT_MAX_BODY_BYTES)",
    }
    assert uploader.read == 0


async def test_a_chunked_body_is_read_only_until_it_passes_the_cap() -> None:
    uploader = Uploader([b"x" * 1024] * 200)  # no Content-Length: chunked
    status, answered = await answer([], uploader)
    assert status == 413
    assert json.loads(answered)["error"] == "body_too_large"
    assert uploader.read == LIMIT // 1024 + 1


async def test_a_body_within_the_cap_is_served() -> None:
    raw = json.dumps(body()).encode()
    status, answered = await answer([], Uploader([raw[:100], raw[100:]]))
    assert status == 200
    assert b"RUN_FINISHED" in answered


def nested(depth: int) -> str:
    return json.dumps(body(state={"deep": json.loads("[" * depth + "]" * depth)}))


BAD_JSON: dict[str, tuple[str | bytes, str]] = {
    "nesting past the limit": (nested(70), "The body is nested too deeply (64 levels at most)"),
    "nesting past the parser's recursion": ("[" * 100_000, "The body is nested too deeply"),
    "a 5,001-digit number": (
        json.dumps(body()).replace('"state": {}', '"state": {"n": ' + "9" * 5001 + "}"),
        "The body has an integer wider than 64 bits",
    ),
    "an integer past 64 bits": (
        json.dumps(body(state={"n": 2**64})),
        "The body has an integer wider than 64 bits",
    ),
    "an infinite number": (
        json.dumps(body()).replace('"state": {}', '"state": {"n": 1e999}'),
        "The body has a number too large for a double",
    ),
    "NaN": (
        json.dumps(body()).replace('"state": {}', '"state": {"n": NaN}'),
        "The body has NaN, which is not a JSON number",
    ),
    "bytes that are not UTF-8": (b'{"threadId": "\xff"}', "The body is not UTF-8 text"),
    "a truncated object": ('{"threadId": "t1"', "The body is not valid JSON ("),
}


@pytest.mark.parametrize("case", BAD_JSON, ids=str)
async def test_json_the_stores_cannot_keep_is_a_400_saying_why(case: str) -> None:
    raw, message = BAD_JSON[case]
    async with serve(CopilotRuntime(model="demo")) as client:
        response = await client.post(RUN, content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"
    assert response.json()["message"].startswith(message)


TEXT_FIELDS: dict[str, tuple[Callable[[str], dict[str, Any]], str]] = {
    "content": (lambda bad: body(f"hi{bad}"), "messages.0.content"),
    "thread id": (lambda bad: body(threadId=f"t{bad}"), "threadId"),
    "run id": (lambda bad: body(runId=f"r{bad}"), "runId"),
    "state": (lambda bad: body(state={"note": [bad]}), "state.note.0"),
    "a key": (lambda bad: body(forwardedProps={bad: 1}), "a key in forwardedProps"),
}


@pytest.mark.parametrize("bad", [chr(0xD800), chr(0xDFFF), "\x00"], ids=["high", "low", "nul"])
@pytest.mark.parametrize("field", TEXT_FIELDS, ids=str)
async def test_text_no_store_can_keep_is_a_400_naming_the_field(field: str, bad: str) -> None:
    make, path = TEXT_FIELDS[field]
    async with serve(CopilotRuntime(model="demo")) as client:
        response = await client.post(
            RUN, content=json.dumps(make(bad)), headers={"content-type": "application/json"}
        )
        after = await client.post(RUN, json=body(threadId="after"))
    assert response.status_code == 400
    answered = response.json()
    assert answered["error"] == "invalid_text"
    assert answered["details"][0]["path"] == path
    assert answered["message"].startswith(f"{path}: a ")
    assert run_events(after)[-1]["type"] == "RUN_FINISHED"


@pytest.mark.parametrize(
    "path",
    [
        f"{BASE}/agent/default/stop/a%00b",
        f"{BASE}/threads/a%00b/messages?agentId=default",
    ],
)
async def test_ids_in_paths_are_checked_as_bodies_are(path: str) -> None:
    async with serve(CopilotRuntime(model="demo")) as client:
        if "/stop/" in path:
            response = await client.post(path)
        else:
            response = await client.get(path)
    assert response.status_code == 400
    assert response.json()["details"][0]["path"] == "threadId"


def test_the_cap_fits_a_conversation_with_a_few_images_by_default() -> None:
    assert Settings().max_body_bytes == 16 * 1024 * 1024
