"""Interleaved comparison: this checkout beside another one (and Node), batch after batch.

    python -m benchmarks.ab /path/to/other/checkout --only action,chat-200 --requests 100
    python -m benchmarks.ab --node --only action --rounds 8      # this checkout beside Node
    python -m benchmarks.ab /other --only paced --level 100 --requests 200 --rounds 3
    python -m benchmarks.ab /other --together --only paced --level 50 --requests 160 --rounds 4

The quick suite measures each server once, minutes apart, on a shared machine whose speed
drifts by up to 30%. Here every server runs the same scenario in turn, in alternating order,
`rounds` times, and the table shows the median CPU per run: a drift hits every server alike.
Node's JIT keeps getting faster over the first few hundred requests, which the rounds show.

Even alternating, a round of one server can land in a slow minute and the next in a fast one:
one checkout read 15.4 to 19.9 ms per paced run in four alternating rounds (an earlier pass
of benchmarks/RESULTS.md, in its git history). `--together` loads every server at once
instead, each with its own load generator, so they share every moment of the machine, and
reports each round's ratio to this checkout: the ratios of the same two checkouts stayed
within 0.94-0.98. The servers then compete for the two cores, so keep the load at a level
each could hold alone. Scripted scenarios (the action turn) cannot run together: the fake
model's script is one queue.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.__main__ import _script_fake
from benchmarks.measure import Result, measure
from benchmarks.scenarios import scenarios
from benchmarks.servers import ROOT, Server, fake_model, free_port, node_peer, ours

THIS = "this checkout"


def _servers(other: Path | None, with_node: bool, model_url: str, tmp: Path) -> list[Server]:
    servers = [ours(model_url, threads_path=tmp / "this.sqlite", name=THIS)]
    if other is not None:
        servers.append(
            ours(model_url, threads_path=tmp / "other.sqlite", root=other, name="other checkout")
        )
    if with_node:
        servers.append(node_peer(model_url))
    return servers


def _round(
    servers: list[Server],
    fake: Server,
    name: str,
    requests: int,
    level: int | None,
    *,
    together: bool = False,
) -> list[Result]:
    scenario = next(s for s in scenarios(quick=False) if s.name == name)
    level = level or scenario.concurrency[0]

    def load(server: Server) -> Result:
        if scenario.script:
            _script_fake(fake, scenario.script * (requests + min(scenario.warmup, level)))
        return measure(
            server=server.name,
            pid=server.pid,
            scenario=name,
            url=server.url,
            body=scenario.agui_body(),
            kind="agui",
            requests=requests,
            concurrency=level,
            warmup=min(scenario.warmup, level),
            ramp=scenario.ramp,
            turns=scenario.turns,
        )

    if not together:
        return [load(server) for server in servers]
    if scenario.script:
        raise SystemExit(f"--together cannot run {name}: its fake model replies are one script")
    with ThreadPoolExecutor(len(servers)) as pool:  # each measure() runs its own load process
        return list(pool.map(load, servers))


def ratio_row(name: str, server: str, results: list[Result], base: list[Result]) -> str:
    """One server's CPU per run against this checkout's, round by round (`--together`)."""
    ratios = [r.cpu_ms_per_run / b.cpu_ms_per_run for r, b in zip(results, base, strict=True)]
    rounds = " ".join(f"{value:.3f}" for value in ratios)
    return f"| {name} | {server} / {THIS} | {statistics.median(ratios):.3f} | {rounds} |"


def table_row(name: str, server: str, results: list[Result]) -> str:
    """One server's rounds of one scenario: median CPU per run and runs/s, then every round."""
    cpu = [r.cpu_ms_per_run for r in results]
    rate = statistics.median(r.runs_per_second for r in results)
    errors = sum(r.errors for r in results)
    rounds = " ".join(f"{value:.1f}" for value in cpu)
    return (
        f"| {name} | {server} | {statistics.median(cpu):.2f} | {rate:.1f} | {errors} | {rounds} |"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print one Markdown row per scenario and server."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ab", description=__doc__)
    parser.add_argument("other", nargs="?", type=Path, help="another checkout of this project")
    parser.add_argument("--node", action="store_true", help="add the Node peer")
    parser.add_argument("--only", default="action,chat-20,chat-200", help="scenario names")
    parser.add_argument("--requests", type=int, default=100, help="runs per server per round")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument(
        "--level", type=int, default=None, help="concurrency (default: the scenario's first)"
    )
    parser.add_argument(
        "--together", action="store_true", help="load every server at once; print CPU ratios"
    )
    args = parser.parse_args(argv)
    port = free_port()
    print(f"this checkout: {ROOT}; other checkout: {args.other or '-'}\n")  # noqa: T201
    print("| scenario | server | CPU ms/run (median) | runs/s | errors | each round |")  # noqa: T201
    print("|---|---|--:|--:|--:|---|")  # noqa: T201
    with tempfile.TemporaryDirectory(prefix="bench-ab-") as tmp:
        servers = _servers(args.other, args.node, f"http://127.0.0.1:{port}/v1", Path(tmp))
        try:
            for server in servers:
                server.start(Path(tmp))
            for server in servers:
                server.wait_ready(timeout=120)
            for name in args.only.split(","):
                scenario = next(s for s in scenarios(quick=False) if s.name == name)
                fake = fake_model(port, tokens=scenario.tokens, delay_ms=scenario.delay_ms)
                fake.start(Path(tmp))
                try:
                    fake.wait_ready()
                    by_server: dict[str, list[Result]] = {s.name: [] for s in servers}
                    for index in range(args.rounds):
                        order = servers if index % 2 == 0 else servers[::-1]
                        for result in _round(
                            order, fake, name, args.requests, args.level, together=args.together
                        ):
                            by_server[result.server].append(result)
                    _print_rows(name, by_server, with_ratios=args.together)
                finally:
                    fake.stop()
        finally:
            for server in servers:
                server.stop()
    return 0


def _print_rows(name: str, by_server: dict[str, list[Result]], *, with_ratios: bool) -> None:
    for server_name, results in by_server.items():
        print(table_row(name, server_name, results), flush=True)  # noqa: T201
    if not with_ratios:
        return
    base = by_server[THIS]
    print("\n| scenario | servers | CPU per run, median ratio | each round |\n|---|---|--:|---|")  # noqa: T201
    for server_name, results in by_server.items():
        if server_name != THIS:
            print(ratio_row(name, server_name, results, base), flush=True)  # noqa: T201


if __name__ == "__main__":
    sys.exit(main())
