"""One ownership rule on every route of every protocol (the remote-endpoint one included).

Each route x {the thread's owner, another user, an anonymous caller} x {an idle, a running, a
deleted thread}: only the owner reaches the thread; for anyone else (and for everyone once it
is deleted) the answer is exactly the answer for a thread id never seen, running or not.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import pytest

from copilot_runtime.actions import Action, ActionContext
from copilot_runtime.app.runtime import CopilotRuntime
from tests.app.conftest import BASE, body, serve, sse_events
from tests.app.graphql.documents import LOAD_AGENT_STATE, generate_body, text

ALICE = {"x-user": "alice"}
CALLERS = {"owner": ALICE, "other user": {"x-user": "bob"}, "anonymous": {}}
SECRET = "my secret plan"
NEVER_SEEN = "thread-never-seen"
Kind = Literal["run", "read", "stop", "mutation"]
Probe = Callable[[httpx.AsyncClient, dict[str, str], str], Awaitable[httpx.Response]]


def user_from_header(context: ActionContext) -> str | None:
    return context.headers.get("x-user")


class Hang:
    """An action that runs until its run is stopped."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled = asyncio.Event()

    async def __call__(self) -> str:
        self.started.set()
        try:
            await asyncio.sleep(3600)
        finally:
            self.cancelled.set()
        return "never"


def runtime(hang: Hang) -> CopilotRuntime:
    action = Action(name="hang", description="Wait until stopped.", handler=hang)
    return CopilotRuntime(actions=[action], model="demo", identify_user=user_from_header)


def run_body(thread_id: str, words: str = "hello") -> dict[str, Any]:
    request = body(words, threadId=thread_id, runId="probe")
    request["messages"][0]["id"] = "u-probe"
    return request


def envelope(method: str, thread_id: str) -> dict[str, Any]:
    params = {"agentId": "default", "threadId": thread_id}
    inner = {} if method == "agent/stop" else run_body(thread_id)
    return {"method": method, "params": params, "body": inner}


async def load_state_get(client: httpx.AsyncClient, h: dict[str, str], t: str) -> httpx.Response:
    variables = json.dumps({"data": {"threadId": t, "agentName": "default"}})
    params = {"query": LOAD_AGENT_STATE, "variables": variables}
    return await client.get(BASE, params=params, headers=h)


def load_state_body(thread_id: str) -> dict[str, Any]:
    data = {"threadId": thread_id, "agentName": "default"}
    return {"query": LOAD_AGENT_STATE, "variables": {"data": data}}


def generate(thread_id: str) -> dict[str, Any]:
    return generate_body(text("u-probe", "user", "hello"), threadId=thread_id)


def remote_execute(thread_id: str) -> dict[str, Any]:
    message = {"type": "TextMessage", "id": "u-probe", "role": "user", "content": "hello"}
    return {"name": "default", "threadId": thread_id, "messages": [message]}


REMOTE = "/copilotkit_remote"
JSON_ONLY = {"accept": "application/json"}
Q = {"agentId": "default"}


@dataclass(frozen=True)
class Route:
    kind: Kind
    probe: Probe


ROUTES: dict[str, Route] = {
    "REST run": Route(
        "run", lambda c, h, t: c.post(f"{BASE}/agent/default/run", json=run_body(t), headers=h)
    ),
    "REST connect": Route(
        "read",
        lambda c, h, t: c.post(f"{BASE}/agent/default/connect", json=run_body(t), headers=h),
    ),
    "REST stop": Route(
        "stop", lambda c, h, t: c.post(f"{BASE}/agent/default/stop/{t}", json={}, headers=h)
    ),
    "envelope agent/run": Route(
        "run", lambda c, h, t: c.post(BASE, json=envelope("agent/run", t), headers=h)
    ),
    "envelope agent/connect": Route(
        "read", lambda c, h, t: c.post(BASE, json=envelope("agent/connect", t), headers=h)
    ),
    "envelope agent/stop": Route(
        "stop", lambda c, h, t: c.post(BASE, json=envelope("agent/stop", t), headers=h)
    ),
    "thread list": Route("read", lambda c, h, t: c.get(f"{BASE}/threads", params=Q, headers=h)),
    "thread messages": Route(
        "read", lambda c, h, t: c.get(f"{BASE}/threads/{t}/messages", params=Q, headers=h)
    ),
    "thread state": Route(
        "read", lambda c, h, t: c.get(f"{BASE}/threads/{t}/state", params=Q, headers=h)
    ),
    "thread events": Route(
        "read", lambda c, h, t: c.get(f"{BASE}/threads/{t}/events", params=Q, headers=h)
    ),
    "thread rename": Route(
        "mutation",
        lambda c, h, t: c.patch(f"{BASE}/threads/{t}", json={**Q, "name": "mine"}, headers=h),
    ),
    "thread archive": Route(
        "mutation", lambda c, h, t: c.post(f"{BASE}/threads/{t}/archive", json=Q, headers=h)
    ),
    "thread delete": Route(
        "mutation", lambda c, h, t: c.delete(f"{BASE}/threads/{t}", params=Q, headers=h)
    ),
    "GraphQL loadAgentState (POST)": Route(
        "read", lambda c, h, t: c.post(BASE, json=load_state_body(t), headers=h)
    ),
    "GraphQL loadAgentState (GET)": Route("read", load_state_get),
    "GraphQL generateCopilotResponse": Route(
        "run", lambda c, h, t: c.post(BASE, json=generate(t), headers={**h, **JSON_ONLY})
    ),
    "remote agents/state": Route(
        "read",
        lambda c, h, t: c.post(
            f"{REMOTE}/agents/state", json={"name": "default", "threadId": t}, headers=h
        ),
    ),
    "remote agents/execute": Route(
        "run",
        lambda c, h, t: c.post(f"{REMOTE}/agents/execute", json=remote_execute(t), headers=h),
    ),
}

