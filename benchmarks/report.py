"""The results as Markdown tables: each scenario, this project beside each peer and the floor."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.measure import Result, median, percentile
from benchmarks.scenarios import Scenario

OURS = "copilot-runtime"
NODE = "node-copilotkit-runtime"
FLOOR = "floor (fake model direct)"
ADDED_LATENCY_LIMIT = 0.250
MIB = 1024 * 1024


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:.1f}"


def _ratio(value: float, reference: float | None) -> str:
    if not reference:
        return ""
    return f"{value / reference:.2f}x"


def _node(results: Sequence[Result], scenario: str) -> Result | None:
    return next((r for r in results if r.server == NODE and r.scenario == scenario), None)


def cost_table(scenario: Scenario, results: Sequence[Result]) -> list[str]:
    """CPU per run and latency at concurrency 1."""
    rows = [r for r in results if r.scenario == scenario.name]
    node = _node(rows, scenario.name)
    lines = [
        f"### {scenario.title}",
        "",
        "| server | CPU ms/run | vs Node | CPU µs/event | events/run | TTFB p50 ms "
        "| first token p50 ms | total p50 ms | peak RSS MiB | errors |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.server} | {r.cpu_ms_per_run:.1f} "
            f"| {_ratio(r.cpu_ms_per_run, node.cpu_ms_per_run if node else None)} "
            f"| {r.cpu_us_per_event:.0f} | {r.frames / max(r.requests, 1):.0f} "
            f"| {_ms(median(r.ttfb))} | {_ms(median(r.ttft))} | {_ms(median(r.total))} "
            f"| {r.peak_rss / MIB:.0f} | {r.errors}/{r.requests} |"
        )
    return [*lines, ""]


def throughput_table(scenario: Scenario, results: Sequence[Result]) -> list[str]:
    """Runs per second at a fixed concurrency."""
    rows = [r for r in results if r.scenario == scenario.name]
    node = _node(rows, scenario.name)
    lines = [
        f"### {scenario.title}",
        "",
        "| server | runs/s | vs Node | CPU ms/run | total p50 ms | total p99 ms "
        "| peak RSS MiB | errors |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.server} | {r.runs_per_second:.1f} "
            f"| {_ratio(r.runs_per_second, node.runs_per_second if node else None)} "
            f"| {r.cpu_ms_per_run:.1f} | {_ms(median(r.total))} | {_ms(percentile(r.total, 99))} "
            f"| {r.peak_rss / MIB:.0f} | {r.errors}/{r.requests} |"
        )
    return [*lines, ""]


def p99_added(result: Result, baseline: float) -> float:
    """A paced level's p99 added latency: stream totals minus the floor's (`baseline`)."""
    return percentile([total - baseline for total in result.total], 99)


def holds(result: Result, baseline: float) -> bool:
    """Whether a paced level was held: no errors, p99 added latency under the limit."""
    return not result.errors and p99_added(result, baseline) < ADDED_LATENCY_LIMIT


def held(rows: Sequence[Result], baseline: float) -> int:
    """The most concurrent streams served with p99 added latency under the limit, no errors."""
    best = 0
    for r in sorted(rows, key=lambda r: r.concurrency):
        if not holds(r, baseline):
            break
        best = r.concurrency
    return best


def paced_table(scenario: Scenario, results: Sequence[Result], baseline: float) -> list[str]:
    """Added latency (total minus the floor's at concurrency 1) per concurrency level."""
    rows = [r for r in results if r.scenario == scenario.name]
    servers = list(dict.fromkeys(r.server for r in rows))
    levels = sorted({r.concurrency for r in rows})
    lines = [
        f"### {scenario.title}",
        "",
        f"Added latency = stream total - the floor's total at concurrency 1 "
        f"({_ms(baseline)} ms). Cells: p99 added ms / errors / peak RSS MiB (peak PSS MiB: "
        "the workers' shared pages counted once).",
        "",
        "| server | held (p99 added < 250 ms, 0 errors) | "
        + " | ".join(f"{level} streams" for level in levels)
        + " |",
        "|---|--:|" + "--:|" * len(levels),
    ]
    for server in servers:
        mine = [r for r in rows if r.server == server]
        cells = []
        for level in levels:
            r = next((r for r in mine if r.concurrency == level), None)
            if r is None:
                cells.append("not tried" if scenario.stop_at_first_miss else "")
                continue
            memory = f"{r.peak_rss / MIB:.0f} ({r.peak_pss / MIB:.0f})"
            cells.append(f"{_ms(p99_added(r, baseline))} / {r.errors} / {memory}")
        lines.append(f"| {server} | {held(mine, baseline)} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _kib_each(total: int, result: Result) -> str:
    """`total` bytes shared out over the result's requests, in KiB."""
    return f"{total / 1024 / max(result.requests, 1):.1f}"


def _slope(values: Sequence[float]) -> float:
    """Least-squares growth of `values` per step (0 for fewer than two)."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    spread = sum((x - mean_x) ** 2 for x in range(n))
    return sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values)) / spread


def conversation_table(scenario: Scenario, results: Sequence[Result]) -> list[str]:
    """Server CPU per turn as one thread grows, and what the thread takes on disk."""
    rows = [r for r in results if r.scenario == scenario.name]
    node = _node(rows, scenario.name)
    node_last = median(node.cpu_by_turn[-10:]) if node else None
    lines = [
        f"### {scenario.title}",
        "",
        "Server CPU of each request on its own (schedstat), medians over ten turns. Stored = "
        "growth of the SQLite thread store (pages in use) per turn; the peers keep threads in "
        "memory.",
        "",
        "| server | CPU ms, turns 1-10 | CPU ms, last 10 turns | last 10 vs Node "
        "| growth µs/turn | stored KiB/turn | peak RSS MiB | errors |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        last = median(r.cpu_by_turn[-10:])
        stored = _kib_each(r.stored_bytes, r) if r.stored_bytes else ""
        lines.append(
            f"| {r.server} | {1000 * median(r.cpu_by_turn[:10]):.1f} | {1000 * last:.1f} "
            f"| {_ratio(last, node_last)} | {1e6 * _slope(r.cpu_by_turn):.0f} | {stored} "
            f"| {r.peak_rss / MIB:.0f} | {r.errors}/{r.requests} |"
        )
    return [*lines, ""]


def threads_table(scenario: Scenario, results: Sequence[Result]) -> list[str]:
    """What each new thread leaves behind: in memory, and in the thread store on disk."""
    rows = [r for r in results if r.scenario == scenario.name]
    lines = [
        f"### {scenario.title}",
        "",
        "Every request starts a thread of its own and leaves it idle. Memory = the server's RSS "
        "after the load minus before it (indicative: a heap grown by earlier loads takes new "
        "threads in without growing); stored = growth of the SQLite thread store (pages in use).",
        "",
        "| server | RSS KiB/thread | stored KiB/thread | CPU ms/run | peak RSS MiB | errors |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        stored = _kib_each(r.stored_bytes, r) if r.stored_bytes else ""
        lines.append(
            f"| {r.server} | {_kib_each(r.rss_growth, r)} | {stored} | {r.cpu_ms_per_run:.1f} "
            f"| {r.peak_rss / MIB:.0f} | {r.errors}/{r.requests} |"
        )
    return [*lines, ""]


def render(
    scenarios: Sequence[Scenario], results: Sequence[Result], baselines: dict[str, float]
) -> str:
    """Every scenario that has results, as Markdown."""
    lines: list[str] = []
    for scenario in scenarios:
        if not any(r.scenario == scenario.name for r in results):
            continue
        if scenario.measure == "cost":
            lines += cost_table(scenario, results)
        elif scenario.measure == "throughput":
            lines += throughput_table(scenario, results)
        elif scenario.measure == "conversation":
            lines += conversation_table(scenario, results)
        elif scenario.measure == "threads":
            lines += threads_table(scenario, results)
        else:
            lines += paced_table(scenario, results, baselines.get(scenario.name, 0.0))
    return "\n".join(lines)
