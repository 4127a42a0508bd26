"""COPILOT_DEBUG: the log keeps the messages of what the user's own code raised; by default
it keeps their type and frames only. Clients never see the messages either way."""

from __future__ import annotations

import logging

import pytest

from copilot_runtime.actions import Action, ActionContext, action
from copilot_runtime.app.runtime import CopilotRuntime
from tests.app.conftest import BASE, body, serve
from tests.fakes import ScriptedChatModel, answer, calls


@action
def leaky(userId: str) -> str:
    """Look a user up.

    Args:
        userId: The user.
    """
    raise RuntimeError(f"handler-secret for {userId}")


def leaky_generator(context: ActionContext) -> list[Action]:
    raise ValueError("generator-secret")


def failing_action_runtime() -> CopilotRuntime:
    model = ScriptedChatModel(
        turns=[calls(("c1", "leaky", {"userId": "u7"}), id="m1"), answer("Sorry.", id="m2")]
    )
    return CopilotRuntime(actions=[leaky], model=model)


@pytest.mark.parametrize("debug", [False, True])
async def test_action_failure_message_is_logged_only_in_debug(
    debug: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with serve(failing_action_runtime(), debug=debug) as client:
        response = await client.post(f"{BASE}/agent/default/run", json=body())
    assert "handler-secret" not in response.text
    [failure] = [r.getMessage() for r in caplog.records if "action leaky failed" in r.getMessage()]
    assert "RuntimeError" in failure
    assert ("message: handler-secret for u7" in failure) is debug


@pytest.mark.parametrize("debug", [False, True])
async def test_generator_and_model_failures_are_logged_with_their_messages_only_in_debug(
    debug: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with serve(CopilotRuntime(actions=leaky_generator, model="demo"), debug=debug) as c:
        refused = await c.post(f"{BASE}/agent/default/run", json=body())
    model = ScriptedChatModel(turns=[RuntimeError("model-secret")])
    async with serve(CopilotRuntime(model=model), debug=debug) as client:
        failed = await client.post(f"{BASE}/agent/default/run", json=body())
    assert refused.status_code == 500
    assert "generator-secret" not in refused.text
    assert "model-secret" not in failed.text
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert ("message: generator-secret" in logged) is debug
    assert ("message: model-secret" in logged) is debug
    assert ("COPILOT_DEBUG is on" in logged) is debug


async def test_debug_ends_with_the_server_that_turned_it_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with serve(CopilotRuntime(model="demo"), debug=True):
        pass
    async with serve(failing_action_runtime()) as client:
        await client.post(f"{BASE}/agent/default/run", json=body())
    assert "handler-secret" not in caplog.text
