"""What a run takes from the request: per-request actions, history, readables, state, ids."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from ag_ui.core import (
    AssistantMessage,
    Context,
    DeveloperMessage,
    FunctionCall,
    ImagePart,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolMessage,
    UrlSource,
    UserMessage,
)
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.messages import SystemMessage as LcSystemMessage
from langchain_core.messages import ToolMessage as LcToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from copilot_runtime.actions import Action, ActionContext, ActionDefinitionError, Parameter
from copilot_runtime.graphs import Agent
from copilot_runtime.testing import ScriptedChatModel
from tests.fakes import answer, calls, seq_ids
from tests.graphs.conftest import SAY_HELLO, collect, run_input


def whoami(context: ActionContext) -> str:
    return f"role={context.properties.get('role')} url={context.url}"


def admin_only() -> str:
    return "deleted"


def actions_for(context: ActionContext) -> Sequence[Action]:
    found = [Action(name="whoami", handler=whoami)]
    if context.properties.get("role") == "admin":
        found.append(Action(name="deleteUser", handler=admin_only))
    return found


async def async_actions_for(context: ActionContext) -> Sequence[Action]:
    return actions_for(context)


@pytest.mark.parametrize("generator", [actions_for, async_actions_for])
@pytest.mark.parametrize(
    ("role", "expected"), [("admin", ["whoami", "deleteUser"]), ("viewer", ["whoami"])]
)
async def test_run_offers_tools_from_generator_when_properties_differ(
    generator: object, role: str, expected: list[str]
) -> None:
    model = ScriptedChatModel([answer("ok", id="m1")])
    agent = Agent(actions=generator, model=model)  # type: ignore[arg-type]
    context = ActionContext(properties={"role": role}, url="https://app/page")
    await collect(agent, run_input(), context=context)
    assert [request.tool_names for request in model.requests] == [expected]


async def test_run_gives_handler_the_request_context_when_it_asks_for_it() -> None:
    model = ScriptedChatModel([calls(("c1", "whoami", {}), id="m1"), answer("ok", id="m2")])
    agent = Agent(actions=actions_for, model=model)
    context = ActionContext(properties={"role": "admin"}, url="https://app/admin")
    events = await collect(agent, run_input(), context=context)
    result = next(e for e in events if e["type"] == "TOOL_CALL_RESULT")
    assert result["content"] == "role=admin url=https://app/admin"


async def test_run_calls_async_handler_when_action_is_async() -> None:
    async def double(n: float) -> float:
        return n * 2

    action = Action(name="double", parameters=(Parameter(name="n", type="number"),), handler=double)
    model = ScriptedChatModel([calls(("c1", "double", {"n": 21}), id="m1"), answer("42", id="m2")])
    events = await collect(Agent(actions=[action], model=model), run_input())
    assert next(e for e in events if e["type"] == "TOOL_CALL_RESULT")["content"] == "42"


async def test_run_passes_nested_arguments_as_plain_values_when_parameters_nest() -> None:
    received: list[object] = []

    def order(items: list[dict[str, object]], rush: bool = False) -> str:
        received.append((items, rush))
        return "ordered"

    item = Parameter(
        name="items",
        type="object[]",
        attributes=(
            Parameter(name="sku", type="string"),
            Parameter(name="size", type="string", enum=("S", "M", "L")),
            Parameter(
                name="gift",
                type="object",
                required=False,
                attributes=(Parameter(name="tags", type="string[]"),),
            ),
        ),
    )
    action = Action(name="order", parameters=(item,), handler=order)
    args = {
        "items": [{"sku": "a1", "size": "M", "gift": {"tags": ["red"]}}, {"sku": "b2", "size": "S"}]
    }
    model = ScriptedChatModel([calls(("c1", "order", args), id="m1"), answer("ok", id="m2")])
    await collect(Agent(actions=[action], model=model), run_input())
    assert received == [(args["items"], False)]


async def test_run_raises_before_run_started_when_a_declaration_is_bad() -> None:
    def broken(context: ActionContext) -> list[dict[str, object]]:
        return [{"name": "bad name!", "handler": print}]

    agent = Agent(actions=broken, model=ScriptedChatModel([]))
    stream = agent.run(run_input())
    with pytest.raises(ActionDefinitionError, match="bad name!"):
        await anext(stream)


async def test_run_gives_model_history_of_every_role_when_client_sends_it() -> None:
    history = [
        SystemMessage(id="s1", content="Be brief."),
        DeveloperMessage(id="d1", content="Prefer metric units."),
        UserMessage(
            id="u1",
            content=[
                TextPart(text="What is this?"),
                ImagePart(source=UrlSource(value="https://img/x.png", mime_type="image/png")),
            ],
        ),
        AssistantMessage(
            id="a1",
            tool_calls=[
                ToolCall(
                    id="c1", function=FunctionCall(name="sayHello", arguments='{"name":"Ada"}')
                )
            ],
        ),
        ToolMessage(id="t1", tool_call_id="c1", content="greeted"),
        UserMessage(id="u2", content="thanks"),
    ]
    model = ScriptedChatModel([answer("You're welcome", id="m1")])
    await collect(Agent(model=model), run_input(messages=history, tools=[SAY_HELLO]))
    prompt = model.requests[0].messages
    assert [type(m).__name__ for m in prompt] == [
        "SystemMessage",  # the run's own system message comes first
        "SystemMessage",
        "SystemMessage",
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "HumanMessage",
    ]
    assert [m.id for m in prompt[1:]] == ["s1", "d1", "u1", "a1", "t1", "u2"]
    assert prompt[2].additional_kwargs == {"__openai_role__": "developer"}
    assert prompt[3].content == [
        {"type": "text", "text": "What is this?"},
        {"type": "image", "url": "https://img/x.png", "mime_type": "image/png"},
    ]
    assert isinstance(prompt[4], AIMessage)
    assert prompt[4].tool_calls == [
        {"name": "sayHello", "args": {"name": "Ada"}, "id": "c1", "type": "tool_call"}
    ]
    assert isinstance(prompt[5], LcToolMessage)
    assert prompt[5].tool_call_id == "c1"


async def test_run_shows_model_readables_and_state_when_client_sends_them() -> None:
    model = ScriptedChatModel([answer("ok", id="m1")])
    agent = Agent(model=model, instructions="You run a shop.")
    request = run_input(
        context=[Context(description="The current user", value='{"name":"Ada"}')],
        state={"cart": ["tea"]},
    )
    await collect(agent, request)
    system = model.requests[0].messages[0]
    assert isinstance(system, LcSystemMessage)
    assert system.content == (
        "You run a shop.\n\n"
        'Context provided by the application:\n- The current user: {"name":"Ada"}\n\n'
        'The application\'s shared state (JSON):\n{"cart": ["tea"]}'
    )


async def test_run_forces_tool_choice_when_client_asks_for_suggestions() -> None:
    model = ScriptedChatModel([calls(("c1", "sayHello", {"name": "x"}), id="m1")])
    props = {"toolChoice": {"type": "function", "function": {"name": "sayHello"}}}
    await collect(Agent(model=model), run_input(tools=[SAY_HELLO], forwarded_props=props))
    assert [request.tool_choice for request in model.requests] == ["sayHello"]


async def test_run_stores_messages_under_the_streamed_ids_when_thread_is_checkpointed() -> None:
    action = Action(name="lookup", handler=lambda: "found")
    model = ScriptedChatModel(
        [calls(("c1", "lookup", {}), id="m1", text="Looking"), answer("Found it", id="m2")]
    )
    agent = Agent(actions=[action], model=model, checkpointer=InMemorySaver(), new_id=seq_ids())
    events = await collect(agent, run_input("find it"))
    streamed = [
        e.get("messageId")
        for e in events
        if e["type"] in ("TEXT_MESSAGE_START", "TOOL_CALL_RESULT")
    ]
    state = await agent.graph.aget_state({"configurable": {"thread_id": "t1"}})
    stored = [m.id for m in state.values["messages"]]
    assert stored == ["u1", *streamed]
    assert streamed == ["m1", "id-1", "m2"]


async def test_run_keeps_one_copy_per_message_when_client_resends_history() -> None:
    model = ScriptedChatModel([answer("first", id="m1"), answer("second", id="m2")])
    agent = Agent(model=model, checkpointer=InMemorySaver())
    await collect(agent, run_input("one"))
    again = [
        UserMessage(id="u1", content="one"),
        AssistantMessage(id="m1", content="first"),
        UserMessage(id="u2", content="two"),
    ]
    await collect(agent, run_input(messages=again, run_id="r2"))
    state = await agent.graph.aget_state({"configurable": {"thread_id": "t1"}})
    assert [m.id for m in state.values["messages"]] == ["u1", "m1", "u2", "m2"]
    assert isinstance(model.requests[1].messages[-1], HumanMessage)


async def test_run_continues_after_frontend_result_when_client_sends_follow_up() -> None:
    model = ScriptedChatModel(
        [calls(("c1", "sayHello", {"name": "Ada"}), id="m1"), answer("Greeted Ada.", id="m2")]
    )
    agent = Agent(model=model, checkpointer=InMemorySaver())
    await collect(agent, run_input("greet Ada", tools=[SAY_HELLO]))
    follow_up = [
        UserMessage(id="u1", content="greet Ada"),
        AssistantMessage(
            id="m1",
            tool_calls=[
                ToolCall(
                    id="c1",
                    function=FunctionCall(name="sayHello", arguments=json.dumps({"name": "Ada"})),
                )
            ],
        ),
        ToolMessage(id="t1", tool_call_id="c1", content='{"greeted":"Ada"}'),
    ]
    events = await collect(agent, run_input(messages=follow_up, tools=[SAY_HELLO], run_id="r2"))
    texts = [e["delta"] for e in events if e["type"] == "TEXT_MESSAGE_CONTENT"]
    assert "".join(texts) == "Greeted Ada."
    last_prompt = model.requests[1].messages
    assert [m.id for m in last_prompt[1:]] == ["u1", "m1", "t1"]
