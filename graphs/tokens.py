"""TokenCallback: model tokens straight from LangChain's callback to the run.

LangGraph's `stream_mode="messages"` delivers each token through `loop.call_soon_threadsafe`
(a wake-up write to the loop's self-pipe), a fresh waiter task and a new `asyncio.wait` over
the step's tasks before the reader sees it: per token, more CPU than the token's own trip
through LangChain when tokens arrive one by one (a paced stream). The handler here is
what that mode's handler is (an inline LangChain callback that makes `ainvoke` stream), minus
the thread-safe queue: the run's event loop is the only thread, so the chunk is turned into
events at once and put into the run's EventChannel (graphs/channel.py).

A model can go one step further (`token_sink`): when the TokenCallback is the only handler
that listens to a model call, `StreamingChatOpenAI` hands it each text-only token as plain
text, with neither a LangChain chunk object nor a trip through the callback manager.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, TypeVar
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, GenerationChunk, LLMResult
from langgraph.constants import TAG_NOSTREAM

from copilot_runtime.graphs.silence import ModelSilence

T = TypeVar("T")

_NS_KEY = "langgraph_checkpoint_ns"
_NS_SEP = "|"


class TokenCallback(BaseCallbackHandler):
    """Hands every chunk the graph's own chat-model calls stream to `on_chunk`, as it comes.

    Like LangGraph's messages mode: calls tagged `nostream` and calls inside subgraphs are not
    streamed; their messages still reach the run through the node updates.
    """

    run_inline = True  # called in the model's task, in order, never in a thread pool
    # Only chat-model events matter; the callback manager skips the others for it.
    ignore_chain = True
    ignore_agent = True
    ignore_retriever = True
    ignore_retry = True
    ignore_custom_event = True

    def __init__(
        self,
        on_chunk: Callable[[AIMessageChunk], None],
        on_text: Callable[[str, str], None] | None = None,
        *,
        silence: ModelSilence | None = None,
    ) -> None:
        """`on_chunk` gets each streamed chunk; `on_text` (message id, text), when given, the
        text-only tokens a model hands over directly (`text_token`); `silence` hears of
        every model call's start, chunks and end."""
        self._on_chunk = on_chunk
        self._on_text = on_text
        self._streamed_runs: set[UUID] = set()
        self._silence = silence or ModelSilence(None)

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Stream this call if it belongs to one of the graph's own nodes and is not `nostream`."""
        self._silence.started(run_id)
        if metadata is None or TAG_NOSTREAM in (tags or ()):
            return
        namespace = str(metadata.get(_NS_KEY, ""))
        if namespace and _NS_SEP not in namespace:
            self._streamed_runs.add(run_id)

    def on_llm_new_token(
        self,
        token: str | list[str | dict[str, Any]],
        *,
        chunk: GenerationChunk | ChatGenerationChunk | None = None,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """Pass the chunk on (the text alone is not enough: tool-call pieces ride on it)."""
        self._silence.heard(run_id)
        if run_id in self._streamed_runs and isinstance(chunk, ChatGenerationChunk):
            message = chunk.message
            if isinstance(message, AIMessageChunk):
                self._on_chunk(message)

    def text_token(self, run_id: UUID, message_id: str, text: str) -> None:
        """A token that is only text, from a model streaming straight to this sink: the same
        events as `on_llm_new_token` with an `AIMessageChunk(content=text, id=message_id)`."""
        self._silence.heard(run_id)
        if run_id not in self._streamed_runs:
            return
        if self._on_text is None:
            self._on_chunk(AIMessageChunk(content=text, id=message_id))
        else:
            self._on_text(message_id, text)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """Forget the finished call."""
        self._silence.ended(run_id)
        self._streamed_runs.discard(run_id)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Forget the failed call."""
        self._silence.ended(run_id)
        self._streamed_runs.discard(run_id)

    # These two make LangChain's `_StreamingCallbackHandler` check match, so that `ainvoke`
    # streams from the provider (as it does under LangGraph's messages mode).
    def tap_output_aiter(self, run_id: UUID, output: AsyncIterator[T]) -> AsyncIterator[T]:
        """Pass the output through unchanged."""
        return output

    def tap_output_iter(self, run_id: UUID, output: Iterator[T]) -> Iterator[T]:
        """Pass the output through unchanged."""
        return output


def token_sink(handlers: Iterable[BaseCallbackHandler]) -> TokenCallback | None:
    """The TokenCallback a model may stream to directly, bypassing the callback manager.

    Only when it is the one TokenCallback and every other handler ignores model events (a
    tracer or a user's handler that wants tokens keeps the callback manager's path).
    """
    sink = None
    for handler in handlers:
        if isinstance(handler, TokenCallback) and sink is None:
            sink = handler
        elif not handler.ignore_llm:
            return None
    return sink
