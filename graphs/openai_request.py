"""streamed_completion: send a chat-completions payload through the openai SDK, untransformed.

`AsyncCompletions.create(**payload)` first runs the payload through the SDK's `transform`,
which walks every message and tool against the request's TypedDicts to rename aliased keys,
format dates and files and dump pydantic objects. For a chat-completions request none of that
applies (the params declare no alias or format) and `ChatOpenAI._get_request_payload` has
already built plain JSON, so the walk returns what it was given: about 0.8 ms of CPU per model
call in a profile, more than the rest of the request (issue #7). This module sends the same
body with the same request options through the SDK's own `post`, which keeps its retries, auth
and default headers, error mapping and streaming response. Anything this module cannot vouch
for (an unknown argument, a value that is not plain JSON, an SDK whose internals differ) goes
through `create` as before.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
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
