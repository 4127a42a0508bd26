"""The v2 protocol over HTTP: REST routes, the single-route envelope, errors, CORS."""

from __future__ import annotations

from typing import Any

import pytest

from copilot_runtime.actions import Action, ActionContext
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.testing import ScriptedChatModel
from tests.app.conftest import BASE, body, run_events, serve, sse_events
from tests.fakes import answer, calls


def echo_context(context: ActionContext) -> dict[str, Any]:
    return {
        "role": context.properties.get("role"),
        "url": context.url,
        "auth": context.headers.get("authorization"),
        "agent": context.agent_id,
        "thread": context.thread_id,
    }


def role_actions(context: ActionContext) -> list[Action]:
    found = [Action(name="whoami", handler=echo_context)]
    if context.properties.get("role") == "admin":
        found.append(Action(name="deleteUser", handler=lambda: "deleted"))
    return found


async def test_info_lists_default_agent_in_sse_mode() -> None:
    async with serve(CopilotRuntime(model="demo")) as client:
        rest = await client.get(f"{BASE}/info")
        envelope = await client.post(BASE, json={"method": "info"})
    assert rest.status_code == 200
    info = rest.json()
    assert info["mode"] == "sse"
    assert info["agents"]["default"]["name"] == "default"
    assert info["audioFileTranscriptionEnabled"] is False
    assert envelope.json() == info


@pytest.mark.parametrize("route", ["rest", "envelope"])
async def test_run_streams_sse_events_when_posted_on_either_route(route: str) -> None:
    runtime = CopilotRuntime(model=ScriptedChatModel([answer("Hello", id="m1")]))
    async with serve(runtime) as client:
        if route == "rest":
            response = await client.post(f"{BASE}/agent/default/run", json=body())
        else:
            envelope = {"method": "agent/run", "params": {"agentId": "default"}, "body": body()}
            response = await client.post(BASE, json=envelope)
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert response.text.startswith('data: {"type":"RUN_STARTED","threadId":"t1","runId":"r1"}\n\n')
    assert [e["type"] for e in run_events(response)] == [
        "RUN_STARTED",
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_END",
        "RUN_FINISHED",
    ]


async def test_run_omits_absent_optional_fields_instead_of_sending_null() -> None:
    runtime = CopilotRuntime(model=ScriptedChatModel([answer("Hi", id="m1")]))
    async with serve(runtime) as client:
        response = await client.post(f"{BASE}/agent/default/run", json=body())
    assert "null" not in response.text


@pytest.mark.parametrize(
    ("role", "offered"), [("admin", ["whoami", "deleteUser"]), ("viewer", ["whoami"])]
)
async def test_run_offers_actions_by_forwarded_properties(role: str, offered: list[str]) -> None:
    model = ScriptedChatModel([answer("ok", id="m1")])
    async with serve(CopilotRuntime(actions=role_actions, model=model)) as client:
        await client.post(f"{BASE}/agent/default/run", json=body(forwardedProps={"role": role}))
    assert [request.tool_names for request in model.requests] == [offered]


async def test_run_gives_actions_the_request_properties_url_and_headers() -> None:
    model = ScriptedChatModel([calls(("c1", "whoami", {}), id="m1"), answer("ok", id="m2")])
    props = {"role": "admin", "url": "https://shop.example/cart"}
    async with serve(CopilotRuntime(actions=role_actions, model=model)) as client:
        response = await client.post(
            f"{BASE}/agent/default/run",
            json=body(forwardedProps=props),
            headers={"Authorization": "Bearer abc"},
        )
    result = next(e for e in run_events(response) if e["type"] == "TOOL_CALL_RESULT")
    assert result["content"] == (
        '{"role":"admin","url":"https://shop.example/cart","auth":"Bearer abc",'
        '"agent":"default","thread":"t1"}'
    )


@pytest.mark.parametrize(
    ("path", "kwargs", "status", "error"),
    [
        ("/agent/nope/run", {"json": body()}, 404, "Agent not found"),
        (
            "/agent/default/run",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            400,
            "invalid_json",
        ),
        (
            "/agent/default/run",
            {"content": b"{}", "headers": {"content-type": "text/plain"}},
            415,
            "unsupported_media_type",
        ),
        ("/agent/default/run", {"json": {"threadId": "t1"}}, 400, "Invalid request body"),
        ("/agent/default/run", {"json": [1, 2]}, 400, "invalid_json"),
        ("", {"json": {"params": {}}}, 400, "invalid_request"),
        (
            "",
            {"json": {"method": "agent/fly", "params": {"agentId": "default"}}},
            400,
            "invalid_request",
        ),
        (
            "",
            {"json": {"method": "agent/run", "params": {"agentId": ""}, "body": body()}},
            400,
            "invalid_request",
        ),
        (
            "",
            {"json": {"method": "agent/run", "params": {"agentId": "nope"}, "body": body()}},
            404,
            "Agent not found",
        ),
        ("/nowhere", {"json": {}}, 404, "not_found"),
    ],
)
async def test_bad_requests_get_json_errors_before_any_streaming(
    path: str, kwargs: dict[str, Any], status: int, error: str
) -> None:
    async with serve(CopilotRuntime(model="demo")) as client:
        response = await client.post(f"{BASE}{path}", **kwargs)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == error
    assert response.json()["message"]


