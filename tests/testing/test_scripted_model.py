"""ScriptedChatModel streams its script as a provider would and says when the script is wrong."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from copilot_runtime import Agent, action, record_run
from copilot_runtime.testing import (
    Call,
    ScriptedChatModel,
    ScriptError,
    call,
    reasoning,
    reply,
    stream_problems,
)


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


@action
def lookup(city: str) -> str:
    """The weather in a city.

    Args:
        city: The city.
    """
    return f"sunny in {city}"


async def chunks_of(model: Any, prompt: str = "hi") -> list[AIMessageChunk]:
    return [chunk async for chunk in model.astream([HumanMessage(prompt)])]


def merged(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


async def test_reply_streams_word_by_word_under_one_message_id() -> None:
    chunks = await chunks_of(ScriptedChatModel([reply("It is sunny in Paris.")]))
    assert [c.text for c in chunks if c.text] == ["It ", "is ", "sunny ", "in ", "Paris."]
    assert len({c.id for c in chunks}) == 1
    assert merged(chunks).content == "It is sunny in Paris."


async def test_call_streams_its_id_and_name_first_then_the_arguments_in_fragments() -> None:
    model = ScriptedChatModel([call("get_weather", city="Paris")]).bind_tools([get_weather])
    chunks = await chunks_of(model)
    pieces = [piece for chunk in chunks for piece in chunk.tool_call_chunks]
    assert pieces[0]["name"] == "get_weather"
    assert pieces[0]["id"]
    assert pieces[0]["args"] == ""
    assert all(p["name"] is None and p["id"] is None for p in pieces[1:])
    assert len(pieces) > 3  # token-sized fragments, not the whole JSON at once
    assert "".join(p["args"] or "" for p in pieces) == '{"city": "Paris"}'
    assert merged(chunks).tool_calls == [
        {
            "name": "get_weather",
            "args": {"city": "Paris"},
            "id": pieces[0]["id"],
            "type": "tool_call",
        }
    ]


async def test_parallel_calls_interleave_their_fragments_unless_told_not_to() -> None:
    step = [call("get_weather", city="Paris"), call("get_weather", city="Oslo")]
    for interleave, expected in ((True, [0, 1, 0, 1]), (False, [0, 0, 0, 0])):
        model = ScriptedChatModel([step], interleave=interleave).bind_tools([get_weather])
        chunks = await chunks_of(model)
        order = [p["index"] for c in chunks for p in c.tool_call_chunks]
        assert order[:4] == expected
        assert [c["args"] for c in merged(chunks).tool_calls] == [
            {"city": "Paris"},
            {"city": "Oslo"},
        ]


async def test_reasoning_streams_as_standard_reasoning_blocks_before_the_reply() -> None:
    model = ScriptedChatModel([[reasoning("The user wants weather."), reply("Sunny.")]])
    chunks = await chunks_of(model)
    streamed = [b for c in chunks for b in c.content_blocks if b["type"] == "reasoning"]
    assert "".join(str(b.get("reasoning")) for b in streamed) == "The user wants weather."
    message = merged(chunks)
    assert [b["type"] for b in message.content_blocks] == ["reasoning", "text"]
    assert message.content_blocks[0].get("reasoning") == "The user wants weather."
    assert message.text == "Sunny."  # the reasoning is not answer text


async def test_reasoning_stays_out_of_the_runs_text_in_the_agent() -> None:
    model = ScriptedChatModel(
        [[reasoning("Look it up."), call("lookup", city="Paris")], reply("Sunny in Paris.")]
    )
    run = await record_run(Agent(actions=[lookup], model=model), "Weather in Paris?")
    assert run.error is None
    assert run.text == "Sunny in Paris."
    assert [c.result for c in run.tool_calls] == ["sunny in Paris"]
    assert stream_problems([e.event for e in run.events]) == []


async def test_requests_record_each_prompt_and_the_tools_offered() -> None:
    model = ScriptedChatModel([call("lookup", city="Oslo"), reply("Sunny.")])
    await record_run(Agent(actions=[lookup], model=model, instructions="Be brief."), "Oslo?")
    first, second = model.requests
    assert [m.type for m in first.messages] == ["system", "human"]
    assert first.messages[-1].text == "Oslo?"
    assert first.tool_names == ["lookup"]
    assert first.tools[0]["function"]["parameters"]["properties"]["city"]["type"] == "string"
    assert second.messages[-1].type == "tool"
    assert second.messages[-1].text == "sunny in Oslo"
    assert model.pending == 0


async def test_tool_choice_is_recorded_as_bound() -> None:
    model = ScriptedChatModel([call("get_weather", city="Rome")])
    await model.bind_tools([get_weather], tool_choice="get_weather").ainvoke("hi")
    assert model.requests[0].tool_choice == "get_weather"


async def test_a_model_called_once_too_often_names_the_call_and_the_prompt() -> None:
    model = ScriptedChatModel([reply("One.")])
    await model.ainvoke("first")
    with pytest.raises(ScriptError) as raised:
        await model.ainvoke([HumanMessage("second question")])
    assert str(raised.value) == (
        "ScriptedChatModel has no step for model call 2: its script has 1 step. "
        "The prompt's last message (human): 'second question'."
    )
    assert len(model.requests) == 2  # the failed call is recorded too


async def test_a_call_to_a_tool_not_offered_names_it_and_the_tools_that_were() -> None:
    model = ScriptedChatModel([call("get_wether", city="Paris")]).bind_tools([get_weather])
    with pytest.raises(ScriptError) as raised:
        await model.ainvoke("hi")
    assert str(raised.value) == (
        "step 1 of the script calls the tool 'get_wether', which model call 1 did not offer: "
        "it offered 'get_weather'. (Script an AIMessage to call it anyway.)"
    )


async def test_a_call_without_bound_tools_says_no_tools_were_offered() -> None:
    with pytest.raises(
        ScriptError, match=r"it offered no tools \(the model was not bound with bind_tools\)"
    ):
        await ScriptedChatModel([call("get_weather")]).ainvoke("hi")


async def test_script_errors_end_an_agent_run_with_their_message() -> None:
    run = await record_run(Agent(actions=[lookup], model=ScriptedChatModel([])), "hi")
    assert run.error is not None
    assert run.error.code == "SCRIPTED_MODEL_ERROR"
    assert run.error.message.startswith("ScriptedChatModel has no step for model call 1")
    assert stream_problems([e.event for e in run.events]) == []


@pytest.mark.parametrize(
    ("steps", "error", "message"),
    [
        ([{"text": "hi"}], TypeError, "step 1 of the script is dict"),
        ([reply("a"), []], ValueError, "step 2 of the script is an empty list"),
        ([[reply("a"), "b"]], TypeError, "step 1 of the script holds str 'b'"),
        (["hello"], TypeError, "a step is reply"),
    ],
)
def test_a_malformed_script_fails_when_the_model_is_made(
    steps: list[Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        ScriptedChatModel(steps)


async def test_an_exception_step_is_raised_as_a_failing_provider_raises() -> None:
    model = ScriptedChatModel([ConnectionError("model down"), reply("Back.")])
    with pytest.raises(ConnectionError, match="model down"):
        await model.ainvoke("hi")
    assert (await model.ainvoke("again")).text == "Back."


async def test_an_aimessage_step_is_answered_as_it_is() -> None:
    scripted = AIMessage(
        content="Calling.",
        id="msg-7",
        tool_calls=[{"id": "c1", "name": "not_offered", "args": {"x": 1}}],
        usage_metadata={"input_tokens": 10, "output_tokens": 3, "total_tokens": 13},
    )
    answer = await ScriptedChatModel([scripted]).ainvoke("hi")
    assert (answer.id, answer.text) == ("msg-7", "Calling.")
    assert answer.tool_calls == [
        {"id": "c1", "name": "not_offered", "args": {"x": 1}, "type": "tool_call"}
    ]
    assert answer.usage_metadata == scripted.usage_metadata


async def test_raw_argument_text_scripts_a_model_that_sends_broken_json() -> None:
    model = ScriptedChatModel([call("lookup", '{"city": Paris}'), reply("Sorry.")])
    run = await record_run(Agent(actions=[lookup], model=model), "Paris?")
    result = model.requests[1].messages[-1]
    assert result.type == "tool"
    assert "not valid JSON" in result.text  # the agent told the model, and the run went on
    assert run.text == "Sorry."


def test_sync_callers_get_the_whole_answer() -> None:
    model = ScriptedChatModel([[reply("Let me check."), call("get_weather", city="Oslo")]])
    answer = model.bind_tools([get_weather]).invoke("hi")
    assert answer.text == "Let me check."
    assert [c["args"] for c in answer.tool_calls] == [{"city": "Oslo"}]


async def test_explicit_call_ids_are_kept() -> None:
    model = ScriptedChatModel([Call("get_weather", {"city": "Oslo"}, id="call_1")])
    answer = await model.bind_tools([get_weather]).ainvoke("hi")
    assert answer.tool_calls[0]["id"] == "call_1"


async def test_langchains_create_agent_runs_on_the_script() -> None:
    model = ScriptedChatModel([call("get_weather", city="Lima"), reply("Sunny in Lima.")])
    graph = create_agent(model, tools=[get_weather])
    state = await graph.ainvoke({"messages": [HumanMessage("Weather in Lima?")]})
    assert [m.type for m in state["messages"]] == ["human", "ai", "tool", "ai"]
    assert state["messages"][2].text == "sunny in Lima"
    assert state["messages"][-1].text == "Sunny in Lima."


class Weather(BaseModel):
    city: str
    degrees: int


async def test_structured_output_comes_from_a_scripted_call_of_the_schema() -> None:
    model = ScriptedChatModel([call("Weather", city="Oslo", degrees=4)])
    weather = await model.with_structured_output(Weather).ainvoke("Oslo?")
    assert weather == Weather(city="Oslo", degrees=4)
    assert model.requests[0].tool_names == ["Weather"]


def test_arguments_may_be_a_mapping_for_names_that_are_not_identifiers() -> None:
    assert call("f", {"user-id": 7}, extra=True).arguments == {"user-id": 7, "extra": True}
    assert json.loads(call("f", {"a": "日本"}).arguments_text) == {"a": "日本"}
    with pytest.raises(TypeError, match="not both"):
        call("f", "{}", extra=True)
