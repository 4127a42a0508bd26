"""The `copilot-runtime` command line: every setting a flag, bad values refused in one line,
and what the `serve` process does to itself before serving.

The served processes themselves (a busy port, a database that is down, the banner, --reload):
tests/e2e/test_serve_command.py."""

from __future__ import annotations

import gc
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI

from copilot_runtime import __version__
from copilot_runtime.app.cli import (
    GC_THRESHOLDS,
    app_from_environment,
    main,
    read_settings,
    settings_as_environment,
)
from copilot_runtime.app.settings import WORKERS_NEED_A_FILE, Settings
from tests.e2e.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
ACTIONS_MODULE = '''
from copilot_runtime.actions import action

@action
def get_weather(city: str) -> str:
    """The weather in a city.

    Args:
        city: The city.
    """
    return "sunny"

actions = [get_weather]
not_actions = [1, 2]
def two_arguments(first, second): return []
def no_list(context): return None
numbers = iter([get_weather])
'''


def help_text(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exited:
        read_settings(argv)
    assert exited.value.code == 0
    return capsys.readouterr().out


def test_every_setting_is_a_flag_and_an_environment_variable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = " ".join(help_text(capsys, "serve", "--help").split())  # unwrapped
    for name, field in Settings.model_fields.items():
        flag = "--" + name.replace("_", "-")
        unprefixed = name in ("database_url", "redis_url")  # the conventional names
        variable = name.upper() if unprefixed else f"COPILOT_{name.upper()}"
        assert re.search(rf"{flag}\b", text), flag
        assert f"[env: {variable}]" in text, variable
        assert field.description, f"{name} has no help text"


def test_help_is_written_for_the_people_who_run_the_server(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for text in (help_text(capsys, "--help"), help_text(capsys, "serve", "--help")):
        assert "CopilotKit" in text
        assert not re.search(r"issue|#\d|MiB|Hence|supervisor", text), text


def test_version_names_the_installed_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    assert help_text(capsys, "--version").strip() == f"copilot-runtime {__version__}"


def test_flags_win_over_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPILOT_PORT", "9000")
    monkeypatch.setenv("COPILOT_MODEL", "demo")
    assert read_settings(["serve"]).port == 9000
    settings = read_settings(["serve", "--port", "9001", "--no-rest-routes", "--reload"])
    assert (settings.port, settings.model, settings.rest_routes, settings.reload) == (
        9001,
        "demo",
        False,
        True,
    )


def test_the_flags_the_readme_names_are_read() -> None:
    settings = read_settings(
        ["serve", "--host", "0.0.0.0", "--port", "8100", "--base-path", "/copilot",
         "--actions", "my_actions:actions", "--model", "openai:gpt-4o-mini",
         "--temperature", "0.2", "--model-timeout", "30", "--model-retries", "4",
         "--workers", "2"]
    )  # fmt: skip
    assert settings.model_dump(include={"host", "port", "base_path", "actions", "model"}) == {
        "host": "0.0.0.0",
        "port": 8100,
        "base_path": "/copilot",
        "actions": "my_actions:actions",
        "model": "openai:gpt-4o-mini",
    }
    assert (settings.model_temperature, settings.model_timeout) == (0.2, 30)
    assert (settings.model_max_retries, settings.workers) == (4, 2)


@pytest.mark.parametrize(
    ("given", "origins"),
    [
        ("https://app.example", ["https://app.example"]),
        ("https://a.example, https://b.example", ["https://a.example", "https://b.example"]),
        ('["https://a.example"]', ["https://a.example"]),
        ("*", ["*"]),
    ],
)
def test_cors_origins_are_read_as_people_write_them(
    given: str, origins: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPILOT_CORS_ORIGINS", given)
    assert read_settings(["serve"]).cors_origins == origins
    monkeypatch.delenv("COPILOT_CORS_ORIGINS")
    assert read_settings(["serve", "--cors-origins", given]).cors_origins == origins


def test_settings_reach_the_server_processes_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    given = read_settings(
        ["serve", "--cors-origins", "https://a.example,https://b.example", "--no-rest-routes",
         "--database-url", "postgresql://app@db.example/threads", "--temperature", "0.5"]
    )  # fmt: skip
    for name, value in settings_as_environment(given).items():
        monkeypatch.setenv(name, value)
    assert Settings() == given


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user's project directory with an actions module, as the current directory."""
    (tmp_path / "project_actions.py").write_text(ACTIONS_MODULE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "environment", "line"),
    [
        (["--port", "80800"], {},
         "--port (COPILOT_PORT): Input should be less than or equal to 65535 (got '80800')"),
        (["--port", "0"], {}, "--port (COPILOT_PORT): Input should be greater than or equal to 1"),
        ([], {"COPILOT_MAX_STEPS": "many"},
         "--max-steps (COPILOT_MAX_STEPS): Input should be a valid integer"),
        (["--workers", "0"], {},
         "--workers (COPILOT_WORKERS): Input should be greater than or equal to 1 (got '0')"),
        ([], {"DATABASE_URL": "mysql://app:secret@db/threads"},
         "--database-url (DATABASE_URL): must be postgresql://... (for a SQLite file, set "
         "COPILOT_THREADS_PATH instead)"),
        (["--log-format", "xml"], {}, "--log-format (COPILOT_LOG_FORMAT): Input should be"),
        (["--reload", "--workers", "2"], {}, "--reload restarts one server process"),
        (["--actions", "project_actions"], {},
         "--actions (COPILOT_ACTIONS): takes MODULE:NAME (e.g. my_actions:actions), got "
         "'project_actions'"),
        (["--actions", "no_such_module:actions"], {},
         "--actions (COPILOT_ACTIONS): no module 'no_such_module' in"),
        (["--actions", "project_actions:missing"], {},
         "--actions (COPILOT_ACTIONS): module 'project_actions' has nothing named 'missing'"),
        (["--actions", "project_actions:action"], {},
         "--actions (COPILOT_ACTIONS): project_actions:action is the @action decorator itself"),
        (["--actions", "project_actions:get_weather"], {}, None),  # one action: served
        (["--actions", "project_actions:not_actions"], {},
         "--actions (COPILOT_ACTIONS): action '<actions generator>': 1 is neither an Action"),
        (["--actions", "project_actions:two_arguments"], {},
         "--actions (COPILOT_ACTIONS): project_actions:two_arguments is a function that cannot "
         "be called with the request's ActionContext"),
        (["--actions", "project_actions:no_list"], {},
         "--actions (COPILOT_ACTIONS): action '<actions generator>': returned None"),
        (["--actions", "project_actions:numbers"], {},
         "--actions (COPILOT_ACTIONS): project_actions:numbers is an iterator"),
        (["--actions", "project_actions:json"], {},
         "--actions (COPILOT_ACTIONS): project_actions:json is the module json; name a list"),
        (["--model", "nosuchprovider:model"], {}, "--model (COPILOT_MODEL): "),
    ],
)  # fmt: skip
def test_a_bad_value_is_refused_in_one_line_before_anything_starts(
    argv: list[str],
    environment: dict[str, str],
    line: str | None,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    (project / "project_actions.py").write_text(ACTIONS_MODULE + "import json\n")
    if line is None:  # accepted: refuse something later to stop before serving
        argv = [*argv, "--model", "nosuchprovider:model"]
        line = "--model (COPILOT_MODEL): "
    status = main(["serve", "--port", str(free_port()), "--model", "demo", *argv])
    err = capsys.readouterr().err
    assert status == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"copilot-runtime: {line}"), err
    assert "secret" not in err
    assert not list(project.glob("**/*.sqlite"))  # no thread store was opened


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


def supervise(*args: str, threads: str) -> subprocess.CompletedProcess[str]:
    """`copilot-runtime serve --workers 2 ARGS` up to the point where workers would start."""
    return subprocess.run(
        [sys.executable, "-c", SUPERVISE, "serve", "--workers", "2", "--port", str(free_port()),
         *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env={**os.environ, "COPILOT_THREADS_PATH": threads},
    )  # fmt: skip


def test_supervisor_of_workers_checks_the_configuration_without_importing_the_app(
    tmp_path: Path,
) -> None:
    done = supervise("--model", "demo", threads=str(tmp_path / "threads.sqlite"))
    assert done.returncode == 0, done.stderr
    assert "  model:   offline demo model" in done.stderr
    assert "  workers: 2" in done.stderr
    assert "  playground: open http://127.0.0.1:" in done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {
        "factory": "copilot_runtime.app.cli:app_from_environment",
        "workers": 2,
        "heavy": [],  # the workers import the app; the supervisor would hold ~115 MiB for nothing
    }


def test_supervisor_of_workers_refuses_a_bad_configuration_before_starting_them(
    tmp_path: Path,
) -> None:
    threads = str(tmp_path / "threads.sqlite")
    done = supervise("--model", "demo", "--actions", "no_such_module:actions", threads=threads)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"copilot-runtime: --actions (COPILOT_ACTIONS): no module 'no_such_module' in {ROOT} "
        "or on PYTHONPATH"
    ]
    assert "factory" not in done.stdout


def test_workers_are_refused_in_one_line_when_threads_are_kept_in_memory() -> None:
    done = supervise("--model", "demo", threads=":memory:")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"copilot-runtime: {WORKERS_NEED_A_FILE}"]
    assert "factory" not in done.stdout