async def test_invalid_run_input_lists_the_problems() -> None:
    async with serve(CopilotRuntime(model="demo")) as client:
        response = await client.post(f"{BASE}/agent/default/run", json={"threadId": "t1"})
    paths = {detail["path"] for detail in response.json()["details"]}
    assert {"runId", "messages"} <= paths


async def test_wrong_method_gets_405_with_allow_header() -> None:
    async with serve(CopilotRuntime(model="demo")) as client:
        response = await client.get(f"{BASE}/agent/default/run")
        info_post = await client.post(f"{BASE}/info", json={})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"] == "method_not_allowed"
    assert info_post.status_code == 405


async def test_bad_action_declaration_is_a_500_naming_the_action() -> None:
    broken = [{"name": "ok_name", "parameters": [{"name": "x", "type": "date"}], "handler": print}]
    async with serve(CopilotRuntime(actions=broken, model="demo")) as client:
        response = await client.post(f"{BASE}/agent/default/run", json=body())
    assert response.status_code == 500
    assert response.json()["error"] == "action_definition_error"
    assert "ok_name" in response.json()["message"]
    assert "date" in response.json()["message"]


async def test_failing_generator_is_a_500_without_its_exception_text() -> None:
    def generator(context: ActionContext) -> list[Action]:
        raise RuntimeError("db password is hunter2")

    async with serve(CopilotRuntime(actions=generator, model="demo")) as client:
        response = await client.post(f"{BASE}/agent/default/run", json=body())
    assert response.status_code == 500
    assert "hunter2" not in response.text


async def test_model_failure_during_run_ends_stream_with_safe_run_error() -> None:
    model = ScriptedChatModel([TimeoutError("upstream key sk-live-123 timed out")])
    async with serve(CopilotRuntime(model=model)) as client:
        response = await client.post(f"{BASE}/agent/default/run", json=body())
    events = run_events(response)
    assert events[-1]["type"] == "RUN_ERROR"
    assert events[-1]["code"] == "INTERNAL_ERROR"
    assert "sk-live" not in response.text


async def test_cors_preflight_echoes_origin_and_requested_headers() -> None:
    origins = ["https://app.example"]
    async with serve(
        CopilotRuntime(model="demo"), cors_origins=origins, cors_allow_credentials=True
    ) as client:
        response = await client.options(
            f"{BASE}/agent/default/run",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": (
                    "authorization, content-type, x-copilotcloud-public-api-key"
                ),
            },
        )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    assert response.headers["access-control-allow-credentials"] == "true"
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed
    assert "x-copilotcloud-public-api-key" in allowed


async def test_cors_refuses_unlisted_origin_when_origins_are_configured() -> None:
    async with serve(CopilotRuntime(model="demo"), cors_origins=["https://app.example"]) as client:
        response = await client.options(
            f"{BASE}/info",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_health_route_answers_for_node_http_agent() -> None:
    async with serve(CopilotRuntime(model="demo")) as client:
        ok = await client.get(f"{BASE}/agent/default/run/health")
        missing = await client.get(f"{BASE}/agent/nope/run/health")
    assert ok.json() == {"status": "ok", "agent": {"name": "default"}}
    assert missing.status_code == 404


async def test_legacy_binary_parts_are_accepted_as_media() -> None:
    model = ScriptedChatModel([answer("A cat", id="m1")])
    content = [
        {"type": "text", "text": "what is this?"},
        {"type": "binary", "mimeType": "image/png", "data": "iVBORw0KGgo="},
    ]
    request = body(messages=[{"id": "u1", "role": "user", "content": content}])
    async with serve(CopilotRuntime(model=model)) as client:
        response = await client.post(f"{BASE}/agent/default/run", json=request)
    run_events(response)
    assert model.requests[0].messages[-1].content[1] == {
        "type": "image",
        "base64": "iVBORw0KGgo=",
        "mime_type": "image/png",
    }


def test_sse_parser_rejects_crlf_framing() -> None:
    with pytest.raises(AssertionError):
        sse_events('data: {"type":"RUN_STARTED"}\r\n\r\n')
