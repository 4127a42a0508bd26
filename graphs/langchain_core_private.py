"""The private parts of langchain-core that `StreamingChatOpenAI` (a speed path) leans on.

When a run's TokenCallback is the only handler of a model call, `StreamingChatOpenAI` streams
the call itself instead of LangChain's streaming branch of `BaseChatModel._agenerate_with_cache`
and must give every chunk the metadata that branch gives (pyproject caps langchain-core below
its next minor version):

- imported here: `langchain_core.language_models.chat_models._gen_info_and_msg_metadata`
  (a streamed chunk's `response_metadata`, as that branch builds it);
- overridden (graphs/openai_stream.py): `BaseChatModel._agenerate` and `_astream`, the hooks a
  chat model implements, and `BaseChatModel._should_stream`, which decides whether
  `_agenerate_with_cache` streams (a call streamed to the token sink is streamed by
  `_agenerate` instead).

With `COPILOT_FAST_PATHS=false` none of it runs.
"""

from __future__ import annotations

from langchain_core.language_models.chat_models import (
    _gen_info_and_msg_metadata as chunk_metadata,
)

__all__ = ["chunk_metadata"]
