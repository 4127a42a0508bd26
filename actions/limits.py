"""ActionLimits: how long a handler may take, and the threads sync user code runs in.

A handler that never returns would hold its run open until the client leaves, so each call
has a timeout (an action's own `timeout`, else the runtime's); past it the model reads an
error result and the run goes on. Sync handlers and sync actions generators run in a pool of
threads of their own: in asyncio's default pool (a handful of threads on a small machine)
eight slow handlers delayed a fast one by 28 s, and everything else that pool serves (DNS
lookups of model calls among them) waited with it; and on the event loop, a sync generator
froze every stream for as long as it took.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_TIMEOUT = 120.0
"""Seconds a handler may take unless its action says otherwise."""
DEFAULT_THREADS = 32
"""Threads for sync handlers and generators (a handler past its timeout keeps its thread
until it returns: Python cannot stop a thread)."""


class ActionLimits:
    """The limits the actions of a runtime share; one pool of threads for all of them."""

    def __init__(
        self, *, timeout: float | None = DEFAULT_TIMEOUT, threads: int = DEFAULT_THREADS
    ) -> None:
        """`timeout`: seconds per handler call unless the action sets its own (None: no limit);
        `threads`: the pool's size."""
        if timeout is not None and timeout <= 0:
            raise ValueError("the action timeout must be a positive number of seconds")
        if threads < 1:
            raise ValueError("action threads must be at least 1")
        self.timeout = timeout
        self.threads = threads
        self._pool: ThreadPoolExecutor | None = None

    def timeout_of(self, action_timeout: float | None) -> float | None:
        """The timeout of a call: the action's own, else the default."""
        return self.timeout if action_timeout is None else action_timeout

    async def in_thread(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`function(*args, **kwargs)` in the pool, with the caller's context variables (as
        asyncio.to_thread passes them: LangChain's tracing reads them)."""
        if self._pool is None:  # created on first use: threads are only made when needed
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="copilot-action")
        call = functools.partial(contextvars.copy_context().run, function, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)


@functools.cache
def default_limits() -> ActionLimits:
    """The limits of actions run without a runtime's own (tests, notebooks)."""
    return ActionLimits()


def is_async_callable(handler: Callable[..., Any]) -> bool:
    """True for coroutine functions, async callable objects and partials of either."""
    while isinstance(handler, functools.partial):
        handler = handler.func
    if inspect.iscoroutinefunction(handler):
        return True
    call = getattr(handler, "__call__", None)  # noqa: B004  # callable() cannot tell async apart
    return call is not None and inspect.iscoroutinefunction(call)
