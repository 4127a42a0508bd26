"""The `serve` process: what it does to itself before serving."""

from __future__ import annotations

import gc

import pytest
from fastapi import FastAPI

from app.cli import GC_THRESHOLDS, app_from_environment


def test_worker_app_tunes_the_garbage_collector_when_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COPILOT_MODEL", "demo")
    monkeypatch.setenv("COPILOT_THREADS_PATH", ":memory:")
    thresholds = gc.get_threshold()
    gc.unfreeze()
    try:
        app = app_from_environment()
        assert isinstance(app, FastAPI)
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.unfreeze()  # the test process keeps its usual collector
        gc.set_threshold(*thresholds)
