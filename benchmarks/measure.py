"""One measurement: a load from the load generator process, with the server's CPU and memory."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from benchmarks.loadgen import Kind, LoadReport, LoadSpec, Sample
from benchmarks.procstat import UsageMeter
from benchmarks.servers import ROOT


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """What one server did under one load."""

    server: str
    scenario: str
    concurrency: int
    requests: int
    errors: int
    wall: float
    cpu_seconds: float
    peak_rss: int
    ttfb: list[float]
    ttft: list[float]
    total: list[float]
    frames: int
    first_error: str = ""
    peak_pss: int = 0
    cpu_by_turn: list[float] = field(default_factory=list)
    """Conversations: the mean server CPU seconds of the requests at each turn (0 = first)."""
    stored_bytes: int = 0
    """How much the server's thread store on disk grew (0 where threads live in memory)."""
    rss_growth: int = 0
    """The server's resident memory after the load minus before it."""

    @property
    def ok(self) -> int:
        """Requests that succeeded."""
        return self.requests - self.errors

    @property
    def cpu_ms_per_run(self) -> float:
        """Server CPU per request, in milliseconds."""
        return 1000 * self.cpu_seconds / max(self.requests, 1)

    @property
    def cpu_us_per_event(self) -> float:
        """Server CPU per SSE event delivered, in microseconds."""
        return 1e6 * self.cpu_seconds / max(self.frames, 1)

    @property
    def runs_per_second(self) -> float:
        """Successful requests per second of wall time."""
        return self.ok / self.wall if self.wall else 0.0

    def to_json(self) -> dict[str, Any]:
        """As JSON-ready data."""
        return asdict(self)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: list[float]) -> float:
    """The median; 0 for no values."""
    return statistics.median(values) if values else 0.0


def load(spec: LoadSpec) -> LoadReport:
    """Run the load generator as its own process (its CPU is not the server's)."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.loadgen"],
        input=json.dumps(asdict(spec)).encode(),
        capture_output=True,
        cwd=ROOT,
        timeout=spec.timeout * max(1, spec.requests // max(spec.concurrency, 1)) + 60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr.decode()[-3000:]}")
    return LoadReport.from_json(json.loads(done.stdout))


def measure(
    *,
    server: str,
    pid: int,
    scenario: str,
    url: str,
    body: dict[str, Any],
    kind: Kind,
    requests: int,
    concurrency: int,
    warmup: int,
    ramp: float = 0.0,
    turns: int = 1,
    budget: float = 0.0,
) -> Result:
    """Warm the server up, then load it while its process tree is metered.

    With `turns` > 1 each client holds conversations of that many turns, and every request's
    server CPU is metered on its own (run it at concurrency 1). A `budget` (seconds) caps the
    load (`LoadSpec.budget`), and half of it the warm-up.
    """
    spec = LoadSpec(
        url=url,
        body=body,
        kind=kind,
        requests=requests,
        concurrency=concurrency,
        ramp=ramp,
        budget=budget,
    )
    if turns > 1:
        spec = replace(spec, turns=turns, server_pid=pid)
    if warmup:
        load(replace(spec, requests=warmup, ramp=0.0, budget=budget / 2))
    meter = UsageMeter(pid)
    meter.start()
    report = load(spec)
    usage = meter.stop()
    good = [sample for sample in report.samples if sample.ok]
    errors = [sample.error for sample in report.samples if not sample.ok]
    return Result(
        server=server,
        scenario=scenario,
        concurrency=concurrency,
        requests=len(report.samples),
        errors=len(errors),
        wall=report.wall,
        cpu_seconds=usage.cpu_seconds,
        peak_rss=usage.peak_rss,
        peak_pss=usage.peak_pss,
        rss_growth=usage.rss_growth,
        ttfb=[sample.ttfb for sample in good],
        ttft=[sample.ttft for sample in good],
        total=[sample.total for sample in good],
        frames=sum(sample.frames for sample in report.samples),
        first_error=errors[0] if errors else "",
        cpu_by_turn=_by_turn(good) if turns > 1 else [],
    )


def _by_turn(samples: list[Sample]) -> list[float]:
    turns: dict[int, list[float]] = {}
    for sample in samples:
        turns.setdefault(sample.turn, []).append(sample.server_cpu)
    return [statistics.fmean(turns[turn]) for turn in sorted(turns)]
