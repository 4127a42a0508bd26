"""The same scenarios through every protocol, over real HTTP, with the same outcome.

REST and the envelope are read as SSE, AG-UI by the published @ag-ui/client HttpAgent driven
from Node, GraphQL as the one JSON body a plain client gets. Each answer is reduced to what a
user sees (the assistant's text, the calls with their arguments, the results, how the run
ended) and every protocol must give the same.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from copilot_runtime.actions import Action, Parameter
from copilot_runtime.app.runtime import CopilotRuntime
from copilot_runtime.testing import ScriptedChatModel, serve
from tests.app.conftest import BASE, body, settings, sse_events
from tests.app.graphql.documents import LOAD_AGENT_STATE, generate_body, text
from tests.app.test_run_control import Hang
from tests.e2e.conftest import NODE_DIR
from tests.fakes import answer, calls

PROTOCOLS = ("rest", "envelope", "agui", "graphql")
FRONTEND_TOOL = {
    "name": "confirm",
    "description": "Ask the user to confirm.",
    "parameters": {"type": "object", "properties": {"question": {"type": "string"}}},
}
GRAPHQL_QUERY = """
mutation run($data: GenerateCopilotResponseInput!) {
  generateCopilotResponse(data: $data) {
    status { __typename ... on BaseResponseStatus { code } }
    messages {
      __typename
      ... on TextMessageOutput { content role }
      ... on ActionExecutionMessageOutput { name arguments }
      ... on ResultMessageOutput { result actionName }
    }
  }
}"""


@dataclass(frozen=True)
class Outcome:
    """What a user sees of a run, whichever protocol carried it."""

    text: str
    calls: list[tuple[str, Any]]
    results: list[str]
    ended: str  # "finished" or "error"


def lookup(userId: str) -> dict[str, str]:  # CopilotKit's parameter name
    return {"name": f"user {userId}"}


LOOKUP = Action(
    name="lookup",
    parameters=(Parameter(name="userId", type="string", required=True),),
    handler=lookup,
)


@asynccontextmanager
async def served(runtime: CopilotRuntime, **overrides: Any) -> AsyncIterator[str]:
    """The app on a real uvicorn server on loopback; yields the runtime's URL."""
    async with serve(runtime, settings=settings(**overrides)) as origin:
        yield origin + BASE


def from_events(events: list[dict[str, Any]]) -> Outcome:
    names: dict[str, str] = {}
    arguments: dict[str, str] = {}
    for event in events:
        if event["type"] == "TOOL_CALL_START":
            names[event["toolCallId"]] = event["toolCallName"]
            arguments[event["toolCallId"]] = ""
        elif event["type"] == "TOOL_CALL_ARGS":
            arguments[event["toolCallId"]] += event["delta"]
    return Outcome(
        text="".join(e["delta"] for e in events if e["type"] == "TEXT_MESSAGE_CONTENT"),
        calls=[(names[i], json.loads(arguments[i] or "{}")) for i in names],
        results=[e["content"] for e in events if e["type"] == "TOOL_CALL_RESULT"],
        ended="finished" if events[-1]["type"] == "RUN_FINISHED" else "error",
    )


def agui_input(message: str, tools: list[dict[str, Any]]) -> dict[str, Any]:
    return body(message, tools=tools)


async def run_rest(url: str, message: str, tools: list[dict[str, Any]]) -> Outcome:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(f"{url}/agent/default/run", json=agui_input(message, tools))
    assert response.status_code == 200, response.text
    return from_events(sse_events(response.text))


async def run_envelope(url: str, message: str, tools: list[dict[str, Any]]) -> Outcome:
    envelope = {
        "method": "agent/run",
        "params": {"agentId": "default"},
        "body": agui_input(message, tools),
    }
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(url, json=envelope)
    assert response.status_code == 200, response.text
    return from_events(sse_events(response.text))


