"""The `serve` process: what it does to itself before serving."""

from __future__ import annotations

import gc

import pytest
from fastapi import FastAPI

from app.cli import app_from_environment


def test_worker_app_freezes_startup_objects_when_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPILOT_MODEL", "demo")
    monkeypatch.setenv("COPILOT_THREADS_PATH", ":memory:")
    gc.unfreeze()
    try:
        app = app_from_environment()
        assert isinstance(app, FastAPI)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # the test process keeps its usual collector
