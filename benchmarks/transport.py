"""CPU per streamed chunk of the openai SDK's two HTTP stacks, read the way the server reads them.

    python -m benchmarks.transport                 # 100 paced streams x 3 rounds per stack
    python -m benchmarks.transport --streams 50 --rounds 5 --delay-ms 0

Each stream is a chat completion from the fake model (100 tokens, 20 ms apart by default, so
each token arrives on its own, as in the paced scenario) sent through `streamed_completion`
and decoded by `StreamingChatOpenAI`'s SSE reader: the path of graphs/openai_stream.py minus
LangChain. The only difference between the rows is the SDK's HTTP client: its default httpx
stack or its aiohttp transport (graphs/model_http.py). Prints CPU µs per chunk of this
process (the client side), per round, stacks alternating so a drifting machine hits both.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
from pathlib import Path

import openai

from benchmarks.servers import fake_model, free_port
from copilot_runtime.graphs.openai_private import streamed_completion
from copilot_runtime.graphs.openai_sse import chunk_dicts

STACKS = ("httpx", "aiohttp")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _one_stream(client: openai.AsyncOpenAI) -> int:
    payload = {"model": "gpt-fake", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    chunks = 0
    async with streamed_completion(client.chat.completions, payload) as response:
        async for _ in chunk_dicts(response.http_response, None, "gpt-fake"):
            chunks += 1
    return chunks


async def _round(base_url: str, stack: str, streams: int) -> float:
    """CPU µs per chunk of `streams` concurrent streams (after a warm-up of 10)."""
    http_client = openai.DefaultAioHttpClient() if stack == "aiohttp" else None
    client = openai.AsyncOpenAI(base_url=base_url, api_key="fake", http_client=http_client)
    try:
        await asyncio.gather(*(_one_stream(client) for _ in range(10)))
        started = _cpu_seconds()
        counts = await asyncio.gather(*(_one_stream(client) for _ in range(streams)))
        return (_cpu_seconds() - started) / sum(counts) * 1e6
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--delay-ms", type=float, default=20.0)
    args = parser.parse_args(argv)
    try:
        import uvloop  # what the server runs on

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run  # type: ignore[assignment]
    fake = fake_model(free_port(), tokens=args.tokens, delay_ms=args.delay_ms)
    fake.start(Path(tempfile.mkdtemp()))
    try:
        fake.wait_ready()
        base_url = f"http://127.0.0.1:{fake.port}/v1"
        results: dict[str, list[float]] = {stack: [] for stack in STACKS}
        for index in range(args.rounds):
            order = STACKS if index % 2 == 0 else STACKS[::-1]
            for stack in order:
                results[stack].append(runner(_round(base_url, stack, args.streams)))
    finally:
        fake.stop()
    print("| HTTP stack | CPU µs per chunk, median | rounds |")  # noqa: T201
    print("|---|--:|---|")  # noqa: T201
    for stack, values in results.items():
        rounds = " ".join(f"{value:.0f}" for value in values)
        print(f"| {stack} | {sorted(values)[len(values) // 2]:.0f} | {rounds} |")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
