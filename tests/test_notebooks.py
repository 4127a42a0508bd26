"""The notebooks run top to bottom, offline, in a real kernel, so they cannot rot."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
OUR_PACKAGES = {"actions", "graphs", "app"}


def read(path: Path) -> Any:
    notebook: Any = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]  # untyped library
    return notebook


def code_cells(path: Path) -> list[str]:
    notebook = read(path)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def test_notebooks_are_named_by_number_and_topic_when_listed() -> None:
    assert len(NOTEBOOKS) >= 4
    assert all(re.fullmatch(r"\d\d-[a-z0-9-]+\.ipynb", path.name) for path in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_without_error_when_executed_offline(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The kernel inherits this environment: no key means the offline demo model, and no
    # display means matplotlib draws to files.
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = read(path)
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    assert not [output for output in outputs if output.get("output_type") == "error"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_is_committed_without_outputs_when_checked_in(path: Path) -> None:
    notebook = read(path)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_imports_our_code_only_from_package_surfaces_when_read(path: Path) -> None:
    for source in code_cells(path):
        # Top-level `await` is fine in a notebook but not in a module: parse it inside one.
        tree = ast.parse(
            "async def cell():\n" + "\n".join(f"    {line}" for line in source.split("\n"))
        )
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                top, _, rest = node.module.partition(".")
                assert top != "tests", f"{path.name} imports test code: {node.module}"
                if top in OUR_PACKAGES:
                    assert not rest, f"{path.name} imports {node.module}, not the package's surface"
