"""record_run: a run in process, kept as a RunRecord for notebooks and graph-level tests."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from ag_ui.core import AssistantMessage, UserMessage
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph

from copilot_runtime.actions import ActionContext, action
from copilot_runtime.graphs import (
    Agent,
    GraphAgent,
    Table,
    available_tools,
    record_conversation,
    record_run,
)
from copilot_runtime.testing import ScriptedChatModel
from tests.fakes import answer, calls, seq_ids
from tests.graphs.conftest import SAY_HELLO


@action
def getWeather(city: str) -> dict[str, str]:
    """Current weather for a city.

    Args:
        city: The city.
    """
    return {"city": city, "forecast": "sunny"}


def weather_turns() -> list[Any]:
    return [
        calls(("c1", "getWeather", {"city": "Paris"}), id="m1"),
        answer("It is sunny.", id="m2"),
    ]


def agent(turns: list[Any], **options: Any) -> Agent:
    model = ScriptedChatModel(turns)
    return Agent(actions=[getWeather], model=model, new_id=seq_ids("tool"), **options)


async def test_record_keeps_every_event_in_arrival_order_when_run_finishes() -> None:
    record = await record_run(agent(weather_turns()), "weather?", new_id=seq_ids())
    assert [e.type for e in record.events] == [
        "RUN_STARTED",
        "TOOL_CALL_START",
        *["TOOL_CALL_ARGS"] * 6,  # {" city ": " Paris "}
        "TOOL_CALL_END",
        "TOOL_CALL_RESULT",
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_END",
        "RUN_FINISHED",
    ]
    times = [e.at for e in record.events]
    assert times == sorted(times)
    assert [e.index for e in record.events] == list(range(len(record.events)))
    assert record.time_to_first_token == record.events[2].at  # the first arguments piece
    assert record.duration == times[-1]
    assert record.text == "It is sunny."
    assert (record.thread_id, record.run_id) == ("thread-id-2", "run-id-3")
    assert record.error is None


async def test_record_pairs_each_tool_call_with_its_result_when_action_runs() -> None:
    record = await record_run(agent(weather_turns()), "weather?")
    [call] = record.tool_calls
    assert (call.tool_call_id, call.name, call.arguments) == ("c1", "getWeather", {"city": "Paris"})
    assert call.result == '{"city":"Paris","forecast":"sunny"}'
    assert call.ended_at is not None
    assert call.result_at is not None
    assert call.started_at <= call.ended_at <= call.result_at
    assert call.duration == call.result_at - call.ended_at
    assert record.tool_table()[0]["name"] == "getWeather"


async def test_record_leaves_result_empty_when_client_must_run_frontend_tool() -> None:
    turns = [calls(("c9", "sayHello", {"name": "Ada"}), id="m1")]
    record = await record_run(agent(turns), "greet Ada", tools=[SAY_HELLO])
    [call] = record.tool_calls
    assert (call.name, call.arguments, call.result, call.duration) == (
        "sayHello",
        {"name": "Ada"},
        None,
        None,
    )


async def test_record_messages_are_the_stored_thread_when_agent_keeps_threads() -> None:
    stored = await record_run(agent(weather_turns(), checkpointer=InMemorySaver()), "weather?")
    streamed = await record_run(agent(weather_turns()), "weather?")
    # Streamed ids are the stored ids, so the client's view and the thread agree.
    assert [(m.id, m.role) for m in stored.messages][1:] == [
        (m.id, m.role) for m in streamed.messages
    ][1:]
    assert [m.role for m in stored.messages] == ["user", "assistant", "tool", "assistant"]
    assert stored.messages[-1].content == "It is sunny."
    assert stored.checkpoint_id is not None
    assert streamed.checkpoint_id is None


async def test_record_gives_generator_the_properties_url_and_headers_when_given() -> None:
    seen: list[ActionContext] = []

    def actions(context: ActionContext) -> list[Any]:
        seen.append(context)
        return [getWeather]

    model = ScriptedChatModel([answer("hi", id="m1")])
    await record_run(
        Agent(actions=actions, model=model),
        "hello",
        thread_id="t-ctx",
        properties={"role": "admin"},
        url="https://app.example/orders",
        headers={"Authorization": "Bearer x"},
    )
    [context] = seen
    assert context.properties == {"role": "admin"}
    assert context.url == "https://app.example/orders"
    assert context.headers == {"authorization": "Bearer x"}
    assert context.thread_id == "t-ctx"


async def test_record_reports_error_and_usage_when_run_ends_badly() -> None:
    usage = {"input_tokens": 9, "output_tokens": 1, "total_tokens": 10}
    turns: list[Any] = [
        AIMessage(
            content="",
            id="m1",
            tool_calls=[{"id": "c1", "name": "getWeather", "args": {"city": "Rome"}}],
            usage_metadata=usage,
        ),
        RuntimeError("model crashed"),
    ]
    record = await record_run(agent(turns), "weather?")
    assert record.error is not None
    assert record.error.code == "INTERNAL_ERROR"
    assert [(u.input_tokens, u.total_tokens) for u in record.usage] == [(9, 10)]


async def test_record_shows_escaped_html_when_displayed_in_jupyter() -> None:
    record = await record_run(agent(weather_turns()), "<script>alert(1)</script>")
    page = record._repr_html_()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "RUN_FINISHED" in page
    assert "getWeather" in page


async def test_record_table_has_one_row_per_event_when_converted() -> None:
    record = await record_run(agent(weather_turns()), "weather?")
    table = record.table()
    assert isinstance(table, list)
    assert len(table) == len(record.events)
    assert set(table[0]) == {"index", "at_ms", "type", "id", "detail"}
    assert table[2]["detail"] == '{"'  # the first fragment of the arguments
    assert "<table>" in table._repr_html_()


def test_table_names_pandas_when_it_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(ImportError, match="pip install pandas"):
        Table([{"a": 1}]).to_dataframe()


async def test_record_conversation_resends_history_when_running_each_turn() -> None:
    turns = [answer("First.", id="m1"), answer("Second.", id="m2")]
    model = ScriptedChatModel(turns)
    records = await record_conversation(Agent(model=model), ["one", "two"], thread_id="t-conv")
    assert [r.text for r in records] == ["First.", "Second."]
    second = records[1].input.messages
    assert [m.role for m in second] == ["user", "assistant", "user"]
    assert isinstance(second[1], AssistantMessage)
    assert second[1].content == "First."
    assert [m.type for m in model.requests[1].messages][1:] == ["human", "ai", "human"]
    assert {r.thread_id for r in records} == {"t-conv"}


async def test_record_sends_given_messages_when_conversation_is_passed() -> None:
    model = ScriptedChatModel([answer("ok", id="m1")])
    conversation = [UserMessage(id="u1", content="a"), UserMessage(id="u2", content="b")]
    record = await record_run(Agent(model=model), conversation)
    assert [m.id for m in record.input.messages] == ["u1", "u2"]


async def test_available_tools_follow_properties_when_generator_filters() -> None:
    def actions(context: ActionContext) -> list[Any]:
        return [getWeather] if context.properties.get("plan") == "pro" else []

    demo = Agent(actions=actions, model=ScriptedChatModel([]))
    assert await available_tools(demo, properties={"plan": "pro"}) == ["getWeather"]
    assert await available_tools(demo, properties={"plan": "free"}) == []


async def test_record_refuses_checkpoint_when_agent_wraps_user_graph() -> None:
    graph = StateGraph(MessagesState)
    graph.add_node("echo", lambda state: {"messages": []})
    graph.add_edge(START, "echo")
    user_agent = GraphAgent(graph.compile(checkpointer=InMemorySaver()))
    with pytest.raises(TypeError, match="needs an Agent"):
        await record_run(user_agent, None, checkpoint_id="x")
