"""Node runtimes pinned to CopilotKit 1.10 use this runtime through `remoteEndpoints`.

page (@copilotkit/runtime-client-gql) --GraphQL--> @copilotkit/runtime 1.10.6 (OpenAIAdapter,
remoteEndpoints: [{ url }]) --remote-endpoint protocol--> uvicorn (copilot-runtime, ChatOpenAI)
with both models served by the fake OpenAI server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from copilot_runtime.testing.fake_openai import (
    Failure,
    FakeOpenAIServer,
    Text,
    TokenGate,
    ToolCalls,
    call,
)
from tests.e2e.conftest import NODE_DIR, ROOT, free_port, run_node

REMOTE_PATH = "/copilotkit_remote"
PAGE_URL = "http://localhost:3000/page"
NAME_QUESTION = "What is the name of user 42?"
MODEL_FAILED = "The model provider answered with an error (HTTP 400); the server log has details."


@dataclass(frozen=True)
class Process:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass(frozen=True)
class NodeRuntime(Process):
    def remote_requests(self) -> list[dict[str, Any]]:
        """Every request the Node runtime made to this server, oldest first."""
        found = []
        for line in self.log.read_text().splitlines():
            if line.startswith('{"remote"'):
                found.append(json.loads(line)["remote"])
        return found


def stop(process: Process) -> None:
    process.process.terminate()
    process.process.wait(timeout=10)


@pytest.fixture(scope="module")
def python_server(
    tmp_path_factory: pytest.TempPathFactory, fake_openai_session: FakeOpenAIServer
) -> Iterator[Process]:
    tmp = tmp_path_factory.mktemp("remote")
    port = free_port()
    environ = {
        **os.environ,
        "COPILOT_THREADS_PATH": str(tmp / "threads.sqlite"),
        "COPILOT_MODEL": "openai:gpt-4o-mini",
        "OPENAI_API_KEY": "sk-fake",
        "OPENAI_BASE_URL": f"http://{fake_openai_session.host}:{fake_openai_session.port}/v1",
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable, "-m", "uvicorn", "tests.e2e.remote_app:app", "--factory",
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    log = tmp / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=environ, stdout=out, stderr=out)
    server = Process(f"http://127.0.0.1:{port}{REMOTE_PATH}", process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.post(f"{server.url}/info", json={}, timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError(f"server did not start: {log.read_text()}")
    yield server
    stop(server)


@pytest.fixture(scope="module")
def node_runtime(
    tmp_path_factory: pytest.TempPathFactory,
    python_server: Process,
    fake_openai_session: FakeOpenAIServer,
) -> Iterator[NodeRuntime]:
    if not (NODE_DIR / "node_modules").is_dir():
        pytest.fail("run `npm ci --prefix tests/node` first: the client conformance tests need it")
    log = tmp_path_factory.mktemp("node-1-10") / "runtime.log"
    port = free_port()
    model_url = f"http://{fake_openai_session.host}:{fake_openai_session.port}/v1"
    script = NODE_DIR / "copilotkit_runtime_1_10.mjs"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["node", str(script), str(port), python_server.url, model_url],
            cwd=NODE_DIR,
            stdout=out,
            stderr=out,
        )
    deadline = time.monotonic() + 60
    while "ready http" not in log.read_text():
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError(f"the Node runtime did not start: {log.read_text()}")
        time.sleep(0.1)
    node = NodeRuntime(f"http://127.0.0.1:{port}/api/copilotkit", process, log)
    yield node
    stop(node)


def gql(node: NodeRuntime, tmp_path: Path, **scenario: Any) -> dict[str, Any]:
    """The page: runtime-client-gql as react-core 1.10 drives it, against the Node runtime."""
    return run_node("copilotkit_gql.mjs", node.url, {"pageUrl": PAGE_URL, **scenario}, tmp_path)


def conversation(messages: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    return [
        (m["type"], m.get("content") or m.get("result") or m.get("arguments"))
        for m in messages
        if m["type"] != "AgentStateMessage"
    ]


def tool_names(request_body: dict[str, Any]) -> list[str]:
    return [tool["function"]["name"] for tool in request_body.get("tools", [])]


def from_node(fake: FakeOpenAIServer) -> list[dict[str, Any]]:
    """The model requests the Node runtime's OpenAIAdapter made (the JS SDK), not this server."""
    return [r.body for r in fake.model_requests() if r.headers.get("x-stainless-lang") == "js"]


