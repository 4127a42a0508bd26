"""Hundreds of bad requests (tests/app/malformed.py), each answered as a client error.

Each surface's requests go to one server, in turn, and every wrong answer is reported.

For every surface: a 4xx JSON error in the runtime's shape, or (GraphQL) its 200 with
`errors`, or, for a request that is odd but servable, a stream that ends as streams must;
never a 5xx, and nothing in the answer that came from an exception, a path or a secret. And
after all of a surface's requests, on the same server and store, a run still works.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from copilot_runtime.actions import ActionContext
from copilot_runtime.app.runtime import CopilotRuntime
from tests.app.conftest import BASE, body, run_events, serve, sse_events
from tests.app.malformed import ALL, LEAKS, LIMIT, SECRET, Request
from tests.fakes import assert_valid_stream


def identify(context: ActionContext) -> str | None:
    token = context.headers.get("authorization")
    return None if token is None else f"user-of-{SECRET}-{token}"[:60]


@asynccontextmanager
async def hostile_server(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    runtime = CopilotRuntime(model="demo", instructions=SECRET, identify_user=identify)
    threads = str(tmp_path / "threads.sqlite")
    async with serve(runtime, threads_path=threads, max_body_bytes=LIMIT) as client:
        yield client


async def send(client: httpx.AsyncClient, request: Request) -> httpx.Response:
    return await client.request(
        request.method,
        f"{BASE}{request.path}",
        content=request.content,
        headers=request.headers,
        params=request.params,
    )


def check_answer(surface: str, request: Request, response: httpx.Response) -> None:
    """A client error, or a valid stream; nothing leaked."""
    assert response.status_code < 500, response.text[:500]
    assert LEAKS.search(response.text) is None, response.text[:500]
    assert SECRET not in response.text
    kind = response.headers.get("content-type", "")
    if kind.startswith("text/event-stream"):
        assert response.status_code == 200
        events = sse_events(response.text)
        if events:  # a connect to a thread never seen is an empty stream
            assert_valid_stream(events)
        return
    answer = response.json()
    if surface == "GraphQL" and response.status_code == 200:
        assert "errors" in answer or "data" in answer, answer
        return
    if request.servable and response.status_code == 200:
        return
    assert 400 <= response.status_code < 500, response.text[:500]
    if response.status_code != 404 or "error" in answer:
        assert isinstance(answer.get("error"), str), answer
        assert isinstance(answer.get("message"), str), answer


@pytest.mark.parametrize("surface", ALL)
def test_each_surface_has_at_least_fifty_distinct_bad_requests(surface: str) -> None:
    requests = ALL[surface].values()
    distinct = {
        (r.method, r.path, r.content, json.dumps(r.params), json.dumps(r.headers)) for r in requests
    }
    assert len(distinct) >= 50, len(distinct)


@pytest.mark.parametrize("surface", ALL)
async def test_every_bad_request_gets_a_client_error_and_runs_still_work_after(
    surface: str, tmp_path: Path
) -> None:
    wrong: list[str] = []
    async with hostile_server(tmp_path) as client:
        for name, request in ALL[surface].items():
            try:
                check_answer(surface, request, await send(client, request))
            except AssertionError as error:
                wrong.append(f"{name}: {str(error)[:300]}")
        for thread in ("t-bad", "t1", "t-after"):  # threads the bad requests touched, and not
            response = await client.post(
                f"{BASE}/agent/default/run", json=body(threadId=thread, runId=f"r-{thread}")
            )
            assert run_events(response)[-1]["type"] == "RUN_FINISHED"
    assert wrong == []
