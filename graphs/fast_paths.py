"""COPILOT_FAST_PATHS: the one switch for every path that exists only for speed.

Each speed path does what a library's public path does, with less CPU (the measured
differences are in benchmarks/RESULTS.md), and each leans on private parts of a library that
are fenced in one module per package, named in that module's docstring:

- the lean model stream: `StreamingChatOpenAI` for `openai:` models (graphs/openai_stream.py,
  graphs/openai_sse.py; langchain-openai's privates in graphs/langchain_openai_private.py,
  langchain-core's in graphs/langchain_core_private.py), and its request sent without the
  SDK's transform walk (graphs/openai_private.py);
- the transport: the openai SDK's aiohttp client for the server's models, read from aiohttp's
  own reader (graphs/model_http.py, graphs/openai_private.py);
- direct tokens: a run's tokens from a LangChain callback rather than LangGraph's messages
  mode (graphs/tokens.py);
- the saver overrides: one trip to aiosqlite's thread per checkpoint call and per thread-store
  write (app/sqlite_checkpointer.py, app/sqlite.py);
- the SSE frames of token deltas written without pydantic (app/protocols/agui/outbound.py).

`COPILOT_FAST_PATHS=false` turns all of them off: a run then goes through ChatOpenAI, the
SDK's default client, LangGraph's messages mode, the upstream savers and pydantic, so a
problem that remains is not ours to look for in these paths. It is read when a model, a
server or a run is made, so tests can switch it per case.
"""

from __future__ import annotations

import os

VARIABLE = "COPILOT_FAST_PATHS"
_OFF = frozenset(("0", "false", "no", "off"))


def fast_paths_enabled() -> bool:
    """Whether the speed paths are on (the default); `COPILOT_FAST_PATHS=false` turns them off."""
    return os.environ.get(VARIABLE, "true").strip().lower() not in _OFF
