"""Tokens from TokenCallback give the events LangGraph's messages mode gives, and stop as fast."""

from __future__ import annotations

import asyncio
import copy
from typing import Annotated, Any, TypedDict

from ag_ui.core import BaseEvent, TextMessageContentEvent
from langchain_core.messages import AnyMessage
from langgraph.graph import START, StateGraph
from langgraph.graph.message import add_messages

from copilot_runtime.actions import Action, ActionContext
from copilot_runtime.graphs import Agent
from copilot_runtime.graphs.channel import EventChannel
from copilot_runtime.graphs.run import GraphRun, run_agent
from copilot_runtime.testing import ScriptedChatModel
from tests.fakes import answer, calls, dumped, seq_ids
from tests.graphs.conftest import FETCH, SAY_HELLO, run_input

SCRIPTS: dict[str, list[Any]] = {
    "text": [answer("Hello there, how are you", id="m1")],
    "action then answer": [
        calls(("c1", "fetchNameForUserId", {"userId": "42"}), id="m1", text="Let me look."),
        answer("It is Darth Doe.", id="m2"),
    ],
    "parallel mixed calls": [
        calls(
            ("c1", "fetchNameForUserId", {"userId": "42"}),
            ("c2", "sayHello", {"name": "Darth"}),
            ("c3", "fetchNameForUserId", {"userId": "7"}),
            id="m1",
        ),
    ],
    "model failure mid-answer": [
        answer("half an", id="m1"),
        RuntimeError("provider went away"),
    ],
}


async def agent_events(turns: list[Any], *, direct_tokens: bool) -> list[dict[str, Any]]:
    """One run of the built-in agent graph with either token path."""
    agent = Agent(actions=[FETCH], model=ScriptedChatModel(copy.deepcopy(turns)), new_id=seq_ids())
    request = run_input("name of user 42?", tools=[SAY_HELLO])
    instructions, graph_input = await agent.inputs(request)
    graph_run = GraphRun(
        thread_id="t1",
        run_id="r1",
        graph_input=graph_input,
        context=await agent.run_context(request, ActionContext(thread_id="t1"), instructions),
        direct_tokens=direct_tokens,
    )
    return dumped([event async for event in run_agent(agent.graph, graph_run)])


async def test_direct_tokens_give_messages_mode_events_for_every_kind_of_turn() -> None:
    for name, turns in SCRIPTS.items():
        direct = await agent_events(turns, direct_tokens=True)
        messages_mode = await agent_events(turns, direct_tokens=False)
        assert direct == messages_mode, name
        assert sum(e["type"] == "TEXT_MESSAGE_CONTENT" for e in direct) != 1, name  # streamed


class Chat(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


def graph_with_model_calls(model: ScriptedChatModel, *, tags: list[str]) -> Any:
    """A user graph whose node asks the model directly and whose subgraph asks it again."""

    async def ask(state: Chat) -> dict[str, Any]:
        return {"messages": [await model.with_config(tags=tags).ainvoke(state["messages"])]}

    inner = StateGraph(Chat)
    inner.add_node("inner_ask", ask)
    inner.add_edge(START, "inner_ask")
    outer = StateGraph(Chat)
    outer.add_node("ask", ask)
    outer.add_node("sub", inner.compile())
    outer.add_edge(START, "ask")
    outer.add_edge("ask", "sub")
    return outer.compile()


async def test_direct_tokens_skip_nostream_and_subgraph_calls_like_messages_mode() -> None:
    results: dict[tuple[str, bool], list[dict[str, Any]]] = {}
    for tags in ([], ["nostream"]):
        for direct in (True, False):
            turns = [answer("outer answer here", id="m1"), answer("inner answer here", id="m2")]
            graph = graph_with_model_calls(ScriptedChatModel(turns), tags=tags)
            run = GraphRun(
                thread_id="t1",
                run_id="r1",
                graph_input={"messages": [("user", "hi")]},
                direct_tokens=direct,
            )
            results[(str(tags), direct)] = dumped([e async for e in run_agent(graph, run)])
    for key in ("[]", "['nostream']"):
        assert results[(key, True)] == results[(key, False)], key
    deltas = [e["delta"] for e in results[("[]", True)] if e["type"] == "TEXT_MESSAGE_CONTENT"]
    assert deltas == ["outer ", "answer ", "here", "inner answer here"]  # the subgraph's: whole
    nostream = results[("['nostream']", True)]
    assert [e["delta"] for e in nostream if e["type"] == "TEXT_MESSAGE_CONTENT"] == [
        "outer answer here",
        "inner answer here",
    ]


async def test_closing_run_cancels_tool_in_flight_before_close_returns() -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def wait_forever(userId: str) -> str:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    slow = Action(
        name="fetchNameForUserId",
        description="Fetches a user name, slowly.",
        parameters=FETCH.parameters,
        handler=wait_forever,
    )
    model = ScriptedChatModel([calls(("c1", "fetchNameForUserId", {"userId": "1"}), id="m1")])
    events = Agent(actions=[slow], model=model).run(run_input("who is 1?"))
    async for event in events:
        if event.type == "TOOL_CALL_END":
            break
    await asyncio.wait_for(started.wait(), 5)
    await events.aclose()  # type: ignore[attr-defined]
    assert cancelled.is_set()


async def test_channel_hands_out_events_in_order_and_ends_after_close() -> None:
    channel: EventChannel[BaseEvent] = EventChannel()
    first: list[BaseEvent] = [
        TextMessageContentEvent(message_id="m", delta=str(i)) for i in range(3)
    ]
    reader = asyncio.create_task(channel.take())
    await asyncio.sleep(0)
    channel.put(first[:1])
    channel.put(first[1:])  # before the reader runs: it gets both puts at once
    assert await reader == first
    channel.put([])  # nothing to hand out: no wake-up
    channel.put(first[:1])
    channel.close()
    assert await channel.take() == first[:1]  # what came before the close is still read
    assert await channel.take() is None
