"""Reread: what a read just built from stored bytes, for the one read that follows it.

A run reads its thread's latest checkpoint twice within a millisecond: the agent, to reconcile
the client's history with it, then LangGraph, to start from it. Reading means building every
message of the thread again from msgpack (a pydantic object each), the largest cost of a turn
that grows with the thread (issue #7). The savers key what they built by the stored bytes
themselves, so a second read gets it only if the store still holds exactly those bytes.

An entry serves one read and lives a second at most: it is there for the read that follows,
not to hold threads in memory.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Reread(Generic[V]):
    """Values built from stored bytes, each kept for one later read of the same key."""

    def __init__(
        self, *, size: int = 64, seconds: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Keep at most `size` entries, none for longer than `seconds`."""
        self._size = size
        self._seconds = seconds
        self._clock = clock
        self._kept: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()

    def take(self, key: Hashable) -> V | None:
        """The value kept for `key` (then forgotten), or None."""
        kept = self._kept.pop(key, None)
        if kept is None or self._clock() - kept[0] > self._seconds:
            return None
        return kept[1]

    def keep(self, key: Hashable, value: V) -> None:
        """Keep `value` for the next read of `key`, dropping what is too old or too many."""
        now = self._clock()
        self._kept[key] = (now, value)
        self._kept.move_to_end(key)
        while self._kept:
            oldest_key, (kept_at, _) = next(iter(self._kept.items()))
            if len(self._kept) <= self._size and now - kept_at <= self._seconds:
                break
            del self._kept[oldest_key]
