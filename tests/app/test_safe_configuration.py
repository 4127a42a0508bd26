"""Configuration that would open the door is refused, the schema is private, logs stay honest."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from copilot_runtime.actions import Action, ActionContext
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.app.settings import CREDENTIALS_NEED_ORIGINS, Settings
from tests.app.conftest import BASE, body, serve
from tests.fakes import ScriptedChatModel

FORGED = "2030-01-01 12:00:00,000 INFO copilot_runtime: admin logged in"


def test_credentials_with_any_origin_are_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(cors_allow_credentials=True)
    assert refused.value.errors()[0]["msg"] == f"Value error, {CREDENTIALS_NEED_ORIGINS}"
    explicit = Settings(cors_allow_credentials=True, cors_origins=["https://app.example"])
    assert explicit.cors_allow_credentials


def test_serve_refuses_credentials_with_any_origin_in_one_line() -> None:
    environ = {**os.environ, "COPILOT_CORS_ALLOW_CREDENTIALS": "true", "COPILOT_MODEL": "demo"}
    done = subprocess.run(
        [sys.executable, "-m", "copilot_runtime.app.cli", "serve"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=environ,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"copilot-runtime: {CREDENTIALS_NEED_ORIGINS}"]


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", f"{BASE}/openapi.json"])
async def test_the_route_schema_is_not_served_by_default(path: str) -> None:
    async with serve(CopilotRuntime(model="demo")) as client:
        assert (await client.get(path)).status_code == 404


async def test_the_route_schema_is_served_when_asked_for() -> None:
    async with serve(CopilotRuntime(model="demo"), docs=True) as client:
        schema = await client.get("/openapi.json")
        page = await client.get("/docs")
    assert schema.status_code == 200
    assert f"{BASE}/agent/{{agent_id}}/run" in schema.json()["paths"]
    assert page.status_code == 200


def forged_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        line
        for record in caplog.records
        for line in record.getMessage().splitlines()
        if line.startswith(FORGED)
    ]


async def test_a_run_id_cannot_start_a_log_line_of_its_own(
    caplog: pytest.LogCaptureFixture,
) -> None:
    model = ScriptedChatModel(turns=[RuntimeError("the model broke")])
    run_id = f"r1\n{FORGED}"
    with caplog.at_level(logging.INFO):  # the run's failure and its end-of-run line
        async with serve(CopilotRuntime(model=model)) as client:
            response = await client.post(f"{BASE}/agent/default/run", json=body(runId=run_id))
    assert "RUN_ERROR" in response.text
    assert forged_lines(caplog) == []
    escaped = [record.name for record in caplog.records if "r1\\n2030" in record.getMessage()]
    assert escaped == ["copilot_runtime.graphs.run", "copilot_runtime.runs"]


async def test_a_run_that_cannot_start_logs_its_id_escaped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(context: ActionContext) -> list[Action]:
        raise RuntimeError("the generator broke")

    with caplog.at_level(logging.WARNING):
        async with serve(CopilotRuntime(actions=broken, model="demo")) as client:
            response = await client.post(
                f"{BASE}/agent/default/run", json=body(runId=f"r2\r\n{FORGED}")
            )
    assert response.status_code == 500
    assert forged_lines(caplog) == []
    assert any("could not start" in record.getMessage() for record in caplog.records)
