"""Run the benchmark suite and print the side-by-side table.

    python -m benchmarks --quick            # a few minutes at most; prints the table
    python -m benchmarks                    # the full run (see benchmarks/RESULTS.md)
    python -m benchmarks --only chat-200 --servers ours,node
    python -m benchmarks --quick --only paced --paced-levels 25,50,100,200

Everything runs on loopback: the fake model, every server (installed and started here) and the
load generator (its own process). Every process started here is stopped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from benchmarks.measure import Result, measure, median
from benchmarks.report import FLOOR, holds, render
from benchmarks.scenarios import Scenario, scenarios
from benchmarks.servers import (
    HERE,
    Server,
    fake_model,
    free_port,
    node_peer,
    ours,
    python_peer,
)

SERVER_CHOICES = ("ours", "ours2", "ours-plain", "node", "python", "floor")
DEFAULT_SERVERS = ("ours", "ours2", "node", "python", "floor")


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)  # noqa: T201


def _servers(names: list[str], model_url: str, threads: Path) -> list[Server]:
    makers: dict[str, Callable[[], Server]] = {
        "ours": lambda: ours(model_url, threads_path=threads / "threads.sqlite"),
        "ours2": lambda: ours(model_url, workers=2, threads_path=threads / "threads2.sqlite"),
        "ours-plain": lambda: ours(
            model_url, threads_path=threads / "threads-plain.sqlite", plain=True
        ),
        "node": lambda: node_peer(model_url),
        "python": lambda: python_peer(model_url),
    }
    return [makers[name]() for name in names if name in makers]


def _wanted(server: Server, scenario: Scenario) -> bool:
    # Several workers where the targets allow them (throughput, paced streams: the box has two
    # cores and threads live in the checkpointer); the cost per run is one process's.
    return "workers" not in server.name or scenario.measure in ("throughput", "paced")


def _run_scenario(
    scenario: Scenario, servers: list[Server], fake: Server, with_floor: bool
) -> tuple[list[Result], float]:
    results: list[Result] = []
    floor_url = f"http://127.0.0.1:{fake.port}/v1/chat/completions"
    baseline = 0.0
    if scenario.measure == "paced" or with_floor:
        # The floor at concurrency 1 is also the paced scenario's zero of added latency.
        first = measure(server=FLOOR, pid=fake.pid, scenario=scenario.name, url=floor_url,
                        body=scenario.floor_body(), kind="openai-chat", requests=3,
                        concurrency=1, warmup=1)  # fmt: skip
        baseline = median(first.total)
    targets: list[tuple[str, int, str, dict[str, object], bool]] = [
        (server.name, server.pid, server.url, scenario.agui_body(), False)
        for server in servers
        if _wanted(server, scenario)
    ]
    if with_floor and scenario.measure not in ("conversation", "threads"):
        targets.append((FLOOR, fake.pid, floor_url, scenario.floor_body(), True))
    stores = {s.name: Path(s.env["COPILOT_THREADS_PATH"]) for s in servers
              if "COPILOT_THREADS_PATH" in s.env}  # fmt: skip
    for name, pid, url, body, is_floor in targets:
        for level in scenario.concurrency:
            if scenario.stop_at_first_miss and not _held_last(results, name, baseline):
                _log(f"{scenario.name}: {name} not tried at {level}: a lower level was not held")
                break
            requests = scenario.requests or level * scenario.streams_per_client
            if scenario.script and not is_floor:
                # The floor makes the answer call only: the default reply, nothing scripted.
                _script_fake(fake, scenario.script * (requests + min(scenario.warmup, level)))
            _log(f"{scenario.name}: {name} x{requests} at concurrency {level}")
            store = stores.get(name)
            stored = _size(store)
            result = measure(
                server=name, pid=pid, scenario=scenario.name, url=url, body=dict(body),
                kind="openai-chat" if is_floor else "agui", requests=requests,
                concurrency=level, warmup=min(scenario.warmup, level), ramp=scenario.ramp,
                turns=1 if is_floor else scenario.turns, budget=scenario.budget,
            )  # fmt: skip
            if store is not None:
                result = dataclasses.replace(result, stored_bytes=_size(store) - stored)
            results.append(result)
            if result.errors:
                _log(f"  {result.errors} errors, first: {result.first_error[:300]}")
    return results, baseline


def _held_last(results: list[Result], server: str, baseline: float) -> bool:
    """Whether the server held the last level it was tried at (True if it was not tried yet)."""
    tried = [r for r in results if r.server == server]
    return not tried or holds(tried[-1], baseline)


def _size(store: Path | None) -> int:
    """Bytes in use in a SQLite thread store, as a reader sees it (pages still in the WAL too).

    File sizes say little: the WAL keeps its largest size, and the main file grows only when
    the WAL is copied back into it.
    """
    if store is None or not store.exists():
        return 0
    with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as connection:
        pages, free, size = (
            connection.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("page_count", "freelist_count", "page_size")
        )
    return int((pages - free) * size)


def _script_fake(fake: Server, replies: tuple[dict[str, object], ...]) -> None:
    base = f"http://127.0.0.1:{fake.port}/fake"
    httpx.post(f"{base}/reset", timeout=10).raise_for_status()
    httpx.post(f"{base}/script", json=list(replies), timeout=10).raise_for_status()


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the scenarios, print and save the tables."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer requests and levels")
    parser.add_argument("--only", help="comma-separated scenario names")
    parser.add_argument("--servers", default=",".join(DEFAULT_SERVERS),
                        help=f"comma-separated, from {', '.join(SERVER_CHOICES)}")  # fmt: skip
    parser.add_argument("--out", type=Path, default=HERE / ".results")
    parser.add_argument("--paced-levels", help="comma-separated stream counts for 'paced'")
    args = parser.parse_args(argv)
    chosen = [s for s in scenarios(quick=args.quick)
              if not args.only or s.name in args.only.split(",")]  # fmt: skip
    if args.paced_levels:
        levels = tuple(int(level) for level in args.paced_levels.split(","))
        chosen = [dataclasses.replace(s, concurrency=levels) if s.measure == "paced" else s
                  for s in chosen]  # fmt: skip
    names = args.servers.split(",")
    started = time.monotonic()
    model_port = free_port()
    model_url = f"http://127.0.0.1:{model_port}/v1"
    results: list[Result] = []
    baselines: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        logs = Path(tmp)
        servers = _servers(names, model_url, logs)
        fake: Server | None = None
        try:
            for server in servers:
                server.start(logs)
            for server in servers:
                server.wait_ready(timeout=120)
            for scenario in chosen:
                if (
                    fake is None
                    or fake.name != f"fake-model-{scenario.tokens}x{scenario.delay_ms:g}ms"
                ):
                    if fake is not None:
                        fake.stop()
                    fake = fake_model(
                        model_port, tokens=scenario.tokens, delay_ms=scenario.delay_ms
                    )
                    fake.start(logs)
                    fake.wait_ready()
                found, baselines[scenario.name] = _run_scenario(
                    scenario, servers, fake, with_floor="floor" in names
                )
                results += found
        finally:
            for server in [*servers, *([fake] if fake else [])]:
                server.stop()
    table = render(chosen, results, baselines)
    print(table)  # noqa: T201
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.out / f"{stamp}.md").write_text(table)
    (args.out / f"{stamp}.json").write_text(json.dumps({
        "machine": f"{platform.platform()}, Python {platform.python_version()}",
        "quick": args.quick,
        "baselines": baselines,
        "results": [r.to_json() for r in results],
    }))  # fmt: skip
    _log(f"done in {time.monotonic() - started:.0f} s; tables in {args.out / (stamp + '.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
