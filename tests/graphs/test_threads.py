"""A thread's checkpoints, and runs forked or replayed from one of them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Durability

from copilot_runtime.actions import Action
from copilot_runtime.graphs import (
    Agent,
    DemoChatModel,
    record_conversation,
    record_run,
    thread_history,
)
from copilot_runtime.graphs.channel import stop_task
from copilot_runtime.testing import ScriptedChatModel
from tests.fakes import answer, calls
from tests.graphs.conftest import run_input
from tests.graphs.test_record import agent, getWeather, weather_turns


async def test_thread_history_lists_checkpoints_oldest_first_when_thread_has_runs() -> None:
    threaded = agent(weather_turns(), checkpointer=InMemorySaver())
    record = await record_run(threaded, "weather?", thread_id="t-hist")
    history = await thread_history(threaded, "t-hist")
    assert [c.step for c in history] == [-1, 0, 1, 2, 3]
    assert [c.source for c in history] == ["input", "loop", "loop", "loop", "loop"]
    assert [c.next for c in history] == [("__start__",), ("model",), ("tools",), ("model",), ()]
    assert [len(c.messages) for c in history] == [0, 1, 2, 3, 4]
    assert history[2].last_message == "ai: calls getWeather"
    assert history[-1].last_message == "ai: It is sunny."
    assert history[-1].checkpoint_id == record.checkpoint_id
    parents = [c.parent_checkpoint_id for c in history]
    assert parents == [None, *[c.checkpoint_id for c in history][:-1]]
    assert [row["step"] for row in history.table()] == [-1, 0, 1, 2, 3]
    assert "<table>" in history._repr_html_()


async def test_thread_history_is_empty_when_agent_keeps_no_threads() -> None:
    assert len(await thread_history(agent([]), "t-none")) == 0


async def test_fork_branches_thread_from_checkpoint_when_new_message_is_given() -> None:
    demo = Agent(actions=[getWeather], model=DemoChatModel(), checkpointer=InMemorySaver())
    await record_conversation(demo, ["weather in 'Paris'?", "weather in 'Oslo'?"], thread_id="t")
    history = await thread_history(demo, "t")
    end_of_first_turn = next(c for c in history if c.step == 3)
    fork = await record_run(
        demo, "weather in 'Rome'?", thread_id="t", checkpoint_id=end_of_first_turn.checkpoint_id
    )
    assert "Rome" in fork.text
    contents = [str(m.content) for m in fork.messages if m.role == "user"]
    assert contents == ["weather in 'Paris'?", "weather in 'Rome'?"]  # Oslo is on the other branch
    old = {c.checkpoint_id for c in history}
    after = await thread_history(demo, "t")
    assert old <= {c.checkpoint_id for c in after}  # the Oslo branch is still stored
    new = [c for c in after if c.checkpoint_id not in old]
    assert new[0].parent_checkpoint_id == end_of_first_turn.checkpoint_id  # the branch point
    assert new[0].step == 4


async def test_replay_reruns_the_next_nodes_when_no_message_is_given() -> None:
    model = ScriptedChatModel([answer("First answer.", id="m1"), answer("Again.", id="m2")])
    threaded = Agent(model=model, checkpointer=InMemorySaver())
    await record_run(threaded, "question", thread_id="t-replay")
    before_model = next(
        c for c in await thread_history(threaded, "t-replay") if c.next == ("model",)
    )
    replay = await record_run(
        threaded, None, thread_id="t-replay", checkpoint_id=before_model.checkpoint_id
    )
    assert replay.text == "Again."
    assert [m.type for m in model.requests[1].messages][1:] == [
        "human"
    ]  # the model saw the same question
    assert [str(m.content) for m in replay.messages] == ["question", "Again."]


async def test_exit_durability_writes_one_checkpoint_a_run_and_keeps_the_same_thread() -> None:
    def turns() -> list[Any]:
        return [*weather_turns(), answer("Still sunny.", id="m3")]

    stepwise = agent(turns(), checkpointer=InMemorySaver())
    once = agent(turns(), checkpointer=InMemorySaver(), durability="exit")
    for threaded in (stepwise, once):
        await record_conversation(threaded, ["weather?", "and now?"], thread_id="t")
    by_step, at_exit = await thread_history(stepwise, "t"), await thread_history(once, "t")
    assert len(by_step) == 8  # per run: its input, then one per superstep (5 + 3)
    assert [(c.step, len(c.messages)) for c in at_exit] == [(3, 4), (6, 6)]
    said = [[(m.type, m.content) for m in h[-1].messages] for h in (by_step, at_exit)]
    assert said[0] == said[1]  # the second run saw the first
    assert at_exit[-1].last_message == "ai: Still sunny."


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
async def test_stopped_run_keeps_its_finished_steps_whatever_the_durability(
    durability: Durability,
) -> None:
    started = asyncio.Event()

    async def slow() -> str:
        started.set()
        await asyncio.Event().wait()  # until the run is stopped
        return "never"

    model = ScriptedChatModel([calls(("c1", "slow", {}), id="m1"), answer("-", id="m2")])
    threaded = Agent(
        actions=[Action(name="slow", handler=slow)],
        model=model,
        checkpointer=InMemorySaver(),
        durability=durability,
    )

    async def read() -> None:
        async for _event in threaded.run(run_input("go")):
            pass

    reading = asyncio.create_task(read())
    await started.wait()
    await stop_task(reading)  # what a stop does to the run
    state = await threaded.graph.aget_state({"configurable": {"thread_id": "t1"}})
    assert [m.id for m in state.values["messages"]] == ["u1", "m1"]  # the question, the call
    assert state.next == ("tools",)  # the call is where the next run picks up
