"""The remote-endpoint protocol over HTTP, in process: info, actions/execute, agents/execute,
agents/state, the actions generator's context, ownership, errors, where the routes live."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from fastapi import FastAPI
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from copilot_runtime.actions import Action, ActionContext, ActionFailedError, Parameter
from copilot_runtime.app.embed import add_copilotkit_endpoint
from copilot_runtime.app.runtime import CopilotRuntime
from tests.app.conftest import serve, settings
from tests.app.test_run_control import Hang
from tests.fakes import ScriptedChatModel, answer, calls

REMOTE = "/copilotkit_remote"
SECRET = "password hunter2 for db.internal"


def lookup(userId: str) -> dict[str, str]:  # CopilotKit's parameter name
    return {"name": "Ada", "id": userId}


def refuse(reason: str) -> str:
    raise ActionFailedError(f"refused: {reason}")


def crash() -> str:
    raise RuntimeError(SECRET)


LOOKUP = Action(
    name="lookup",
    description="Find a user.",
    parameters=(Parameter(name="userId", type="string", description="The user"),),
    handler=lookup,
)
PAINT = Action(
    name="paint",
    description="Paint a box.",
    parameters=(
        Parameter(name="color", type="string", enum=("red", "blue")),
        Parameter(
            name="box",
            type="object",
            required=False,
            attributes=(Parameter(name="width", type="number", description="cm"),),
        ),
    ),
    handler=lambda color, box=None: f"{color} box",
)
REFUSE = Action(name="refuse", parameters=(Parameter(name="reason"),), handler=refuse)
CRASH = Action(name="crash", handler=crash)
RESET = Action(name="resetPassword", handler=lambda: "reset")
SAY_HELLO = {
    "name": "sayHello",
    "description": "Greet someone in the page.",
    "parameters": {"type": "object", "properties": {"name": {"type": "string"}}},
}


def actions(context: ActionContext) -> list[Action]:
    found = [LOOKUP, PAINT, REFUSE, CRASH]
    if context.properties.get("role") == "admin":
        found.append(RESET)
    return found


def user_from_header(context: ActionContext) -> str | None:
    return context.headers.get("x-user")


def runtime(*turns: AIMessage, **options: Any) -> CopilotRuntime:
    model = ScriptedChatModel(turns=list(turns))
    return CopilotRuntime(actions=actions, model=model, identify_user=user_from_header, **options)


def text_message(message_id: str, role: str, content: str) -> dict[str, Any]:
    return {
        "id": message_id,
        "createdAt": "2025-01-01T00:00:00.000Z",
        "type": "TextMessage",
        "role": role,
        "content": content,
    }


def agent_body(*messages: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """What the 1.10.6 runtime posts to agents/execute (`constructRemoteActions`)."""
    return {
        "name": "default",
        "threadId": "t1",
        "messages": list(messages) or [text_message("u1", "user", "hi")],
        "state": {},
        "config": {},
        "properties": {},
        "actions": [
            {"name": "lookup", "description": "Find a user.", "parameters": {"type": "object"}},
            SAY_HELLO,
        ],
        "metaEvents": [],
        **fields,
    }


def lines(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return [json.loads(line) for line in response.text.split("\n") if line.strip()]


async def test_info_lists_actions_in_copilotkit_shape_and_agents_with_their_stream_type() -> None:
    async with serve(runtime()) as client:
        response = await client.post(f"{REMOTE}/info", json={"properties": {}})
    assert response.status_code == 200
    info = response.json()
    assert [a["name"] for a in info["actions"]] == ["lookup", "paint", "refuse", "crash"]
    assert info["actions"][1] == {
        "name": "paint",
        "description": "Paint a box.",
        "parameters": [
            {
                "name": "color",
                "type": "string",
                "description": "",
                "required": True,
                "enum": ["red", "blue"],
            },
            {
                "name": "box",
                "type": "object",
                "description": "",
                "required": False,
                "attributes": [
                    {"name": "width", "type": "number", "description": "cm", "required": True}
                ],
            },
        ],
    }
    assert info["agents"] == [
        {
            "name": "default",
            "description": "The default agent with the runtime's backend actions.",
            "type": "crewai",
        }
    ]
    assert isinstance(info["sdkVersion"], str)


async def test_info_calls_the_generator_with_properties_page_url_and_headers() -> None:
    seen: list[ActionContext] = []

    def recording(context: ActionContext) -> list[Action]:
        seen.append(context)
        return actions(context)

    body = {"properties": {"role": "admin"}, "frontendUrl": "https://app.example/orders"}
    async with serve(CopilotRuntime(actions=recording, model="demo")) as client:
        response = await client.post(f"{REMOTE}/info", json=body, headers={"x-user": "ada"})
    assert "resetPassword" in [a["name"] for a in response.json()["actions"]]
    [context] = seen
    assert context.properties == {"role": "admin"}
    assert context.url == "https://app.example/orders"
    assert context.headers["x-user"] == "ada"
    assert context.request_url == f"http://test{REMOTE}/info"


async def test_info_is_also_answered_on_the_bare_path_as_the_python_sdk_did() -> None:
    async with serve(runtime()) as client:
        get = await client.get(REMOTE)
        post = await client.post(f"{REMOTE}/", json={"properties": {"role": "admin"}})
        get_info = await client.get(f"{REMOTE}/info")
    assert get.status_code == 200
    assert len(get.json()["actions"]) == 4
    assert len(post.json()["actions"]) == 5
    assert get_info.status_code == 405  # the SDK answered info by POST only


async def test_execute_action_answers_the_result_the_model_reads() -> None:
    body = {"name": "lookup", "arguments": {"userId": "7"}, "properties": {}}
    async with serve(runtime()) as client:
        response = await client.post(f"{REMOTE}/actions/execute", json=body)
    assert response.status_code == 200
    assert response.json() == {"result": '{"name":"Ada","id":"7"}'}


async def test_execute_action_failures_are_results_the_model_reads_without_secrets() -> None:
    cases = {
        "refuse": {"reason": "not today"},
        "lookup": {"userId": 7},
        "crash": {},
    }
    async with serve(runtime()) as client:
        results = {}
        for name, arguments in cases.items():
            response = await client.post(
                f"{REMOTE}/actions/execute", json={"name": name, "arguments": arguments}
            )
            assert response.status_code == 200, response.text
            results[name] = response.json()["result"]
    assert results["refuse"] == "Error: refuse failed: refused: not today"
    assert results["lookup"].startswith("Error: invalid arguments for lookup: userId")
    assert results["crash"] == (
        "Error: crash failed with an internal error. Do not retry it with the same arguments."
    )
    assert SECRET not in json.dumps(results)


async def test_execute_action_is_404_for_an_action_this_request_does_not_have() -> None:
    async with serve(runtime()) as client:
        missing = await client.post(f"{REMOTE}/actions/execute", json={"name": "nope"})
        not_admin = await client.post(
            f"{REMOTE}/actions/execute", json={"name": "resetPassword", "properties": {}}
        )
        admin = await client.post(
            f"{REMOTE}/actions/execute",
            json={"name": "resetPassword", "properties": {"role": "admin"}},
        )
    assert missing.status_code == 404
    assert missing.json()["message"] == "Action 'nope' does not exist for this request"
    assert not_admin.status_code == 404
    assert admin.json() == {"result": "reset"}


async def test_bad_bodies_are_answered_4xx_json_before_anything_runs() -> None:
    async with serve(runtime()) as client:
        no_name = await client.post(f"{REMOTE}/actions/execute", json={"arguments": {}})
        not_json = await client.post(
            f"{REMOTE}/agents/execute", content=b"{", headers={"content-type": "text/plain"}
        )
        bad_json = await client.post(
            f"{REMOTE}/agents/execute", content=b"{", headers={"content-type": "application/json"}
        )
        bad_message = await client.post(
            f"{REMOTE}/agents/execute", json=agent_body({"type": "Nope", "id": "x"})
        )
        tool_text = await client.post(
            f"{REMOTE}/agents/execute", json=agent_body(text_message("x", "tool", "?"))
        )
        no_thread = await client.post(f"{REMOTE}/agents/state", json={"name": "default"})
    assert no_name.status_code == 400
    assert no_name.json()["details"] == [{"path": "name", "message": "Field required"}]
    assert not_json.status_code == 415
    assert bad_json.status_code == 400
    assert bad_message.status_code == 400
    assert bad_message.json()["message"] == "Invalid agents/execute request body"
    assert tool_text.status_code == 400
    assert no_thread.status_code == 400


async def test_execute_agent_streams_runtime_events_and_runs_a_call_here_once() -> None:
    turns = (
        calls(("c1", "lookup", {"userId": "7"}), id="m1"),
        answer("It is Ada.", id="m2"),
    )
    agent = runtime(*turns)
    async with serve(agent) as client:
        response = await client.post(f"{REMOTE}/agents/execute", json=agent_body())
    events = lines(response)
    assert collapsed(events) == [
        "ActionExecutionStart",
        "ActionExecutionArgs",
        # no ActionExecutionEnd: the Node runtime would run `lookup` a second time
        "ActionExecutionResult",
        "TextMessageStart",
        "TextMessageContent",
        "TextMessageEnd",
        "AgentStateMessage",
    ]
    assert json.loads(streamed(events, "ActionExecutionArgs", "args")) == {"userId": "7"}
    assert streamed(events, "TextMessageContent", "content") == "It is Ada."
    assert events[0] == {
        "type": "ActionExecutionStart",
        "actionExecutionId": "c1",
        "actionName": "lookup",
        "parentMessageId": "m1",
    }
    (result,) = [e for e in events if e["type"] == "ActionExecutionResult"]
    assert result["result"] == '{"name":"Ada","id":"7"}'
    assert events[-1] == {
        "type": "AgentStateMessage",
        "threadId": "t1",
        "agentName": "default",
        "nodeName": "",
        "runId": "srv-1",
        "active": False,
        "role": "assistant",
        "state": "{}",
        "running": True,
    }
    model = agent.agents["default"].model  # type: ignore[attr-defined]
    # Its own `lookup` once (not the offered copy), the page's sayHello as a frontend tool.
    assert model.bound[0] == ["lookup", "paint", "refuse", "crash", "sayHello"]


async def test_execute_agent_ends_the_call_of_an_offered_tool_for_the_page_to_run() -> None:
    turn = calls(("c9", "sayHello", {"name": "Ada"}), id="m1")
    async with serve(runtime(turn)) as client:
        response = await client.post(f"{REMOTE}/agents/execute", json=agent_body())
    events = lines(response)
    assert collapsed(events) == [
        "ActionExecutionStart",
        "ActionExecutionArgs",
        "ActionExecutionEnd",
        "AgentStateMessage",
    ]
    assert json.loads(streamed(events, "ActionExecutionArgs", "args")) == {"name": "Ada"}


async def test_execute_agent_hands_the_node_runtime_transcript_and_state_to_the_agent() -> None:
    sent = [
        text_message("s1", "system", "Be brief."),
        text_message("u1", "user", "Who is 7?"),
        {
            "id": "c1",
            "type": "ActionExecutionMessage",
            "name": "lookup",
            "arguments": {"userId": "7"},
            "parentMessageId": "m1",
        },
        {
            "id": "result-c1",
            "type": "ResultMessage",
            "actionExecutionId": "c1",
            "actionName": "lookup",
            "result": '{"name":"Ada"}',
        },
        {"id": "st", "type": "AgentStateMessage", "agentName": "default", "state": {}},
    ]
    agent = runtime(answer("Ada.", id="m2"))
    body = agent_body(*sent, state={"count": 3}, properties={"role": "admin"})
    async with serve(agent) as client:
        events = lines(await client.post(f"{REMOTE}/agents/execute", json=body))
    model = agent.agents["default"].model  # type: ignore[attr-defined]
    [prompt] = model.seen
    assert [type(m) for m in prompt[-3:]] == [HumanMessage, AIMessage, ToolMessage]
    assert any(isinstance(m, SystemMessage) and "Be brief." in m.text for m in prompt)
    assert prompt[-2].tool_calls[0]["args"] == {"userId": "7"}
    assert prompt[-1].content == '{"name":"Ada"}'
    assert "resetPassword" in model.bound[0]  # the generator saw the forwarded properties
    assert json.loads(events[-1]["state"]) == {"count": 3}


async def test_execute_agent_is_refused_as_json_for_unknown_agents_busy_and_foreign_threads() -> (
    None
):
    hang = Hang()
    turns = (calls(("c1", "hang", {}), id="m1"), answer("mine", id="m2"))
    agent = CopilotRuntime(
        actions=[Action(name="hang", handler=hang)],
        model=ScriptedChatModel(turns=list(turns)),
        identify_user=user_from_header,
    )
    async with serve(agent) as client:
        unknown = await client.post(f"{REMOTE}/agents/execute", json=agent_body(name="nope"))
        running = asyncio.create_task(
            client.post(f"{REMOTE}/agents/execute", json=agent_body(), headers={"x-user": "ada"})
        )
        await asyncio.wait_for(hang.started.wait(), 5)
        busy = await client.post(
            f"{REMOTE}/agents/execute", json=agent_body(), headers={"x-user": "ada"}
        )
        await client.post(  # only the thread's owner can stop its run
            "/api/copilotkit/agent/default/stop/t1", json={}, headers={"x-user": "ada"}
        )
        await asyncio.wait_for(running, 5)
        foreign = await client.post(
            f"{REMOTE}/agents/execute", json=agent_body(), headers={"x-user": "bob"}
        )
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "Agent not found"
    assert busy.status_code == 409
    assert foreign.status_code == 404
    assert foreign.json()["error"] == "Thread not found"


async def test_agent_state_returns_the_callers_thread_and_hides_anyone_elses() -> None:
    async with serve(runtime(answer("Hello Ada", id="m1"))) as client:
        response = await client.post(
            f"{REMOTE}/agents/execute", json=agent_body(), headers={"x-user": "ada"}
        )
        assert response.status_code == 200
        state = {"name": "default", "threadId": "t1", "properties": {}}
        own = await client.post(f"{REMOTE}/agents/state", json=state, headers={"x-user": "ada"})
        other = await client.post(f"{REMOTE}/agents/state", json=state, headers={"x-user": "bob"})
        unknown = await client.post(f"{REMOTE}/agents/state", json={**state, "name": "nope"})
    assert own.json() == {
        "threadId": "t1",
        "threadExists": True,
        "state": {},
        "messages": [
            {"id": "u1", "role": "user", "content": "hi"},
            {"id": "m1", "role": "assistant", "content": "Hello Ada"},
        ],
    }
    assert other.json() == {"threadId": "t1", "threadExists": False, "state": {}, "messages": []}
    assert unknown.status_code == 404


async def test_remote_path_setting_moves_the_routes_or_turns_them_off() -> None:
    async with serve(runtime(), remote_endpoint_path="/py/") as client:
        moved = await client.post("/py/info", json={})
        old = await client.post(f"{REMOTE}/info", json={})
    async with serve(runtime(), remote_endpoint_path="") as client:
        off = await client.post(f"{REMOTE}/info", json={})
    assert moved.status_code == 200
    assert old.status_code == 404
    assert off.status_code == 404


async def test_an_app_that_embeds_the_runtime_serves_the_remote_routes_too() -> None:
    host = FastAPI()
    add_copilotkit_endpoint(host, runtime(), "/copilot", settings=settings())
    async with host.router.lifespan_context(host):
        transport = httpx.ASGITransport(app=host)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post(f"{REMOTE}/info", json={})
    assert response.status_code == 200
    assert response.json()["agents"][0]["name"] == "default"


def collapsed(events: list[dict[str, Any]]) -> list[str]:
    """The event types, a streamed run of pieces (arguments, text) counted once: how finely
    the model splits its output is the model's business."""
    types: list[str] = []
    for event in events:
        if (
            not types
            or event["type"] != types[-1]
            or not event["type"].endswith(("Args", "Content"))
        ):
            types.append(event["type"])
    return types


def streamed(events: list[dict[str, Any]], kind: str, field: str) -> str:
    """The pieces of one kind of event, joined."""
    return "".join(str(event[field]) for event in events if event["type"] == kind)
