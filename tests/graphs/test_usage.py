"""Token usage: summed over a run's model steps into RUN_FINISHED (and RUN_ERROR)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.messages.ai import UsageMetadata

from copilot_runtime.actions import action
from copilot_runtime.graphs import Agent, ModelOptions, openai_chat_model
from copilot_runtime.graphs.usage import UsageTally
from copilot_runtime.testing import ScriptedChatModel
from copilot_runtime.testing.fake_openai import Failure, FakeOpenAIServer, Text, ToolCalls, call
from tests.fakes import calls, seq_ids
from tests.graphs.conftest import collect, run_input


def usage(inputs: int, outputs: int, **details: Any) -> UsageMetadata:
    metadata = UsageMetadata(
        input_tokens=inputs, output_tokens=outputs, total_tokens=inputs + outputs
    )
    if "reasoning" in details:
        metadata["output_token_details"] = {"reasoning": details["reasoning"]}
    if "cache_read" in details:
        metadata["input_token_details"] = {"cache_read": details["cache_read"]}
    return metadata


def turn(message_id: str, model: str, used: UsageMetadata, text: str = "ok") -> AIMessage:
    return AIMessage(
        content=text,
        id=message_id,
        usage_metadata=used,
        response_metadata={"model_provider": "openai", "model_name": model},
    )


@action
def lookup(orderId: str) -> dict[str, str]:
    """Find an order.

    Args:
        orderId: The order number.
    """
    return {"order": orderId, "status": "shipped"}


def test_tally_sums_steps_per_model_when_messages_report_usage() -> None:
    tally = UsageTally()
    tally.add(turn("m1", "gpt-a", usage(10, 2)))
    tally.add(turn("m2", "gpt-a", usage(15, 3, reasoning=1, cache_read=8)))
    tally.add(turn("m3", "gpt-b", usage(5, 1)))
    entries = [e.model_dump(by_alias=True, exclude_none=True) for e in tally.entries() or []]
    assert entries == [
        {
            "provider": "openai",
            "model": "gpt-a",
            "inputTokens": 25,
            "outputTokens": 5,
            "totalTokens": 30,
            "reasoningTokens": 1,
            "cachedInputTokens": 8,
        },
        {
            "provider": "openai",
            "model": "gpt-b",
            "inputTokens": 5,
            "outputTokens": 1,
            "totalTokens": 6,
        },
    ]


def test_tally_counts_message_once_when_updates_repeat_it() -> None:
    tally = UsageTally()
    message = turn("m1", "gpt-a", usage(10, 2))
    tally.node_update({"model": {"messages": [message]}})
    tally.node_update({"model": {"messages": [message]}})
    [entry] = tally.entries() or []
    assert (entry.input_tokens, entry.output_tokens) == (10, 2)


def test_tally_reports_nothing_when_no_message_has_usage() -> None:
    tally = UsageTally()
    tally.add(AIMessage(content="hi", id="m1"))
    tally.node_update({"tools": {"messages": []}, "other": None})
    assert tally.entries() is None


async def test_run_finished_carries_usage_summed_over_steps_when_model_reports_it() -> None:
    model = ScriptedChatModel(
        [
            AIMessage(
                content="",
                id="m1",
                tool_calls=[{"id": "c1", "name": "lookup", "args": {"orderId": "A1"}}],
                usage_metadata=usage(100, 20),
                response_metadata={"model_provider": "openai", "model_name": "gpt-x"},
            ),
            turn("m2", "gpt-x", usage(140, 12), text="Shipped."),
        ]
    )
    events = await collect(Agent(actions=[lookup], model=model), run_input("order A1?"))
    assert events[-1] == {
        "type": "RUN_FINISHED",
        "threadId": "t1",
        "runId": "r1",
        "usage": [
            {
                "provider": "openai",
                "model": "gpt-x",
                "inputTokens": 240,
                "outputTokens": 32,
                "totalTokens": 272,
            }
        ],
    }


async def test_run_finished_carries_usage_from_http_when_real_openai_model_runs(
    fake_openai: FakeOpenAIServer,
) -> None:
    fake_openai.script(
        ToolCalls(calls=(call("lookup", {"orderId": "A1"}, "call_1"),)), Text(text="Shipped.")
    )
    model = openai_chat_model(
        "gpt-4o-mini", ModelOptions(base_url=fake_openai.base_url), {"OPENAI_API_KEY": "k"}
    )
    events = await collect(Agent(actions=[lookup], model=model), run_input("order A1?"))
    reported = [r.usage for r in fake_openai.requests if r.usage is not None]
    assert len(reported) == 2
    assert events[-1]["usage"] == [
        {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "inputTokens": sum(u.input_tokens for u in reported),
            "outputTokens": sum(u.output_tokens for u in reported),
            "totalTokens": sum(u.total_tokens for u in reported),
        }
    ]


async def test_run_error_carries_usage_of_finished_steps_when_later_step_fails(
    fake_openai: FakeOpenAIServer,
) -> None:
    fake_openai.script(
        ToolCalls(calls=(call("lookup", {"orderId": "A1"}, "call_1"),)), Failure(status=500)
    )
    model = openai_chat_model(
        "gpt-4o-mini",
        ModelOptions(base_url=fake_openai.base_url, max_retries=0),
        {"OPENAI_API_KEY": "k"},
    )
    agent = Agent(actions=[lookup], model=model, new_id=seq_ids())
    events = await collect(agent, run_input("order A1?"))
    [first] = [r.usage for r in fake_openai.requests if r.usage is not None]
    assert events[-1]["type"] == "RUN_ERROR"
    assert events[-1]["usage"][0]["inputTokens"] == first.input_tokens


async def test_run_finished_has_no_usage_when_model_reports_none() -> None:
    model = ScriptedChatModel([calls(id="m1", text="plain")])
    events = await collect(Agent(model=model), run_input())
    assert "usage" not in events[-1]
