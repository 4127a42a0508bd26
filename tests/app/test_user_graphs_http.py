"""A user's own LangGraph graph over HTTP: what it is given, and everything it emits.

Each graph is written here the way the AG-UI dojo and CopilotKit's LangGraph examples write
theirs, served by a real uvicorn server and driven with plain AG-UI requests; the model is
scripted, so every run is the same.
"""

from __future__ import annotations

import asyncio
import json
import logging
import operator
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypedDict

import httpx
import pytest
from copilotkit import CopilotKitState
from copilotkit.langgraph import (
    copilotkit_customize_config,
    copilotkit_emit_message,
    copilotkit_emit_state,
    copilotkit_emit_tool_call,
    copilotkit_exit,
)
from langchain_core.callbacks.manager import adispatch_custom_event
from langchain_core.messages import AIMessage, AnyMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode
from langgraph.types import interrupt

from copilot_runtime.actions import user_failure_messages
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.testing import (
    Call,
    ScriptedChatModel,
    post_run,
    reasoning,
    reply,
    serve,
    stream_problems,
)

CHANGE_BACKGROUND = {
    "name": "change_background",
    "description": "Change the page's background",
    "parameters": {"type": "object", "properties": {"color": {"type": "string"}}},
}
READABLE = {"description": "The user's name", "value": "Ada"}


@asynccontextmanager
async def served(graph: Any, **runtime: Any) -> AsyncIterator[str]:
    """`graph` as the agent "graph" of a runtime on a real server; yields the base URL."""
    async with serve(CopilotRuntime(agents={"graph": graph}, **runtime)) as url:
        yield url


async def run(url: str, message: str | list[dict[str, Any]], **body: Any) -> list[dict[str, Any]]:
    events = await post_run(url, message, agent="graph", **body)
    assert stream_problems(events) == [], events
    return events


def of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [event for event in events if event["type"] == kind]


def texts(events: list[dict[str, Any]]) -> dict[str, str]:
    """The streamed text of each message id."""
    found: dict[str, str] = {}
    for event in of_type(events, "TEXT_MESSAGE_CONTENT"):
        found[event["messageId"]] = found.get(event["messageId"], "") + event["delta"]
    return found


