"""The README's testing example passes when run as a user runs it: its own project, pytest."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "tests" / "user_project" / "test_weather.py"
SECTION = "## Testing your actions and graphs"


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index(SECTION) :]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None, "the README's testing section has no python example"
    return found.group(1)


def test_readme_shows_the_example_file_that_is_run() -> None:
    assert readme_example() == EXAMPLE.read_text()


def test_example_passes_in_a_project_of_its_own(tmp_path: Path) -> None:
    # Only the installed package: not this repository's conftest, settings or tests package.
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_weather.py").write_text(readme_example())
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OPENAI_API_KEY")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_weather.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "3 passed" in done.stdout
