"""What a client reads when a run fails: a code and a message that leak nothing."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage

from copilot_runtime.graphs import Agent, ModelOptions, StepLimitError, openai_chat_model
from copilot_runtime.graphs.failures import run_failure
from copilot_runtime.testing.fake_openai import Failure, FakeOpenAIServer, Text, TokenGate
from tests.graphs.conftest import collect, run_input

SECRET = "upstream said: key sk-live-123 is over quota for org-secret"


async def model_error(server: FakeOpenAIServer, failure: str) -> Exception:
    """What ChatOpenAI really raises for one kind of failure (retries off)."""
    base_url = server.base_url
    gate = TokenGate()
    if failure == "unreachable":
        base_url = "http://127.0.0.1:9/v1"  # the discard port: nothing listens there
    elif failure == "slow":
        server.script(Text(gate=gate))
    elif failure == "overflow":
        server.script(Failure(status=400, message="context_length_exceeded: " + SECRET))
    else:
        server.script(Failure(status=int(failure), message=SECRET))
    options = ModelOptions(base_url=base_url, max_retries=0, timeout_seconds=0.2)
    model = openai_chat_model("gpt-4o-mini", options, {"OPENAI_API_KEY": "k"})
    try:
        await model.ainvoke([HumanMessage("x")])
    except Exception as error:  # noqa: BLE001  # the exception itself is what is tested
        return error
    finally:
        gate.release(100)
    raise AssertionError("the request did not fail")


@pytest.mark.parametrize(
    ("failure", "code", "message"),
    [
        ("429", "MODEL_RATE_LIMITED", "rate limiting requests (HTTP 429)"),
        ("503", "MODEL_ERROR", "answered with an error (HTTP 503)"),
        ("401", "MODEL_ERROR", "answered with an error (HTTP 401)"),
        ("overflow", "MODEL_CONTEXT_OVERFLOW", "too long for the model's context window"),
        ("slow", "MODEL_TIMEOUT", "did not answer in time"),
        ("unreachable", "MODEL_UNAVAILABLE", "could not be reached"),
    ],
)
async def test_run_failure_names_provider_failure_without_its_text_when_model_call_fails(
    fake_openai: FakeOpenAIServer, failure: str, code: str, message: str
) -> None:
    described = run_failure(await model_error(fake_openai, failure))
    assert described.code == code
    assert message in described.message
    assert "sk-live" not in described.message


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (StepLimitError(3), "STEP_LIMIT_EXCEEDED", "after 3 model steps"),
        (RuntimeError(SECRET), "INTERNAL_ERROR", "internal error"),
    ],
)
def test_run_failure_keeps_run_errors_and_hides_the_rest_when_classifying(
    error: Exception, code: str, message: str
) -> None:
    described = run_failure(error)
    assert described.code == code
    assert message in described.message
    assert "sk-live" not in described.message


async def test_run_error_is_safe_when_server_answers_500_after_retries(
    fake_openai: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    fake_openai.script(*[Failure(status=500, message=SECRET)] * 2)
    model = openai_chat_model(
        "gpt-4o-mini",
        ModelOptions(base_url=fake_openai.base_url, max_retries=1),
        {"OPENAI_API_KEY": "k"},
    )
    events = await collect(Agent(model=model), run_input("hi"))
    assert events[-1] == {
        "type": "RUN_ERROR",
        "code": "MODEL_ERROR",
        "message": "The model provider answered with an error (HTTP 500); "
        "the server log has details.",
    }
    assert len(fake_openai.requests) == 2  # retried once
    assert "sk-live" not in str(events)
    assert "sk-live" not in caplog.text