def final_messages(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = of_type(events, "MESSAGES_SNAPSHOT")[-1]["messages"]
    return messages


def applied_state(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The client's state after each state event, applied as @ag-ui/client applies them."""
    import jsonpatch

    states: list[dict[str, Any]] = []
    state: dict[str, Any] | None = None
    for event in events:
        if event["type"] == "STATE_SNAPSHOT":
            state = event["snapshot"]
        elif event["type"] == "STATE_DELTA":
            assert state is not None, "a STATE_DELTA came before any STATE_SNAPSHOT"
            state = jsonpatch.apply_patch(state, event["delta"])
        else:
            continue
        states.append(state)
    return states


# --- inputs -------------------------------------------------------------------------------


class AgenticChatState(CopilotKitState):
    background: str


def agentic_chat(model: ScriptedChatModel) -> Any:
    """The dojo's agentic chat: the frontend's tools, bound from `state["copilotkit"]`."""

    async def chat(state: AgenticChatState, config: RunnableConfig) -> dict[str, Any]:
        tools = state["copilotkit"]["actions"]
        context = state["copilotkit"]["context"]
        props = config["configurable"]["forwarded_props"]
        answer = await model.bind_tools(tools).ainvoke(state["messages"], config)
        seen = f"{context[0]['value']} / {props.get('theme')}"
        return {"messages": [answer], "background": seen}

    graph = StateGraph(AgenticChatState).add_node("chat", chat)
    return graph.add_edge(START, "chat").add_edge("chat", END).compile()


async def test_frontend_tools_readables_and_props_reach_a_copilotkit_graph() -> None:
    model = ScriptedChatModel([Call("change_background", {"color": "blue"}, "call-1")])
    async with served(agentic_chat(model)) as url:
        events = await run(
            url,
            "make it blue",
            tools=[CHANGE_BACKGROUND],
            context=[READABLE],
            properties={"theme": "dark"},
        )
    assert of_type(events, "RUN_ERROR") == []
    assert model.requests[0].tool_names == ["change_background"]
    start = of_type(events, "TOOL_CALL_START")
    assert [(e["toolCallId"], e["toolCallName"]) for e in start] == [
        ("call-1", "change_background")
    ]
    assert of_type(events, "TOOL_CALL_RESULT") == []  # the frontend runs it
    assert of_type(events, "STATE_SNAPSHOT")[-1]["snapshot"] == {"background": "Ada / dark"}


class ToolsState(MessagesState):
    tools: list[dict[str, Any]]
    count: int
    label: str


async def test_state_tools_get_the_frontend_tools_and_client_state_merges_by_key() -> None:
    seen: list[dict[str, Any]] = []

    def look(state: ToolsState) -> dict[str, Any]:
        seen.append({"tools": [t["name"] for t in state["tools"]], "count": state["count"]})
        seen[-1]["label"] = state["label"]
        return {"count": state["count"] + 1}

    graph = StateGraph(ToolsState).add_node("look", look).add_edge(START, "look")
    compiled = graph.compile(checkpointer=InMemorySaver())
    async with served(compiled) as url:
        await run(url, "one", thread_id="t", state={"count": 1, "label": "a"})
        events = await run(
            url, "two", thread_id="t", state={"count": 10}, tools=[CHANGE_BACKGROUND]
        )
    assert seen == [
        {"tools": [], "count": 1, "label": "a"},
        {"tools": ["change_background"], "count": 10, "label": "a"},
    ]
    assert of_type(events, "STATE_SNAPSHOT")[-1]["snapshot"] == {"count": 11, "label": "a"}


# --- interrupts ---------------------------------------------------------------------------


def approval_graph() -> Any:
    """The dojo's human in the loop: a node asks, the answer decides."""

    async def ask(state: MessagesState) -> dict[str, Any]:
        answer = interrupt({"question": "Send the email?"})
        return {"messages": [AIMessage(content=f"You said {answer}", id="done")]}

    graph = StateGraph(MessagesState).add_node("ask", ask).add_edge(START, "ask")
    return graph.compile(checkpointer=InMemorySaver())


async def test_interrupt_ends_the_run_with_on_interrupt_and_command_resume_continues() -> None:
    async with served(approval_graph()) as url:
        first = await run(url, "send it", thread_id="hitl", run_id="r1")
        [announced] = of_type(first, "CUSTOM")
        assert announced["name"] == "on_interrupt"
        assert json.loads(announced["value"]) == {"question": "Send the email?"}
        assert "outcome" not in first[-1]
        assert first[-1]["type"] == "RUN_FINISHED"
        command = {"resume": "yes", "interruptEvent": announced["value"]}
        second = await run(url, [], thread_id="hitl", run_id="r1", properties={"command": command})
    assert texts(second) == {"done": "You said yes"}
    assert of_type(second, "CUSTOM") == []


async def test_a_graph_without_checkpointer_announces_its_interrupt_and_keeps_state_clean() -> None:
    def ask(state: ToolsState) -> dict[str, Any]:
        interrupt("Really?")
        return {}

    graph = StateGraph(ToolsState).add_node("ask", ask).add_edge(START, "ask")
    async with served(graph.compile()) as url:
        events = await run(url, "go", state={"count": 1})
    assert [e["value"] for e in of_type(events, "CUSTOM")] == ["Really?"]
    assert all(state == {"count": 1} for state in applied_state(events))


async def test_a_new_run_on_an_interrupted_thread_announces_the_interrupt_again() -> None:
    async with served(approval_graph()) as url:
        await run(url, "send it", thread_id="again")
        events = await run(url, "hello?", thread_id="again")
    kinds = [event["type"] for event in events]
    assert kinds == ["RUN_STARTED", "CUSTOM", "RUN_FINISHED"]
    assert json.loads(events[1]["value"]) == {"question": "Send the email?"}


class Votes(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    votes: Annotated[list[str], operator.add]


def two_voters() -> Any:
    """Two nodes of one step, each stopping at its own interrupt."""

    def voter(name: str) -> Any:
        def vote(state: Votes) -> dict[str, Any]:
            return {"votes": [f"{name}:{interrupt({'voter': name})}"]}

        return vote

    graph = StateGraph(Votes).add_node("alice", voter("alice")).add_node("bob", voter("bob"))
    graph.add_edge(START, "alice").add_edge(START, "bob")
    return graph.compile(checkpointer=InMemorySaver())


async def test_outcome_dialect_lists_every_interrupt_and_resume_entries_answer_each() -> None:
    async with served(two_voters(), interrupts="outcome") as url:
        first = await run(url, "vote", thread_id="votes")
        assert of_type(first, "CUSTOM") == []
        outcome = first[-1]["outcome"]
        assert outcome["type"] == "interrupt"
        by_voter = {i["metadata"]["value"]["voter"]: i["id"] for i in outcome["interrupts"]}
        assert sorted(by_voter) == ["alice", "bob"]
        resume = [
            {"interruptId": by_voter["alice"], "status": "resolved", "payload": "yes"},
            {"interruptId": by_voter["bob"], "status": "cancelled"},
        ]
        second = await run(url, [], thread_id="votes", resume=resume)
    assert "outcome" not in second[-1] or second[-1]["outcome"]["type"] == "success"
    votes = of_type(second, "STATE_SNAPSHOT")[-1]["snapshot"]["votes"]
    cancelled = {"__agui_cancelled__": True, "interrupt_id": by_voter["bob"]}
    assert sorted(votes) == ["alice:yes", f"bob:{cancelled}"]


async def test_a_resume_entry_for_no_pending_interrupt_is_a_run_error() -> None:
    async with served(two_voters(), interrupts="both") as url:
        first = await run(url, "vote", thread_id="wrong")
        assert len(of_type(first, "CUSTOM")) == 2
        assert len(first[-1]["outcome"]["interrupts"]) == 2
        resume = [{"interruptId": "not-an-interrupt", "status": "resolved", "payload": 1}]
        events = await run(url, [], thread_id="wrong", resume=resume)
    assert events[-1]["type"] == "RUN_ERROR"
    assert events[-1]["code"] == "INVALID_RESUME"


def subgraph_approval() -> Any:
    """The dojo's subgraphs: the interrupt is raised in a subgraph's node."""

    def confirm(state: MessagesState) -> dict[str, Any]:
        choice = interrupt("Which flight?")
        return {"messages": [AIMessage(content=f"Booked {choice}", id="booked")]}

    inner = StateGraph(MessagesState).add_node("confirm", confirm).add_edge(START, "confirm")
    outer = StateGraph(MessagesState).add_node("flights", inner.compile())
    return outer.add_edge(START, "flights").compile(checkpointer=InMemorySaver())


async def test_an_interrupt_in_a_subgraph_is_announced_and_resumed_once() -> None:
    async with served(subgraph_approval()) as url:
        first = await run(url, "book", thread_id="sub")
        [announced] = of_type(first, "CUSTOM")
        assert announced["value"] == "Which flight?"
        command = {"resume": "KLM", "interruptEvent": announced["value"]}
        second = await run(url, [], thread_id="sub", properties={"command": command})
    assert texts(second) == {"booked": "Booked KLM"}
    assert of_type(second, "CUSTOM") == []
    assert [m["id"] for m in final_messages(second)][-1] == "booked"


@tool
def delete_files(pattern: str) -> str:
    """Delete the files that match `pattern`."""
    allowed = interrupt({"action": "delete", "pattern": pattern})
    return "deleted" if allowed else "kept"


def tool_approval(model: ScriptedChatModel) -> Any:
    """An interrupt raised by a tool of a ToolNode."""

    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.bind_tools([delete_files]).ainvoke(state["messages"])]}

    def route(state: MessagesState) -> str:
        last = state["messages"][-1]
        return "tools" if isinstance(last, AIMessage) and last.tool_calls else END

    graph = StateGraph(MessagesState).add_node("agent", agent)
    graph.add_node("tools", ToolNode([delete_files]))
    graph.add_edge(START, "agent").add_conditional_edges("agent", route, ["tools", END])
    graph.add_edge("tools", "agent")
    return graph.compile(checkpointer=InMemorySaver())


async def test_an_interrupt_in_a_tool_pauses_the_call_until_the_answer_comes() -> None:
    model = ScriptedChatModel(
        [Call("delete_files", {"pattern": "*.tmp"}, "c1"), reply("All done.")]
    )
    async with served(tool_approval(model)) as url:
        first = await run(url, "clean up", thread_id="tool")
        [announced] = of_type(first, "CUSTOM")
        assert json.loads(announced["value"]) == {"action": "delete", "pattern": "*.tmp"}
        assert of_type(first, "TOOL_CALL_RESULT") == []
        command = {"resume": "true", "interruptEvent": announced["value"]}
        history = final_messages(first)  # what the client holds: the call included
        # (not `run`: the stream checker cannot know the call the client already holds)
        second = await post_run(
            url, history, agent="graph", thread_id="tool", properties={"command": command}
        )
    [result] = of_type(second, "TOOL_CALL_RESULT")
    assert (result["toolCallId"], result["content"]) == ("c1", "deleted")
    assert "All done." in texts(second).values()


def routed_graph() -> Any:
    """A graph a Command can steer: `goto` a node, `update` the state."""

    def start(state: ToolsState) -> dict[str, Any]:
        return {"label": "started"}

    def other(state: ToolsState) -> dict[str, Any]:
        return {"label": f"other after {state['label']}"}

    graph = StateGraph(ToolsState).add_node("start", start).add_node("other", other)
    graph.add_edge(START, "start")
    return graph.compile(checkpointer=InMemorySaver())


async def test_command_goto_and_update_steer_the_graph() -> None:
    async with served(routed_graph()) as url:
        await run(url, "go", thread_id="route", state={"count": 0})
        command = {"goto": "other", "update": {"label": "updated"}}
        events = await run(url, [], thread_id="route", properties={"command": command})
    steps = [e["stepName"] for e in of_type(events, "STEP_STARTED")]
    assert steps == ["other"]
    assert of_type(events, "STATE_SNAPSHOT")[-1]["snapshot"]["label"] == "other after updated"


# --- custom events, copilotkit helpers, steps ---------------------------------------------


class DocumentState(CopilotKitState):
    document: str
    progress: list[str]


def copilotkit_helpers_graph(model: ScriptedChatModel) -> Any:
    """A CopilotKit starter: emitted state, messages and tool calls, hidden model output,
    predicted state, and `copilotkit_exit`."""

    async def plan(state: DocumentState, config: RunnableConfig) -> dict[str, Any]:
        await adispatch_custom_event("progress", {"percent": 50}, config=config)
        await copilotkit_emit_state(config, {"document": "", "progress": ["planning"]})
        await copilotkit_emit_message(config, "Planning the document.")
        await copilotkit_emit_tool_call(
            config, name="show_plan", args={"steps": 2}, tool_call_id="plan-call"
        )
        hidden = copilotkit_customize_config(config, emit_messages=False)
        thoughts = await model.ainvoke(state["messages"], hidden)
        return {"messages": [thoughts], "progress": ["planning", "planned"]}

    async def write(state: DocumentState, config: RunnableConfig) -> dict[str, Any]:
        predicted = copilotkit_customize_config(
            config,
            emit_intermediate_state=[
                {"state_key": "document", "tool": "write_document", "tool_argument": "text"}
            ],
        )
        answer = await model.bind_tools([WRITE_DOCUMENT]).ainvoke(state["messages"], predicted)
        text = answer.tool_calls[0]["args"]["text"]
        await copilotkit_exit(config)
        result = ToolMessage(content="written", tool_call_id=answer.tool_calls[0]["id"], id="tr")
        return {"messages": [answer, result], "document": text}

    graph = StateGraph(DocumentState).add_node("plan", plan).add_node("write", write)
    graph.add_edge(START, "plan").add_edge("plan", "write")
    return graph.compile(checkpointer=InMemorySaver())


WRITE_DOCUMENT = {
    "name": "write_document",
    "description": "Write the document",
    "parameters": {"type": "object", "properties": {"text": {"type": "string"}}},
}


async def test_copilotkit_helpers_custom_events_and_switches_work_unchanged() -> None:
    model = ScriptedChatModel(
        [
            AIMessage(content="secret thoughts", id="hidden"),
            Call("write_document", {"text": "Once upon a time there was a runtime"}, "w1"),
        ]
    )
    async with served(copilotkit_helpers_graph(model)) as url:
        events = await run(url, "write a story", thread_id="doc")
    custom = [(e["name"], e["value"]) for e in of_type(events, "CUSTOM")]
    assert ("progress", {"percent": 50}) in custom
    assert ("Exit", True) in custom
    predict = [value for name, value in custom if name == "PredictState"]
    assert predict == [
        [{"state_key": "document", "tool": "write_document", "tool_argument": "text"}]
    ]
    emitted = texts(events)
    assert "Planning the document." in emitted.values()
    assert "hidden" not in emitted  # emit_messages=False
    [plan_call] = [e for e in of_type(events, "TOOL_CALL_START") if e["toolCallId"] == "plan-call"]
    assert plan_call["toolCallName"] == "show_plan"
    states = applied_state(events)
    assert {"document": "", "progress": ["planning"]} in states
    documents = [s.get("document") for s in states]
    growing = [d for d in documents if d and d != "Once upon a time there was a runtime"]
    assert growing, f"the document never streamed into the state: {documents}"
    assert "Once upon a time there was a runtime".startswith(growing[0])
    assert states[-1] == {
        "document": "Once upon a time there was a runtime",
        "progress": ["planning", "planned"],
    }
    # The hidden answer is not streamed, but the thread holds it: the snapshot says so.
    assert "hidden" in [m["id"] for m in final_messages(events)]


def nested_steps(model: ScriptedChatModel) -> Any:
    """A subgraph whose model streams its tokens."""

    async def research(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    inner = StateGraph(MessagesState).add_node("research", research)
    inner.add_edge(START, "research")
    outer = StateGraph(MessagesState).add_node("plan", lambda state: {})
    outer.add_node("researcher", inner.compile())
    outer.add_edge(START, "plan").add_edge("plan", "researcher")
    return outer.compile()


async def test_subgraph_nodes_are_steps_and_their_tokens_stream() -> None:
    model = ScriptedChatModel([AIMessage(content="Found three sources", id="found")])
    async with served(nested_steps(model)) as url:
        events = await run(url, "research")
    steps = [(e["type"], e["stepName"]) for e in events if e["type"].startswith("STEP_")]
    assert steps == [
        ("STEP_STARTED", "plan"),
        ("STEP_FINISHED", "plan"),
        ("STEP_STARTED", "researcher"),
        ("STEP_STARTED", "research"),
        ("STEP_FINISHED", "research"),
        ("STEP_FINISHED", "researcher"),
    ]
    assert len(of_type(events, "TEXT_MESSAGE_CONTENT")) > 1  # streamed, not sent whole
    assert texts(events) == {"found": "Found three sources"}


# --- state and messages -------------------------------------------------------------------


class PlanState(MessagesState):
    steps: list[dict[str, str]]
    tools: list[dict[str, Any]]


def plan_graph(checkpointer: InMemorySaver | None) -> Any:
    """The dojo's agentic generative UI: a plan whose steps complete one node at a time."""

    def make_plan(state: PlanState) -> dict[str, Any]:
        return {"steps": [{"title": f"step {n}", "status": "pending"} for n in range(3)]}

    def complete(number: int) -> Any:
        def node(state: PlanState) -> dict[str, Any]:
            steps = [dict(step) for step in state["steps"]]
            steps[number]["status"] = "completed"
            return {"steps": steps}

        return node

    graph = StateGraph(PlanState).add_node("make_plan", make_plan)
    previous = "make_plan"
    graph.add_edge(START, previous)
    for number in range(3):
        graph.add_node(f"step_{number}", complete(number)).add_edge(previous, f"step_{number}")
        previous = f"step_{number}"
    return graph.compile(checkpointer=checkpointer)


@pytest.mark.parametrize("checkpointer", [InMemorySaver(), None], ids=["saved", "unsaved"])
async def test_state_streams_as_a_snapshot_then_deltas_while_the_plan_progresses(
    checkpointer: InMemorySaver | None,
) -> None:
    async with served(plan_graph(checkpointer)) as url:
        events = await run(url, "plan it", tools=[CHANGE_BACKGROUND])
    state_events = [e for e in events if e["type"] in ("STATE_SNAPSHOT", "STATE_DELTA")]
    assert state_events[0]["type"] == "STATE_SNAPSHOT"
    assert len(of_type(events, "STATE_DELTA")) >= 3
    progress = [
        [step["status"] for step in state.get("steps", [])] for state in applied_state(events)
    ]
    for done in range(4):
        expected = ["completed"] * done + ["pending"] * (3 - done)
        assert expected in progress, progress
    for state in applied_state(events):
        assert not {"messages", "tools", "copilotkit"} & set(state)


def appending_graph() -> Any:
    """Nodes that return `state["messages"] + [new]` and dict messages."""

    def tool_node(state: MessagesState) -> dict[str, Any]:
        result = {"role": "tool", "content": "42", "tool_call_id": "lookup-1", "id": "result-1"}
        return {"messages": [*state["messages"], result]}

    def answer(state: MessagesState) -> dict[str, Any]:
        final = {"role": "assistant", "content": "The answer is 42.", "id": "final"}
        return {"messages": [*state["messages"], final]}

    def ask(state: MessagesState) -> dict[str, Any]:
        call_message = AIMessage(
            content="",
            id="asking",
            tool_calls=[{"id": "lookup-1", "name": "lookup", "args": {}}],
        )
        return {"messages": [*state["messages"], call_message]}

    graph = StateGraph(MessagesState).add_node("ask", ask).add_node("tool", tool_node)
    graph.add_node("answer", answer)
    graph.add_edge(START, "ask").add_edge("ask", "tool").add_edge("tool", "answer")
    return graph.compile(checkpointer=InMemorySaver())


async def test_every_message_is_sent_once_and_the_snapshot_matches_the_thread() -> None:
    async with served(appending_graph()) as url:
        history = [{"id": "u0", "role": "user", "content": "earlier"}]
        history.append({"id": "a0", "role": "assistant", "content": "earlier answer"})
        history.append({"id": "u1", "role": "user", "content": "what is it?"})
        events = await run(url, history, thread_id="once")
        async with httpx.AsyncClient() as client:
            connect = await client.post(
                f"{url}/api/copilotkit/agent/graph/connect",
                json={"threadId": "once", "runId": "c", "messages": [], "tools": [],
                      "context": [], "forwardedProps": {}, "state": {}},
            )  # fmt: skip
    started = [e["messageId"] for e in of_type(events, "TEXT_MESSAGE_START")]
    assert started == ["final"]
    assert texts(events) == {"final": "The answer is 42."}
    calls = [e["toolCallId"] for e in of_type(events, "TOOL_CALL_START")]
    results = [(e["toolCallId"], e["content"]) for e in of_type(events, "TOOL_CALL_RESULT")]
    assert (calls, results) == (["lookup-1"], [("lookup-1", "42")])
    thread = ["u0", "a0", "u1", "asking", "result-1", "final"]
    assert [m["id"] for m in final_messages(events)] == thread
    replayed = [
        json.loads(line[5:]) for line in connect.text.split("\n") if line.startswith("data:")
    ]
    assert [m["id"] for m in final_messages(replayed)] == thread


async def test_a_stopped_run_closes_the_step_it_was_in() -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(state: MessagesState) -> dict[str, Any]:
        started.set()
        await release.wait()
        return {}

    graph = StateGraph(MessagesState).add_node("slow_node", slow).add_edge(START, "slow_node")
    async with served(graph.compile()) as url, httpx.AsyncClient(timeout=30) as client:
        running = asyncio.create_task(run(url, "go", thread_id="stopped", run_id="r1"))
        await asyncio.wait_for(started.wait(), 10)
        stop = await client.post(
            f"{url}/api/copilotkit/agent/graph/stop/stopped", json={"runId": "r1"}
        )
        events = await asyncio.wait_for(running, 10)  # `run` checks the stream is valid
    assert stop.json()["stopped"] is True
    assert [e["type"] for e in events][-2:] == ["STEP_FINISHED", "RUN_FINISHED"]
    assert events[-2]["stepName"] == "slow_node"


# --- reasoning ----------------------------------------------------------------------------


async def test_a_user_graphs_reasoning_streams_as_reasoning_events() -> None:
    model = ScriptedChatModel([[reasoning("Thinking about colours."), reply("Blue.")]])

    async def chat(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    graph = StateGraph(MessagesState).add_node("chat", chat).add_edge(START, "chat")
    compiled = graph.compile(checkpointer=InMemorySaver())
    async with served(compiled) as url:
        events = await run(url, "a colour?", thread_id="why")
    kinds = [e["type"] for e in events if e["type"].startswith("REASONING")]
    assert kinds[:2] == ["REASONING_START", "REASONING_MESSAGE_START"]
    assert kinds[-2:] == ["REASONING_MESSAGE_END", "REASONING_END"]
    thought = "".join(e["delta"] for e in of_type(events, "REASONING_MESSAGE_CONTENT"))
    assert thought == "Thinking about colours."
    assert "".join(texts(events).values()) == "Blue."
    stored = (await compiled.aget_state({"configurable": {"thread_id": "why"}})).values
    blocks = stored["messages"][-1].content
    assert [block["type"] for block in blocks] == ["reasoning", "text"]


# --- errors -------------------------------------------------------------------------------


def failing_graph() -> Any:
    def fetch(state: MessagesState) -> dict[str, Any]:
        raise ValueError("password=hunter2 rejected")

    graph = StateGraph(MessagesState).add_node("fetch_orders", fetch)
    return graph.add_edge(START, "fetch_orders").compile()


@pytest.mark.parametrize("debug", [False, True])
async def test_a_failing_node_is_named_in_the_log_and_the_client_gets_a_safe_error(
    debug: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    async with served(failing_graph()) as url:
        if debug:
            with user_failure_messages():
                events = await run(url, "orders?")
        else:
            events = await run(url, "orders?")
    assert events[-1]["type"] == "RUN_ERROR"
    assert events[-1]["code"] == "INTERNAL_ERROR"
    assert "hunter2" not in json.dumps(events)
    [line] = [r.getMessage() for r in caplog.records if "failed in node" in r.getMessage()]
    assert "failed in node 'fetch_orders'" in line
    assert "ValueError" in line
    assert ("hunter2" in line) is debug


# --- the built-in agent -------------------------------------------------------------------


async def test_the_built_in_agents_reasoning_streams_and_stays_in_the_thread() -> None:
    model = ScriptedChatModel(
        [[reasoning("The user greets me."), reply("Hello!")], reply("Again hello.")]
    )
    async with serve(CopilotRuntime(model=model)) as url:
        first = await post_run(url, "hi", thread_id="builtin")
        thought = "".join(e["delta"] for e in of_type(first, "REASONING_MESSAGE_CONTENT"))
        assert thought == "The user greets me."
        assert stream_problems(first) == []
        answer_id = of_type(first, "TEXT_MESSAGE_START")[0]["messageId"]
        history = [
            {"id": "u1", "role": "user", "content": "hi"},
            {"id": answer_id, "role": "assistant", "content": "Hello!"},
            {"id": "u2", "role": "user", "content": "hi again"},
        ]
        await post_run(url, history, thread_id="builtin")
    prompt = model.requests[1].messages
    kept = next(m for m in prompt if m.id == answer_id)
    assert isinstance(kept.content, list)
    assert [block["type"] for block in kept.content if isinstance(block, dict)] == [
        "reasoning",
        "text",
    ]
