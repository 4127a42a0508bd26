"""ModelSilence: a model call that sends nothing for too long ends its run (MODEL_TIMEOUT).

What is limited is the silence, not the answer: the time from a model call's start to its
first chunk, and between two chunks, so a long answer that keeps streaming is never cut, and
a model that thinks before its first token gets the whole limit for it. Provider clients give
up much later (openai's default is 600 s per attempt, retried twice). Time spent in tools is
not counted: actions have their own limit (actions/limits.py).

The run's TokenCallback reports its model calls here (graphs/tokens.py); graphs streamed in
LangGraph's messages mode get a `SilenceCallback` that does only that. Checking costs one
clock read per chunk and one timer per limit period, not a timer per chunk.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import LLMResult

from copilot_runtime.graphs.errors import RunError
from copilot_runtime.graphs.failures import MODEL_TIMEOUT

DEFAULT_MODEL_TIMEOUT = 120.0
"""Seconds of silence allowed by default: long enough for a model that reasons first."""


class ModelSilenceError(RunError):
    """A model call sent nothing for longer than the run allows."""

    code = "MODEL_TIMEOUT"

    def __init__(self) -> None:
        super().__init__(MODEL_TIMEOUT)


class ModelSilence:
    """The model calls of one run in flight, and when each was last heard from."""

    __slots__ = ("_heard", "_loop", "_timer", "limit", "was_exceeded")

    def __init__(self, limit: float | None) -> None:
        """`limit`: seconds a call may stay silent (None: no limit)."""
        self.limit = limit
        self.was_exceeded = False
        self._heard: dict[UUID, float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None

    def started(self, run_id: UUID) -> None:
        """A model call began (its silence starts now)."""
        if self._loop is not None:
            self._heard[run_id] = self._loop.time()

    def heard(self, run_id: UUID) -> None:
        """A model call sent a chunk."""
        if self._loop is not None and run_id in self._heard:
            self._heard[run_id] = self._loop.time()

    def ended(self, run_id: UUID) -> None:
        """A model call finished or failed."""
        self._heard.pop(run_id, None)

    @asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        """Raise ModelSilenceError out of the block once a call stays silent past the limit
        (the block is cancelled where it is: the model call, with everything under it)."""
        if self.limit is None:
            yield
            return
        self._loop = loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(None) as scope:
                self._timer = loop.call_later(self.limit, self._check, scope, self.limit)
                yield
        except TimeoutError:
            if self.was_exceeded:
                raise ModelSilenceError() from None
            raise
        finally:
            if self._timer is not None:
                self._timer.cancel()
            self._loop = None

    def _check(self, scope: asyncio.Timeout, limit: float) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        last = min(self._heard.values(), default=now)
        if now - last >= limit:
            self.was_exceeded = True
            scope.reschedule(now)  # the block is cancelled, and raises TimeoutError
            return
        self._timer = loop.call_at(last + limit, self._check, scope, limit)


class SilenceCallback(BaseCallbackHandler):
    """Tells a ModelSilence when the model calls of a graph start, stream and end."""

    run_inline = True
    ignore_chain = True
    ignore_agent = True
    ignore_retriever = True
    ignore_retry = True
    ignore_custom_event = True

    def __init__(self, silence: ModelSilence) -> None:
        """Report to `silence`."""
        self._silence = silence

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        """See ModelSilence.started."""
        self._silence.started(run_id)

    def on_llm_start(
        self, serialized: dict[str, Any], prompts: list[str], *, run_id: UUID, **kwargs: Any
    ) -> None:
        """See ModelSilence.started."""
        self._silence.started(run_id)

    def on_llm_new_token(self, token: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """See ModelSilence.heard."""
        self._silence.heard(run_id)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """See ModelSilence.ended."""
        self._silence.ended(run_id)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """See ModelSilence.ended."""
        self._silence.ended(run_id)
