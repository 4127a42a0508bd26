"""The `copilot-runtime` command: `serve` starts the server, every setting is one of its flags.

The flags are the fields of Settings, read by pydantic-settings' command-line source: a field
added there is a flag (and an environment variable) with nothing to write here, and its
docstring is the flag's help. A bad value, a port in use or a database that does not answer
is one line on stderr and exit status 2, before anything is served.

With `--workers N` (or `--reload`) this process only supervises the server processes, each of
which builds its own app from the environment. With workers it checks the configuration in a
short-lived child process and never imports the app itself: LangChain, LangGraph and the openai
SDK are ~115 MiB that a supervisor would hold for nothing. Hence the imports inside functions.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import uvicorn
from pydantic import ValidationError
from pydantic_settings import CliSettingsSource

from copilot_runtime import __version__
from copilot_runtime.app.banner import banner
from copilot_runtime.app.logs import configure_logging
from copilot_runtime.app.preflight import StartupError, check_thread_store, open_listener
from copilot_runtime.app.settings import Settings
from copilot_runtime.app.workers import serve_workers

if TYPE_CHECKING:
    from fastapi import FastAPI

    from copilot_runtime.app.runtime import CopilotRuntime

PROG = "copilot-runtime"
APP_FACTORY = "copilot_runtime.app.cli:app_from_environment"
GC_THRESHOLDS = (20_000, 20, 100)
"""gc.set_threshold for the server process (see tune_garbage_collector)."""
BACKLOG = 4096
"""Pending connections the listening socket queues (uvicorn's default is 2048)."""
SHORTCUTS = {"model-temperature": "temperature", "model-max-retries": "model-retries"}
"""Shorter names some flags also answer to."""
DESCRIPTION = (
    "A Python runtime for CopilotKit apps: your backend actions, run by a LangGraph agent, "
    "served to CopilotKit clients over every CopilotKit protocol."
)
SERVE_HELP = "start the server"
SERVE_DESCRIPTION = """\
Serve CopilotKit clients over HTTP. With no options: the example actions, the
offline demo model (or OpenAI when OPENAI_API_KEY is set), and threads kept in
a local SQLite file."""
SERVE_EPILOG = """\
Every option can also be set by the environment variable shown with it; a flag
wins over its variable. For example:
  copilot-runtime serve --actions my_actions:actions --model openai:gpt-4o-mini
"""
EXIT_REFUSED = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the exit status."""
    try:
        settings = read_settings(argv)
    except ValidationError as error:
        return _refuse([_problem(detail) for detail in error.errors(include_url=False)])
    try:
        return serve(settings)
    except StartupError as error:
        return _refuse([str(error)])


class _OneLineParser(argparse.ArgumentParser):
    """argparse, with its usage errors on one line."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_REFUSED, f"{self.prog}: {message} (see {self.prog} --help)\n")


def read_settings(argv: Sequence[str] | None = None) -> Settings:
    """The settings of `serve`: its flags over the environment over the defaults.

    Raises:
        ValidationError: a value is not allowed.
        SystemExit: --help, --version, or a command line argparse cannot read.
    """
    parser = _OneLineParser(prog=PROG, description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_OneLineParser
    )
    serve_parser = commands.add_parser(
        "serve",
        help=SERVE_HELP,
        description=SERVE_DESCRIPTION,
        epilog=SERVE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source: CliSettingsSource[Settings] = CliSettingsSource(
        Settings,
        root_parser=serve_parser,
        cli_kebab_case=True,
        cli_implicit_flags=True,
        cli_hide_none_type=True,
        cli_avoid_json=True,
        cli_show_env_vars=True,
        cli_shortcuts=SHORTCUTS,
    )
    arguments = parser.parse_args(argv)
    return Settings(_cli_settings_source=source(parsed_args=arguments))


def serve(settings: Settings) -> int:
    """Check everything, say what is served, and serve it until stopped."""
    if settings.reload and settings.workers > 1:
        raise StartupError("--reload restarts one server process; leave out --workers with it")
    # Cheap checks first: a port in use or a database that does not answer is said at once,
    # before the model stack is imported.
    sock = open_listener(settings.host, settings.port, for_workers=settings.workers > 1)
    runtime: CopilotRuntime | None = None
    if settings.workers > 1 or settings.reload:
        # The server processes read their settings from the environment, as given here.
        os.environ.update(settings_as_environment(settings))
    try:
        if settings.workers > 1:
            model, actions = _check_in_child()
        else:
            check_thread_store(settings)
            runtime, actions = configured_runtime(settings)
            model = runtime.model_label
    except BaseException:
        sock.close()
        raise
    log_config = configure_logging(settings.log_level, settings.log_format)
    banner(settings, model=model, actions=actions).log()
    options: dict[str, Any] = {
        "log_config": log_config,
        "log_level": settings.log_level,
        "backlog": BACKLOG,
    }
    if settings.workers > 1:
        serve_workers(APP_FACTORY, workers=settings.workers, sock=sock, **options)
        return 0
    if settings.reload:
        _serve_reloading(settings, sock, options)
        return 0
    assert runtime is not None
    return _serve_in_process(runtime, settings, sock, options)


def _serve_in_process(
    runtime: CopilotRuntime, settings: Settings, sock: Any, options: dict[str, Any]
) -> int:
    from copilot_runtime.app.main import create_app

    app = create_app(runtime, settings)
    tune_garbage_collector()
    server = uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port, **options))
    server.run(sockets=[sock])
    return 0 if server.started else 3  # uvicorn's status for an app that failed to start


