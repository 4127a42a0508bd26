"""Reread keeps what a read built for the one read that follows, briefly and boundedly."""

from __future__ import annotations

from copilot_runtime.app.reread import Reread


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_kept_value_serves_one_read_only() -> None:
    reread: Reread[str] = Reread()
    reread.keep(("t1", b"bytes"), "built")
    assert reread.take(("t1", b"other bytes")) is None
    assert reread.take(("t1", b"bytes")) == "built"
    assert reread.take(("t1", b"bytes")) is None


def test_old_and_surplus_values_are_dropped() -> None:
    clock = Clock()
    reread: Reread[int] = Reread(size=2, seconds=1.0, clock=clock)
    reread.keep("a", 1)
    clock.now = 2.0
    assert reread.take("a") is None  # kept too long ago to be the read that follows
    reread.keep("b", 2)
    reread.keep("c", 3)
    reread.keep("d", 4)  # one too many: the oldest goes
    assert [reread.take(key) for key in "bcd"] == [None, 3, 4]
    reread.keep("e", 5)
    clock.now = 3.5
    reread.keep("f", 6)  # keeping also drops what has expired
    clock.now = 3.6
    assert [reread.take(key) for key in "ef"] == [None, 6]
