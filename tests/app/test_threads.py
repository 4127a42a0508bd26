"""Thread endpoints: per-user lists with pagination, inspection, rename, archive, delete."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from copilot_runtime.actions import ActionContext
from copilot_runtime.app.main import create_app
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.app.settings import Settings
from copilot_runtime.app.threads import open_thread_store
from copilot_runtime.graphs import Agent, thread_history
from copilot_runtime.testing import ScriptedChatModel
from tests.app.conftest import BASE, body, serve, sse_events
from tests.fakes import answer
from tests.postgres import DATABASE_URL as PG_URL
from tests.postgres import needs_postgres


def user_from_header(context: ActionContext) -> str | None:
    return context.headers.get("x-user")


def runtime(turns: int = 10) -> CopilotRuntime:
    model = ScriptedChatModel([answer(f"answer {i}", id=f"a{i}") for i in range(turns)])
    return CopilotRuntime(model=model, identify_user=user_from_header)


async def chat(client: httpx.AsyncClient, user: str, thread: str, text: str) -> None:
    request = body(text, threadId=thread, runId=f"r-{uuid.uuid4().hex[:6]}")
    request["messages"][0]["id"] = f"u-{uuid.uuid4().hex[:6]}"
    response = await client.post(
        f"{BASE}/agent/default/run", json=request, headers={"x-user": user}
    )
    assert response.status_code == 200, response.text


async def listing(client: httpx.AsyncClient, user: str, **params: str) -> dict[str, Any]:
    response = await client.get(
        f"{BASE}/threads", params={"agentId": "default", **params}, headers={"x-user": user}
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_info_advertises_thread_endpoints_only_where_clients_reach_them() -> None:
    async with serve(runtime()) as client:
        rest = (await client.get(f"{BASE}/info")).json()
    async with serve(runtime(), rest_routes=False) as client:
        single = (await client.post(BASE, json={"method": "info"})).json()
    assert rest["threadEndpoints"] == {
        "list": True,
        "inspect": True,
        "mutations": True,
        "realtimeMetadata": False,
    }
    assert single["threadEndpoints"]["list"] is False


async def test_threads_are_listed_per_user_newest_first_and_named_after_first_message() -> None:
    async with serve(runtime()) as client:
        await chat(client, "ada", "t-old", "Plan my trip to Lisbon")
        await chat(client, "ada", "t-new", "Order more tea")
        await chat(client, "bob", "t-bob", "Bob's secret plans")
        ada = await listing(client, "ada")
        bob = await listing(client, "bob")
    assert [t["id"] for t in ada["threads"]] == ["t-new", "t-old"]
    assert [t["name"] for t in ada["threads"]] == ["Order more tea", "Plan my trip to Lisbon"]
    assert [t["id"] for t in bob["threads"]] == ["t-bob"]
    first = ada["threads"][0]
    assert first["agentId"] == "default"
    assert first["createdById"] == "ada"
    assert first["archived"] is False
    assert first["createdAt"].endswith("Z")
    assert ada["nextCursor"] is None


async def test_thread_pages_cover_every_thread_once() -> None:
    async with serve(runtime()) as client:
        for index in range(5):
            await chat(client, "ada", f"t{index}", f"question {index}")
        seen: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            page = await listing(client, "ada", limit="2", **({"cursor": cursor} if cursor else {}))
            seen += [t["id"] for t in page["threads"]]
            pages += 1
            cursor = page["nextCursor"]
            if cursor is None:
                break
    assert seen == ["t4", "t3", "t2", "t1", "t0"]
    assert pages == 3


async def test_thread_can_be_inspected_renamed_archived_and_deleted() -> None:
    headers = {"x-user": "ada"}
    async with serve(runtime()) as client:
        await chat(client, "ada", "t1", "hello")
        params = {"agentId": "default"}
        messages = (
            await client.get(f"{BASE}/threads/t1/messages", params=params, headers=headers)
        ).json()
        renamed = await client.patch(
            f"{BASE}/threads/t1", json={"agentId": "default", "name": "Greetings"}, headers=headers
        )
        archived = await client.post(
            f"{BASE}/threads/t1/archive", json={"agentId": "default"}, headers=headers
        )
        hidden = await listing(client, "ada")
        shown = await listing(client, "ada", includeArchived="true")
        deleted = await client.request(
            "DELETE", f"{BASE}/threads/t1", json={"agentId": "default"}, headers=headers
        )
        after = await listing(client, "ada", includeArchived="true")
        replay = await client.post(
            f"{BASE}/agent/default/connect", json=body(threadId="t1", messages=[]), headers=headers
        )
    assert [m["role"] for m in messages["messages"]] == ["user", "assistant"]
    assert renamed.json()["name"] == "Greetings"
    assert archived.json() == {"threadId": "t1", "archived": True}
    assert hidden["threads"] == []
    assert shown["threads"][0]["archived"] is True
    assert deleted.json() == {"threadId": "t1", "deleted": True}
    assert after["threads"] == []
    assert replay.text == ""  # the checkpoints went too


async def test_another_users_thread_is_invisible_and_untouchable() -> None:
    async with serve(runtime()) as client:
        await chat(client, "ada", "t-ada", "my diary")
        params = {"agentId": "default"}
        peek = await client.get(
            f"{BASE}/threads/t-ada/messages", params=params, headers={"x-user": "eve"}
        )
        rename = await client.patch(
            f"{BASE}/threads/t-ada",
            json={"agentId": "default", "name": "x"},
            headers={"x-user": "eve"},
        )
        replay = await client.post(
            f"{BASE}/agent/default/connect",
            json=body(threadId="t-ada", messages=[]),
            headers={"x-user": "eve"},
        )
        hijack = await client.post(
            f"{BASE}/agent/default/run", json=body(threadId="t-ada"), headers={"x-user": "eve"}
        )
        own = await client.post(
            f"{BASE}/agent/default/connect",
            json=body(threadId="t-ada", messages=[]),
            headers={"x-user": "ada"},
        )
    assert peek.status_code == 404
    assert rename.status_code == 404
    assert replay.text == ""
    assert hijack.status_code == 404
    assert [e["type"] for e in sse_events(own.text)][1] == "MESSAGES_SNAPSHOT"


@pytest.mark.parametrize(
    ("params", "status"),
    [({}, 400), ({"agentId": "nope"}, 404), ({"agentId": "default", "cursor": "%%%"}, 400)],
)
async def test_thread_list_rejects_bad_parameters(params: dict[str, str], status: int) -> None:
    async with serve(runtime()) as client:
        response = await client.get(f"{BASE}/threads", params=params)
    assert response.status_code == status
    assert response.json()["message"]


@pytest.mark.parametrize(
    "backend", ["sqlite", "sqlite-public-calls", pytest.param("postgres", marks=needs_postgres)]
)
async def test_thread_store_round_trips_on_each_database(
    backend: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend == "sqlite-public-calls":  # as with an aiosqlite without its private queue
        monkeypatch.setenv("COPILOT_FAST_PATHS", "false")
    settings = (
        Settings(database_url=PG_URL)
        if backend == "postgres"
        else Settings(threads_path=str(tmp_path / "threads.sqlite"))
    )
    tag = uuid.uuid4().hex[:8]  # the PostgreSQL database is shared between test runs
    owner, first, second = f"user-{tag}", f"x1-{tag}", f"x2-{tag}"
    async with open_thread_store(settings) as store:
        await store.record_run(first, "default", owner, "first  question\nwith lines")
        await store.record_run(second, "default", owner, "")
        await store.record_run(first, "default", owner, "ignored: the name stays")
        page = await store.page("default", owner, include_archived=False, limit=1, cursor=None)
        rest = await store.page(
            "default", owner, include_archived=False, limit=5, cursor=page.next_cursor
        )
        record = await store.get(first)
        assert record is not None
        archived = await store.update(record, archived=True)
        visible = await store.page("default", owner, include_archived=False, limit=5, cursor=None)
        for thread_id in (first, second):
            await store.delete(thread_id)
        gone = await store.get(first)
    assert [t.id for t in page.threads] == [first]
    assert [t.id for t in rest.threads] == [second]
    assert record.name == "first question with lines"
    assert archived.archived is True
    assert [t.id for t in visible.threads] == [second]
    assert gone is None


@pytest.mark.parametrize(("durability", "steps"), [(None, [-1, 0, 1]), ("exit", [1])])
async def test_copilot_durability_decides_how_often_a_run_is_checkpointed(
    monkeypatch: pytest.MonkeyPatch, durability: str | None, steps: list[int]
) -> None:
    monkeypatch.delenv("COPILOT_DURABILITY", raising=False)
    if durability is not None:
        monkeypatch.setenv("COPILOT_DURABILITY", durability)
    app = create_app(settings=Settings(threads_path=":memory:"))  # example actions, demo model
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post(f"{BASE}/agent/default/run", json=body("hello"))
        assert "RUN_FINISHED" in response.text
        agent = app.state.server.runtime.agents["default"]
        assert isinstance(agent, Agent)
        assert [c.step for c in await thread_history(agent, "t1")] == steps
