"""aiohttp_transport: the openai SDK's aiohttp transport for the models that stream in a loop.

The SDK's default HTTP stack (httpx over httpcore, h11 and anyio) spends 75-106 µs of CPU on
every SSE chunk it reads when tokens arrive one at a time (anyio's cancel scope per read, h11's
Python parser); over the SDK's own aiohttp transport (`openai[aiohttp]`, `DefaultAioHttpClient`,
whose README recommends it "for improved concurrency performance") the same chunk costs 38-48 µs
(`python -m benchmarks.transport`, benchmarks/RESULTS.md). That is most of a paced
stream's cost outside LangChain.

An aiohttp session belongs to the event loop it was opened in, while a model object outlives
loops (a script calling `asyncio.run` twice, a test per loop). So the transport is scoped, not
global: inside `aiohttp_transport()` (the server holds it for its lifetime), the openai models
of this package that stream in that loop use one aiohttp-backed copy of their SDK client;
everywhere else they use the SDK's default client, unchanged. The session is closed when the
scope ends.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import openai
from langchain_openai import ChatOpenAI
from openai.resources.chat.completions import AsyncCompletions

from copilot_runtime.graphs.openai_private import aiohttp_body, aiohttp_vendored


@dataclass(slots=True)
class _LoopTransport:
    http_client: openai.DefaultAioHttpClient
    # One aiohttp-backed copy per SDK client (a model's settings: key, base URL, retries).
    completions: weakref.WeakKeyDictionary[openai.AsyncOpenAI, AsyncCompletions] = field(
        default_factory=weakref.WeakKeyDictionary
    )


_transports: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopTransport] = (
    weakref.WeakKeyDictionary()
)


def aiohttp_available() -> bool:
    """Whether the openai SDK's aiohttp extra is installed."""
    return aiohttp_vendored()


@asynccontextmanager
async def aiohttp_transport() -> AsyncIterator[bool]:
    """Stream this loop's openai models over aiohttp until the scope ends.

    Yields whether it took effect: False when the `aiohttp` extra is missing (the models then
    keep the SDK's default client) or when an enclosing scope of this loop already holds it.
    """
    loop = asyncio.get_running_loop()
    if loop in _transports or not aiohttp_available():
        yield False
        return
    transport = _LoopTransport(openai.DefaultAioHttpClient())
    _transports[loop] = transport
    try:
        yield True
    finally:
        del _transports[loop]
        await transport.http_client.aclose()


def completions_in_loop(model: ChatOpenAI) -> AsyncCompletions:
    """The chat-completions resource `model` should stream through in the running loop.

    A model given its own HTTP client (a proxy, a custom transport) keeps it.
    """
    default: AsyncCompletions = model.async_client
    root_client = model.root_async_client
    transport = _transports.get(asyncio.get_running_loop())
    if (
        transport is None
        or model.http_async_client is not None
        or not isinstance(root_client, openai.AsyncOpenAI)
    ):
        return default
    completions = transport.completions.get(root_client)
    if completions is None:
        # Same key, base URL, headers, timeout and retries; only the transport differs.
        client = root_client.copy(http_client=transport.http_client)
        completions = transport.completions[root_client] = client.chat.completions
    return completions


def body_chunks(response: Any) -> AsyncIterator[bytes]:
    """The body of an SDK response (httpx's or httpx2's) as it arrives, to be read once.

    Over the aiohttp transport, an unencoded body is read from aiohttp's own reader: httpx's
    `aiter_bytes` reaches it through four async generators (httpx's decoder and chunker, its
    timing wrapper, the transport's stream), a step through each per token.
    Closing the response still releases the connection (the SDK closes it as before).
    """
    chunks = aiohttp_body(response)
    if chunks is None:
        chunks = response.aiter_bytes()
    return chunks
