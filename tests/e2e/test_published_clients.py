"""Conformance with the published clients: @copilotkit/core 1.74.0 and @ag-ui/client 1.0.0,
driven from Node against a real uvicorn server (tests/node/*.mjs)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.e2e.conftest import LiveServer, run_node

SAY_HELLO = {
    "name": "sayHello",
    "description": "Greet a person in the page.",
    "parameters": {
        "type": "object",
        "properties": {"name": {"type": "string", "description": "Who to greet"}},
        "required": ["name"],
    },
    "result": {"greeted": True},
}


def core(server: LiveServer, tmp_path: Path, **scenario: Any) -> dict[str, Any]:
    return run_node("copilotkit_core.mjs", server.url, scenario, tmp_path)


def of_type(transcript: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in transcript["events"] if e["type"] == kind]


def assistant_texts(transcript: dict[str, Any]) -> list[str]:
    return [
        m["content"]
        for m in transcript["messages"]
        if m["role"] == "assistant" and m.get("content")
    ]


def test_core_discovers_agents_over_rest(live_server: LiveServer, tmp_path: Path) -> None:
    transcript = core(live_server, tmp_path, transport="auto", message="hello")
    assert transcript["transport"] == "rest"
    assert transcript["agents"] == ["default"]
    assert transcript["requests"][0]["method"] == "GET"
    assert transcript["requests"][0]["url"].endswith("/api/copilotkit/info")


def test_core_falls_back_to_single_route_when_rest_info_is_missing(
    single_route_server: LiveServer, tmp_path: Path
) -> None:
    transcript = core(single_route_server, tmp_path, transport="auto", message="hello")
    assert transcript["transport"] == "single"
    first, second = transcript["requests"][:2]
    assert (first["method"], first["status"]) == ("GET", 404)
    assert second["body"] == {"method": "info"}
    run = next(
        r for r in transcript["requests"] if r["body"] and r["body"].get("method") == "agent/run"
    )
    assert run["status"] == 200
    assert assistant_texts(transcript)  # the chat worked through the envelope


def test_core_plain_chat_gets_streamed_answer(live_server: LiveServer, tmp_path: Path) -> None:
    transcript = core(live_server, tmp_path, message="Tell me a joke")
    assert transcript["runs"] == 1
    assert transcript["errors"] == []
    [text] = assistant_texts(transcript)
    assert "offline demo model" in text


def test_core_gets_backend_action_result_and_answer_in_one_run(
    live_server: LiveServer, tmp_path: Path
) -> None:
    transcript = core(live_server, tmp_path, message="What is the name of user 42?")
    assert transcript["runs"] == 1
    [result] = of_type(transcript, "TOOL_CALL_RESULT")
    assert result["content"] == '{"name":"Darth Doe"}'
    tool_messages = [m for m in transcript["messages"] if m["role"] == "tool"]
    assert [m["content"] for m in tool_messages] == ['{"name":"Darth Doe"}']
    assert assistant_texts(transcript) == ['fetchNameForUserId returned: {"name":"Darth Doe"}']


def test_core_executes_frontend_tool_and_follow_up_run_completes_answer(
    live_server: LiveServer, tmp_path: Path
) -> None:
    transcript = core(
        live_server, tmp_path, frontendTools=[SAY_HELLO], message="Please sayHello to Ada"
    )
    assert transcript["toolCalls"][0]["name"] == "sayHello"
    assert transcript["toolCalls"][0]["args"] == {"name": "Ada"}
    assert transcript["runs"] == 2  # the client ran the tool, then asked again
    follow_up = [r for r in transcript["requests"] if r["url"].endswith("/run")][1]["body"]
    assert [m["role"] for m in follow_up["messages"]] == ["user", "assistant", "tool"]
    assert assistant_texts(transcript)[-1] == 'sayHello returned: {"greeted":true}'
    assert not of_type(transcript, "RUN_ERROR")


def test_core_runs_parallel_backend_and_frontend_calls_of_one_turn(
    live_server: LiveServer, tmp_path: Path
) -> None:
    transcript = core(
        live_server,
        tmp_path,
        frontendTools=[SAY_HELLO],
        message="call getWeather for 'Paris' and sayHello to Ada",
    )
    starts = [e["toolCallName"] for e in of_type(transcript, "TOOL_CALL_START")]
    assert starts[:2] == ["getWeather", "sayHello"]
    results = of_type(transcript, "TOOL_CALL_RESULT")
    assert '"city":"Paris"' in results[0]["content"]  # the server ran getWeather
    assert [c["name"] for c in transcript["toolCalls"]] == ["sayHello"]  # the client ran sayHello
    assert transcript["runs"] == 2
    final = assistant_texts(transcript)[-1]
    assert "getWeather returned" in final
    assert "sayHello returned" in final


def test_core_stop_ends_a_running_run_quickly(live_server: LiveServer, tmp_path: Path) -> None:
    started = time.monotonic()
    transcript = core(
        live_server, tmp_path, message="slowReport about 'tides'", stopAfterMs=800, allowErrors=True
    )
    elapsed = time.monotonic() - started
    assert elapsed < 30  # the action sleeps 60 s: only the stop can end the run this early
    stop = next(r for r in transcript["requests"] if "/stop/" in r["url"])
    assert stop["status"] == 200
    assert stop["body"]["runId"]
    kinds = [e["type"] for e in transcript["events"]]
    assert kinds[-1] == "RUN_FINISHED"
    assert "TOOL_CALL_END" in kinds


def test_core_offers_admin_action_only_to_admins(live_server: LiveServer, tmp_path: Path) -> None:
    ask = "Please resetUserPassword for user 7"
    admin = core(live_server, tmp_path, message=ask, properties={"role": "admin"})
    viewer = core(live_server, tmp_path, message=ask, properties={"role": "viewer"})
    assert [e["toolCallName"] for e in of_type(admin, "TOOL_CALL_START")] == ["resetUserPassword"]
    assert of_type(admin, "TOOL_CALL_RESULT")[0]["content"] == "A reset link was sent to user 7."
    viewer_calls = [e["toolCallName"] for e in of_type(viewer, "TOOL_CALL_START")]
    assert "resetUserPassword" not in viewer_calls
    assert not any("reset link" in text for text in assistant_texts(viewer))


def test_core_hydrates_history_over_connect_for_an_explicit_thread(
    live_server: LiveServer, tmp_path: Path
) -> None:
    first = core(
        live_server, tmp_path, threadId="thread-reload", message="What is the name of user 42?"
    )
    again = core(live_server, tmp_path, threadId="thread-reload", message="hello")
    snapshot = next(e for e in again["connectEvents"] if e["type"] == "MESSAGES_SNAPSHOT")
    assert [m["id"] for m in snapshot["messages"]] == [m["id"] for m in first["messages"]]


def test_agui_http_agent_runs_backend_action(live_server: LiveServer, tmp_path: Path) -> None:
    request = {
        "threadId": "node-embed",
        "runId": "run-1",
        "messages": [{"id": "u1", "role": "user", "content": "What is the name of user 42?"}],
        "tools": [],
        "context": [],
        "forwardedProps": {},
        "state": {},
    }
    transcript = run_node(
        "agui_http_agent.mjs", f"{live_server.url}/agent/default/run", request, tmp_path
    )
    kinds = [e["type"] for e in transcript["events"]]
    assert kinds[0] == "RUN_STARTED"
    assert kinds[-1] == "RUN_FINISHED"
    assert "TOOL_CALL_RESULT" in kinds
    roles = [m["role"] for m in transcript["messages"]]
    assert roles == ["user", "assistant", "tool", "assistant"]
