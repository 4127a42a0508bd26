"""serve runs an app on real uvicorn for the block's duration; post_run reads a run's events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from langchain_core.messages import BaseMessage
from langchain_openai import ChatOpenAI
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph

from copilot_runtime import CopilotRuntime, action, add_copilotkit_endpoint
from copilot_runtime.testing import (
    RunRequestError,
    ScriptedChatModel,
    call,
    post_run,
    reply,
    serve,
    settings_for_tests,
    stream_problems,
)
from copilot_runtime.testing.fake_openai import FakeOpenAIServer, Text, ToolCalls
from copilot_runtime.testing.fake_openai import call as openai_call


@action
def lookup(city: str) -> str:
    """The weather in a city.

    Args:
        city: The city.
    """
    return f"sunny in {city}"


def scripted_runtime() -> CopilotRuntime:
    model = ScriptedChatModel([call("lookup", city="Paris"), reply("Sunny in Paris.")])
    return CopilotRuntime(actions=[lookup], model=model)


def texts(events: list[dict[str, object]]) -> str:
    return "".join(str(e["delta"]) for e in events if e["type"] == "TEXT_MESSAGE_CONTENT")


async def test_a_runtime_is_served_at_its_base_path_until_the_block_ends() -> None:
    async with serve(scripted_runtime()) as url:
        assert url.startswith("http://127.0.0.1:")
        events = await post_run(url, "Weather in Paris?", thread_id="t1")
        async with httpx.AsyncClient() as client:  # a sync client would block the server
            info = (await client.get(f"{url}/api/copilotkit/info")).json()
    assert stream_problems(events) == []
    assert [e["content"] for e in events if e["type"] == "TOOL_CALL_RESULT"] == ["sunny in Paris"]
    assert texts(events) == "Sunny in Paris."
    assert "default" in info["agents"]
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as client:
            await client.get(f"{url}/api/copilotkit/info")


async def test_an_app_of_ones_own_is_served_with_its_lifespan() -> None:
    app = FastAPI()
    add_copilotkit_endpoint(app, scripted_runtime(), "/copilot", settings=settings_for_tests())
    async with serve(app) as url:
        events = await post_run(url, "Weather in Paris?", base_path="/copilot")
    assert stream_problems(events) == []
    assert texts(events) == "Sunny in Paris."


async def test_a_graph_of_ones_own_streams_its_scripted_answer() -> None:
    model = ScriptedChatModel([reply("Noted.")])

    async def note(state: MessagesState) -> dict[str, list[BaseMessage]]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("note", note)
    builder.add_edge(START, "note")
    runtime = CopilotRuntime(agents={"notes": builder.compile(checkpointer=InMemorySaver())})
    async with serve(runtime) as url:
        events = await post_run(url, "buy milk", agent="notes")
    assert stream_problems(events) == []
    assert texts(events) == "Noted."
    assert model.requests[0].messages[-1].text == "buy milk"


async def test_a_refused_run_raises_with_the_servers_answer() -> None:
    async with serve(scripted_runtime()) as url:
        with pytest.raises(RunRequestError) as raised:
            await post_run(url, "hi", agent="nobody")
    assert raised.value.status_code == 404
    assert "nobody" in raised.value.body


async def test_the_environment_does_not_change_a_served_runtime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COPILOT_BASE_PATH", "/elsewhere")
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    async with serve(scripted_runtime()) as url:
        events = await post_run(url, "Weather in Paris?")
    assert texts(events) == "Sunny in Paris."


async def test_an_app_that_cannot_start_fails_the_block() -> None:
    def connect() -> None:
        raise OSError("the database is down")

    @asynccontextmanager
    async def broken(_app: FastAPI) -> AsyncIterator[None]:
        connect()
        yield

    with pytest.raises(RuntimeError, match="did not start under uvicorn"):
        async with serve(FastAPI(lifespan=broken)):
            pass


async def test_real_chatopenai_over_http_to_the_fake_server(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.script(
        ToolCalls(calls=(openai_call("lookup", {"city": "Oslo"}),)), Text(text="Sunny in Oslo.")
    )
    model = ChatOpenAI(model="gpt-4o-mini", base_url=fake_openai.base_url, api_key="fake")
    async with serve(CopilotRuntime(actions=[lookup], model=model)) as url:
        events = await post_run(url, "Weather in Oslo?")
    assert stream_problems(events) == []
    assert texts(events) == "Sunny in Oslo."
    second = fake_openai.model_requests()[1].body
    assert second["messages"][-1] == {
        "role": "tool",
        "content": "sunny in Oslo",
        "tool_call_id": "call_lookup",
    }
