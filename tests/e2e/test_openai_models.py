"""The real ChatOpenAI inside a real server, against the fake OpenAI server, all over HTTP.

client --HTTP/SSE--> uvicorn (copilot-runtime, --model openai:gpt-4o-mini) --HTTP/SSE--> fake
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from copilot_runtime.testing import stream_problems
from copilot_runtime.testing.fake_openai import (
    Failure,
    FakeOpenAIServer,
    Text,
    TokenGate,
    ToolCalls,
    call,
)
from tests.app.conftest import body
from tests.e2e.conftest import LiveServer, run_node, start_server
from tests.fakes import tool_args

SECRET = "quota exceeded for key sk-live-abc123 of org-secret"
RETRIES = 2


@pytest.fixture(scope="module")
def openai_runtime(
    tmp_path_factory: pytest.TempPathFactory, fake_openai_session: FakeOpenAIServer
) -> Iterator[LiveServer]:
    base_url = f"http://{fake_openai_session.host}:{fake_openai_session.port}/v1"
    server = start_server(
        tmp_path_factory.mktemp("openai"),
        model="openai:gpt-4o-mini",
        OPENAI_API_KEY="sk-fake",
        OPENAI_BASE_URL=base_url,
        COPILOT_MODEL_MAX_RETRIES=str(RETRIES),
    )
    yield server
    server.process.terminate()
    server.process.wait(timeout=10)


def run_body(text: str, thread_id: str = "t-openai") -> dict[str, Any]:
    return body(text, threadId=thread_id)


def stream_events(server: LiveServer, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The run's events as they arrive (the read timeout only guards against a hang)."""
    url = f"{server.url}/agent/default/run"
    with httpx.stream("POST", url, json=body, timeout=30) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: "):
                yield json.loads(line[6:])


def run(server: LiveServer, text: str, thread_id: str = "t-openai") -> list[dict[str, Any]]:
    events = list(stream_events(server, run_body(text, thread_id)))
    assert stream_problems(events) == []
    return events


def of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [event for event in events if event["type"] == kind]


