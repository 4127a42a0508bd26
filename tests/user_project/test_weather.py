import json

import pytest
from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.tools import tool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode, tools_condition

from copilot_runtime import Agent, CopilotRuntime, action, record_run
from copilot_runtime.testing import (
    ScriptedChatModel,
    call,
    post_run,
    reply,
    serve,
    stream_problems,
)


@action
def get_weather(city: str) -> dict[str, str]:
    """The current weather in a city.

    Args:
        city: The city name.
    """
    return {"city": city, "forecast": "sunny"}


def weather_model() -> ScriptedChatModel:
    # One step per model call: first it calls the action, then it answers.
    return ScriptedChatModel([call("get_weather", city="Paris"), reply("It is sunny in Paris.")])


@pytest.mark.asyncio
async def test_the_agent_runs_the_action_and_answers() -> None:
    model = weather_model()
    run = await record_run(Agent(actions=[get_weather], model=model), "Weather in Paris?")
    assert run.error is None
    [weather] = run.tool_calls
    assert (weather.name, weather.arguments) == ("get_weather", {"city": "Paris"})
    assert json.loads(weather.result or "") == {"city": "Paris", "forecast": "sunny"}
    assert run.text == "It is sunny in Paris."
    assert model.requests[1].messages[-1].type == "tool"  # the model saw the result


@pytest.mark.asyncio
async def test_the_endpoint_streams_a_valid_run() -> None:
    async with serve(CopilotRuntime(actions=[get_weather], model=weather_model())) as url:
        events = await post_run(url, "Weather in Paris?")
    assert stream_problems(events) == []
    text = "".join(e["delta"] for e in events if e["type"] == "TEXT_MESSAGE_CONTENT")
    assert text == "It is sunny in Paris."


@tool
def local_time(city: str) -> str:
    """The local time in a city."""
    return "09:00"


def build_graph(model: ScriptedChatModel) -> CompiledStateGraph[MessagesState]:
    """Your own graph; here a small tool loop."""

    async def agent(state: MessagesState) -> dict[str, list[BaseMessage]]:
        return {"messages": [await model.bind_tools([local_time]).ainvoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode([local_time]))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")
    return builder.compile()


@pytest.mark.asyncio
async def test_my_graph_answers_from_the_tool_result() -> None:
    model = ScriptedChatModel([call("local_time", city="Tokyo"), reply("It is 9 am in Tokyo.")])
    state = await build_graph(model).ainvoke({"messages": [HumanMessage("Time in Tokyo?")]})
    assert state["messages"][-1].content == "It is 9 am in Tokyo."
    assert model.requests[1].messages[-1].content == "09:00"
