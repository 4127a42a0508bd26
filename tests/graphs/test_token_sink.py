"""A model call streamed straight to the run's TokenCallback gives what LangChain's path gives."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.language_models.chat_models import _gen_info_and_msg_metadata
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk
from langchain_openai import ChatOpenAI

from copilot_runtime.graphs import StreamingChatOpenAI
from copilot_runtime.graphs.events import EventTranslator
from copilot_runtime.graphs.openai_stream import _text_only
from copilot_runtime.graphs.tokens import TokenCallback, token_sink
from copilot_runtime.testing.fake_openai import FakeOpenAIServer, Text, ToolCalls, call
from tests.fakes import dumped
from tests.graphs.test_openai_stream import (
    HELLO,
    MODELS,
    lookup,
    model,
    transport_for,
    weather,
)

# langchain-openai caches its default HTTP client per process: one event loop for the module.
module_loop = pytest.mark.asyncio(loop_scope="module")

# What LangGraph puts in the metadata of a model call made by one of the graph's own nodes.
GRAPH_NODE = {"langgraph_checkpoint_ns": "model:1"}
REPLIES: list[Text | ToolCalls] = [
    Text(text="one two three four"),
    ToolCalls(calls=(call("weather", {"city": "Oslo"}, "c1"),), text="Let me see."),
    ToolCalls(
        calls=(call("weather", {"city": "Rome"}, "c1"), call("lookup", {"user_id": "7"}, "c2")),
        interleave=True,
    ),
]


class TokenRecorder(AsyncCallbackHandler):
    """A user's handler (a tracer, say) that wants every token."""

    def __init__(self) -> None:
        self.tokens: list[str | list[str | dict[str, Any]]] = []

    async def on_llm_new_token(
        self, token: str | list[str | dict[str, Any]], *, run_id: UUID, **kwargs: Any
    ) -> None:
        self.tokens.append(token)


class RunLogger(BaseCallbackHandler):
    """A handler that ignores model events."""

    ignore_llm = True


async def sink_call(
    cls: type[ChatOpenAI],
    server: FakeOpenAIServer,
    reply: Text | ToolCalls,
    *others: BaseCallbackHandler,
) -> str:
    """The message and the events of one call with a TokenCallback, ids made comparable."""
    server.reset()
    server.script(reply)
    translator = EventTranslator()
    events: list[Any] = []
    sink = TokenCallback(
        lambda chunk: events.extend(translator.message_chunk(chunk)),
        lambda message_id, text: events.extend(translator.text_piece(message_id, text)),
    )
    chat = model(cls, server).bind_tools([weather, lookup])
    async with transport_for(cls):
        message = await chat.ainvoke(
            HELLO, config={"callbacks": [sink, *others], "metadata": GRAPH_NODE}
        )
    events += translator.close()
    seen = {"message": message.model_dump(), "events": dumped(events)}
    return re.sub(r"chatcmpl-fake\d+|lc_run--[0-9a-f-]+", "ID", str(seen))


@module_loop
@pytest.mark.parametrize("reply", REPLIES)
async def test_sink_gets_what_langchain_streams_and_call_returns_same_message(
    reply: Text | ToolCalls, fake_openai: FakeOpenAIServer
) -> None:
    results = [await sink_call(cls, fake_openai, reply) for cls in MODELS]
    assert results[0] == results[1] == results[2]
    if isinstance(reply, Text):
        assert results[0].count("TEXT_MESSAGE_CONTENT") == 4  # token by token, never whole


@module_loop
async def test_handler_that_wants_tokens_still_gets_each_one(
    fake_openai: FakeOpenAIServer,
) -> None:
    recorders = {cls: TokenRecorder() for cls in (ChatOpenAI, StreamingChatOpenAI)}
    results = [
        await sink_call(cls, fake_openai, REPLIES[0], recorder)
        for cls, recorder in recorders.items()
    ]
    assert results[0] == results[1]
    texts = [[token for token in r.tokens if token] for r in recorders.values()]
    assert texts[0] == texts[1] == ["one ", "two ", "three ", "four"]


@module_loop
async def test_handler_that_ignores_model_events_changes_nothing(
    fake_openai: FakeOpenAIServer,
) -> None:
    alone = await sink_call(StreamingChatOpenAI, fake_openai, REPLIES[1])
    assert await sink_call(StreamingChatOpenAI, fake_openai, REPLIES[1], RunLogger()) == alone


def test_token_sink_is_the_one_token_callback_when_nothing_else_listens() -> None:
    sink = TokenCallback(lambda chunk: None)
    assert token_sink([sink]) is sink
    assert token_sink([RunLogger(), sink]) is sink
    assert token_sink([sink, TokenRecorder()]) is None
    assert token_sink([sink, TokenCallback(lambda chunk: None)]) is None
    assert token_sink([RunLogger()]) is None


def delta_chunk(delta: dict[str, Any], **choice: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "gpt-fake",
        "choices": [
            {"index": 0, "delta": delta, "logprobs": None, "finish_reason": None, **choice}
        ],
    }


TEXT_ONLY = [
    delta_chunk({"content": "Hi"}),
    delta_chunk({"content": "Hi", "role": "assistant", "refusal": None}),
    {**delta_chunk({"content": " there"}), "usage": None, "service_tier": "default"},
]
NOT_TEXT_ONLY = [
    delta_chunk({"content": ""}),
    delta_chunk({"content": "Hi"}, finish_reason="stop"),
    delta_chunk({"content": "Hi"}, logprobs={"content": [{"token": "Hi", "logprob": -0.1}]}),
    delta_chunk({"content": "Hi", "role": "user"}),
    delta_chunk({"content": "Hi", "id": "m9"}),
    delta_chunk({"content": "Hi", "refusal": "no"}),
    delta_chunk({"content": "Hi", "audio": {"id": "a1"}}),
    delta_chunk({"content": "Hi", "tool_calls": [{"index": 0, "function": {"arguments": "{"}}]}),
    {**delta_chunk({"content": "Hi"}), "usage": {"prompt_tokens": 1, "completion_tokens": 1}},
    {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}},
]


@pytest.mark.parametrize("data", TEXT_ONLY)
def test_text_only_chunk_converts_to_its_text_alone(data: dict[str, Any]) -> None:
    chat = StreamingChatOpenAI(model="gpt-fake", api_key="fake")
    generation = chat._convert_chunk_to_generation_chunk(data, AIMessageChunk, {})
    assert generation is not None
    generation.message.response_metadata = _gen_info_and_msg_metadata(generation)
    generation.message.id = "m1"
    text = _text_only(data)
    expected = AIMessageChunk(content=text, id="m1", response_metadata={"model_provider": "openai"})
    assert generation == ChatGenerationChunk(message=expected)


@pytest.mark.parametrize("data", NOT_TEXT_ONLY)
def test_chunk_with_anything_but_text_takes_langchains_conversion(data: dict[str, Any]) -> None:
    assert _text_only(data) is None
