from __future__ import annotations

from typing import Any

from ag_ui.core import Context, RunAgentInput, Tool, UserMessage

from copilot_runtime.actions import Action, Parameter
from copilot_runtime.graphs import Agent
from copilot_runtime.testing import stream_problems
from tests.fakes import dumped


def fetch_name(userId: str) -> dict[str, str]:
    return {"name": "Darth Doe"}


FETCH = Action(
    name="fetchNameForUserId",
    description="Fetches user name from the database for a given ID.",
    parameters=(Parameter(name="userId", type="string", description="The ID of the user."),),
    handler=fetch_name,
)
"""The benchmark's backend action, for agent runs that call one."""

SAY_HELLO = Tool(
    name="sayHello",
    description="Greet a person in the page.",
    parameters={"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
)


def run_input(
    text: str = "hi",
    *,
    messages: list[Any] | None = None,
    tools: list[Tool] | None = None,
    context: list[Context] | None = None,
    state: Any = None,
    forwarded_props: Any = None,
    thread_id: str = "t1",
    run_id: str = "r1",
) -> RunAgentInput:
    return RunAgentInput(
        thread_id=thread_id,
        run_id=run_id,
        messages=messages if messages is not None else [UserMessage(id="u1", content=text)],
        tools=tools or [],
        context=context or [],
        state=state if state is not None else {},
        forwarded_props=forwarded_props if forwarded_props is not None else {},
    )


async def collect(agent: Agent, request: RunAgentInput, **kwargs: Any) -> list[dict[str, Any]]:
    """Run to the end and check the stream obeys the client's ordering rules."""
    events = dumped([event async for event in agent.run(request, **kwargs)])
    assert stream_problems(events) == []
    return events
