"""The layering rule, checked on the source: actions <- graphs <- app <- testing, never upwards."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import copilot_runtime
from copilot_runtime import actions, app, graphs, testing
from copilot_runtime.testing import fake_openai

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "copilot_runtime"
TESTING_KIT = f"{PACKAGE}.testing"
FORBIDDEN = {
    # actions knows nothing about HTTP, LangGraph or protocols
    "actions": (
        f"{PACKAGE}.graphs",
        f"{PACKAGE}.app",
        TESTING_KIT,
        "langgraph",
        "fastapi",
        "starlette",
        "uvicorn",
        "ag_ui",
    ),
    # graphs knows nothing about HTTP or FastAPI
    "graphs": (f"{PACKAGE}.app", TESTING_KIT, "fastapi", "starlette", "uvicorn"),
    # the testing kit sits above the layers it tests
    "app": (TESTING_KIT,),
}
OLD_TOP_LEVEL = ("app", "graphs", "actions")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def upward_imports(package: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in sorted(imported_modules(path))
        if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN[package])
    ]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_downwards(package: str) -> None:
    assert upward_imports(package) == []


@pytest.mark.parametrize(
    "folder", ["actions", "graphs", "app", "copilot_runtime/testing", "tests", "benchmarks"]
)
def test_code_imports_the_package_by_its_one_name(folder: str) -> None:
    # A bare `app`, `graphs` or `actions` would be whichever such package is first on the path:
    # a user's own app/ package, say.
    bare = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "node_modules" not in path.parts and ".peers" not in path.parts
        for name in imported_modules(path)
        if name.split(".")[0] in OLD_TOP_LEVEL
    ]
    assert bare == []


@pytest.mark.parametrize("module", [copilot_runtime, actions, graphs, testing, fake_openai])
def test_public_surface_names_only_what_exists(module: ModuleType) -> None:
    # Ruff (RUF022) keeps __all__ sorted; this keeps it true.
    assert [name for name in module.__all__ if not hasattr(module, name)] == []


def test_layer_check_catches_an_upward_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "graphs").mkdir()
    (tmp_path / "graphs" / "sneaky.py").write_text(
        "from copilot_runtime.app.server import Server\nimport fastapi\n"
    )
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert upward_imports("graphs") == [
        "graphs/sneaky.py imports copilot_runtime.app.server",
        "graphs/sneaky.py imports fastapi",
    ]


def test_the_testing_kit_imports_no_test_runner() -> None:
    # A user's app may import the kit without pytest installed; only its pytest plugin needs it.
    script = (
        "import sys, copilot_runtime.testing, copilot_runtime.testing.fake_openai\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pytest', '_pytest')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]"


def test_subpackages_are_importable_under_the_one_name() -> None:
    assert (app.__name__, graphs.__name__, actions.__name__) == (
        "copilot_runtime.app",
        "copilot_runtime.graphs",
        "copilot_runtime.actions",
    )
