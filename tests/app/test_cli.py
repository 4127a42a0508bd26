"""The `serve` process: what it does to itself before serving."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys

import pytest
from fastapi import FastAPI

from copilot_runtime.app.cli import GC_THRESHOLDS, app_from_environment


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


SUPERVISE = """
import json, sys
import copilot_runtime.app.cli
def serve_workers(app_factory, **options):  # stands in for starting the worker processes
    heavy = [m for m in ("fastapi", "langchain_core", "langgraph", "openai") if m in sys.modules]
    print(json.dumps({"factory": app_factory, "workers": options["workers"], "heavy": heavy}))
copilot_runtime.app.cli.serve_workers = serve_workers
sys.exit(copilot_runtime.app.cli.main(sys.argv[1:]))
"""


def supervise(*args: str) -> subprocess.CompletedProcess[str]:
    """`copilot-runtime serve --workers 2 ARGS` up to the point where workers would start."""
    return subprocess.run(
        [sys.executable, "-c", SUPERVISE, "serve", "--workers", "2", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COPILOT_THREADS_PATH": ":memory:"},
    )


def test_supervisor_of_workers_checks_the_configuration_without_importing_the_app() -> None:
    done = supervise("--model", "demo")
    assert done.returncode == 0, done.stderr
    banner, playground, started = done.stdout.splitlines()[-3:]
    assert "(model: offline demo model, workers: 2)" in banner
    assert (
        playground
        == "copilot-runtime: playground: open http://127.0.0.1:8000/api/copilotkit in a browser"
    )
    assert json.loads(started) == {
        "factory": "copilot_runtime.app.cli:app_from_environment",
        "workers": 2,
        "heavy": [],  # the workers import the app; the supervisor would hold ~115 MiB for nothing
    }


def test_supervisor_of_workers_refuses_a_bad_configuration_before_starting_them() -> None:
    done = supervise("--model", "demo", "--actions", "no_such_module:actions")
    assert done.returncode == 2
    assert "no_such_module" in done.stderr
    assert "factory" not in done.stdout
