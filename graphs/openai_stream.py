"""StreamingChatOpenAI: ChatOpenAI with a lean async chat-completions stream, same chunks.

Streaming is the hot path of every run: each token crosses the openai SDK, LangChain and
LangGraph before it becomes an AG-UI event. Stock `ChatOpenAI` builds an SDK pydantic object
for every SSE chunk (`construct_type`, about 40% of a 200-token run's CPU in a profile) and
immediately turns it back into a dict with `model_dump()`; it also wraps every chunk read in
`asyncio.wait_for`, a new task per token. This subclass reads the same SSE bytes, decodes
each chunk to the dict `ChatOpenAI` would have built (graphs/openai_sse.py), hands it to the
same converter and callbacks. Everything else is `ChatOpenAI`'s own code: the request
payload, retries and HTTP errors (the SDK still sends the request, through its `post`:
graphs/openai_private.py), the Responses API, structured output, sync calls, headers.

When the run's TokenCallback is the only handler listening to the call (`token_sink`), a
call that LangChain would stream chunk by chunk through its callback manager is streamed
here instead (`_agenerate`): text-only tokens go to the sink as plain text, with no chunk
object, no callback dispatch and no merge per token; every other chunk (tool calls, the
finish reason, usage) takes LangChain's own conversion. The result is the message LangChain
would have merged from the chunks. About a sixth of a paced run's CPU.
A speed path (graphs/fast_paths.py); the private names it uses are listed in
graphs/langchain_openai_private.py and graphs/langchain_core_private.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import openai
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessageChunk, BaseMessage, BaseMessageChunk
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.utils.utils import LC_ID_PREFIX
from langchain_openai import ChatOpenAI

from copilot_runtime.graphs.fast_paths import fast_paths_enabled
from copilot_runtime.graphs.langchain_core_private import chunk_metadata
from copilot_runtime.graphs.langchain_openai_private import (
    handle_openai_api_error,
    handle_openai_bad_request,
)
from copilot_runtime.graphs.model_http import completions_in_loop
from copilot_runtime.graphs.openai_private import streamed_completion
from copilot_runtime.graphs.openai_sse import chunk_dicts
from copilot_runtime.graphs.tokens import TokenCallback, token_sink

# Delta fields ChatOpenAI's converter reads; a delta with any other field takes its path.
_DELTA_FIELDS = frozenset(("content", "role", "tool_calls", "function_call", "refusal"))


class StreamingChatOpenAI(ChatOpenAI):
    """`ChatOpenAI`, minus the per-token SDK objects and tasks of its async stream."""

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        if not self._is_lean_stream(kwargs):
            async for chunk in super()._astream(messages, stop, run_manager, **kwargs):
                yield chunk
            return
        chunk_class: type[BaseMessageChunk] = AIMessageChunk
        async for data in self._completion_chunks(messages, stop, kwargs):
            generation = self._convert_chunk_to_generation_chunk(data, chunk_class, {})
            if generation is None:
                continue
            chunk_class = generation.message.__class__
            if run_manager:
                logprobs = (generation.generation_info or {}).get("logprobs")
                await run_manager.on_llm_new_token(
                    generation.text, chunk=generation, logprobs=logprobs
                )
            yield generation

    def _should_stream(
        self,
        *,
        async_api: bool,
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> bool:
        # A call streamed to a token sink is streamed by `_agenerate`, not by LangChain.
        if self._sink_of(async_api, run_manager, kwargs) is not None:
            return False
        return super()._should_stream(async_api=async_api, run_manager=run_manager, **kwargs)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        sink = self._sink_of(True, run_manager, kwargs)
        if sink is None or run_manager is None:
            return await super()._agenerate(messages, stop, run_manager, **kwargs)
        return await self._stream_to_sink(messages, stop, run_manager, sink, kwargs)

    async def _stream_to_sink(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        run_manager: AsyncCallbackManagerForLLMRun,
        sink: TokenCallback,
        kwargs: dict[str, Any],
    ) -> ChatResult:
        """What LangChain's streaming branch of `_agenerate_with_cache` does, minus the chunk
        objects, callback dispatch and merging of the text-only tokens."""
        run_id = run_manager.run_id
        message_id = f"{LC_ID_PREFIX}-{run_id}"  # the id LangChain gives a streamed answer
        chunks: list[ChatGenerationChunk] = []
        texts: list[str] = []  # text-only tokens since the last chunk: merged, one chunk

        def on_chunk(generation: ChatGenerationChunk) -> None:
            generation.message.response_metadata = chunk_metadata(generation)
            if generation.message.id is None:
                generation.message.id = message_id
            sink.on_llm_new_token(
                generation.message.content,
                chunk=generation,
                run_id=run_id,
                parent_run_id=run_manager.parent_run_id,
                tags=run_manager.tags,
            )
            chunks.append(generation)

        chunk_class: type[BaseMessageChunk] = AIMessageChunk
        async for data in self._completion_chunks(messages, stop, kwargs):
            text = _text_only(data) if chunk_class is AIMessageChunk else None
            if text is not None:
                texts.append(text)
                sink.text_token(run_id, message_id, text)
                continue
            generation = self._convert_chunk_to_generation_chunk(data, chunk_class, {})
            if generation is None:
                continue
            chunk_class = generation.message.__class__
            if texts:
                chunks.append(_text_generation(message_id, texts))
                texts = []
            on_chunk(generation)
        if texts:
            chunks.append(_text_generation(message_id, texts))
        last = chunks[-1].message if chunks else None
        if isinstance(last, AIMessageChunk) and not last.chunk_position:
            # LangChain ends every streamed answer with this empty chunk.
            content: str | list[str | dict[str, Any]] = "" if isinstance(last.content, str) else []
            end = AIMessageChunk(content=content, chunk_position="last", id=message_id)
            on_chunk(ChatGenerationChunk(message=end))
        return generate_from_stream(iter(chunks))

    def _sink_of(
        self,
        async_api: bool,
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
        kwargs: dict[str, Any],
    ) -> TokenCallback | None:
        """The token sink this call streams to directly, if LangChain would stream it at all."""
        if not (async_api and isinstance(run_manager, AsyncCallbackManagerForLLMRun)):
            return None
        sink = token_sink(run_manager.handlers)
        if sink is None or self.output_version == "v1" or not self._is_lean_stream(kwargs):
            return None
        if not super()._should_stream(async_api=True, run_manager=run_manager, **kwargs):
            return None
        return sink

    async def _completion_chunks(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        """The chunk dicts of one streamed chat completion, with ChatOpenAI's errors."""
        stream_usage = self._should_stream_usage(kwargs.pop("stream_usage", None), **kwargs)
        kwargs["stream"] = True
        if stream_usage:
            kwargs["stream_options"] = {"include_usage": stream_usage}
        payload = self._get_request_payload(messages, stop=stop, **kwargs)
        try:
            async with streamed_completion(completions_in_loop(self), payload) as response:
                async for data in chunk_dicts(
                    response.http_response, self.stream_chunk_timeout, self.model_name
                ):
                    yield data
        except openai.BadRequestError as error:
            handle_openai_bad_request(error)
        except openai.APIError as error:
            handle_openai_api_error(error)

    def _is_lean_stream(self, kwargs: dict[str, Any]) -> bool:
        # Only the plain chat-completions stream is rewritten; every other path (Responses API,
        # structured output, response headers, the LangSmith gateway) stays ChatOpenAI's.
        if not fast_paths_enabled():
            return False
        if self._use_responses_api({**kwargs, **self.model_kwargs}):
            return False
        if "response_format" in kwargs or "response_format" in self.model_kwargs:
            return False
        return not (self.include_response_headers or self._uses_gateway)


def _text_only(data: dict[str, Any]) -> str | None:
    """The text of a chunk that carries nothing else (most of a streamed answer), else None.

    Such a chunk converts to `AIMessageChunk(content=text)` with only the provider in its
    metadata, so consecutive ones merge into one chunk of their joined text.
    """
    if data.get("usage") or data.get("type") == "content.delta":
        return None
    choices = data.get("choices")
    if not (isinstance(choices, list) and choices and isinstance(choices[0], dict)):
        return None
    choice = choices[0]
    delta = choice.get("delta")
    if choice.get("finish_reason") or choice.get("logprobs") or not isinstance(delta, dict):
        return None
    text = delta.get("content")
    if not (isinstance(text, str) and text) or not _DELTA_FIELDS.issuperset(delta):
        return None
    if delta.get("role") not in (None, "assistant"):
        return None
    if delta.get("tool_calls") or delta.get("function_call") or delta.get("refusal"):
        return None
    return text


def _text_generation(message_id: str, texts: list[str]) -> ChatGenerationChunk:
    """The chunk LangChain would have merged from these text-only chunks."""
    message = AIMessageChunk(
        content="".join(texts), id=message_id, response_metadata={"model_provider": "openai"}
    )
    return ChatGenerationChunk(message=message)