def _serve_reloading(settings: Settings, sock: Any, options: dict[str, Any]) -> None:
    """One server process, restarted when a Python file of the project or of the actions
    module changes (uvicorn's reloader; watchfiles makes it cheaper when installed)."""
    from uvicorn.supervisors import ChangeReload

    config = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        host=settings.host,
        port=settings.port,
        reload=True,
        reload_dirs=_watched_folders(settings.actions),
        **options,
    )
    server = uvicorn.Server(config)
    ChangeReload(config, target=server.run, sockets=[sock]).run()


def _watched_folders(actions: str | None) -> list[str]:
    folders = [os.getcwd()]
    if actions and ":" in actions:
        sys.path.insert(0, os.getcwd())
        spec = find_spec(actions.partition(":")[0])
        if spec is not None and spec.origin and spec.has_location:
            folder = str(Path(spec.origin).parent)
            if not folder.startswith(os.getcwd()):
                folders.append(folder)
    return folders


def settings_as_environment(settings: Settings) -> dict[str, str]:
    """The environment variables that give another process these settings."""
    values = settings.model_dump(mode="json", include=settings.model_fields_set)
    return {
        _environment_name(name): value if isinstance(value, str) else json.dumps(value)
        for name, value in values.items()
        if value is not None
    }


def app_from_environment() -> FastAPI:
    """The app a server process of `--workers` or `--reload` serves (COPILOT_* variables)."""
    from copilot_runtime.app.main import create_app

    settings = Settings()
    runtime, _ = configured_runtime(settings, is_checked=False)  # by the supervisor
    app = create_app(runtime, settings)
    tune_garbage_collector()
    return app


def configured_runtime(
    settings: Settings, *, is_checked: bool = True
) -> tuple[CopilotRuntime, str]:
    """The runtime the settings describe, and what the banner says of its actions
    (`is_checked=False`: the actions are imported, not checked; see load_actions).

    Raises:
        StartupError: the actions or the model cannot be served.
    """
    from copilot_runtime.actions import ActionDefinitionError
    from copilot_runtime.app.actions_source import ActionsSourceError, LoadedActions, load_actions
    from copilot_runtime.app.runtime import CopilotRuntime
    from copilot_runtime.graphs import ModelConfigurationError

    try:
        if settings.actions:
            loaded = load_actions(settings.actions, is_checked=is_checked)
            actions = f"{settings.actions}, {loaded.description}"
        else:
            from copilot_runtime.actions.examples import example_actions

            loaded = LoadedActions(example_actions, "")
            actions = "the example actions (set --actions MODULE:NAME to serve yours)"
    except (ActionsSourceError, ActionDefinitionError) as error:
        raise StartupError(f"--actions ({_environment_name('actions')}): {error}") from None
    try:
        runtime = CopilotRuntime(
            actions=loaded.source,
            model=settings.model,
            model_options=settings.model_options(),
            instructions=settings.instructions,
            max_steps=settings.max_steps,
            durability=settings.durability,
            model_timeout=settings.model_timeout,
            action_timeout=settings.action_timeout,
            action_threads=settings.action_threads,
        )
    except ModelConfigurationError as error:
        raise StartupError(f"--model ({_environment_name('model')}): {error}") from None
    return runtime, actions


def _check_in_child() -> tuple[str, str]:
    """The model label and actions description, found in a child process (which imports the
    model stack so that this one need not)."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as checker:
        model, actions, problem = checker.submit(_check_environment).result()
    if problem is not None:
        raise StartupError(problem)
    return model, actions


def _check_environment() -> tuple[str, str, str | None]:
    """In the child: what `_check_in_child` returns, or the problem, with the same settings
    the server processes will have."""
    try:
        settings = Settings()
        check_thread_store(settings)
        runtime, actions = configured_runtime(settings)
    except StartupError as error:
        return "", "", str(error)
    return runtime.model_label, actions, None


def tune_garbage_collector() -> None:
    """Keep start-up objects out of the cyclic collector's way, and run it less often.

    The imports (LangChain, LangGraph, the openai SDK, pydantic models) leave ~200k objects
    that live as long as the process, and every full collection walked all of them: ~120 ms
    of CPU, a pause every open stream shares, about every 50 runs of a 200-token chat
    (2.4 ms per run). Frozen, they are never walked; new objects are collected as
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


def _problem(detail: Any) -> str:
    """One line for one bad value: the flag, its variable, what is allowed, what was given."""
    name = str(detail["loc"][0]) if detail["loc"] else ""
    message = str(detail["msg"]).removeprefix("Value error, ")
    if name not in Settings.model_fields:
        return message
    given = detail.get("input")
    secret = name in ("database_url", "redis_url")  # URLs that may carry a password
    shown = "" if secret or isinstance(given, dict) else f" (got {given!r})"
    flag = "--" + name.replace("_", "-")
    return f"{flag} ({_environment_name(name)}): {message}{shown}"


def _environment_name(name: str) -> str:
    alias = Settings.model_fields[name].validation_alias
    if isinstance(alias, str):
        return alias.upper()
    prefix = str(Settings.model_config.get("env_prefix", ""))
    return f"{prefix}{name}".upper()


def _refuse(problems: list[str]) -> int:
    for problem in problems:
        print(f"{PROG}: {problem}", file=sys.stderr)  # noqa: T201
    return EXIT_REFUSED


if __name__ == "__main__":
    raise SystemExit(main())