def from_python(fake: FakeOpenAIServer) -> list[dict[str, Any]]:
    return [r.body for r in fake.model_requests() if r.headers.get("x-stainless-lang") == "python"]


SUCCESS = {"code": "Success", "__typename": "SuccessResponseStatus"}


def test_node_1_10_runs_a_backend_action_here_and_its_model_answers_with_the_result(
    node_runtime: NodeRuntime, fake_openai: FakeOpenAIServer, tmp_path: Path
) -> None:
    name_call = call("fetchNameForUserId", {"userId": "42"}, "call_name")
    fake_openai.script(ToolCalls(calls=(name_call,)), Text(text="User 42 is Darth Doe."))
    before = len(node_runtime.remote_requests())
    transcript = gql(node_runtime, tmp_path, message=NAME_QUESTION)
    assert conversation(transcript["messages"]) == [
        ("TextMessage", NAME_QUESTION),
        ("ActionExecutionMessage", {"userId": "42"}),
        ("ResultMessage", '{"name":"Darth Doe"}'),
        ("TextMessage", "User 42 is Darth Doe."),
    ]
    assert transcript["statuses"] == [SUCCESS, SUCCESS]  # the call, then the page's follow-up
    remote = node_runtime.remote_requests()[before:]
    executed = [r for r in remote if r["path"] == "/actions/execute"]
    assert [(r["body"], r["status"]) for r in executed] == [
        ({"name": "fetchNameForUserId", "arguments": {"userId": "42"}, "properties": {}}, 200)
    ]
    first, follow_up = from_node(fake_openai)
    assert {"fetchNameForUserId", "getWeather", "whoAmI", "default"} <= set(tool_names(first))
    assert "resetUserPassword" not in tool_names(first)
    [result] = [m for m in follow_up["messages"] if m["role"] == "tool"]
    assert result["content"] == '{"name":"Darth Doe"}'
    assert from_python(fake_openai) == []  # this server only ran the action


def test_node_1_10_offers_the_admin_action_only_when_the_properties_say_admin(
    node_runtime: NodeRuntime, fake_openai: FakeOpenAIServer, tmp_path: Path
) -> None:
    fake_openai.script(Text(text="I cannot do that."))
    gql(node_runtime, tmp_path, message="Reset user 7", properties={"role": "user"})
    [as_user] = from_node(fake_openai)
    fake_openai.reset()
    reset = call("resetUserPassword", {"userId": "7"}, "call_reset")
    fake_openai.script(ToolCalls(calls=(reset,)), Text(text="Done."))
    before = len(node_runtime.remote_requests())
    transcript = gql(node_runtime, tmp_path, message="Reset user 7", properties={"role": "admin"})
    as_admin = from_node(fake_openai)[0]
    assert "resetUserPassword" not in tool_names(as_user)
    assert "resetUserPassword" in tool_names(as_admin)
    assert ("ResultMessage", "A reset link was sent to user 7.") in conversation(
        transcript["messages"]
    )
    remote = node_runtime.remote_requests()[before:]
    info = [r["body"] for r in remote if r["path"] == "/info"]
    assert info  # asked on every request, with the page's properties and URL
    assert all(b == {"properties": {"role": "admin"}, "frontendUrl": PAGE_URL} for b in info)
    [executed] = [r["body"] for r in remote if r["path"] == "/actions/execute"]
    assert executed["properties"] == {"role": "admin"}


