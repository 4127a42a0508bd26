"""Stop, disconnect, keep-alive, concurrent streams, connect and user graphs over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Annotated, Any, TypedDict

import httpx
import pytest
from langchain_core.messages import AIMessage, AnyMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph
from langgraph.graph.message import add_messages

from copilot_runtime.actions import Action, ActionContext
from copilot_runtime.app.errors import ConflictError
from copilot_runtime.app.main import create_app
from copilot_runtime.app.protocols.agui.inbound import run_input_from_body
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.app.server import Server, start_run
from copilot_runtime.app.streaming import events_of
from copilot_runtime.testing import ScriptedChatModel, reply
from tests.app.conftest import (
    BASE,
    body,
    run_events,
    run_scope,
    serve,
    settings,
    sse_events,
)
from tests.fakes import answer, calls


def server_of_app(app: Any) -> Server:
    server = app.state.server
    assert isinstance(server, Server)
    return server


class Hang:
    """An action handler that waits until cancelled, recording that it was."""

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


def hanging_runtime(hang: Hang, text: str = "") -> CopilotRuntime:
    model = ScriptedChatModel([calls(("c1", "hang", {}), id="m1", text=text)])
    return CopilotRuntime(actions=[Action(name="hang", handler=hang)], model=model)


async def test_stop_ends_the_open_stream_cleanly_and_cancels_the_work() -> None:
    hang = Hang()
    async with serve(hanging_runtime(hang, text="Working on it")) as client:
        running = asyncio.create_task(client.post(f"{BASE}/agent/default/run", json=body()))
        await asyncio.wait_for(hang.started.wait(), 5)
        stop = await client.post(f"{BASE}/agent/default/stop/t1", json={"runId": "r1"})
        response = await asyncio.wait_for(running, 5)
    assert stop.json() == {
        "stopped": True,
        "interrupt": {"type": "RUN_ERROR", "message": "Run stopped by user", "code": "STOPPED"},
    }
    assert hang.cancelled.is_set()
    events = run_events(response)
    assert [e["type"] for e in events][-1] == "RUN_FINISHED"
    assert events[-1] == {"type": "RUN_FINISHED", "threadId": "t1", "runId": "r1"}


async def test_response_that_never_streams_stops_its_run_before_freeing_the_thread() -> None:
    hang = Hang()
    app = create_app(hanging_runtime(hang), settings(on_disconnect="cancel"))
    async with app.router.lifespan_context(app):
        server = server_of_app(app)
        request = run_input_from_body(body())
        context = ActionContext(thread_id="t1")
        started = await start_run(server, "default", request, context)
        await asyncio.wait_for(hang.started.wait(), 5)  # the run works; nobody reads it
        await started.release()  # what the response does however it ended
        assert hang.cancelled.is_set()
        assert not server.registry.is_running("t1")
        again = await start_run(server, "default", request, context)  # the thread is free
        await again.release()


async def test_thread_is_free_when_the_events_end_before_the_response_closes() -> None:
    # CopilotKit sends the next run the moment one ends (after a frontend action, say); the
    # response closes after its last byte, too late to free the thread for that run.
    # The second answer streams for a while: its run still holds the thread below.
    long_answer = " ".join(f"w{i}" for i in range(100))
    model = ScriptedChatModel([answer("one", id="m1"), reply(long_answer)], delay=0.05)
    app = create_app(CopilotRuntime(model=model), settings(on_disconnect="cancel"))
    async with app.router.lifespan_context(app):
        server = server_of_app(app)
        context = ActionContext(thread_id="t1")
        first = await start_run(server, "default", run_input_from_body(body()), context)
        kinds = [event.type async for event in events_of(first.batches())]
        assert kinds[-1] == "RUN_FINISHED"
        second = await start_run(server, "default", run_input_from_body(body(runId="r2")), context)
        await first.release()  # the first response closes late: the second run keeps the thread
        with pytest.raises(ConflictError):
            await start_run(server, "default", run_input_from_body(body(runId="r3")), context)
        await second.release()
        assert not server.registry.is_running("t1")


async def test_stop_closes_a_tool_call_left_open_with_a_stopped_result() -> None:
    model = ScriptedChatModel([calls(("c1", "sayHello", {"name": "A" * 200}), id="m1")], delay=0.2)
    tool = {"name": "sayHello", "description": "", "parameters": {"type": "object"}}
    async with serve(CopilotRuntime(model=model)) as client:
        running = asyncio.create_task(
            client.post(f"{BASE}/agent/default/run", json=body(tools=[tool]))
        )
        await asyncio.sleep(0.3)  # the call has started; its arguments are still streaming
        envelope = {
            "method": "agent/stop",
            "params": {"agentId": "default", "threadId": "t1"},
            "body": {"runId": "r1"},
        }
        stop = await client.post(BASE, json=envelope)
        events = run_events(await asyncio.wait_for(running, 5))
    assert stop.json()["stopped"] is True
    kinds = [e["type"] for e in events]
    assert kinds[-3:] == ["TOOL_CALL_END", "TOOL_CALL_RESULT", "RUN_FINISHED"]
    assert json.loads(events[-2]["content"])["status"] == "stopped"


async def test_stop_reports_false_when_nothing_runs_on_the_thread() -> None:
    async with serve(CopilotRuntime(model="demo")) as client:
        response = await client.post(f"{BASE}/agent/default/stop/idle", content=b"")
    assert response.json()["stopped"] is False


async def test_client_disconnect_cancels_the_run() -> None:
    hang = Hang()
    app = create_app(hanging_runtime(hang), settings())
    request_body = json.dumps(body()).encode()
    received: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if not received:
            received.append({})
            return {"type": "http.request", "body": request_body, "more_body": False}
        await hang.started.wait()  # the client goes away while the tool is running
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        return None

    scope = run_scope()
    async with app.router.lifespan_context(app):
        call = asyncio.create_task(app(scope, receive, send))
        await asyncio.wait_for(hang.started.wait(), 5)
        await asyncio.wait_for(call, 5)
    assert hang.cancelled.is_set()
    assert not app.state.server.registry.is_running("t1")


async def test_keepalive_comments_flow_while_a_tool_is_silent() -> None:
    async def slow() -> str:
        await asyncio.sleep(0.35)
        return "done"

    model = ScriptedChatModel([calls(("c1", "slow", {}), id="m1"), answer("ok", id="m2")])
    runtime = CopilotRuntime(actions=[Action(name="slow", handler=slow)], model=model)
    async with serve(runtime, keepalive_seconds=0.1) as client:
        response = await client.post(f"{BASE}/agent/default/run", json=body())
    assert ": keep-alive\n\n" in response.text
    assert sse_events(response.text)[-1]["type"] == "RUN_FINISHED"


async def test_concurrent_streams_on_one_agent_keep_their_own_events() -> None:
    model = ScriptedChatModel(
        [answer("one two three four", id="a"), answer("five six seven eight", id="b")],
        delay=0.02,
    )
    async with serve(CopilotRuntime(model=model)) as client:
        first, second = await asyncio.gather(
            client.post(f"{BASE}/agent/default/run", json=body(threadId="x", runId="rx")),
            client.post(f"{BASE}/agent/default/run", json=body(threadId="y", runId="ry")),
        )
    for response, thread in ((first, "x"), (second, "y")):
        events = run_events(response)
        assert events[0]["threadId"] == events[-1]["threadId"] == thread
        ids = {e["messageId"] for e in events if "messageId" in e}
        assert len(ids) == 1  # one message per stream, never the other stream's


async def test_connect_replays_a_stored_thread_and_is_empty_for_an_unknown_one() -> None:
    model = ScriptedChatModel([answer("Hi Ada", id="m1")])
    async with serve(CopilotRuntime(model=model)) as client:
        await client.post(f"{BASE}/agent/default/run", json=body(state={"mood": "sunny"}))
        stored = await client.post(f"{BASE}/agent/default/connect", json=body(messages=[]))
        unknown = await client.post(
            f"{BASE}/agent/default/connect", json=body(threadId="never", messages=[])
        )
    events = sse_events(stored.text)
    assert [e["type"] for e in events] == [
        "RUN_STARTED",
        "MESSAGES_SNAPSHOT",
        "STATE_SNAPSHOT",
        "RUN_FINISHED",
    ]
    assert events[1]["messages"] == [
        {"id": "u1", "role": "user", "content": "hi"},
        {"id": "m1", "role": "assistant", "content": "Hi Ada"},
    ]
    assert events[2]["snapshot"] == {"mood": "sunny"}
    assert unknown.status_code == 200
    assert unknown.text == ""


class NotesState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    notes: list[str]


async def test_user_compiled_graph_is_served_as_a_named_agent() -> None:
    def take_note(state: NotesState) -> dict[str, Any]:
        last = state["messages"][-1].text
        return {
            "messages": [AIMessage(content=f"Noted: {last}", id="note-1")],
            "notes": [*state.get("notes", []), last],
        }

    builder = StateGraph(NotesState)
    builder.add_node("take_note", take_note)
    builder.add_edge(START, "take_note")
    graph = builder.compile(checkpointer=InMemorySaver())
    runtime = CopilotRuntime(model="demo", agents={"notes": graph})
    async with serve(runtime) as client:
        info = (await client.get(f"{BASE}/info")).json()
        response = await client.post(
            f"{BASE}/agent/notes/run", json=body("buy milk", state={"notes": []})
        )
    assert set(info["agents"]) == {"default", "notes"}
    events = run_events(response)
    texts = [e["delta"] for e in events if e["type"] == "TEXT_MESSAGE_CONTENT"]
    assert texts == ["Noted: buy milk"]
    # The run starts from the client's state and ends with the graph's.
    snapshots = [e["snapshot"] for e in events if e["type"] == "STATE_SNAPSHOT"]
    assert (snapshots[0], snapshots[-1]) == ({"notes": []}, {"notes": ["buy milk"]})


async def test_http_client_sees_events_as_they_are_produced() -> None:
    """Streaming, not buffering: the first event arrives before the run is over."""
    gate = asyncio.Event()

    async def wait_for_gate() -> str:
        await gate.wait()
        return "open"

    model = ScriptedChatModel([calls(("c1", "wait", {}), id="m1"), answer("ok", id="m2")])
    runtime = CopilotRuntime(actions=[Action(name="wait", handler=wait_for_gate)], model=model)
    app = create_app(runtime, settings())
    async with app.router.lifespan_context(app):
        config = uvicorn_config(app)
        server = config_server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110  # uvicorn offers no event to wait on
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}{BASE}/agent/default/run"
        async with httpx.AsyncClient() as client, client.stream("POST", url, json=body()) as stream:
            lines = stream.aiter_lines()
            first = await asyncio.wait_for(anext(lines), 5)
            gate.set()
            rest = [line async for line in lines]
        server.should_exit = True
        await serving
    assert first.startswith('data: {"type":"RUN_STARTED"')
    assert any('"RUN_FINISHED"' in line for line in rest)


def uvicorn_config(app: Any) -> Any:
    import uvicorn

    return uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")


def config_server(config: Any) -> Any:
    import uvicorn

    return uvicorn.Server(config)


async def test_second_run_on_a_busy_thread_gets_409() -> None:
    hang = Hang()
    async with serve(hanging_runtime(hang)) as client:
        first = asyncio.create_task(client.post(f"{BASE}/agent/default/run", json=body()))
        await asyncio.wait_for(hang.started.wait(), 5)
        second = await client.post(f"{BASE}/agent/default/run", json=body(runId="r2"))
        other_thread = await client.post(f"{BASE}/agent/default/stop/t1", json={"runId": "r1"})
        await asyncio.wait_for(first, 5)
    assert second.status_code == 409
    assert second.json()["error"] == "thread_busy"
    assert other_thread.json()["stopped"] is True


async def test_second_run_supersedes_the_first_when_configured() -> None:
    hang = Hang()
    model = ScriptedChatModel([calls(("c1", "hang", {}), id="m1"), answer("second run", id="m2")])
    runtime = CopilotRuntime(actions=[Action(name="hang", handler=hang)], model=model)
    async with serve(runtime, busy_thread="supersede") as client:
        first = asyncio.create_task(client.post(f"{BASE}/agent/default/run", json=body()))
        await asyncio.wait_for(hang.started.wait(), 5)
        second = await client.post(f"{BASE}/agent/default/run", json=body(runId="r2"))
        first_events = run_events(await asyncio.wait_for(first, 5))
    assert hang.cancelled.is_set()
    assert first_events[-1] == {"type": "RUN_FINISHED", "threadId": "t1", "runId": "r1"}
    texts = [e["delta"] for e in run_events(second) if e["type"] == "TEXT_MESSAGE_CONTENT"]
    assert "".join(texts) == "second run"


async def test_thread_is_free_again_after_a_run_fails_to_start() -> None:
    def broken(context: object) -> list[object]:
        raise RuntimeError("boom")

    model = ScriptedChatModel([])
    async with serve(CopilotRuntime(actions=broken, model=model)) as client:  # type: ignore[arg-type]
        first = await client.post(f"{BASE}/agent/default/run", json=body())
        second = await client.post(f"{BASE}/agent/default/run", json=body(runId="r2"))
    assert first.status_code == 500
    assert second.status_code == 500  # not 409: the failed start released the thread
