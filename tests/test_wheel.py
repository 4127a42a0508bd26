"""The wheel built from this checkout installs one top-level package, `copilot_runtime`, and
works beside a user's project that has packages named `app`, `actions` and `graphs` of its own
(the usual FastAPI layout), served by uvicorn as the user serves it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
USER_PROJECT = {
    "app/__init__.py": "",
    "app/db.py": """
USERS = {"42": "Darth Doe"}


def user_name(user_id: str) -> str:
    return USERS.get(user_id, "nobody")
""",
    "actions/__init__.py": '''
from copilot_runtime import action

from app.db import user_name


@action
def fetchNameForUserId(userId: str) -> dict[str, str]:
    """Fetches user name from the database for a given ID.

    Args:
        userId: The ID of the user to fetch data for.
    """
    return {"name": user_name(userId)}


user_actions = [fetchNameForUserId]
''',
    "graphs/__init__.py": 'OWNER = "the user"\n',
    "app/main.py": """
import actions
import app.db
import copilot_runtime
import graphs
from fastapi import FastAPI

from copilot_runtime import CopilotRuntime, add_copilotkit_endpoint

app = FastAPI()
add_copilotkit_endpoint(
    app, CopilotRuntime(actions=actions.user_actions, model="demo"), "/api/copilotkit"
)


@app.get("/where")
def where() -> dict[str, str]:
    modules = {"runtime": copilot_runtime, "app": app_package(), "actions": actions}
    return {name: module.__file__ or "" for name, module in modules.items()} | {
        "graphs": graphs.OWNER
    }


def app_package():
    import app as package

    return package
""",
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of the checkout's tracked files, as a fresh clone would build it."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        if (ROOT / name).exists() or (ROOT / name).is_symlink():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name, follow_symlinks=False)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(out), str(source)],
        check=True, capture_output=True,
    )  # fmt: skip
    [built] = out.glob("copilot_runtime-*.whl")
    return built


def test_the_wheel_installs_one_top_level_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if ".dist-info/" not in name}
    assert top_level == {"copilot_runtime"}
    for layer in ("app/main.py", "graphs/agent.py", "actions/model.py"):
        assert f"copilot_runtime/{layer}" in names
    assert "copilot_runtime/app/protocols/graphql/schema.graphql" in names


def test_the_wheel_serves_beside_a_project_with_its_own_app_actions_and_graphs(
    wheel: Path, tmp_path: Path
) -> None:
    installed, project = tmp_path / "site", tmp_path / "project"
    zipfile.ZipFile(wheel).extractall(installed)
    for name, text in USER_PROJECT.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    port = free_port()
    environment = {**os.environ, "PYTHONPATH": str(installed)}
    environment["COPILOT_THREADS_PATH"] = str(tmp_path / "threads.sqlite")
    environment.pop("OPENAI_API_KEY", None)
    log = tmp_path / "uvicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)],
            cwd=project, env=environment, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        where = _wait_for(f"{base}/where", server, log)
        body = {
            "threadId": "t1", "runId": "r1", "state": {}, "tools": [], "context": [],
            "forwardedProps": {},
            "messages": [{"id": "u1", "role": "user", "content": "What is the name of user 42?"}],
        }  # fmt: skip
        ran = httpx.post(f"{base}/api/copilotkit/agent/default/run", json=body, timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert where["runtime"] == str(installed / "copilot_runtime" / "__init__.py")
    assert where["app"] == str(project / "app" / "__init__.py")
    assert where["actions"] == str(project / "actions" / "__init__.py")
    assert where["graphs"] == "the user"
    frames = [json.loads(line[6:]) for line in ran.text.splitlines() if line[:6] == "data: "]
    results = [json.loads(f["content"]) for f in frames if f["type"] == "TOOL_CALL_RESULT"]
    assert results == [{"name": "Darth Doe"}]  # the user's action, reading the user's app.db
    assert frames[-1]["type"] == "RUN_FINISHED"


def _wait_for(url: str, server: subprocess.Popen[bytes], log: Path) -> dict[str, str]:
    deadline = time.monotonic() + 60
    while True:
        assert server.poll() is None, log.read_text()
        try:
            answer: dict[str, str] = httpx.get(url, timeout=2).json()
            return answer
        except httpx.TransportError:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