def test_node_1_10_streams_an_agent_run_from_here_and_runs_its_action_once(
    node_runtime: NodeRuntime, fake_openai: FakeOpenAIServer, tmp_path: Path
) -> None:
    name_call = call("fetchNameForUserId", {"userId": "42"}, "call_agent")
    fake_openai.script(ToolCalls(calls=(name_call,)), Text(text="It is Darth Doe, as I found."))
    before = len(node_runtime.remote_requests())
    transcript = gql(
        node_runtime,
        tmp_path,
        message=NAME_QUESTION,
        agentSession={"agentName": "default"},
        threadId="t-agent",
        loadState=True,
    )
    assert conversation(transcript["messages"]) == [
        ("TextMessage", NAME_QUESTION),
        ("ActionExecutionMessage", {"userId": "42"}),
        ("ResultMessage", '{"name":"Darth Doe"}'),
        ("TextMessage", "It is Darth Doe, as I found."),
    ]
    assert transcript["statuses"] == [SUCCESS]
    assert len(transcript["responses"][0]) > 6  # the page got it piece by piece
    state = transcript["messages"][-1]
    assert (state["type"], state["agentName"], state["threadId"], state["running"]) == (
        "AgentStateMessage",
        "default",
        "t-agent",
        True,
    )
    remote = [r["path"] for r in node_runtime.remote_requests()[before:]]
    assert "/agents/execute" in remote
    assert "/actions/execute" not in remote  # run by the agent here, not again by Node
    assert from_node(fake_openai) == []
    assert len(from_python(fake_openai)) == 2  # the agent's call, then its answer
    loaded = transcript["loadedState"]
    assert loaded["threadExists"] is True
    assert [m.get("content") or m.get("result") for m in loaded["messages"]] == [
        NAME_QUESTION,
        None,  # the call
        '{"name":"Darth Doe"}',
        "It is Darth Doe, as I found.",
    ]


def test_node_1_10_agent_leaves_a_page_action_to_the_page_and_continues_the_thread(
    node_runtime: NodeRuntime, fake_openai: FakeOpenAIServer, tmp_path: Path
) -> None:
    hello = {
        "name": "sayHello",
        "description": "Greet a person in the page.",
        "jsonSchema": {"type": "object", "properties": {"name": {"type": "string"}}},
        "result": {"greeted": True},
    }
    fake_openai.script(
        Text(text="Hi."),
        ToolCalls(calls=(call("sayHello", {"name": "Ada"}, "call_hello"),)),
        Text(text="Ada was greeted."),
    )
    transcript = gql(
        node_runtime,
        tmp_path,
        message=["Hello", "Please greet Ada"],
        agentSession={"agentName": "default"},
        threadId="t-page-action",
        frontendActions=[hello],
        loadState=True,
    )
    assert [(c["name"], c["args"]) for c in transcript["actionCalls"]] == [
        ("sayHello", {"name": "Ada"})
    ]
    assert conversation(transcript["messages"])[-1] == ("TextMessage", "Ada was greeted.")
    *_, follow_up = from_python(fake_openai)
    assert "sayHello" in tool_names(follow_up)
    assert [m["role"] for m in follow_up["messages"] if m["role"] != "system"] == [
        "user",
        "assistant",
        "user",
        "assistant",
        "tool",
    ]  # the thread as stored: nothing the page re-sent was added twice
    stored = transcript["loadedState"]["messages"]
    assert len({m["id"] for m in stored}) == len(stored) == 6


