"""The agent graph's loop runs on the event loop: no step waits for a worker thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from copilot_runtime.actions import Action
from copilot_runtime.graphs import Agent
from copilot_runtime.testing import ScriptedChatModel
from tests.fakes import answer, calls, seq_ids, types
from tests.graphs.conftest import collect, run_input


class NoThreads(ThreadPoolExecutor):
    """A default executor that refuses work, to show nothing was sent to a thread."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.refused: list[Callable[..., Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.refused.append(fn)
        raise RuntimeError("the agent loop sent work to a thread")


async def lookup() -> str:
    return "Ada"


async def test_agent_loop_uses_no_worker_thread_when_actions_are_async() -> None:
    # Sync routers would each go through LangGraph's run_in_executor: a thread per step.
    model = ScriptedChatModel([calls(("c1", "lookup", {}), id="m1"), answer("Ada", id="m2")])
    agent = Agent(actions=[Action(name="lookup", handler=lookup)], model=model, new_id=seq_ids())
    executor = NoThreads()
    asyncio.get_running_loop().set_default_executor(executor)
    try:
        events = await collect(agent, run_input("who?"))
    finally:
        executor.shutdown()
    assert executor.refused == []
    assert "TOOL_CALL_RESULT" in types(events)
    assert types(events)[-1] == "RUN_FINISHED"
