"""Runs outlive their connection, over real HTTP: a client that leaves, a reload that calls
connect, a second tab, a stop that keeps what was shown, and the cancel setting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.testing import (
    ScriptedChatModel,
    reply,
    run_body,
    serve,
    settings_for_tests,
    sse_events,
    stream_problems,
)
from tests.e2e.conftest import run_node

WORDS = [f"w{i}" for i in range(40)]
ANSWER = " ".join(WORDS)
PACE = 0.1  # seconds between two tokens: the run lasts about 4 s


def slow_runtime(*answers: str) -> CopilotRuntime:
    model = ScriptedChatModel([reply(text) for text in answers or (ANSWER,)], delay=PACE)
    return CopilotRuntime(model=model)


async def frames(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """The events of an SSE response as they arrive."""
    buffer = ""
    async for text in response.aiter_text():
        buffer += text
        while "\n\n" in buffer:
            frame, buffer = buffer.split("\n\n", 1)
            for event in sse_events(frame + "\n\n"):
                yield event


async def read_tokens(client: httpx.AsyncClient, url: str, body: Any, count: int) -> list[Any]:
    """Start a run and leave after `count` tokens (the browser reloads)."""
    seen: list[dict[str, Any]] = []
    async with client.stream("POST", f"{url}/agent/default/run", json=body) as response:
        assert response.status_code == 200
        async for event in frames(response):
            seen.append(event)
            if sum(e["type"] == "TEXT_MESSAGE_CONTENT" for e in seen) >= count:
                break
    return seen


def text_of(events: list[dict[str, Any]]) -> str:
    return "".join(e["delta"] for e in events if e["type"] == "TEXT_MESSAGE_CONTENT")


def snapshot_texts(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    snapshots = [e for e in events if e["type"] == "MESSAGES_SNAPSHOT"]
    return [(m["role"], m.get("content") or "") for m in snapshots[0]["messages"]]


async def connect(client: httpx.AsyncClient, url: str, thread_id: str) -> list[dict[str, Any]]:
    body = run_body([], thread_id=thread_id)
    response = await client.post(f"{url}/agent/default/connect", json=body)
    assert response.status_code == 200
    return sse_events(response.text)


async def test_a_reload_mid_answer_rejoins_the_run_and_gets_all_of_it() -> None:
    async with serve(slow_runtime(), settings=settings_for_tests()) as base:
        url = f"{base}/api/copilotkit"
        async with httpx.AsyncClient(timeout=30) as client:
            body = run_body("Tell me everything", thread_id="reload")
            first = await read_tokens(client, url, body, 10)
            assert text_of(first) == " ".join(WORDS[:10]) + " "  # it left mid-answer

            joined = await connect(client, url, "reload")
            assert stream_problems(joined[4:]) == []  # the live run, after the replay
            assert snapshot_texts(joined) == [("user", "Tell me everything")]
            assert text_of(joined) == ANSWER
            assert joined[-1]["type"] == "RUN_FINISHED"
            assert joined[-1]["runId"] == body["runId"]

            again = await connect(client, url, "reload")  # the thread stored the answer
            assert snapshot_texts(again) == [("user", "Tell me everything"), ("assistant", ANSWER)]


async def test_a_second_tab_gets_the_same_events_as_the_client_that_started_the_run() -> None:
    async with serve(slow_runtime(), settings=settings_for_tests()) as base:
        url = f"{base}/api/copilotkit"
        async with httpx.AsyncClient(timeout=30) as client:
            body = run_body("hi", thread_id="tabs")
            run_events: list[dict[str, Any]] = []
            started = asyncio.Event()

            async def first_tab() -> None:
                async with client.stream("POST", f"{url}/agent/default/run", json=body) as resp:
                    async for event in frames(resp):
                        run_events.append(event)
                        if event["type"] == "TEXT_MESSAGE_CONTENT":
                            started.set()

            reading = asyncio.create_task(first_tab())
            await started.wait()
            joined = await connect(client, url, "tabs")
            await reading
            assert [e for e in run_events if e.get("type")] == joined[4:]
            assert text_of(run_events) == ANSWER


async def test_a_stop_keeps_the_text_streamed_so_far() -> None:
    async with serve(
        slow_runtime(ANSWER, "the next answer"), settings=settings_for_tests()
    ) as base:
        url = f"{base}/api/copilotkit"
        async with httpx.AsyncClient(timeout=30) as client:
            body = run_body("hi", thread_id="stopped")
            seen: list[dict[str, Any]] = []
            async with client.stream("POST", f"{url}/agent/default/run", json=body) as response:
                async for event in frames(response):
                    seen.append(event)
                    if event["type"] == "TEXT_MESSAGE_CONTENT" and text_of(seen).count(" ") == 5:
                        stop = await client.post(
                            f"{url}/agent/default/stop/stopped", json={"runId": body["runId"]}
                        )
                        assert stop.json()["stopped"] is True
            shown = text_of(seen)
            assert shown.startswith(" ".join(WORDS[:5]))
            assert shown != ANSWER
            assert seen[-1]["type"] == "RUN_FINISHED"

            stored = await connect(client, url, "stopped")
            assert snapshot_texts(stored) == [("user", "hi"), ("assistant", shown)]


async def test_with_cancel_a_client_that_leaves_ends_its_run() -> None:
    settings = settings_for_tests(on_disconnect="cancel")
    async with serve(slow_runtime(), settings=settings) as base:
        url = f"{base}/api/copilotkit"
        async with httpx.AsyncClient(timeout=30) as client:
            await read_tokens(client, url, run_body("hi", thread_id="cancelled"), 3)
            for _ in range(100):  # the server notices the closed connection
                joined = await connect(client, url, "cancelled")
                if len(joined) == 4:
                    break
                await asyncio.sleep(0.05)
            assert len(joined) == 4  # the stored thread only: no run to follow
            assert snapshot_texts(joined) == [("user", "hi")]
            assert text_of(joined) == ""


async def test_published_core_reloading_mid_answer_shows_the_whole_answer(tmp_path: Path) -> None:
    async with serve(slow_runtime(), settings=settings_for_tests()) as base:
        url = f"{base}/api/copilotkit"
        async with httpx.AsyncClient(timeout=30) as client:
            await read_tokens(client, url, run_body("Tell me everything", thread_id="core"), 10)
        # The reloaded page: @copilotkit/core connects to its thread while the answer streams.
        scenario = {"threadId": "core", "connectOnly": True}
        page = await asyncio.to_thread(run_node, "copilotkit_core.mjs", url, scenario, tmp_path)
    shown = [(m["role"], m.get("content")) for m in page["messages"]]
    assert shown == [("user", "Tell me everything"), ("assistant", ANSWER)]
    assert page["connectEvents"][-1]["type"] == "RUN_FINISHED"