def test_node_1_10_forwards_the_user_so_threads_stay_with_their_owner(
    node_runtime: NodeRuntime, fake_openai: FakeOpenAIServer, tmp_path: Path
) -> None:
    fake_openai.script(Text(text="Secret plans."))
    session = {"agentSession": {"agentName": "default"}, "threadId": "t-owned"}
    gql(node_runtime, tmp_path, message="Remember this", headers=bearer("ada"), **session)
    other = gql(
        node_runtime,
        tmp_path,
        mode="agents",
        loadState=True,
        headers=bearer("bob"),
        **session,
    )
    assert other["agents"][0]["name"] == "default"
    assert other["loadedState"]["threadExists"] is False
    assert other["loadedState"]["messages"] == []
    before = len(node_runtime.remote_requests())
    taken = gql(
        node_runtime,
        tmp_path,
        message="Show me",
        headers=bearer("bob"),
        allowErrors=True,
        **session,
    )
    [refused] = [r for r in node_runtime.remote_requests()[before:] if "execute" in r["path"]]
    assert (refused["path"], refused["status"]) == ("/agents/execute", 404)  # as if not there
    assert refused["headers"]["authorization"] == "Bearer bob"
    # Node 1.10 words every 404 from a remote endpoint as a missing endpoint.
    assert "agents/execute" in taken["errors"][0]["message"]
    assert "Secret plans." not in json.dumps(taken)
    owner = gql(
        node_runtime, tmp_path, mode="agents", loadState=True, headers=bearer("ada"), **session
    )
    assert owner["loadedState"]["threadExists"] is True
    assert "Secret plans." in json.dumps(owner["loadedState"]["messages"])


def bearer(user: str) -> dict[str, str]:
    return {"authorization": f"Bearer {user}"}


def test_agent_stream_sends_each_token_before_the_next_exists(
    python_server: Process, fake_openai: FakeOpenAIServer
) -> None:
    gate = TokenGate()  # the fake sends a token only when the test releases it
    words = ["one ", "two ", "three"]
    fake_openai.script(Text(text="".join(words), gate=gate))
    body = {
        "name": "default",
        "threadId": "t-gated",
        "messages": [{"id": "u1", "type": "TextMessage", "role": "user", "content": "count"}],
        "state": {},
        "properties": {},
        "actions": [],
    }
    seen: list[str] = []
    with httpx.stream("POST", f"{python_server.url}/agents/execute", json=body, timeout=30) as r:
        assert r.status_code == 200
        gate.release()
        for line in r.iter_lines():
            if not line:
                continue
            event = json.loads(line)
            if event["type"] == "TextMessageContent":
                # Only now may the fake send the next token: a buffered line never gets here.
                seen.append(event["content"])
                assert event["content"] == words[len(seen) - 1]
                gate.release()
    assert seen == words


def test_node_1_10_page_is_told_when_an_agent_run_fails_but_not_why_in_detail(
    node_runtime: NodeRuntime, fake_openai: FakeOpenAIServer, tmp_path: Path
) -> None:
    secret = "quota exceeded for key sk-live-abc123"
    fake_openai.script(Failure(status=400, message=secret))
    transcript = gql(
        node_runtime,
        tmp_path,
        message="Hello",
        agentSession={"agentName": "default"},
        threadId="t-failing",
    )
    *_, (kind, said) = conversation(transcript["messages"])
    assert kind == "TextMessage"
    assert said == f"Error: {MODEL_FAILED}"
    assert secret not in json.dumps(transcript)


def test_node_1_10_model_can_hand_the_conversation_to_an_agent_here(
    node_runtime: NodeRuntime, fake_openai: FakeOpenAIServer, tmp_path: Path
) -> None:
    # The Node runtime offers every remote agent to its own model as a tool.
    fake_openai.script(
        ToolCalls(calls=(call("default", {}, "call_agent_tool"),)),
        Text(text="The agent here took over."),
    )
    transcript = gql(node_runtime, tmp_path, message="Let the Python agent answer")
    assert conversation(transcript["messages"]) == [
        ("TextMessage", "Let the Python agent answer"),
        ("ActionExecutionMessage", {}),
        ("ResultMessage", "default agent started"),
        ("TextMessage", "The agent here took over."),
    ]
    assert len(from_node(fake_openai)) == 1
    assert len(from_python(fake_openai)) == 1
