"""A tool call whose arguments were cut off never reaches its handler: the model reads why."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import ToolMessage

from copilot_runtime.actions import Action, Parameter
from copilot_runtime.graphs import Agent, openai_chat_model
from copilot_runtime.graphs.models import ModelOptions
from copilot_runtime.testing.fake_openai import FakeOpenAIServer, Text, ToolCalls, call
from tests.fakes import ScriptedChatModel, answer, cut_call, seq_ids
from tests.graphs.conftest import collect, run_input


class Lookup:
    """The handler; records every call it gets."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, userId: str) -> str:
        self.calls.append({"userId": userId})
        return "Ada"


def agent_with(model: Any, lookup: Lookup) -> Agent:
    parameter = Parameter(name="userId", type="string", description="The user")
    action = Action(name="lookup", parameters=[parameter], handler=lookup)
    return Agent(actions=[action], model=model, new_id=seq_ids())


def results(events: list[dict[str, Any]]) -> list[str]:
    return [event["content"] for event in events if event["type"] == "TOOL_CALL_RESULT"]


CUT = "Error: the arguments for lookup are not valid JSON (they were cut off before they were complete). Send a JSON object."  # noqa: E501
LIMIT = "Error: the arguments for lookup are not valid JSON (the answer reached the model's output limit before the call was complete). Send a JSON object."  # noqa: E501


@pytest.mark.parametrize(
    ("arguments", "finish_reason", "expected"),
    [
        ('{"userId": "4', None, CUT),  # the stream ended inside a string
        ('{"userId": "42", ', None, CUT),  # between two members
        ('{"userId"', None, CUT),
        ('{"userId": "42"}', "length", LIMIT),  # whole, but the answer was cut off
        ('{"userId": "4', "max_tokens", LIMIT),
    ],
)
async def test_a_call_cut_off_mid_arguments_becomes_an_error_result_the_model_reads(
    arguments: str, finish_reason: str | None, expected: str
) -> None:
    lookup = Lookup()
    model = ScriptedChatModel(
        turns=[
            cut_call("c1", "lookup", arguments, id="m1", finish_reason=finish_reason),
            answer("Let me try again later.", id="m2"),
        ]
    )
    events = await collect(agent_with(model, lookup), run_input("who is 42?"))
    assert lookup.calls == []
    assert results(events) == [expected]
    read = [m for m in model.seen[1] if isinstance(m, ToolMessage)]
    assert [(m.tool_call_id, m.text, m.status) for m in read] == [("c1", expected, "error")]
    assert events[-1]["type"] == "RUN_FINISHED"


async def test_a_whole_call_still_runs() -> None:
    lookup = Lookup()
    model = ScriptedChatModel(
        turns=[
            cut_call("c1", "lookup", '{"userId": "42"}', id="m1", finish_reason="tool_calls"),
            answer("It is Ada.", id="m2"),
        ]
    )
    events = await collect(agent_with(model, lookup), run_input("who is 42?"))
    assert lookup.calls == [{"userId": "42"}]
    assert results(events) == ["Ada"]


@pytest.mark.parametrize("finish_reason", [None, "length"])
async def test_an_openai_stream_cut_inside_the_arguments_runs_no_handler(
    fake_openai: FakeOpenAIServer, finish_reason: str | None
) -> None:
    # The real ChatOpenAI (with this runtime's lean stream) over HTTP: with finish_reason
    # "tool_calls" the text is incomplete JSON; with "length", the model hit its limit.
    cut = ToolCalls(calls=(call("lookup", '{"userId": "4', "call_1"),), finish_reason=finish_reason)
    fake_openai.script(cut, Text(text="Sorry."))
    options = ModelOptions(base_url=fake_openai.base_url, max_retries=0)
    model = openai_chat_model("gpt-4o-mini", options, environ={"OPENAI_API_KEY": "fake"})
    lookup = Lookup()
    events = await collect(agent_with(model, lookup), run_input("who is 42?"))
    assert lookup.calls == []
    assert results(events) == [LIMIT if finish_reason else CUT]
    assert events[-1]["type"] == "RUN_FINISHED"
