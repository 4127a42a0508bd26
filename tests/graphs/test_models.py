"""Model selection and the real ChatOpenAI against the fake OpenAI server over HTTP."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_openai import ChatOpenAI

from copilot_runtime.graphs import (
    ModelConfigurationError,
    ModelOptions,
    chat_model_from_spec,
    openai_chat_model,
)
from copilot_runtime.testing.fake_openai import (
    Failure,
    FakeOpenAIServer,
    Text,
    TokenGate,
    ToolCalls,
    call,
)

KEY = {"OPENAI_API_KEY": "sk-fake"}


def fake_model(server: FakeOpenAIServer, **options: Any) -> ChatOpenAI:
    model = openai_chat_model(
        "gpt-4o-mini", ModelOptions(base_url=server.base_url, **options), environ=KEY
    )
    assert isinstance(model, ChatOpenAI)
    return model


def test_openai_model_takes_every_option_when_options_are_given() -> None:
    options = ModelOptions(temperature=0.2, timeout_seconds=7.5, max_retries=4)
    environ = {**KEY, "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    choice = chat_model_from_spec("openai:gpt-4.1", options=options, environ=environ)
    model = choice.model
    assert isinstance(model, ChatOpenAI)
    assert choice.label == "openai:gpt-4.1"
    assert (model.model_name, model.temperature) == ("gpt-4.1", 0.2)
    assert (model.request_timeout, model.max_retries) == (7.5, 4)
    assert model.openai_api_base == "http://127.0.0.1:9/v1"
    assert model.stream_usage is True  # langchain-openai leaves it off for custom base URLs


def test_openai_model_reads_model_name_from_environment_when_no_spec_is_given() -> None:
    choice = chat_model_from_spec(None, environ={**KEY, "OPENAI_MODEL": "gpt-4.1-nano"})
    assert choice.label == "openai:gpt-4.1-nano"
    assert not choice.is_offline_demo


def test_compatible_server_serves_any_model_name_when_base_url_is_set() -> None:
    environ = {**KEY, "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    choice = chat_model_from_spec("llama3.1:8b", environ=environ)
    assert isinstance(choice.model, ChatOpenAI)
    assert choice.model.model_name == "llama3.1:8b"


def test_bare_openai_name_selects_openai_when_no_provider_is_given() -> None:
    choice = chat_model_from_spec("gpt-4o", environ=KEY)
    assert isinstance(choice.model, ChatOpenAI)
    assert choice.label == "openai:gpt-4o"


def test_model_spec_asks_for_key_when_openai_has_none() -> None:
    with pytest.raises(ModelConfigurationError, match="needs OPENAI_API_KEY"):
        chat_model_from_spec("openai:gpt-4o", environ={})


@pytest.mark.parametrize(
    ("spec", "package"),
    [
        ("anthropic:claude-sonnet-4-5", "langchain-anthropic"),
        ("claude-sonnet-4-5", "langchain-anthropic"),  # LangChain infers the provider
        ("mistralai:mistral-large-latest", "langchain-mistralai"),
        ("cohere:command-r", "langchain-cohere"),
    ],
)
def test_model_spec_names_missing_package_when_provider_is_not_installed(
    spec: str, package: str
) -> None:
    with pytest.raises(ModelConfigurationError) as raised:
        chat_model_from_spec(spec, environ={})
    assert str(raised.value) == (
        f"model {spec!r} needs the {package} package; install it with: pip install {package}"
    )


def test_model_spec_accepts_every_provider_init_chat_model_knows() -> None:
    # langchain-meta is not installed: the spec is read as meta's, not as an unknown prefix.
    with pytest.raises(ModelConfigurationError, match="needs the langchain-meta package"):
        chat_model_from_spec("meta:llama-4", environ={})


def test_model_spec_names_unknown_provider_when_prefix_is_not_one() -> None:
    with pytest.raises(ModelConfigurationError, match="'llama3' is not a LangChain provider"):
        chat_model_from_spec("llama3:8b", environ={})


async def test_openai_model_streams_tokens_and_usage_when_server_streams(
    fake_openai: FakeOpenAIServer,
) -> None:
    fake_openai.script(Text(text="Hello from HTTP"))
    chunks = [chunk async for chunk in fake_model(fake_openai).astream([HumanMessage("hi")])]
    assert [c.text for c in chunks if c.text] == ["Hello ", "from ", "HTTP"]
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert isinstance(merged, AIMessageChunk)
    [request] = fake_openai.requests
    assert request.body["stream_options"] == {"include_usage": True}
    assert request.usage is not None
    assert merged.usage_metadata is not None
    assert merged.usage_metadata["input_tokens"] == request.usage.input_tokens
    assert merged.usage_metadata["output_tokens"] == 3
    assert merged.response_metadata["model_provider"] == "openai"


async def test_openai_model_sends_options_when_calling_server(
    fake_openai: FakeOpenAIServer,
) -> None:
    await fake_model(fake_openai, temperature=0.3).ainvoke([HumanMessage("hi")])
    [request] = fake_openai.requests
    assert request.body["model"] == "gpt-4o-mini"
    assert request.body["temperature"] == 0.3
    assert request.headers["authorization"] == "Bearer sk-fake"


async def test_openai_model_joins_split_arguments_when_calling_tools_in_parallel(
    fake_openai: FakeOpenAIServer,
) -> None:
    calls = (call("lookup", {"id": 42}, "call_1"), call("weather", {"city": "Paris"}, "call_2"))
    fake_openai.script(ToolCalls(calls=calls, pieces=4, interleave=True))
    model = fake_model(fake_openai).bind_tools([_tool("lookup"), _tool("weather")])
    merged: Any = None
    async for chunk in model.astream([HumanMessage("both")]):
        merged = chunk if merged is None else merged + chunk
    assert [(c["id"], c["name"], c["args"]) for c in merged.tool_calls] == [
        ("call_1", "lookup", {"id": 42}),
        ("call_2", "weather", {"city": "Paris"}),
    ]
    [request] = fake_openai.requests
    assert [tool["function"]["name"] for tool in request.body["tools"]] == ["lookup", "weather"]


async def test_openai_model_retries_when_server_answers_429_then_succeeds(
    fake_openai: FakeOpenAIServer,
) -> None:
    fake_openai.script(Failure(status=429), Text(text="after retry"))
    answer = await fake_model(fake_openai, max_retries=2).ainvoke([HumanMessage("hi")])
    assert answer.text == "after retry"
    assert [r.reply for r in fake_openai.requests] == ["failure", "text"]


async def test_openai_model_retries_then_raises_when_server_keeps_answering_500(
    fake_openai: FakeOpenAIServer,
) -> None:
    fake_openai.script(*[Failure(status=500)] * 3)
    with pytest.raises(openai.InternalServerError):
        await fake_model(fake_openai, max_retries=2).ainvoke([HumanMessage("hi")])
    assert [r.reply for r in fake_openai.requests] == ["failure"] * 3


async def test_openai_model_gives_up_when_server_is_slower_than_timeout(
    fake_openai: FakeOpenAIServer,
) -> None:
    gate = TokenGate()  # never released in time: the answer does not come
    fake_openai.script(Text(text="too late", gate=gate))
    model = fake_model(fake_openai, timeout_seconds=0.2, max_retries=0)
    try:
        with pytest.raises(openai.APITimeoutError):
            await model.ainvoke([HumanMessage("hi")])
    finally:
        gate.release(2)


async def test_openai_model_reads_responses_api_when_asked_to_use_it(
    fake_openai: FakeOpenAIServer,
) -> None:
    fake_openai.script(
        Text(text="via responses"),
        ToolCalls(calls=(call("lookup", {"id": 7}, "call_9"),), pieces=3),
    )
    model = fake_model(fake_openai)
    model.use_responses_api = True
    chunks = [chunk async for chunk in model.astream([HumanMessage("hi")])]
    assert "".join(c.text for c in chunks) == "via responses"
    answer = await model.bind_tools([_tool("lookup")]).ainvoke([HumanMessage("look")])
    assert isinstance(answer, AIMessage)
    assert [(c["id"], c["name"], c["args"]) for c in answer.tool_calls] == [
        ("call_9", "lookup", {"id": 7})
    ]
    assert answer.usage_metadata is not None
    assert {r.path for r in fake_openai.requests} == {f"{fake_openai.path_prefix}/v1/responses"}


def _tool(name: str) -> dict[str, Any]:
    parameters = {"type": "object", "properties": {}, "additionalProperties": True}
    return {
        "type": "function",
        "function": {"name": name, "description": name, "parameters": parameters},
    }
