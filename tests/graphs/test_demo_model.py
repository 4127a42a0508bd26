"""The offline demo model: a real LangChain chat model that picks tools from the user's words."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_openai import ChatOpenAI

from copilot_runtime.actions import action
from copilot_runtime.graphs import (
    Agent,
    DemoChatModel,
    ModelConfigurationError,
    chat_model_from_spec,
)
from tests.graphs.conftest import SAY_HELLO, collect, run_input


@action
def fetchNameForUserId(userId: str) -> dict[str, str]:
    """Fetches user name from the database for a given ID.

    Args:
        userId: The ID of the user to fetch data for.
    """
    return {"name": "Darth Doe"}


@action
def getWeather(city: str, unit: str = "celsius") -> str:
    """Current weather for a city."""
    return f"Sunny in {city}"


async def test_demo_model_calls_action_and_answers_with_result_when_words_match_it() -> None:
    agent = Agent(actions=[fetchNameForUserId, getWeather], model=DemoChatModel())
    events = await collect(agent, run_input("What is the name of user 42?"))
    start = next(e for e in events if e["type"] == "TOOL_CALL_START")
    assert start["toolCallName"] == "fetchNameForUserId"
    args = "".join(e["delta"] for e in events if e["type"] == "TOOL_CALL_ARGS")
    assert args == '{"userId": "42"}'
    result = next(e for e in events if e["type"] == "TOOL_CALL_RESULT")
    assert result["content"] == '{"name":"Darth Doe"}'
    text = "".join(e["delta"] for e in events if e["type"] == "TEXT_MESSAGE_CONTENT")
    assert text == 'fetchNameForUserId returned: {"name":"Darth Doe"}'


async def test_demo_model_calls_every_named_tool_when_message_names_several() -> None:
    agent = Agent(actions=[getWeather], model=DemoChatModel())
    request = run_input('call getWeather for "Paris" and sayHello to Ada', tools=[SAY_HELLO])
    events = await collect(agent, request)
    names = [e["toolCallName"] for e in events if e["type"] == "TOOL_CALL_START"]
    assert names == ["getWeather", "sayHello"]
    results = [e["content"] for e in events if e["type"] == "TOOL_CALL_RESULT"]
    assert results == ["Sunny in Paris"]  # sayHello is the client's to run


async def test_demo_model_answers_plainly_and_lists_actions_when_nothing_matches() -> None:
    agent = Agent(actions=[fetchNameForUserId], model=DemoChatModel())
    events = await collect(agent, run_input("Tell me a joke"))
    assert not [e for e in events if e["type"] == "TOOL_CALL_START"]
    text = "".join(e["delta"] for e in events if e["type"] == "TEXT_MESSAGE_CONTENT")
    assert "offline demo model" in text
    assert "fetchNameForUserId" in text


async def test_demo_model_streams_word_by_word_when_streaming() -> None:
    model = DemoChatModel()
    chunks = [c async for c in model.astream([HumanMessage(content="hello there")])]
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    assert len([c for c in chunks if c.content]) > 5


def test_demo_model_reports_failure_when_tool_result_is_an_error() -> None:
    history = [
        HumanMessage(content="weather"),
        AIMessage(content="", tool_calls=[{"id": "c1", "name": "getWeather", "args": {}}]),
        ToolMessage(content="Error: city missing", tool_call_id="c1", status="error"),
    ]
    reply = DemoChatModel().invoke(history)
    assert reply.text == "getWeather did not work: Error: city missing"


def test_demo_model_is_chosen_when_nothing_is_configured() -> None:
    choice = chat_model_from_spec(None, environ={})
    assert choice.is_offline_demo
    assert isinstance(choice.model, DemoChatModel)


def test_openai_is_chosen_when_api_key_is_set() -> None:
    environ = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    choice = chat_model_from_spec(None, environ=environ)
    assert choice.label == "openai:gpt-4o-mini"
    assert isinstance(choice.model, ChatOpenAI)  # StreamingChatOpenAI is one
    assert str(getattr(choice.model, "openai_api_base", "")) == "http://127.0.0.1:9/v1"


def test_model_spec_names_missing_package_when_provider_is_not_installed() -> None:
    with pytest.raises(ModelConfigurationError, match="pip install langchain-anthropic"):
        chat_model_from_spec("anthropic:claude-sonnet-4-5", environ={})


async def test_demo_model_picks_tool_by_a_word_of_its_name_when_not_named_exactly() -> None:
    agent = Agent(actions=[fetchNameForUserId, getWeather], model=DemoChatModel())
    events = await collect(agent, run_input("How is the weather in 'Paris' today?"))
    start = next(e for e in events if e["type"] == "TOOL_CALL_START")
    assert start["toolCallName"] == "getWeather"
    result = next(e for e in events if e["type"] == "TOOL_CALL_RESULT")
    assert result["content"] == "Sunny in Paris"
