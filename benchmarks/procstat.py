"""CPU seconds and resident memory of a process tree, read from /proc (Linux only).

RSS counts a page in every process that maps it, so the RSS of several worker processes adds
up the libraries they share once per worker; PSS (proportional set size) charges each process
its share of such a page, and its sum is what the tree really occupies.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants (uvicorn workers, a shell's child, ...)."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children.get(current, ()))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the processes (and of their reaped children)."""
    total = 0
    for pid in pids:
        try:
            fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # Fields after the command: state=0 ... utime=11 stime=12 cutime=13 cstime=14.
        total += sum(int(value) for value in fields[11:15])
    return total / TICKS


def run_seconds(pids: list[int]) -> float:
    """Time the processes' threads have run on a CPU, to the nanosecond (schedstat).

    `cpu_seconds` counts in clock ticks (10 ms here): right over many requests, but too coarse
    for one request of a few milliseconds. A thread that has ended no longer counts.
    """
    total = 0
    for pid in pids:
        try:
            tasks = list((PROC / str(pid) / "task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except (OSError, IndexError, ValueError):
                continue  # a thread that ended meanwhile
    return total / 1e9


def rss_bytes(pids: list[int]) -> int:
    """Resident memory of the processes, added up."""
    total = 0
    for pid in pids:
        try:
            total += int((PROC / str(pid) / "statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def pss_bytes(pids: list[int]) -> int:
    """Proportional set size of the processes, added up (0 where the kernel does not say)."""
    total = 0
    for pid in pids:
        try:
            rollup = (PROC / str(pid) / "smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1]) * 1024  # kB
                break
    return total


@dataclass(slots=True)
class Usage:
    """What a process tree used while being measured."""

    cpu_seconds: float = 0.0
    peak_rss: int = 0
    peak_pss: int = 0
    samples: int = 0
    rss_growth: int = 0
    """Resident memory at `stop()` minus at `start()`: what the load left behind."""


@dataclass(slots=True)
class UsageMeter:
    """Measure a process tree between `start()` and `stop()`; RSS is sampled in a thread."""

    pid: int
    interval: float = 0.05
    _pids: list[int] = field(default_factory=list)
    _cpu_start: float = 0.0
    _rss_start: int = 0
    _usage: Usage = field(default_factory=Usage)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        """Take the starting CPU time and begin sampling memory."""
        self._pids = tree(self.pid)
        self._rss_start = rss_bytes(self._pids)
        self._usage = Usage(peak_rss=self._rss_start, peak_pss=pss_bytes(self._pids))
        self._cpu_start = cpu_seconds(self._pids)
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> Usage:
        """The CPU used since `start()` and the highest memory seen."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._usage.cpu_seconds = cpu_seconds(self._pids) - self._cpu_start
        self._usage.rss_growth = rss_bytes(self._pids) - self._rss_start
        return self._usage

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self._usage.peak_rss = max(self._usage.peak_rss, rss_bytes(self._pids))
            self._usage.peak_pss = max(self._usage.peak_pss, pss_bytes(self._pids))
            self._usage.samples += 1
