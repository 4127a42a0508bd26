"""PostgresCheckpointer: LangGraph's AsyncPostgresSaver; a run's second read reuses its first.

Everything is upstream's (schema, queries, setup) except that the channel values built from a
checkpoint's blobs are kept, keyed by those blobs' bytes, for the one read that follows
(`app.reread`): the agent's read and LangGraph's, a millisecond apart, build the thread's
messages once. A blob is stored once per channel version and never rewritten, and a key holds
every blob of the checkpoint, so equal keys build equal values.
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

from copilot_runtime.app.reread import Reread


class PostgresCheckpointer(AsyncPostgresSaver):
    """AsyncPostgresSaver whose reads share what they build with the read that follows."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """See AsyncPostgresSaver."""
        super().__init__(*args, **kwargs)
        self._reread: Reread[dict[str, Any]] = Reread()

    def _load_blobs(self, blob_values: list[tuple[bytes, bytes, bytes]]) -> dict[str, Any]:
        """See AsyncPostgresSaver: each channel's value, built from its blob."""
        if not blob_values:
            return super()._load_blobs(blob_values)
        key = tuple(tuple(row) for row in blob_values)  # psycopg gives lists: not hashable
        loaded = self._reread.take(key)
        if loaded is None:
            loaded = super()._load_blobs(blob_values)
            self._reread.keep(key, loaded)
        # Upstream merges this into a new dict for each checkpoint; the values are shared (its
        # reducers build new lists, the agent only compares the messages).
        return loaded
