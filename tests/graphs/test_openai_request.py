"""streamed_completion sends exactly what `with_streaming_response.create` sends, minus the walk."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from openai._utils import async_maybe_transform
from pydantic import BaseModel

from copilot_runtime.graphs.openai_request import streamed_completion
from copilot_runtime.testing.fake_openai import FakeOpenAIServer, RecordedRequest, Text

WALK = "openai.resources.chat.completions.completions.async_maybe_transform"

# langchain-openai caches its default HTTP client per process: one event loop for the module.
pytestmark = pytest.mark.asyncio(loop_scope="module")

TOOL = {
    "type": "function",
    "function": {
        "name": "weather",
        "description": "Weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
PAYLOADS: list[dict[str, Any]] = [
    {"model": "gpt-fake", "stream": True, "messages": [{"role": "user", "content": "hi"}]},
    {
        "model": "gpt-fake",
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "héllo ✓"}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        ],
        "tools": [TOOL],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "temperature": 0.5,
        "n": 1,
    },
    {
        "model": "gpt-fake",
        "stream": True,
        "messages": [{"role": "user", "content": "hi"}],
        "extra_headers": {"X-Trace": "abc"},
        "extra_query": {"api-version": "2024-10-01"},
        "extra_body": {"vendor_option": {"deep": [1, 2.5, None, True]}},
        "timeout": 30.0,
    },
]


def client(server: FakeOpenAIServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=server.base_url, api_key="fake", max_retries=0)


async def send(server: FakeOpenAIServer, request: Any) -> tuple[RecordedRequest, bytes]:
    server.reset()
    server.script(Text(text="one two"))
    async with request as response:
        body = await response.http_response.aread()
    return server.model_requests()[0], body


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_streamed_completion_sends_what_create_sends_when_payload_is_plain_json(
    payload: dict[str, Any], fake_openai: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    completions = client(fake_openai).chat.completions
    expected, expected_body = await send(
        fake_openai, completions.with_streaming_response.create(**payload)
    )
    walks: list[object] = []

    async def counted(data: object, expected_type: object) -> object:
        walks.append(data)
        return data

    monkeypatch.setattr(WALK, counted)
    sent, body = await send(fake_openai, streamed_completion(completions, payload))
    assert walks == []
    assert (sent.method, sent.path, sent.headers, sent.body) == (
        expected.method,
        expected.path,
        expected.headers,
        expected.body,
    )
    assert body.count(b"data:") == expected_body.count(b"data:")


class Temperature(BaseModel):
    value: float = 0.2


@pytest.mark.parametrize(
    "odd",
    [
        {"stop": ("END",)},  # a tuple: the SDK's walk turns it into a list
        {"prediction": Temperature()},  # a pydantic object: the SDK dumps it its own way
        {"stream": False},
    ],
)
async def test_streamed_completion_leaves_payload_to_create_when_it_is_not_plain_json(
    odd: dict[str, Any], fake_openai: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    completions = client(fake_openai).chat.completions
    walks: list[object] = []

    async def counted(data: object, expected_type: object) -> object:
        walks.append(data)
        return await async_maybe_transform(data, expected_type)

    monkeypatch.setattr(WALK, counted)
    fake_openai.script(Text(text="x"))
    async with streamed_completion(completions, {**PAYLOADS[0], **odd}) as response:
        await response.http_response.aread()
    assert len(walks) == 1


async def test_streamed_completion_raises_create_type_error_when_argument_is_unknown(
    fake_openai: FakeOpenAIServer,
) -> None:
    completions = client(fake_openai).chat.completions
    with pytest.raises(TypeError, match="not_an_argument"):
        streamed_completion(completions, {**PAYLOADS[0], "not_an_argument": 1})