def test_openai_run_streams_text_and_usage_when_model_answers(
    openai_runtime: LiveServer, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.script(Text(text="Paris is the capital of France."))
    events = run(openai_runtime, "Capital of France?", thread_id="t-text")
    deltas = [e["delta"] for e in of_type(events, "TEXT_MESSAGE_CONTENT")]
    assert deltas == ["Paris ", "is ", "the ", "capital ", "of ", "France."]
    [request] = fake_openai.requests
    assert request.body["model"] == "gpt-4o-mini"
    assert request.body["stream"] is True
    assert request.body["stream_options"] == {"include_usage": True}
    assert [m["role"] for m in request.body["messages"]] == ["system", "user"]
    assert request.usage is not None
    assert events[-1]["usage"] == [
        {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "inputTokens": request.usage.input_tokens,
            "outputTokens": request.usage.output_tokens,
            "totalTokens": request.usage.total_tokens,
        }
    ]


def test_openai_run_executes_backend_action_when_arguments_arrive_split(
    openai_runtime: LiveServer, fake_openai: FakeOpenAIServer
) -> None:
    weather = call("getWeather", {"city": "Paris"}, "call_weather")
    fake_openai.script(ToolCalls(calls=(weather,), pieces=5), Text(text="Sunny, 21 degrees."))
    events = run(openai_runtime, "Weather in Paris?", thread_id="t-tool")
    [start] = of_type(events, "TOOL_CALL_START")
    assert (start["toolCallId"], start["toolCallName"]) == ("call_weather", "getWeather")
    assert len(of_type(events, "TOOL_CALL_ARGS")) >= 2  # streamed in pieces, not at the end
    assert tool_args(events) == {"call_weather": {"city": "Paris"}}
    [result] = of_type(events, "TOOL_CALL_RESULT")
    assert json.loads(result["content"]) == {
        "city": "Paris",
        "forecast": "sunny",
        "temperatureCelsius": 21,
    }
    follow_up = fake_openai.requests[1].body["messages"]
    assert [m["role"] for m in follow_up] == ["system", "user", "assistant", "tool"]
    assert follow_up[2]["tool_calls"][0]["function"]["arguments"] == weather.arguments
    assert follow_up[3]["tool_call_id"] == "call_weather"
    assert json.loads(follow_up[3]["content"])["forecast"] == "sunny"
    assert "".join(e["delta"] for e in of_type(events, "TEXT_MESSAGE_CONTENT")) == (
        "Sunny, 21 degrees."
    )
    assert events[-1]["type"] == "RUN_FINISHED"
    assert events[-1]["usage"][0]["inputTokens"] == sum(
        r.usage.input_tokens for r in fake_openai.requests if r.usage
    )


def test_openai_run_answers_each_parallel_call_when_model_calls_two_actions(
    openai_runtime: LiveServer, fake_openai: FakeOpenAIServer
) -> None:
    calls = (
        call("getWeather", {"city": "Oslo"}, "call_a"),
        call("fetchNameForUserId", {"userId": "42"}, "call_b"),
    )
    fake_openai.script(ToolCalls(calls=calls, pieces=3, interleave=True), Text(text="Done."))
    events = run(openai_runtime, "Weather in Oslo and name of user 42", thread_id="t-par")
    assert tool_args(events) == {"call_a": {"city": "Oslo"}, "call_b": {"userId": "42"}}
    results = {
        e["toolCallId"]: json.loads(e["content"]) for e in of_type(events, "TOOL_CALL_RESULT")
    }
    assert results["call_a"]["city"] == "Oslo"
    assert results["call_b"] == {"name": "Darth Doe"}
    follow_up = fake_openai.requests[1].body["messages"]
    assert sorted(m["tool_call_id"] for m in follow_up if m["role"] == "tool") == [
        "call_a",
        "call_b",
    ]


def test_openai_run_retries_and_finishes_when_server_answers_429_first(
    openai_runtime: LiveServer, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.script(Failure(status=429, message=SECRET), Text(text="Made it."))
    events = run(openai_runtime, "hello", thread_id="t-429")
    assert [r.reply for r in fake_openai.requests] == ["failure", "text"]
    assert "".join(e["delta"] for e in of_type(events, "TEXT_MESSAGE_CONTENT")) == "Made it."
    assert events[-1]["type"] == "RUN_FINISHED"


def test_openai_run_ends_with_safe_run_error_when_server_keeps_answering_500(
    openai_runtime: LiveServer, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.script(*[Failure(status=500, message=SECRET)] * (RETRIES + 1))
    events = run(openai_runtime, "hello", thread_id="t-500")
    assert len(fake_openai.requests) == RETRIES + 1  # retried, then gave up
    assert events[-1] == {
        "type": "RUN_ERROR",
        "code": "MODEL_ERROR",
        "message": "The model provider answered with an error (HTTP 500); "
        "the server log has details.",
    }
    assert "sk-live" not in json.dumps(events)
    assert "sk-live" not in openai_runtime.log.read_text()


def test_openai_run_streams_each_token_before_the_next_exists_when_tokens_are_slow(
    openai_runtime: LiveServer, fake_openai: FakeOpenAIServer
) -> None:
    gate = TokenGate()  # the fake sends a token only when the test releases it
    words = ["one ", "two ", "three ", "four"]
    fake_openai.script(Text(text="".join(words), gate=gate))
    events = stream_events(openai_runtime, run_body("count", thread_id="t-slow"))
    gate.release()
    seen: list[dict[str, Any]] = []
    for event in events:
        seen.append(event)
        if event["type"] == "TEXT_MESSAGE_CONTENT":
            # Only now may the fake send the next token: had the runtime buffered this one,
            # the run would never get here.
            assert event["delta"] == words[len(of_type(seen, "TEXT_MESSAGE_CONTENT")) - 1]
            gate.release()
    assert [e["delta"] for e in of_type(seen, "TEXT_MESSAGE_CONTENT")] == words
    assert seen[-1]["type"] == "RUN_FINISHED"


def test_agui_http_agent_validates_usage_and_tool_calls_when_model_is_openai(
    openai_runtime: LiveServer, fake_openai: FakeOpenAIServer, tmp_path: Path
) -> None:
    fake_openai.script(
        ToolCalls(calls=(call("fetchNameForUserId", {"userId": "42"}, "call_n"),), pieces=4),
        Text(text="User 42 is Darth Doe."),
    )
    transcript = run_node(
        "agui_http_agent.mjs",
        f"{openai_runtime.url}/agent/default/run",
        run_body("Name of user 42?", thread_id="t-node"),
        tmp_path,
    )
    kinds = [e["type"] for e in transcript["events"]]
    assert kinds[0] == "RUN_STARTED"
    assert "TOOL_CALL_RESULT" in kinds
    assert transcript["events"][-1]["usage"][0]["provider"] == "openai"
    assert [m["role"] for m in transcript["messages"]] == ["user", "assistant", "tool", "assistant"]
    assert transcript["messages"][-1]["content"] == "User 42 is Darth Doe."
