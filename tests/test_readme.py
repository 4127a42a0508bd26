"""The README's Python snippets run as written: the files it names are written out, its apps
answer a run, and its in-process snippet runs as `python -m asyncio` or Jupyter runs it."""

from __future__ import annotations

import ast
import inspect
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.testing.test_user_example import readme_example

ROOT = Path(__file__).resolve().parents[1]
SNIPPET = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
FILE_NAME = re.compile(r"# ([\w/]+\.py)\b")
RUN = {
    "threadId": "t-readme", "runId": "r1", "state": {}, "tools": [], "context": [],
    "forwardedProps": {},
    "messages": [{"id": "u1", "role": "user", "content": "What is the name of user 42?"}],
}  # fmt: skip


def snippets() -> list[str]:
    return SNIPPET.findall((ROOT / "README.md").read_text())


def file_snippets() -> dict[str, str]:
    """The snippets that begin by naming their file, by file name."""
    named = {}
    for code in snippets():
        found = FILE_NAME.match(code)
        if found:
            named[found.group(1)] = code
    return named


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory holding the README's files, as the current directory and on sys.path."""
    for name, code in file_snippets().items():
        (tmp_path / name).write_text(code)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("COPILOT_THREADS_PATH", str(tmp_path / "threads.sqlite"))
    yield tmp_path
    for name in file_snippets():
        sys.modules.pop(name.removesuffix(".py"), None)


def in_process_snippet() -> str:
    """The snippet of the section "In process", for `python -m asyncio` or Jupyter."""
    readme = (ROOT / "README.md").read_text()
    found = SNIPPET.search(readme, readme.index("## In process"))
    assert found is not None
    return found.group(1)


def test_every_python_snippet_of_the_readme_is_run_by_a_test() -> None:
    assert {"my_actions.py", "my_app.py", "main.py"} <= set(file_snippets())
    for code in snippets():
        is_run_here = FILE_NAME.match(code) is not None or code == in_process_snippet()
        # The testing section's example runs as a user's pytest file there.
        is_run_elsewhere = code == readme_example()  # tests/testing/test_user_example.py
        assert is_run_here or is_run_elsewhere, code[:200]


@pytest.mark.parametrize(("module", "agent"), [("my_app", "research"), ("main", "default")])
async def test_each_app_of_the_readme_answers_a_run(module: str, agent: str, project: Path) -> None:
    namespace: dict[str, Any] = {}
    exec(compile((project / f"{module}.py").read_text(), f"{module}.py", "exec"), namespace)
    app = namespace["app"]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post(f"/api/copilotkit/agent/{agent}/run", json=RUN)
            health = await client.get("/health")
    frames = [json.loads(line[6:]) for line in response.text.splitlines() if line[:6] == "data: "]
    assert frames[-1]["type"] == "RUN_FINISHED"
    if module == "main":
        assert health.json() == {"status": "ok"}


async def test_the_in_process_snippet_runs_with_top_level_await(project: Path) -> None:
    compiled = compile(
        in_process_snippet(), "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    )
    namespace: dict[str, Any] = {}
    result = eval(compiled, namespace)  # what the asyncio REPL and Jupyter do with a cell
    if inspect.iscoroutine(result):
        await result
    assert namespace["run"].tool_calls  # the demo model called an action
    assert len(namespace["history"]) > 3
