"""The `copilot-runtime` command: `serve` starts the server.

With `--workers N` this process only supervises the workers, each of which builds its own app.
It checks the configuration in a short-lived child process and never imports the app itself:
LangChain, LangGraph and the openai SDK are ~115 MiB that a supervisor would hold for nothing
(issue #7). Hence the imports inside functions.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import multiprocessing
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

import uvicorn

from copilot_runtime.app.settings import Settings
from copilot_runtime.app.workers import serve_workers

if TYPE_CHECKING:
    from fastapi import FastAPI

    from copilot_runtime.app.runtime import CopilotRuntime

GC_THRESHOLDS = (20_000, 20, 100)
"""gc.set_threshold for the server process (see tune_garbage_collector)."""
BACKLOG = 4096
"""Pending connections the listening socket queues (uvicorn's default is 2048)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run it."""
    parser = argparse.ArgumentParser(prog="copilot-runtime", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve CopilotKit clients over HTTP")
    serve.add_argument("--host", help="interface (COPILOT_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (COPILOT_PORT, default 8000)")
    serve.add_argument(
        "--base-path", help="URL prefix (COPILOT_BASE_PATH, default /api/copilotkit)"
    )
    serve.add_argument(
        "--actions", help="MODULE:ATTR, a list of actions or a generator (COPILOT_ACTIONS)"
    )
    serve.add_argument("--model", help='"demo", "provider:model" or a model name (COPILOT_MODEL)')
    serve.add_argument(
        "--workers", type=int, help="worker processes sharing the port (COPILOT_WORKERS, default 1)"
    )
    serve.add_argument(
        "--temperature",
        dest="model_temperature",
        type=float,
        help="sampling temperature of a real model (COPILOT_MODEL_TEMPERATURE)",
    )
    serve.add_argument(
        "--model-timeout", type=float, help="seconds per model request (COPILOT_MODEL_TIMEOUT)"
    )
    serve.add_argument(
        "--model-retries",
        dest="model_max_retries",
        type=int,
        help="retries of a model request answered 429/5xx (COPILOT_MODEL_MAX_RETRIES)",
    )
    args = parser.parse_args(argv)
    overrides = {
        key: value for key, value in vars(args).items() if key != "command" and value is not None
    }
    settings = Settings(**overrides)
    configure_logging(settings.log_level)
    if settings.workers > 1:
        # Each worker builds its own app from the environment; threads live in the shared
        # checkpointer (the SQLite file or PostgreSQL), so any worker can serve any thread,
        # and each accepts connections from its own socket (app/workers.py).
        for key, value in overrides.items():
            os.environ[f"COPILOT_{key.upper()}"] = str(value)
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as checker:
            label, problem = checker.submit(_check_environment).result()
    else:
        runtime, problem = _runtime_or_problem(settings)
        label = runtime.model_label if runtime is not None else ""
    if problem is not None:
        print(f"copilot-runtime: {problem}", file=sys.stderr)  # noqa: T201
        return 2
    print(  # noqa: T201
        f"copilot-runtime: serving http://{settings.host}:{settings.port}"
        f"{settings.normalized_base_path} (model: {label}, workers: {settings.workers})",
        flush=True,
    )
    if settings.playground and settings.rest_routes:
        url = f"http://{settings.host}:{settings.port}{settings.normalized_base_path}"
        print(f"copilot-runtime: playground: open {url} in a browser", flush=True)  # noqa: T201
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level.lower(),
        "backlog": BACKLOG,
    }
    if settings.workers > 1:
        serve_workers(
            "copilot_runtime.app.cli:app_from_environment", workers=settings.workers, **options
        )
    else:
        from copilot_runtime.app.main import create_app

        assert runtime is not None
        app = create_app(runtime, settings)
        tune_garbage_collector()
        uvicorn.run(app, **options)
    return 0


def configure_logging(level: str) -> None:
    """The process's logging; only the command line calls it (embedding apps keep their own)."""
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def app_from_environment() -> FastAPI:
    """The app a worker process serves, configured by COPILOT_* variables (`--workers`)."""
    from copilot_runtime.app.main import create_app

    settings = Settings()
    configure_logging(settings.log_level)
    app = create_app(_runtime(settings), settings)
    tune_garbage_collector()
    return app


def _check_environment() -> tuple[str, str | None]:
    """In a child process: the model's label, or what is wrong, with the workers' settings."""
    runtime, problem = _runtime_or_problem(Settings())
    return (runtime.model_label if runtime is not None else ""), problem


def _runtime_or_problem(settings: Settings) -> tuple[CopilotRuntime | None, str | None]:
    """The runtime, or what in the configuration prevents it (a model, actions, a value)."""
    from copilot_runtime.graphs import ModelConfigurationError

    try:
        return _runtime(settings), None
    except (ModelConfigurationError, ImportError, AttributeError, ValueError) as error:
        return None, str(error)


def tune_garbage_collector() -> None:
    """Keep start-up objects out of the cyclic collector's way, and run it less often.

    The imports (LangChain, LangGraph, the openai SDK, pydantic models) leave ~200k objects
    that live as long as the process, and every full collection walked all of them: ~120 ms
    of CPU, a pause every open stream shares, about every 50 runs of a 200-token chat
    (2.4 ms per run, issue #7). Frozen, they are never walked; new objects are collected as
    before.

    The thresholds: a streamed run keeps its chunks, messages and callbacks alive for as long
    as it streams, so with the default 700 allocations between young collections those objects
    survived two collections and were promoted, and the older generations filled up and were
    walked again and again. With 120 streams paced at 50 tokens/s the collector took ~2.9 ms
    of CPU per run (~12%) with pauses up to ~115 ms; with (20000, 20, 100) ~0.5 ms per run,
    and most run objects are freed by their reference counts before a collection sees them.
    Only the server process does this: an app embedding `create_app` keeps its own GC.
    """
    gc.collect()  # start-up garbage is freed rather than frozen
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _runtime(settings: Settings) -> CopilotRuntime:
    from copilot_runtime.app.runtime import CopilotRuntime

    return CopilotRuntime(
        actions=load_actions(settings.actions) if settings.actions else _examples(),
        model=settings.model,
        model_options=settings.model_options(),
        instructions=settings.instructions,
        max_steps=settings.max_steps,
        durability=settings.durability,
    )


def load_actions(spec: str) -> Any:
    """Import `MODULE:ATTR` from the current directory or PYTHONPATH."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"--actions takes MODULE:ATTR, got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)
    return getattr(module, attribute)


def _examples() -> Any:
    from copilot_runtime.actions.examples import example_actions

    return example_actions


if __name__ == "__main__":
    raise SystemExit(main())
