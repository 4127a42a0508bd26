"""Random RunAgentInput and envelope bodies (hypothesis): never a 5xx, never a hang.

Bounded for CI (COPILOT_FUZZ_EXAMPLES, 200 by default per test); set it higher to look
harder. The bodies are built around the real shapes, so that most get past the first checks
and reach validation, the thread store and the run; every string may hold any code point,
lone surrogates and NUL included.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copilot_runtime.app.runtime import CopilotRuntime
from tests.app.conftest import BASE, serve, sse_events
from tests.app.malformed import LEAKS, LIMIT, SECRET
from tests.fakes import assert_valid_stream

EXAMPLES = int(os.environ.get("COPILOT_FUZZ_EXAMPLES", "200"))
ANSWER_SECONDS = 30
"""Far more than any of these requests needs: reaching it means the server hung."""

text = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
ids = st.one_of(st.sampled_from(["t1", "t2", "r1", ""]), text)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=12,
)
parts = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": text}),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["image", "binary", "audio", "document"])},
        optional={"mimeType": text, "data": text, "url": text, "source": json_values},
    ),
    json_values,
)
calls = st.lists(
    st.fixed_dictionaries(
        {
            "id": ids,
            "type": st.just("function"),
            "function": st.fixed_dictionaries({"name": text, "arguments": text}),
        }
    ),
    max_size=2,
)
messages = st.one_of(
    st.fixed_dictionaries(
        {
            "id": ids,
            "role": st.just("user"),
            "content": st.one_of(text, st.lists(parts, max_size=3)),
        }
    ),
    st.fixed_dictionaries(
        {"id": ids, "role": st.just("assistant")}, optional={"content": text, "toolCalls": calls}
    ),
    st.fixed_dictionaries(
        {"id": ids, "role": st.sampled_from(["system", "developer"]), "content": text}
    ),
    st.fixed_dictionaries({"id": ids, "role": st.just("tool"), "content": text, "toolCallId": ids}),
)
tools = st.fixed_dictionaries(
    {"name": text, "description": text, "parameters": st.one_of(json_values, st.just({}))}
)
well_formed = st.fixed_dictionaries(
    {
        "threadId": ids,
        "runId": ids,
        "messages": st.lists(messages, max_size=4),
        "tools": st.lists(tools, max_size=2),
        "context": st.lists(
            st.fixed_dictionaries({"description": text, "value": text}), max_size=2
        ),
        "state": json_values,
        "forwardedProps": json_values,
    }
)
any_shape = st.fixed_dictionaries(
    {},
    optional={
        "threadId": st.one_of(ids, json_values),
        "runId": st.one_of(ids, json_values),
        "messages": st.one_of(st.lists(st.one_of(messages, json_values), max_size=4), json_values),
        "tools": st.one_of(st.lists(json_values, max_size=2), json_values),
        "context": st.one_of(st.lists(json_values, max_size=2), json_values),
        "state": json_values,
        "forwardedProps": json_values,
        "parentRunId": json_values,
    },
)
# Mostly bodies that validate, so that the runs, the thread store and the checkpoints get them.
run_inputs = st.one_of(well_formed, well_formed, well_formed, any_shape)
methods = st.sampled_from(["agent/run", "agent/run", "agent/connect", "agent/stop", "info"])
params = st.fixed_dictionaries({"agentId": st.just("default")}, optional={"threadId": ids})
envelopes = st.one_of(
    st.fixed_dictionaries(
        {
            "method": methods,
            "params": params,
            "body": st.one_of(run_inputs, run_inputs, json_values),
        }
    ),
    st.fixed_dictionaries(
        {},
        optional={
            "method": st.one_of(methods, json_values),
            "params": st.one_of(params, st.dictionaries(text, json_values), json_values),
            "body": json_values,
        },
    ),
)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # the machine is shared: time is checked by ANSWER_SECONDS only
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """One server for all of a test's examples: what one request leaves behind meets the
    next ones, as on a real server."""
    runtime = CopilotRuntime(model="demo", instructions=SECRET)
    threads = str(tmp_path / "threads.sqlite")
    async with serve(runtime, threads_path=threads, max_body_bytes=LIMIT) as served:
        yield served


async def answered(client: httpx.AsyncClient, path: str, request: Any) -> httpx.Response:
    content = json.dumps(request, ensure_ascii=True).encode()
    headers = {"content-type": "application/json"}
    return await asyncio.wait_for(
        client.post(f"{BASE}{path}", content=content, headers=headers), ANSWER_SECONDS
    )


def check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text[:500]
    assert LEAKS.search(response.text) is None, response.text[:500]
    assert SECRET not in response.text
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        events = sse_events(response.text)  # SSE lines end at LF (not at U+0085 or U+2028)
        if events:
            assert_valid_stream(events)
    else:
        assert isinstance(response.json(), dict)


@FUZZ
@given(request=run_inputs)
async def test_fuzzed_run_bodies_get_no_5xx(client: httpx.AsyncClient, request: Any) -> None:
    check(await answered(client, "/agent/default/run", request))


@FUZZ
@given(request=run_inputs)
async def test_fuzzed_connect_bodies_get_no_5xx(client: httpx.AsyncClient, request: Any) -> None:
    check(await answered(client, "/agent/default/connect", request))


@FUZZ
@given(request=envelopes)
async def test_fuzzed_envelopes_get_no_5xx(client: httpx.AsyncClient, request: Any) -> None:
    check(await answered(client, "", request))