async def run_agui(url: str, message: str, tools: list[dict[str, Any]]) -> Outcome:
    with tempfile.TemporaryDirectory() as folder:
        request = Path(folder) / "input.json"
        request.write_text(json.dumps(agui_input(message, tools)))  # tiny
        process = await asyncio.create_subprocess_exec(
            "node",
            str(NODE_DIR / "agui_http_agent.mjs"),
            f"{url}/agent/default/run",
            str(request),
            cwd=NODE_DIR,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return from_events(json.loads(out)["events"])


async def run_graphql(url: str, message: str, tools: list[dict[str, Any]]) -> Outcome:
    actions = [
        {
            "name": t["name"],
            "description": t["description"],
            "jsonSchema": json.dumps(t["parameters"]),
        }
        for t in tools
    ]
    request = generate_body(text("u1", "user", message), threadId="t1")
    request["query"] = GRAPHQL_QUERY
    request["operationName"] = "run"
    request["variables"]["data"]["frontend"]["actions"] = actions
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(url, json=request, headers={"accept": "application/json"})
    assert response.status_code == 200, response.text
    answered = response.json()["data"]["generateCopilotResponse"]
    texts, found, results = [], [], []
    for item in answered["messages"]:
        if item["__typename"] == "TextMessageOutput" and item["role"] == "assistant":
            texts.append("".join(item["content"]))
        elif item["__typename"] == "ActionExecutionMessageOutput":
            found.append((item["name"], json.loads("".join(item["arguments"]) or "{}")))
        elif item["__typename"] == "ResultMessageOutput":
            results.append(item["result"])
    ended = "finished" if answered["status"]["code"] == "Success" else "error"
    return Outcome(text="".join(texts), calls=found, results=results, ended=ended)


RUNS: dict[str, Callable[[str, str, list[dict[str, Any]]], Coroutine[Any, Any, Outcome]]] = {
    "rest": run_rest,
    "envelope": run_envelope,
    "agui": run_agui,
    "graphql": run_graphql,
}


async def outcome(
    protocol: str, runtime: CopilotRuntime, tools: list[dict[str, Any]] | None = None
) -> Outcome:
    async with served(runtime) as url:
        return await RUNS[protocol](url, "Who is 7?", tools or [])


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_chat(protocol: str) -> None:
    model = ScriptedChatModel([answer("Hello there, how can I help?", id="m1")])
    assert await outcome(protocol, CopilotRuntime(model=model)) == Outcome(
        "Hello there, how can I help?", [], [], "finished"
    )


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_backend_action_with_answer(protocol: str) -> None:
    model = ScriptedChatModel(
        [calls(("c1", "lookup", {"userId": "7"}), id="m1"), answer("User 7 is user 7.", id="m2")]
    )
    assert await outcome(protocol, CopilotRuntime(actions=[LOOKUP], model=model)) == Outcome(
        "User 7 is user 7.", [("lookup", {"userId": "7"})], ['{"name":"user 7"}'], "finished"
    )


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_frontend_action_is_left_to_the_client(protocol: str) -> None:
    model = ScriptedChatModel([calls(("c1", "confirm", {"question": "Sure?"}), id="m1")])
    runtime = CopilotRuntime(model=model)
    assert await outcome(protocol, runtime, [FRONTEND_TOOL]) == Outcome(
        "", [("confirm", {"question": "Sure?"})], [], "finished"
    )


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_parallel_calls(protocol: str) -> None:
    model = ScriptedChatModel(
        [
            calls(("c1", "lookup", {"userId": "7"}), ("c2", "lookup", {"userId": "8"}), id="m1"),
            answer("Both found.", id="m2"),
        ]
    )
    assert await outcome(protocol, CopilotRuntime(actions=[LOOKUP], model=model)) == Outcome(
        "Both found.",
        [("lookup", {"userId": "7"}), ("lookup", {"userId": "8"})],
        ['{"name":"user 7"}', '{"name":"user 8"}'],
        "finished",
    )


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_invalid_arguments_become_a_result_the_model_reads(protocol: str) -> None:
    model = ScriptedChatModel(
        [calls(("c1", "lookup", {"user": 7}), id="m1"), answer("Let me ask again.", id="m2")]
    )
    seen = await outcome(protocol, CopilotRuntime(actions=[LOOKUP], model=model))
    assert (seen.text, seen.calls, seen.ended) == (
        "Let me ask again.",
        [("lookup", {"user": 7})],
        "finished",
    )
    [result] = seen.results
    assert "userId" in result  # the model reads which argument was wrong
    rest = await outcome("rest", CopilotRuntime(actions=[LOOKUP], model=ScriptedChatModel(
        [calls(("c1", "lookup", {"user": 7}), id="m1"), answer("Let me ask again.", id="m2")]
    )))  # fmt: skip
    assert seen == rest


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_stop_ends_the_run_cleanly(protocol: str) -> None:
    hang = Hang()
    model = ScriptedChatModel([calls(("c1", "hang", {}), id="m1", text="Working on it")])
    runtime = CopilotRuntime(actions=[Action(name="hang", handler=hang)], model=model)
    async with served(runtime) as url:
        running = asyncio.create_task(RUNS[protocol](url, "Wait", []))
        await asyncio.wait_for(hang.started.wait(), 30)
        async with httpx.AsyncClient(timeout=30) as client:
            stopped = await client.post(f"{url}/agent/default/stop/t1", json={})
        seen = await asyncio.wait_for(running, 30)
    assert stopped.json()["stopped"] is True
    assert hang.cancelled.is_set()
    # The call had ended before the stop (a backend call runs once its arguments are whole),
    # so no result is made up for it; the run still finishes cleanly.
    assert seen == Outcome("Working on it", [("hang", {})], [], "finished")


async def connected_rest(url: str) -> list[tuple[str, str]]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(f"{url}/agent/default/connect", json=body("", messages=[]))
    return snapshot_texts(sse_events(response.text))


async def connected_envelope(url: str) -> list[tuple[str, str]]:
    envelope = {"method": "agent/connect", "params": {"agentId": "default"},
                "body": body("", messages=[])}  # fmt: skip
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(url, json=envelope)
    return snapshot_texts(sse_events(response.text))


async def connected_graphql(url: str) -> list[tuple[str, str]]:
    load = {"query": LOAD_AGENT_STATE,
            "variables": {"data": {"threadId": "t1", "agentName": "default"}}}  # fmt: skip
    async with httpx.AsyncClient(timeout=30) as client:
        loaded = (await client.post(url, json=load)).json()["data"]["loadAgentState"]
    return [(m["role"], m["content"]) for m in json.loads(loaded["messages"]) if "content" in m]


def snapshot_texts(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    [snapshot] = [e for e in events if e["type"] == "MESSAGES_SNAPSHOT"]
    return [(m["role"], m["content"]) for m in snapshot["messages"] if m.get("content")]


CONNECTS = {"rest": connected_rest, "envelope": connected_envelope, "agui": connected_rest,
            "graphql": connected_graphql}  # fmt: skip
"""AG-UI clients reconnect through the REST route (@copilotkit/core's `connectAgent`)."""


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_connect_after_restart_replays_the_thread(protocol: str, tmp_path: Path) -> None:
    threads = str(tmp_path / "threads.sqlite")
    model = ScriptedChatModel([answer("Hello there.", id="m1")])
    async with served(CopilotRuntime(model=model), threads_path=threads) as url:
        assert (await RUNS[protocol](url, "Who is 7?", [])).ended == "finished"
    async with served(CopilotRuntime(model=ScriptedChatModel([])), threads_path=threads) as url:
        replayed = await CONNECTS[protocol](url)
    assert replayed == [("user", "Who is 7?"), ("assistant", "Hello there.")]
