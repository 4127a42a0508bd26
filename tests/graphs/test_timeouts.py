"""Nothing waits forever: a silent model ends its run, a slow action ends its call, sync user
code runs in threads of its own (never on the event loop, never in asyncio's shared pool)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, TypedDict

import pytest
from langchain_core.messages import AnyMessage, ToolMessage
from langgraph.graph import START, StateGraph
from langgraph.graph.message import add_messages

from copilot_runtime.actions import Action, ActionContext, ActionLimits, action
from copilot_runtime.actions.errors import ActionDefinitionError
from copilot_runtime.app.embed import runtime_from_settings
from copilot_runtime.app.settings import Settings
from copilot_runtime.graphs import Agent, GraphAgent, ModelOptions, openai_chat_model
from copilot_runtime.testing.fake_openai import FakeOpenAIServer, Text, TokenGate
from tests.fakes import ScriptedChatModel, answer, calls, seq_ids, types
from tests.graphs.conftest import collect, run_input

MODEL_TIMEOUT = {"type": "RUN_ERROR", "message": "The model provider did not answer in time."}


def last(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {key: events[-1][key] for key in ("type", "message") if key in events[-1]}


async def test_a_model_that_stops_sending_ends_the_run_with_model_timeout(
    fake_openai: FakeOpenAIServer,
) -> None:
    gate = TokenGate()
    fake_openai.script(Text(tokens=10, gate=gate))
    gate.release(3)  # three tokens, then nothing
    options = ModelOptions(base_url=fake_openai.base_url, max_retries=0)
    model = openai_chat_model("gpt-4o-mini", options, {"OPENAI_API_KEY": "k"})
    try:
        events = await collect(Agent(model=model, model_timeout=0.5), run_input())
    finally:
        gate.release(100)
    assert last(events) == MODEL_TIMEOUT
    assert events[-1]["code"] == "MODEL_TIMEOUT"
    assert types(events)[-3:] == ["TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "RUN_ERROR"]


async def test_a_model_that_never_starts_ends_the_run_with_model_timeout() -> None:
    model = ScriptedChatModel(turns=[answer("too late", id="m1")], delay=3600)
    events = await collect(Agent(model=model, model_timeout=0.2), run_input())
    assert last(events) == MODEL_TIMEOUT


async def test_the_limit_is_between_chunks_not_on_the_whole_answer(
    fake_openai: FakeOpenAIServer,
) -> None:
    # 15 tokens 0.1 s apart: 1.5 s in all, under a limit of 1 s between two chunks.
    fake_openai.script(Text(tokens=15, delay_ms=100))
    options = ModelOptions(base_url=fake_openai.base_url, max_retries=0)
    model = openai_chat_model("gpt-4o-mini", options, {"OPENAI_API_KEY": "k"})
    events = await collect(Agent(model=model, model_timeout=1.0), run_input())
    assert types(events)[-1] == "RUN_FINISHED"


async def test_time_in_tools_is_not_model_silence() -> None:
    async def slow() -> str:
        await asyncio.sleep(0.6)
        return "done"

    model = ScriptedChatModel(turns=[calls(("c1", "slow", {}), id="m1"), answer("ok", id="m2")])
    agent = Agent(actions=[Action(name="slow", handler=slow)], model=model, model_timeout=0.2)
    events = await collect(agent, run_input())
    assert types(events)[-1] == "RUN_FINISHED"


class Turn(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


async def test_a_silent_model_in_a_users_own_graph_ends_the_run_too() -> None:
    model = ScriptedChatModel(turns=[answer("too late", id="m1")], delay=3600)

    async def think(state: Turn) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    graph = StateGraph(Turn)
    graph.add_node("think", think)
    graph.add_edge(START, "think")
    agent = GraphAgent(graph.compile(), model_timeout=0.2)
    events = [e async for e in agent.run(run_input())]
    assert (events[-1].type, events[-1].code) == ("RUN_ERROR", "MODEL_TIMEOUT")  # type: ignore[attr-defined]


def test_the_server_waits_120_seconds_for_a_silent_model_by_default() -> None:
    runtime = runtime_from_settings(Settings(model="demo"))
    agent = runtime.agents["default"]
    assert isinstance(agent, Agent)
    assert agent.model_timeout == 120
    assert agent.action_limits.timeout == 120


# -- actions -------------------------------------------------------------------------------


class Hang:
    """A handler that waits until cancelled (async) or released (sync)."""

    def __init__(self) -> None:
        self.cancelled = asyncio.Event()
        self.released = threading.Event()

    async def forever(self) -> str:
        try:
            await asyncio.sleep(3600)
        finally:
            self.cancelled.set()
        return "never"

    def blocking(self) -> str:
        self.released.wait(30)
        return "late"


def hanging_agent(declared: Any, **options: Any) -> tuple[Agent, ScriptedChatModel]:
    model = ScriptedChatModel(
        turns=[calls(("c1", "hang", {}), id="m1"), answer("It did not answer.", id="m2")]
    )
    return Agent(actions=[declared], model=model, new_id=seq_ids(), **options), model


def result_of(events: list[dict[str, Any]]) -> str:
    return str(next(e["content"] for e in events if e["type"] == "TOOL_CALL_RESULT"))


TIMED_OUT = "Error: hang timed out after 0.2 seconds."


@pytest.mark.parametrize(
    "declare",
    [
        lambda hang: Action(name="hang", handler=hang.forever, timeout=0.2),
        lambda hang: {"name": "hang", "handler": hang.forever, "timeout": 0.2},
        lambda hang: action(name="hang", timeout=0.2)(hang.forever),
    ],
    ids=["Action", "dict", "decorator"],
)
async def test_an_action_past_its_timeout_gives_the_model_a_timed_out_result(
    declare: Callable[[Hang], Any],
) -> None:
    hang = Hang()
    agent, model = hanging_agent(declare(hang))
    events = await collect(agent, run_input())
    assert result_of(events) == TIMED_OUT
    assert hang.cancelled.is_set()
    read = [m.text for m in model.seen[1] if isinstance(m, ToolMessage)]
    assert read == [TIMED_OUT]
    assert types(events)[-1] == "RUN_FINISHED"  # the run went on


async def test_the_runtime_timeout_applies_to_actions_without_their_own() -> None:
    hang = Hang()
    agent, _ = hanging_agent(
        Action(name="hang", handler=hang.blocking), action_limits=ActionLimits(timeout=0.2)
    )
    try:
        events = await collect(agent, run_input())
    finally:
        hang.released.set()
    assert result_of(events) == TIMED_OUT
    assert types(events)[-1] == "RUN_FINISHED"


@pytest.mark.parametrize("timeout", [0, -1, "10", True])
def test_a_timeout_that_is_not_a_positive_number_is_a_declaration_error(timeout: Any) -> None:
    with pytest.raises(ActionDefinitionError, match="timeout must be a positive number"):
        Action(name="hang", handler=Hang().forever, timeout=timeout)


async def test_sync_handlers_do_not_wait_for_asyncios_shared_threads() -> None:
    # Something else holds every thread of the loop's default pool: a sync action still runs.
    busy, release = ThreadPoolExecutor(max_workers=1), threading.Event()
    loop = asyncio.get_running_loop()
    loop.set_default_executor(busy)
    held = loop.run_in_executor(None, release.wait, 30)

    def lookup() -> str:
        return "Ada"

    model = ScriptedChatModel(turns=[calls(("c1", "lookup", {}), id="m1"), answer("Ada", id="m2")])
    agent = Agent(actions=[Action(name="lookup", handler=lookup)], model=model, new_id=seq_ids())
    try:
        events = await asyncio.wait_for(collect(agent, run_input()), 10)
    finally:
        release.set()
        await held
        busy.shutdown()
    assert result_of(events) == "Ada"


async def test_sync_handlers_share_a_bounded_pool() -> None:
    meeting = threading.Barrier(3, timeout=1)  # three handlers at once, or a broken barrier

    def meet() -> str:
        try:
            meeting.wait()
        except threading.BrokenBarrierError:
            return "not all at once"
        return "all at once"

    model = ScriptedChatModel(
        turns=[
            calls(*[(f"c{i}", "meet", {}) for i in range(3)], id="m1"),
            answer("done", id="m2"),
        ]
    )
    agent = Agent(
        actions=[Action(name="meet", handler=meet)],
        model=model,
        new_id=seq_ids(),
        action_limits=ActionLimits(threads=2),
    )
    events = await collect(agent, run_input())
    found = [e["content"] for e in events if e["type"] == "TOOL_CALL_RESULT"]
    assert "all at once" not in found  # two threads: the third waited for one of them


async def test_a_sync_actions_generator_runs_off_the_event_loop() -> None:
    loop_ran = threading.Event()

    def actions(context: ActionContext) -> list[Action]:
        # On the event loop, this would freeze it: the coroutine below could not set the flag.
        assert loop_ran.wait(5), "the event loop was frozen while the generator ran"
        return []

    async def meanwhile() -> None:
        await asyncio.sleep(0)
        loop_ran.set()

    model = ScriptedChatModel(turns=[answer("hello", id="m1")])
    agent = Agent(actions=actions, model=model)
    other = asyncio.create_task(meanwhile())
    events = await collect(agent, run_input())
    await other
    assert types(events)[-1] == "RUN_FINISHED"


async def test_a_yielding_sync_generator_is_iterated_off_the_event_loop() -> None:
    threads: list[str] = []

    def lookup() -> str:
        return "Ada"

    def actions(context: ActionContext) -> Any:
        threads.append(threading.current_thread().name)
        yield Action(name="lookup", handler=lookup)
        threads.append(threading.current_thread().name)

    model = ScriptedChatModel(turns=[answer("hello", id="m1")])
    await collect(Agent(actions=actions, model=model), run_input())
    assert len(threads) == 2
    assert threading.main_thread().name not in threads
