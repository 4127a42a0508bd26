"""The private parts of langchain-openai that `StreamingChatOpenAI` (a speed path) leans on.

The lean stream (graphs/openai_stream.py, graphs/openai_sse.py) reads the chat-completions
stream itself and must raise, log and convert exactly as `ChatOpenAI` does, so it reuses
ChatOpenAI's own pieces rather than copies (pyproject caps langchain-openai below its next
minor version):

- imported here: `langchain_openai._compat.httpx` (httpx or httpx2, whichever the SDK uses, for
  its transport errors), `langchain_openai.chat_models._client_utils.StreamChunkTimeoutError`
  (what `stream_chunk_timeout` raises), and `_handle_openai_api_error` /
  `_handle_openai_bad_request` of `langchain_openai.chat_models.base` (how API errors become
  LangChain's);
- called on the model by `StreamingChatOpenAI`: `_get_request_payload`,
  `_should_stream_usage`, `_convert_chunk_to_generation_chunk`, `_use_responses_api` and
  `_uses_gateway` (the payload, the usage option, the chunk converter, and which calls keep
  ChatOpenAI's own path);
- overridden by `StreamingChatOpenAI`: `_astream`, `_agenerate` and `_should_stream`, the
  hooks of langchain-core's `BaseChatModel` (graphs/langchain_core_private.py).

With `COPILOT_FAST_PATHS=false` none of it runs: `openai:` models are plain `ChatOpenAI`.
"""

from __future__ import annotations

from langchain_openai._compat import httpx as sdk_httpx
from langchain_openai.chat_models._client_utils import StreamChunkTimeoutError
from langchain_openai.chat_models.base import (
    _handle_openai_api_error as handle_openai_api_error,
)
from langchain_openai.chat_models.base import (
    _handle_openai_bad_request as handle_openai_bad_request,
)

__all__ = [
    "StreamChunkTimeoutError",
    "handle_openai_api_error",
    "handle_openai_bad_request",
    "sdk_httpx",
]
