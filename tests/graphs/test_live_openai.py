"""A real OpenAI model (OPENAI_API_KEY, optionally OPENAI_MODEL and OPENAI_BASE_URL)."""

from __future__ import annotations

import json

import pytest

from copilot_runtime.actions.examples import getWeather
from copilot_runtime.graphs import Agent, ModelOptions, chat_model_from_spec
from tests.fakes import tool_args
from tests.graphs.conftest import collect, run_input

pytestmark = pytest.mark.live


async def test_real_model_calls_action_and_reports_usage_when_asked_for_weather() -> None:
    model = chat_model_from_spec(None, options=ModelOptions(temperature=0, max_retries=3)).model
    agent = Agent(actions=[getWeather], model=model)
    events = await collect(agent, run_input("What is the weather in Paris? Use the tool."))
    [arguments] = tool_args(events).values()
    assert arguments["city"].lower() == "paris"
    [result] = [e for e in events if e["type"] == "TOOL_CALL_RESULT"]
    assert json.loads(result["content"])["forecast"] == "sunny"
    assert any(e["type"] == "TEXT_MESSAGE_CONTENT" for e in events)
    assert events[-1]["type"] == "RUN_FINISHED"
    assert events[-1]["usage"][0]["totalTokens"] > 0
