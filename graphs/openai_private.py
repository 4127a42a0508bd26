"""The only module that touches the openai SDK's private parts (both speed paths).

`streamed_completion` sends a chat-completions payload untransformed: `AsyncCompletions.create`
first runs the payload through the SDK's `transform`, which walks every message and tool against
the request's TypedDicts; for a chat-completions request built by `ChatOpenAI` (plain JSON, no
aliased or formatted field) the walk returns what it was given, about 0.8 ms of CPU per model
call. The same body goes with the same request options through the SDK's own `post` (its
retries, auth, headers, error mapping and streaming response); anything this module cannot
vouch for goes through `create`.

`aiohttp_body` reads a streamed body over the SDK's aiohttp transport from aiohttp's own
reader, skipping httpx's four async generators per chunk.

Private names of openai (pyproject caps openai below its next minor version):
- `openai._base_client.make_request_options`, `openai._constants.RAW_RESPONSE_HEADER`,
  `openai._response.AsyncResponseContextManager` and `AsyncCompletions._post`: what
  `with_streaming_response.create` itself calls after the transform;
- `openai._vendor.httpx_aiohttp` (`AiohttpResponseStream`, `map_aiohttp_exceptions`), the
  response stream's `_stream` and that stream's `_aiohttp_response`: the aiohttp response
  under the SDK's httpx response, and the httpx errors the SDK maps aiohttp's to.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Mapping
from typing import Any

import openai
from openai.resources.chat.completions import AsyncCompletions
from openai.types.chat import ChatCompletion, ChatCompletionChunk

try:  # the SDK's internals that `create` itself uses; absent or different: use `create`
    from openai._base_client import make_request_options
    from openai._constants import RAW_RESPONSE_HEADER
    from openai._response import AsyncResponseContextManager

    _HAS_SECURITY = "security" in inspect.signature(make_request_options).parameters
except (ImportError, AttributeError):  # pragma: no cover  # an SDK without them
    _HAS_SECURITY = False

PATH = "/chat/completions"
# Keyword arguments of `create` that are request options, not body fields.
_OPTIONS = ("extra_headers", "extra_query", "extra_body", "timeout")
_ARGUMENTS = frozenset(inspect.signature(AsyncCompletions.create).parameters) - {"self"}
_SCALARS = (str, int, float, bool, type(None))


def streamed_completion(completions: AsyncCompletions, payload: Mapping[str, Any]) -> Any:
    """`completions.with_streaming_response.create(**payload)`, without the transform walk.

    Returns the SDK's async context manager of the raw streaming response, as that call does.
    """
    if not _is_direct(payload):
        return completions.with_streaming_response.create(**payload)
    body = {key: value for key, value in payload.items() if key not in _OPTIONS}
    # What `with_streaming_response.create` passes: its raw-response header and `create`'s
    # own request options (bearer auth since the SDK has auth schemes).
    extra_headers = {**(payload.get("extra_headers") or {}), RAW_RESPONSE_HEADER: "stream"}
    options = make_request_options(
        extra_headers=extra_headers,
        extra_query=payload.get("extra_query"),
        extra_body=payload.get("extra_body"),
        timeout=payload.get("timeout", openai.NOT_GIVEN),
        security={"bearer_auth": True},
    )
    request = completions._post(
        PATH,
        body=body,
        options=options,
        cast_to=ChatCompletion,
        stream=True,
        stream_cls=openai.AsyncStream[ChatCompletionChunk],
    )
    return AsyncResponseContextManager(request)


def aiohttp_vendored() -> bool:
    """Whether the SDK's vendored aiohttp transport (`DefaultAioHttpClient`'s) is importable."""
    try:
        import aiohttp  # noqa: F401
        from openai._vendor import httpx_aiohttp  # noqa: F401
    except ImportError:
        return False
    return True


def aiohttp_body(response: Any) -> AsyncIterator[bytes] | None:
    """The body of an SDK response read from aiohttp's own reader, or None when `response` is
    not an unread, unencoded response of the SDK's aiohttp transport."""
    try:
        from openai._vendor.httpx_aiohttp.transport import AiohttpResponseStream
    except ImportError:  # no aiohttp, or an SDK without this transport
        return None
    stream = getattr(getattr(response, "stream", None), "_stream", None)
    if not isinstance(stream, AiohttpResponseStream) or response.is_stream_consumed:
        return None
    if response.headers.get("content-encoding", "identity") != "identity":
        return None  # httpx decodes it (the transport leaves bodies compressed)
    aiohttp_response = getattr(stream, "_aiohttp_response", None)
    if aiohttp_response is None:
        return None
    response.is_stream_consumed = True  # what `aiter_bytes` notes: it cannot be read again
    return _aiohttp_chunks(aiohttp_response)


async def _aiohttp_chunks(aiohttp_response: Any) -> AsyncIterator[bytes]:
    from openai._vendor.httpx_aiohttp.transport import map_aiohttp_exceptions

    with map_aiohttp_exceptions():  # the httpx errors the SDK's own reading raises
        async for chunk in aiohttp_response.content.iter_any():
            yield chunk


def _is_direct(payload: Mapping[str, Any]) -> bool:
    """Whether `create` would send this payload unchanged (and accept all of its keys)."""
    if not _HAS_SECURITY or payload.get("stream") is not True:
        return False
    if not payload.keys() <= _ARGUMENTS:
        return False  # `create` raises TypeError for it: let it
    body = [value for key, value in payload.items() if key not in _OPTIONS]
    return _is_plain_json(body)


def _is_plain_json(value: object) -> bool:
    """Only dicts with str keys, lists and scalars: what `transform` leaves as it is.

    Tuples, generators and pydantic objects are what `transform` would convert or dump.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if not all(type(key) is str for key in item):
                return False
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif not isinstance(item, _SCALARS):
            return False
    return True
