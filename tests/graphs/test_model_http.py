"""aiohttp_transport: openai models stream over aiohttp inside the scope, per event loop."""

from __future__ import annotations

import asyncio

import openai
import pytest
from langchain_core.messages import HumanMessage

from copilot_runtime.graphs import StreamingChatOpenAI, aiohttp_transport
from copilot_runtime.graphs.model_http import completions_in_loop
from copilot_runtime.testing.fake_openai import Failure, FakeOpenAIServer, Text


def chat(server: FakeOpenAIServer, **options: object) -> StreamingChatOpenAI:
    return StreamingChatOpenAI(
        model="gpt-fake", base_url=server.base_url, api_key="fake", max_retries=0, **options
    )


def http_client_of(model: StreamingChatOpenAI) -> object:
    """The HTTP client the model's stream would go through in the running loop."""
    return completions_in_loop(model)._client._client


async def answer(model: StreamingChatOpenAI) -> str:
    return "".join([chunk.text async for chunk in model.astream([HumanMessage("hi")])])


def test_model_streams_over_aiohttp_only_inside_the_scope(fake_openai: FakeOpenAIServer) -> None:
    model = chat(fake_openai)

    async def scenario() -> None:
        assert not isinstance(http_client_of(model), openai.DefaultAioHttpClient)
        async with aiohttp_transport() as is_active:
            assert is_active
            assert isinstance(http_client_of(model), openai.DefaultAioHttpClient)
            fake_openai.script(Text(text="over aiohttp"))
            assert await answer(model) == "over aiohttp"
            async with aiohttp_transport() as is_nested_active:
                assert not is_nested_active  # the outer scope's session stays the one in use
        assert not isinstance(http_client_of(model), openai.DefaultAioHttpClient)
        fake_openai.script(Text(text="over httpx"))
        assert await answer(model) == "over httpx"

    asyncio.run(scenario())


def test_model_streams_in_each_loop_when_used_across_event_loops(
    fake_openai: FakeOpenAIServer,
) -> None:
    # A script calling asyncio.run twice with one model: each loop gets its own session, and
    # each is closed when its scope ends (aiohttp binds a session to its loop).
    model = chat(fake_openai)
    used: list[object] = []

    async def one_run(text: str) -> str:
        async with aiohttp_transport():
            used.append(http_client_of(model))
            fake_openai.script(Text(text=text))
            return await answer(model)

    assert asyncio.run(one_run("first loop")) == "first loop"
    assert asyncio.run(one_run("second loop")) == "second loop"
    assert used[0] is not used[1]
    assert all(isinstance(client, openai.DefaultAioHttpClient) for client in used)
    assert all(client.is_closed for client in used)  # type: ignore[attr-defined]


def test_model_keeps_its_own_http_client_inside_the_scope(fake_openai: FakeOpenAIServer) -> None:
    async def scenario() -> None:
        own = openai.DefaultAsyncHttpxClient()
        try:
            model = chat(fake_openai, http_async_client=own)
            async with aiohttp_transport():
                assert not isinstance(http_client_of(model), openai.DefaultAioHttpClient)
        finally:
            await own.aclose()

    asyncio.run(scenario())


def test_model_reports_server_error_over_aiohttp(fake_openai: FakeOpenAIServer) -> None:
    async def scenario() -> None:
        async with aiohttp_transport():
            fake_openai.script(Failure(status=503, message="overloaded"))
            with pytest.raises(openai.InternalServerError):
                await answer(chat(fake_openai))

    asyncio.run(scenario())