# What differs between two answers for reasons other than the thread: made-up ids and times.
VOLATILE = re.compile(
    r'"(messageId|toolCallId|parentMessageId|id|createdAt|updatedAt|lastRunAt|runId)":"[^"]*"'
)


def seen(response: httpx.Response, thread_id: str) -> tuple[int, str]:
    """The answer, with the thread id and the ids made up per run left out."""
    content = response.text
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        content = json.dumps(sse_events(content))
    content = content.replace(thread_id, "<thread>")
    return response.status_code, VOLATILE.sub(r'"\1":"<id>"', content.replace(" ", ""))


async def prepared(
    client: httpx.AsyncClient, state: str, hang: Hang
) -> tuple[str, asyncio.Task[Any]]:
    """Alice's thread, in `state`; the task of its run (done unless running)."""
    thread = f"alice-{state}"
    words = f"hang: {SECRET}" if state == "running" else SECRET
    request = body(words, threadId=thread, runId="alice-run", state={"plan": SECRET})
    run = asyncio.create_task(client.post(f"{BASE}/agent/default/run", json=request, headers=ALICE))
    if state == "running":
        await asyncio.wait_for(hang.started.wait(), 10)
        return thread, run
    assert (await run).status_code == 200
    if state == "deleted":
        gone = await client.delete(f"{BASE}/threads/{thread}", params=Q, headers=ALICE)
        assert gone.status_code == 200, gone.text
    return thread, run


async def alice_still_has(client: httpx.AsyncClient, thread: str) -> None:
    messages = await client.get(f"{BASE}/threads/{thread}/messages", params=Q, headers=ALICE)
    assert messages.status_code == 200, messages.text
    assert SECRET in messages.text
    listed = (await client.get(f"{BASE}/threads", params=Q, headers=ALICE)).json()
    assert [t["createdById"] for t in listed["threads"] if t["id"] == thread] == ["alice"]


@pytest.mark.parametrize("state", ["idle", "running", "deleted"])
@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", ROUTES)
async def test_a_thread_is_reached_only_by_its_owner(route: str, caller: str, state: str) -> None:
    hang = Hang()
    probe = ROUTES[route]
    async with serve(runtime(hang)) as client:
        thread, run = await prepared(client, state, hang)
        answer = await probe.probe(client, CALLERS[caller], thread)
        if caller == "owner" and state != "deleted":
            await owner_answer(probe.kind, route, state, answer, hang)
        else:
            if caller != "owner" and state != "deleted":
                await alice_still_has(client, thread)
                assert not hang.cancelled.is_set()  # a running run goes on
            missing = await probe.probe(client, CALLERS[caller], NEVER_SEEN)
            if probe.kind == "run" and state != "deleted":
                assert seen(answer, thread) == not_found(route)
            else:
                assert seen(answer, thread) == seen(missing, NEVER_SEEN)
        if state == "running":
            await client.post(f"{BASE}/agent/default/stop/{thread}", json={}, headers=ALICE)
        await asyncio.wait_for(run, 10)
        if route == "thread delete" and caller == "owner":
            await nothing_brings_it_back(client, thread)


async def nothing_brings_it_back(client: httpx.AsyncClient, thread: str) -> None:
    """After a delete (of a running thread too), once its run is over: gone for everyone."""
    path = f"{BASE}/threads/{thread}/messages"
    assert (await client.get(path, params=Q, headers=ALICE)).status_code == 404
    bob = CALLERS["other user"]
    replay = await client.post(f"{BASE}/agent/default/connect", json=run_body(thread), headers=bob)
    assert (replay.status_code, replay.text) == (200, "")
    taken = await client.post(f"{BASE}/agent/default/run", json=run_body(thread), headers=bob)
    assert taken.status_code == 200
    assert SECRET not in taken.text
    assert SECRET not in (await client.get(path, params=Q, headers=bob)).text


def not_found(route: str) -> tuple[int, str]:
    """A run on someone else's thread, idle or running alike."""
    message = "Thread '<thread>' not found"
    if route.startswith("GraphQL"):
        error = {
            "message": message,
            "path": ["generateCopilotResponse"],
            "extensions": {"code": "Thread not found"},
        }
        return 200, json.dumps({"data": None, "errors": [error]}).replace(" ", "")
    return 404, json.dumps({"error": "Thread not found", "message": message}).replace(" ", "")


async def owner_answer(
    kind: Kind, route: str, state: str, answer: httpx.Response, hang: Hang
) -> None:
    """What the owner gets: the thread itself, its run, its controls."""
    if kind == "read":
        assert answer.status_code == 200, answer.text
        assert SECRET in answer.text
    elif kind == "stop":
        assert answer.json()["stopped"] is (state == "running")
    elif kind == "run" and state == "running":
        if route.startswith("GraphQL"):
            assert answer.json()["errors"][0]["extensions"]["code"] == "thread_busy"
        else:
            assert answer.status_code == 409
    elif route == "thread delete":
        assert answer.status_code == 200, answer.text
        assert hang.cancelled.is_set() or state == "idle"  # the run was stopped first
    else:
        assert answer.status_code == 200, answer.text
