"""StreamingChatOpenAI passes ChatOpenAI's model tests and streams exactly what ChatOpenAI does."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import openai
import pytest
import pytest_asyncio
from ag_ui.core import RunAgentInput, UserMessage
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_openai import ChatOpenAI
from langchain_openai.chat_models._client_utils import StreamChunkTimeoutError

from copilot_runtime.graphs import Agent, StreamingChatOpenAI, aiohttp_transport
from copilot_runtime.testing.fake_openai import Failure, FakeOpenAIServer, Text, ToolCalls, call
from tests.fakes import dumped, seq_ids

# langchain-openai caches its default HTTP client per process: one event loop for the module.
pytestmark = pytest.mark.asyncio(loop_scope="module")


class OverAiohttp(StreamingChatOpenAI):
    """StreamingChatOpenAI, tested inside `aiohttp_transport()` (the server's default)."""


MODELS = [ChatOpenAI, StreamingChatOpenAI, OverAiohttp]
HELLO = [HumanMessage(content="hello")]


@asynccontextmanager
async def transport_for(cls: type[ChatOpenAI] | None) -> AsyncIterator[None]:
    """The aiohttp transport around `OverAiohttp`; the SDK's default client for the others."""
    if cls is not OverAiohttp:
        yield
        return
    async with aiohttp_transport() as is_active:
        assert is_active
        yield


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def transport_of(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Per-model tests run `OverAiohttp` inside the aiohttp transport (of the tests' loop: a
    transport belongs to one loop, so this fixture must share the module's)."""
    params = getattr(request.node, "callspec", None)
    async with transport_for(params.params.get("cls") if params else None):
        yield


def model(cls: type[ChatOpenAI], server: FakeOpenAIServer, **options: Any) -> ChatOpenAI:
    return cls(
        model="gpt-fake",
        base_url=server.base_url,
        api_key="fake",
        max_retries=options.pop("max_retries", 0),
        **options,
    )


def weather(city: str) -> str:
    """Weather in a city."""
    return "sunny"


def lookup(user_id: str) -> str:
    """Look a user up."""
    return "Ada"


def comparable(chunks: list[AIMessageChunk]) -> list[dict[str, Any]]:
    """Chunks without the answer ids the fake server numbers per request."""
    return [{**chunk.model_dump(), "id": None} for chunk in chunks]


async def stream(chat: BaseChatModel, **kwargs: Any) -> list[AIMessageChunk]:
    chunks = []
    async for chunk in chat.astream(HELLO, stream_usage=True, **kwargs):
        assert isinstance(chunk, AIMessageChunk)
        chunks.append(chunk)
    return chunks


@pytest.mark.parametrize("cls", MODELS)
async def test_model_streams_each_token_when_answering_text(
    cls: type[ChatOpenAI], fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.script(Text(text="Hello there world"))
    chunks = await stream(model(cls, fake_openai))
    assert [c.text for c in chunks if c.text] == ["Hello ", "there ", "world"]
    whole = sum(chunks[1:], chunks[0])
    assert whole.text == "Hello there world"
    assert whole.response_metadata["finish_reason"] == "stop"
    assert whole.usage_metadata is not None
    assert whole.usage_metadata["output_tokens"] == 3


@pytest.mark.parametrize("cls", MODELS)
async def test_model_joins_parallel_call_arguments_when_calls_are_interleaved(
    cls: type[ChatOpenAI], fake_openai: FakeOpenAIServer
) -> None:
    calls = (call("weather", {"city": "Paris"}, "c1"), call("lookup", {"user_id": "42"}, "c2"))
    fake_openai.script(ToolCalls(calls=calls, pieces=3, interleave=True))
    answer = await model(cls, fake_openai).bind_tools([weather, lookup]).ainvoke(HELLO)
    assert isinstance(answer, AIMessage)
    assert [(c["id"], c["name"], c["args"]) for c in answer.tool_calls] == [
        ("c1", "weather", {"city": "Paris"}),
        ("c2", "lookup", {"user_id": "42"}),
    ]


@pytest.mark.parametrize("cls", MODELS)
async def test_model_retries_when_server_answers_429_first(
    cls: type[ChatOpenAI], fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.script(Failure(status=429), Text(text="finally"))
    chunks = await stream(model(cls, fake_openai, max_retries=2))
    assert "".join(c.text for c in chunks) == "finally"
    assert [r.reply for r in fake_openai.requests] == ["failure", "text"]


@pytest.mark.parametrize("cls", MODELS)
async def test_model_raises_server_error_when_server_answers_500(
    cls: type[ChatOpenAI], fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.script(Failure(status=500, message="boom"))
    with pytest.raises(openai.InternalServerError):
        await stream(model(cls, fake_openai))


@pytest.mark.parametrize("cls", MODELS)
async def test_model_raises_chunk_timeout_when_tokens_stall(
    cls: type[ChatOpenAI], fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.script(Text(text="late", first_delay_ms=2000))
    with pytest.raises(StreamChunkTimeoutError) as raised:
        await stream(model(cls, fake_openai, stream_chunk_timeout=0.2))
    assert raised.value.chunks_received == 1  # the role chunk came, the token did not


@pytest.mark.parametrize("cls", MODELS)
async def test_model_raises_chunk_timeout_when_tokens_stall_mid_stream(
    cls: type[ChatOpenAI], fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.script(Text(text="early late later", delay_ms=600))
    with pytest.raises(StreamChunkTimeoutError) as raised:
        await stream(model(cls, fake_openai, stream_chunk_timeout=0.2))
    assert raised.value.chunks_received == 2  # the role chunk and the first token


@pytest.mark.parametrize("cls", MODELS)
async def test_model_keeps_streaming_when_consumer_is_slower_than_chunk_timeout(
    cls: type[ChatOpenAI], fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.script(Text(text="one two three", delay_ms=50))
    chunks = []
    async for chunk in model(cls, fake_openai, stream_chunk_timeout=0.2).astream(HELLO):
        chunks.append(chunk)
        await asyncio.sleep(0.3)  # the consumer's time is not the model's silence
    assert "".join(c.text for c in chunks) == "one two three"


@pytest.mark.parametrize("cls", MODELS)
async def test_model_streams_responses_api_when_asked_to(
    cls: type[ChatOpenAI], fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.script(Text(text="via responses"))
    chat = model(cls, fake_openai, use_responses_api=True)
    chunks = [c async for c in chat.astream(HELLO)]
    assert "".join(c.text for c in chunks) == "via responses"
    assert fake_openai.model_requests()[0].path.endswith("/responses")


@pytest.mark.parametrize(
    "reply",
    [
        Text(text="one two three four"),
        # JSON that parsers disagree on: escapes, non-ASCII, a lone surrogate (orjson refuses it)
        Text(text='"quoted" back\\slash naïve 😀 lone \ud800 half'),
        ToolCalls(calls=(call("weather", {"city": "Oslo"}, "c1"),), text="Let me see."),
        ToolCalls(
            calls=(call("weather", {"city": "Rome"}, "c1"), call("lookup", {"user_id": "7"}, "c2")),
            interleave=True,
        ),
    ],
)
async def test_lean_stream_sends_and_yields_what_chat_openai_does(
    reply: Text | ToolCalls, fake_openai: FakeOpenAIServer
) -> None:
    results = []
    for cls in MODELS:
        fake_openai.reset()
        fake_openai.script(reply)
        chat = model(cls, fake_openai).bind_tools([weather, lookup])
        async with transport_for(cls):
            chunks = [c async for c in chat.astream(HELLO, stream_usage=True)]
        assert all(isinstance(c, AIMessageChunk) for c in chunks)
        results.append((comparable(chunks), fake_openai.model_requests()[0].body))  # type: ignore[arg-type]
    assert results[0] == results[1] == results[2]


def user_asks(text: str) -> RunAgentInput:
    return RunAgentInput(
        thread_id="t1",
        run_id="r1",
        messages=[UserMessage(id="u1", content=text)],
        tools=[],
        context=[],
        forwarded_props={},
        state={},
    )


async def test_agent_emits_same_events_when_model_is_lean(fake_openai: FakeOpenAIServer) -> None:
    request = user_asks("name of user 42?")
    transcripts = []
    for cls in MODELS:
        fake_openai.reset()
        fake_openai.script(
            ToolCalls(calls=(call("lookup", {"user_id": "42"}, "c1"),)), Text(text="It is Ada.")
        )
        agent = Agent(actions=[lookup_action()], model=model(cls, fake_openai), new_id=seq_ids())
        async with transport_for(cls):
            events = dumped([event async for event in agent.run(request)])
        transcripts.append(re.sub(r"chatcmpl-fake\d+|lc_run--[0-9a-f-]+", "ID", str(events)))
    assert transcripts[0] == transcripts[1] == transcripts[2]
    assert "TOOL_CALL_RESULT" in transcripts[0]
    assert "It is Ada." not in transcripts[0]  # streamed token by token, never whole


@pytest.mark.parametrize("cls", MODELS)
async def test_model_raises_connection_error_when_server_drops_mid_answer(
    cls: type[ChatOpenAI], fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.script(Text(text="one two three four", cut_after=2))
    chunks: list[str] = []

    async def read_all() -> None:
        async for chunk in model(cls, fake_openai).astream(HELLO):
            chunks.append(chunk.text)

    with pytest.raises(openai.APIConnectionError):
        await read_all()
    assert "".join(chunks) == "one two "


@pytest.mark.parametrize("cls", [StreamingChatOpenAI, OverAiohttp])
async def test_run_ends_with_model_unavailable_when_server_drops_mid_answer(
    cls: type[ChatOpenAI], fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.script(Text(text="one two three four", cut_after=2))
    agent = Agent(model=model(cls, fake_openai), new_id=seq_ids())
    events = dumped([event async for event in agent.run(user_asks("count"))])
    deltas = [e["delta"] for e in events if e["type"] == "TEXT_MESSAGE_CONTENT"]
    assert deltas == ["one ", "two "]
    assert events[-2]["type"] == "TEXT_MESSAGE_END"
    assert events[-1]["type"] == "RUN_ERROR"
    assert events[-1]["code"] == "MODEL_UNAVAILABLE"


def lookup_action() -> dict[str, Any]:
    return {
        "name": "lookup",
        "description": "Look a user up.",
        "parameters": [{"name": "user_id", "type": "string", "description": "The id"}],
        "handler": lambda user_id: {"name": "Ada"},
    }
