"""The one log line each run ends with, whatever the protocol and however the run ends."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from copilot_runtime.actions import Action
from copilot_runtime.app.runtime import CopilotRuntime
from tests.app.conftest import BASE, body, run_events, serve
from tests.app.graphql.documents import URQL_ACCEPT, generate_body, text
from tests.app.test_run_control import Hang, hanging_runtime
from tests.fakes import ScriptedChatModel, answer, calls

RUN_LOGGER = "copilot_runtime.runs"


def run_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The fields of every run line logged so far."""
    lines = [record for record in caplog.records if record.name == RUN_LOGGER]
    assert all(record.levelno == logging.INFO for record in lines)
    return [record.run for record in lines]  # type: ignore[attr-defined]


def with_usage(message: AIMessage, tokens_in: int, tokens_out: int) -> AIMessage:
    message.usage_metadata = {
        "input_tokens": tokens_in,
        "output_tokens": tokens_out,
        "total_tokens": tokens_in + tokens_out,
    }
    return message


def lookup_runtime() -> CopilotRuntime:
    model = ScriptedChatModel(
        turns=[
            with_usage(calls(("c1", "lookup", {}), id="m1"), 100, 10),
            with_usage(answer("It is Ada.", id="m2"), 120, 5),
        ]
    )
    return CopilotRuntime(actions=[Action(name="lookup", handler=lambda: "Ada")], model=model)


async def test_a_finished_run_logs_its_ids_steps_calls_and_tokens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=RUN_LOGGER)
    async with serve(lookup_runtime()) as client:
        run_events(await client.post(f"{BASE}/agent/default/run", json=body("who?")))
    [line] = run_lines(caplog)
    duration = line.pop("duration_ms")
    assert isinstance(duration, int)
    assert duration >= 0
    assert line == {
        "run_id": "r1",
        "thread_id": "t1",
        "agent": "default",
        "protocol": "rest",
        "outcome": "finished",
        "model_steps": 2,
        "tool_calls": 1,
        "input_tokens": 220,
        "output_tokens": 15,
    }
    [record] = [record for record in caplog.records if record.name == RUN_LOGGER]
    assert record.getMessage().startswith("run ended: run_id=r1 thread_id=t1 agent=default")


async def test_each_protocol_names_itself_in_the_run_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=RUN_LOGGER)
    model = ScriptedChatModel(turns=[answer("One", id="m1"), answer("Two", id="m2")])
    async with serve(CopilotRuntime(model=model)) as client:
        envelope = {"method": "agent/run", "params": {"agentId": "default"}, "body": body()}
        run_events(await client.post(BASE, json=envelope))
        graphql = generate_body(text("u1", "user", "hi"), threadId="t-gql")
        answered = await client.post(BASE, json=graphql, headers={"accept": URQL_ACCEPT})
        assert answered.status_code == 200
    assert [(line["protocol"], line["outcome"]) for line in run_lines(caplog)] == [
        ("envelope", "finished"),
        ("graphql", "finished"),
    ]


async def test_a_failed_run_logs_its_error_code(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=RUN_LOGGER)
    model = ScriptedChatModel(turns=[RuntimeError("the model broke")])
    async with serve(CopilotRuntime(model=model)) as client:
        run_events(await client.post(f"{BASE}/agent/default/run", json=body()))
    [line] = run_lines(caplog)
    assert line["outcome"] == "error:INTERNAL_ERROR"
    assert (line["model_steps"], line["tool_calls"]) == (0, 0)


async def test_a_stopped_run_logs_that_it_was_stopped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=RUN_LOGGER)
    hang = Hang()
    async with serve(hanging_runtime(hang)) as client:
        running = asyncio.create_task(client.post(f"{BASE}/agent/default/run", json=body()))
        await asyncio.wait_for(hang.started.wait(), 5)
        await client.post(f"{BASE}/agent/default/stop/t1", json={"runId": "r1"})
        run_events(await asyncio.wait_for(running, 5))
    [line] = run_lines(caplog)
    assert (line["outcome"], line["tool_calls"]) == ("stopped", 1)


async def test_a_run_refused_before_it_starts_logs_no_run_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=RUN_LOGGER)
    async with serve(CopilotRuntime(model="demo")) as client:
        response = await client.post(f"{BASE}/agent/nobody/run", json=body())
    assert response.status_code == 404
    assert run_lines(caplog) == []
