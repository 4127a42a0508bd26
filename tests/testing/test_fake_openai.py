"""The fake OpenAI server speaks OpenAI's wire formats, as the official client reads them."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam

from copilot_runtime.testing.fake_openai import (
    Failure,
    FakeOpenAIServer,
    Text,
    TokenGate,
    ToolCalls,
    call,
    reply_from_json,
)

ROOT = Path(__file__).resolve().parents[2]
HELLO: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hello"}]


@pytest.fixture
async def sdk(fake_openai: FakeOpenAIServer) -> AsyncIterator[AsyncOpenAI]:
    """The official client, without retries unless a test asks for them."""
    async with AsyncOpenAI(base_url=fake_openai.base_url, api_key="fake", max_retries=0) as sdk:
        yield sdk


def frames(raw: str) -> list[tuple[str | None, str]]:
    """(event name, data) of each SSE frame."""
    parsed = []
    for frame in raw.split("\n\n"):
        if not frame:
            continue
        lines = dict(line.split(": ", 1) for line in frame.split("\n"))
        parsed.append((lines.get("event"), lines["data"]))
    return parsed


async def post(server: FakeOpenAIServer, path: str, body: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        return await http.post(path, json=body)


async def test_chat_stream_sends_openai_chunks_then_done_when_usage_requested(
    fake_openai: FakeOpenAIServer,
) -> None:
    fake_openai.script(Text(text="Hello there world"))
    body = {"messages": HELLO, "stream": True, "stream_options": {"include_usage": True}}
    response = await post(fake_openai, "/chat/completions", body)
    assert response.headers["content-type"].startswith("text/event-stream")
    data = [payload for _, payload in frames(response.text)]
    assert data[-1] == "[DONE]"
    chunks = [json.loads(payload) for payload in data[:-1]]
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    assert len({chunk["id"] for chunk in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    contents = [c["choices"][0]["delta"].get("content") for c in chunks[1:-2]]
    assert contents == ["Hello ", "there ", "world"]
    assert chunks[-2]["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "stop",
    }
    assert all(chunk["usage"] is None for chunk in chunks[:-1])
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] == 3
    assert chunks[-1]["usage"]["total_tokens"] == sum(
        chunks[-1]["usage"][key] for key in ("prompt_tokens", "completion_tokens")
    )


async def test_chat_stream_leaves_usage_out_when_not_requested(
    fake_openai: FakeOpenAIServer,
) -> None:
    response = await post(fake_openai, "/chat/completions", {"messages": HELLO, "stream": True})
    chunks = [json.loads(data) for _, data in frames(response.text)[:-1]]
    assert all("usage" not in chunk for chunk in chunks)
    assert [c["choices"][0]["finish_reason"] for c in chunks][-1] == "stop"


async def test_chat_stream_splits_arguments_across_chunks_when_calling_tools(
    fake_openai: FakeOpenAIServer, sdk: AsyncOpenAI
) -> None:
    first = call("lookup", {"orderId": "A-17", "verbose": True}, "call_1")
    second = call("weather", {"city": "Paris"}, "call_2")
    fake_openai.script(ToolCalls(calls=(first, second), pieces=4))
    stream = await sdk.chat.completions.create(model="m", messages=HELLO, stream=True)
    arguments: dict[int, list[str]] = {}
    heads: dict[int, tuple[str | None, str | None]] = {}
    finish = None
    async for chunk in stream:
        choice = chunk.choices[0]
        finish = choice.finish_reason or finish
        for piece in choice.delta.tool_calls or ():
            assert piece.function is not None
            if piece.id:
                heads[piece.index] = (piece.id, piece.function.name)
            if piece.function.arguments:
                arguments.setdefault(piece.index, []).append(piece.function.arguments)
    assert heads == {0: ("call_1", "lookup"), 1: ("call_2", "weather")}
    assert [len(parts) for parts in arguments.values()] == [4, 4]
    assert "".join(arguments[0]) == first.arguments
    assert "".join(arguments[1]) == second.arguments
    assert finish == "tool_calls"


async def test_chat_stream_alternates_calls_when_interleaving(
    fake_openai: FakeOpenAIServer,
) -> None:
    calls = (call("a", {"x": 1}, "call_a"), call("b", {"y": 2}, "call_b"))
    fake_openai.script(ToolCalls(calls=calls, pieces=2, interleave=True))
    response = await post(fake_openai, "/chat/completions", {"messages": HELLO, "stream": True})
    order = [
        piece["index"]
        for _, data in frames(response.text)[:-1]
        for piece in json.loads(data)["choices"][0]["delta"].get("tool_calls", [])
    ]
    assert order == [0, 1, 0, 1, 0, 1]


async def test_chat_completion_answers_whole_message_when_not_streaming(
    fake_openai: FakeOpenAIServer, sdk: AsyncOpenAI
) -> None:
    fake_openai.script(
        Text(text="All done."), ToolCalls(calls=(call("a", {"x": 1}, "call_a"),), text="Checking")
    )
    completion = await sdk.chat.completions.create(model="m", messages=HELLO)
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content == "All done."
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 2
    with_call = await sdk.chat.completions.create(model="m", messages=HELLO)
    [tool_call] = with_call.choices[0].message.tool_calls or []
    assert (tool_call.id, tool_call.function.name) == ("call_a", "a")  # type: ignore[union-attr]
    assert json.loads(tool_call.function.arguments) == {"x": 1}  # type: ignore[union-attr]
    assert with_call.choices[0].message.content == "Checking"
    assert with_call.choices[0].finish_reason == "tool_calls"


async def test_responses_stream_names_each_event_when_streaming(
    fake_openai: FakeOpenAIServer,
) -> None:
    fake_openai.script(Text(text="OK then"))
    response = await post(fake_openai, "/responses", {"model": "m", "input": "hi", "stream": True})
    events = frames(response.text)
    assert [name for name, _ in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    payloads = [json.loads(data) for _, data in events]
    assert [p["type"] for p in payloads] == [name for name, _ in events]
    assert [p["sequence_number"] for p in payloads] == list(range(len(payloads)))
    completed = payloads[-1]["response"]
    assert completed["status"] == "completed"
    assert completed["output"][0]["content"][0]["text"] == "OK then"
    assert completed["usage"]["output_tokens"] == 2


async def test_responses_stream_reads_as_typed_events_when_calling_tools(
    fake_openai: FakeOpenAIServer, sdk: AsyncOpenAI
) -> None:
    calls = (call("a", {"x": 1}, "call_a"), call("b", {"y": "two"}, "call_b"))
    fake_openai.script(ToolCalls(calls=calls, text="Let me see", pieces=3))
    stream = await sdk.responses.create(model="m", input="hi", stream=True)
    deltas: dict[str, list[str]] = {}
    final = None
    async for event in stream:
        if event.type == "response.function_call_arguments.delta":
            deltas.setdefault(event.item_id, []).append(event.delta)
        elif event.type == "response.completed":
            final = event.response
    assert final is not None
    assert final.output_text == "Let me see"
    function_calls = [item for item in final.output if item.type == "function_call"]
    assert [(c.call_id, c.name, c.arguments) for c in function_calls] == [
        ("call_a", "a", '{"x": 1}'),
        ("call_b", "b", '{"y": "two"}'),
    ]
    assert [len(parts) for parts in deltas.values()] == [3, 3]


async def test_responses_answers_whole_response_when_not_streaming(
    fake_openai: FakeOpenAIServer, sdk: AsyncOpenAI
) -> None:
    fake_openai.script(ToolCalls(calls=(call("a", {"x": 1}, "call_a"),)))
    response = await sdk.responses.create(model="m", input="hi")
    [item] = response.output
    assert item.type == "function_call"
    assert (item.call_id, item.name, item.arguments) == ("call_a", "a", '{"x": 1}')
    assert response.usage is not None
    assert response.usage.total_tokens > 0


async def test_client_retries_and_succeeds_when_server_answers_429_first(
    fake_openai: FakeOpenAIServer, sdk: AsyncOpenAI
) -> None:
    fake_openai.script(Failure(status=429, message="slow down"), Text(text="finally"))
    completion = await sdk.with_options(max_retries=2).chat.completions.create(
        model="m", messages=HELLO
    )
    assert completion.choices[0].message.content == "finally"
    assert [r.reply for r in fake_openai.requests] == ["failure", "text"]


async def test_client_raises_server_error_when_server_answers_500(
    fake_openai: FakeOpenAIServer, sdk: AsyncOpenAI
) -> None:
    fake_openai.script(Failure(status=500, message="boom"))
    with pytest.raises(openai.InternalServerError) as raised:
        await sdk.chat.completions.create(model="m", messages=HELLO)
    assert raised.value.status_code == 500
    assert raised.value.body == {
        "message": "boom",
        "type": "server_error",
        "param": None,
        "code": None,
    }


async def test_gate_holds_each_token_until_released_when_gated(
    fake_openai: FakeOpenAIServer,
) -> None:
    gate = TokenGate()
    fake_openai.script(Text(text="one two three", gate=gate))
    seen: list[str] = []
    body = {"messages": HELLO, "stream": True}
    async with (
        httpx.AsyncClient(base_url=fake_openai.base_url) as http,
        http.stream("POST", "/chat/completions", json=body) as response,
    ):
        lines = response.aiter_lines()
        for expected in ("one ", "two ", "three"):
            gate.release()
            while True:  # the role chunk and blank lines come first
                line = await anext(lines)
                if (
                    line.startswith("data: ")
                    and '"content":"' in line
                    and '"content":""' not in line
                ):
                    break
            seen.append(json.loads(line[6:])["choices"][0]["delta"]["content"])
            assert seen[-1] == expected  # arrived although the next token is still held
    assert seen == ["one ", "two ", "three"]


async def test_server_records_body_and_headers_when_receiving_requests(
    fake_openai: FakeOpenAIServer, sdk: AsyncOpenAI
) -> None:
    await sdk.chat.completions.create(model="m", messages=HELLO)
    [recorded] = fake_openai.requests
    assert recorded.method == "POST"
    assert recorded.path == f"{fake_openai.path_prefix}/v1/chat/completions"
    assert recorded.headers["authorization"] == "Bearer fake"
    assert recorded.body == {"model": "m", "messages": HELLO}
    assert recorded.usage is not None
    assert recorded.usage.output_tokens == 8


async def test_server_answers_several_requests_when_connection_is_kept_alive(
    fake_openai: FakeOpenAIServer,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", fake_openai.port)
    body = json.dumps({"messages": HELLO}).encode()
    chunked = b"%x\r\n%b\r\n0\r\n\r\n" % (len(body), body)
    writer.write(
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: %d\r\n\r\n%b"
        % (len(body), body)
        + b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
        + chunked
    )
    await writer.drain()
    statuses = []
    for _ in range(2):
        head = await reader.readuntil(b"\r\n\r\n")
        statuses.append(head.split(b" ")[1])
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        assert json.loads(await reader.readexactly(length))["object"] == "chat.completion"
    writer.close()
    assert statuses == [b"200", b"200"]
    assert [r.body for r in fake_openai.requests] == [{"messages": HELLO}] * 2


async def test_server_answers_404_in_openai_shape_when_route_is_unknown(
    fake_openai: FakeOpenAIServer,
) -> None:
    response = await post(fake_openai, "/embeddings", {"input": "x"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_server_completes_every_stream_when_many_run_at_once(
    fake_openai: FakeOpenAIServer, sdk: AsyncOpenAI
) -> None:
    fake_openai.default = Text(tokens=20, delay_ms=1)

    async def one() -> int:
        stream = await sdk.chat.completions.create(model="m", messages=HELLO, stream=True)
        return len([c async for c in stream if c.choices and c.choices[0].delta.content])

    counts = await asyncio.gather(*(one() for _ in range(200)))
    assert set(counts) == {20}
    assert len(fake_openai.requests) == 200


def test_reply_from_json_builds_each_kind_when_given_json() -> None:
    assert reply_from_json({"kind": "text", "tokens": 3, "delay_ms": 5}) == Text(
        tokens=3, delay_ms=5
    )
    assert reply_from_json({"kind": "failure", "status": 429}) == Failure(status=429)
    calls = reply_from_json(
        {"kind": "tool_calls", "calls": [{"name": "a", "arguments": {"x": 1}}], "pieces": 2}
    )
    assert calls == ToolCalls(calls=(call("a", {"x": 1}),), pieces=2)
    with pytest.raises(ValueError, match="unknown reply kind"):
        reply_from_json({"kind": "nonsense"})


def test_standalone_server_serves_and_takes_a_script_when_run_as_module() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "copilot_runtime.testing.fake_openai",
            "--port",
            "0",
            "--tokens",
            "3",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().split()[-1]
        completion = httpx.post(f"{base_url}/chat/completions", json={"messages": HELLO}).json()
        assert completion["choices"][0]["message"]["content"] == "lorem ipsum dolor "
        root = base_url.removesuffix("/v1")
        script = [{"kind": "failure", "status": 503}]
        assert httpx.post(f"{root}/fake/script", json=script).json() == {"pending": 1}
        failed = httpx.post(f"{base_url}/chat/completions", json={"messages": HELLO})
        assert failed.status_code == 503
        recorded = httpx.get(f"{root}/fake/requests").json()
        assert [r["reply"] for r in recorded] == ["text", "failure"]
    finally:
        process.terminate()
        process.wait(timeout=10)
