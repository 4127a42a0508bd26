"""A stopped run's streamed text is kept in its thread, for a reload and for the next run."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import cast

from ag_ui.core import BaseEvent, RunAgentInput, UserMessage
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver

from copilot_runtime.app.stopped_answer import keep_stopped_answer, streamed_texts
from copilot_runtime.graphs import Agent
from copilot_runtime.testing import ScriptedChatModel, reply


def run_input(run_id: str, message_id: str, text: str) -> RunAgentInput:
    return RunAgentInput(
        thread_id="t",
        run_id=run_id,
        state={},
        messages=[UserMessage(id=message_id, role="user", content=text)],
        tools=[],
        context=[],
        forwarded_props={},
    )


async def test_the_text_streamed_before_a_stop_becomes_the_assistant_message() -> None:
    words = " ".join(f"w{i}" for i in range(40))
    model = ScriptedChatModel([reply(words), reply("second answer")], delay=0.005)
    agent = Agent(model=model)
    agent.use_checkpointer(InMemorySaver())
    seen: list[BaseEvent] = []
    events = cast("AsyncGenerator[BaseEvent]", agent.run(run_input("r1", "u1", "hi")))
    async for event in events:
        seen.append(event)
        if len(streamed_texts(seen)) == 1 and len(streamed_texts(seen)[0][1]) > 10:
            break
    await events.aclose()  # what a stop does to the run
    streamed = streamed_texts(seen)[0][1]
    assert streamed
    assert streamed != words

    await keep_stopped_answer(agent, "t", seen)

    snapshot = await agent.thread_snapshot("t")
    assert snapshot is not None
    assert [(m.role, m.content) for m in snapshot.messages] == [
        ("user", "hi"),
        ("assistant", streamed),
    ]
    async for _ in agent.run(run_input("r2", "u2", "go on")):
        pass
    prompt = model.requests[-1].messages
    assert any(isinstance(m, AIMessage) and m.content == streamed for m in prompt)


async def test_a_text_the_thread_holds_already_is_not_written_twice() -> None:
    agent = Agent(model=ScriptedChatModel([reply("all of it")]))
    agent.use_checkpointer(InMemorySaver())
    seen = [event async for event in agent.run(run_input("r1", "u1", "hi"))]
    await keep_stopped_answer(agent, "t", seen)
    snapshot = await agent.thread_snapshot("t")
    assert snapshot is not None
    assert [m.content for m in snapshot.messages] == ["hi", "all of it"]
