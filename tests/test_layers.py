"""The layering rule, checked on the source: actions <- graphs <- app, never upwards."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

import pytest

import actions
import app
import graphs

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    # actions knows nothing about HTTP, LangGraph or protocols
    "actions": ("graphs", "app", "langgraph", "fastapi", "starlette", "uvicorn", "ag_ui"),
    # graphs knows nothing about HTTP or FastAPI
    "graphs": ("app", "fastapi", "starlette", "uvicorn"),
    "app": (),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_downwards(package: str) -> None:
    offending = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN[package]
    ]
    assert offending == []


@pytest.mark.parametrize("module", [actions, graphs])
def test_public_surface_names_only_what_exists(module: ModuleType) -> None:
    # Ruff (RUF022) keeps __all__ sorted; this keeps it true.
    assert [name for name in module.__all__ if not hasattr(module, name)] == []


def test_layer_check_would_catch_an_upward_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from app.server import Server\nimport fastapi\n")
    assert imported_modules(sample) == {"app.server", "fastapi"}


def test_app_package_is_importable() -> None:
    assert app.__name__ == "app"
