"""Reconciling the history a client re-sends with the stored thread."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from ag_ui.core import AssistantMessage, FunctionCall, Message, SystemMessage, ToolCall, UserMessage
from ag_ui.core import ToolMessage as AgUiToolMessage
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, RemoveMessage, ToolMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import ToolCall as ToolCallDict
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver

from copilot_runtime.graphs import Agent
from copilot_runtime.graphs.history import INTERRUPTED_CALL, close_dangling_calls, reconcile
from copilot_runtime.graphs.messages import langchain_messages
from copilot_runtime.testing import ScriptedChatModel
from tests.fakes import answer
from tests.graphs.conftest import collect, run_input


def human(id: str) -> HumanMessage:
    return HumanMessage(content=id, id=id)


def ai(id: str) -> AIMessage:
    return AIMessage(content=id, id=id)


STORED: list[BaseMessage] = [human("u1"), ai("a1"), human("u2"), ai("a2")]
CALL: ToolCallDict = {"id": "c1", "name": "lookup", "args": {"q": "x"}}


def ids(update: Sequence[object]) -> list[str]:
    return [
        f"-{item.id}" if isinstance(item, RemoveMessage) else str(getattr(item, "id", ""))
        for item in update
    ]


@pytest.mark.parametrize(
    ("client", "expected"),
    [
        # What the client re-sends as stored is not in the update (the thread is not rewritten).
        ([human("u1"), ai("a1"), human("u2"), ai("a2"), human("u3")], ["u3"]),
        ([human("u3")], ["u3"]),  # only the new message: appended, nothing lost
        ([human("u1"), ai("a1"), human("u2")], ["-a2"]),  # regenerate
        ([human("u1"), ai("a1"), human("u2b")], ["-u2", "-a2", "u2b"]),  # edit
        ([human("u2"), ai("a2"), human("u3")], ["u3"]),  # trimmed start: u1, a1 kept
        (  # an answer changed under its own id: the client's copy replaces the stored one
            [human("u1"), AIMessage(content="a1, shortened", id="a1"), human("u2"), ai("a2")],
            ["a1"],
        ),
        (  # a tool call the client knows differently
            [human("u1"), AIMessage(content="a1", id="a1", tool_calls=[CALL]), human("u2")],
            ["-a2", "a1"],
        ),
    ],
    ids=[
        "continue",
        "only-new",
        "regenerate",
        "edit",
        "trimmed-start",
        "changed-text",
        "changed-calls",
    ],
)
def test_reconcile_lets_client_win_without_losing_or_duplicating(
    client: list[BaseMessage], expected: list[str]
) -> None:
    assert ids(reconcile(STORED, client)) == expected  # type: ignore[arg-type]


def test_close_dangling_calls_answers_only_unanswered_calls() -> None:
    call = AIMessage(
        content="",
        id="a1",
        tool_calls=[{"id": "c1", "name": "x", "args": {}}, {"id": "c2", "name": "y", "args": {}}],
    )
    answered = ToolMessage(content="ok", tool_call_id="c1", id="t1")
    prompt = close_dangling_calls([human("u1"), call, answered, human("u2")])
    assert [type(m).__name__ for m in prompt] == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "ToolMessage",
        "HumanMessage",
    ]
    assert prompt[2].content == INTERRUPTED_CALL
    assert isinstance(prompt[2], ToolMessage)
    assert prompt[2].tool_call_id == "c2"


async def stored_ids(agent: Agent, thread: str = "t1") -> list[str]:
    state = await agent.graph.aget_state({"configurable": {"thread_id": thread}})
    return [str(m.id) for m in state.values["messages"]]


async def test_thread_drops_the_old_answer_when_client_regenerates_it() -> None:
    model = ScriptedChatModel([answer("first try", id="a1"), answer("second try", id="a2")])
    agent = Agent(model=model, checkpointer=InMemorySaver())
    await collect(agent, run_input("hi"))
    await collect(agent, run_input(messages=[UserMessage(id="u1", content="hi")], run_id="r2"))
    assert await stored_ids(agent) == ["u1", "a2"]
    assert [m.id for m in model.requests[1].messages[1:]] == [
        "u1"
    ]  # the model never saw the first try


async def test_thread_keeps_what_only_the_server_knows_when_client_resends_an_answer() -> None:
    usage: UsageMetadata = {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4}
    one = AIMessage(content="one", id="a1", usage_metadata=usage)
    model = ScriptedChatModel([one, answer("two", id="a2")])
    agent = Agent(model=model, checkpointer=InMemorySaver())
    await collect(agent, run_input("first"))
    config: RunnableConfig = {"configurable": {"thread_id": "t1"}}
    first = (await agent.graph.aget_state(config)).values["messages"][-1]
    assert first.usage_metadata == usage  # the provider's token counts, never streamed
    history = [
        UserMessage(id="u1", content="first"),
        AssistantMessage(id="a1", content="one"),
        UserMessage(id="u2", content="second"),
    ]
    await collect(agent, run_input(messages=history, run_id="r2"))
    messages = (await agent.graph.aget_state(config)).values["messages"]
    assert [m.id for m in messages] == ["u1", "a1", "u2", "a2"]
    assert messages[1].usage_metadata == usage


async def test_thread_keeps_history_when_client_sends_only_the_new_message() -> None:
    model = ScriptedChatModel([answer("one", id="a1"), answer("two", id="a2")])
    agent = Agent(model=model, checkpointer=InMemorySaver())
    await collect(agent, run_input("first"))
    await collect(agent, run_input(messages=[UserMessage(id="u2", content="second")], run_id="r2"))
    assert await stored_ids(agent) == ["u1", "a1", "u2", "a2"]
    assert [m.id for m in model.requests[1].messages[1:]] == ["u1", "a1", "u2"]


async def test_client_system_messages_reach_the_model_but_not_the_thread() -> None:
    model = ScriptedChatModel([answer("one", id="a1"), answer("two", id="a2")])
    agent = Agent(model=model, checkpointer=InMemorySaver())
    for run, system_id in (("r1", "sys-1"), ("r2", "sys-2")):  # a fresh id per request
        history = [
            SystemMessage(id=system_id, content="Be brief."),
            UserMessage(id="u1", content="hi"),
        ]
        if run == "r2":
            history += [
                AssistantMessage(id="a1", content="one"),
                UserMessage(id="u2", content="again"),
            ]
        await collect(agent, run_input(messages=history, run_id=run))
    assert await stored_ids(agent) == ["u1", "a1", "u2", "a2"]
    assert [m.content for m in model.requests[1].messages[:2]][1] == "Be brief."


async def test_next_run_works_when_thread_has_an_unanswered_tool_call() -> None:
    model = ScriptedChatModel([answer("recovered", id="a2")])
    agent = Agent(model=model, checkpointer=InMemorySaver())
    interrupted = AssistantMessage(
        id="a1", tool_calls=[ToolCall(id="c1", function=FunctionCall(name="slow", arguments="{}"))]
    )
    history = [UserMessage(id="u1", content="go"), interrupted, UserMessage(id="u2", content="?")]
    events = await collect(agent, run_input(messages=history))
    assert events[-1]["type"] == "RUN_FINISHED"
    prompt = model.requests[0].messages
    assert [type(m).__name__ for m in prompt[1:]] == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "HumanMessage",
    ]


def test_resent_messages_that_say_the_same_are_taken_from_the_thread_not_built_again() -> None:
    call = ToolCall(id="c1", function=FunctionCall(name="lookup", arguments='{"q": "x"}'))
    stored: list[BaseMessage] = [
        human("u1"),
        ai("a1"),
        AIMessage(content="", id="a2", tool_calls=[CALL]),
        ToolMessage(content="found", tool_call_id="c1", id="t1"),
    ]
    client: list[Message] = [
        UserMessage(id="u1", content="u1"),
        AssistantMessage(id="a1", content="a1"),
        AssistantMessage(id="a2", tool_calls=[call]),
        AgUiToolMessage(id="t1", content="found", tool_call_id="c1"),
    ]
    converted = langchain_messages(client, known=stored)
    assert [a is b for a, b in zip(converted, stored, strict=True)] == [True, True, False, True]
    assert reconcile(stored, converted) == []  # tool calls are compared after converting
    edited = langchain_messages([UserMessage(id="u1", content="u1, edited")], known=stored)
    assert edited[0] is not stored[0]
    assert edited[0].content == "u1, edited"
    assert ids(reconcile(stored, edited)) == ["-a1", "-a2", "-t1", "u1"]
