"""Fixtures shared by every test package: the testing kit's (the fake OpenAI server)."""

from __future__ import annotations

import os

import pytest

pytest_plugins = ["copilot_runtime.testing.pytest_plugin"]

# A user's test file, run on its own by tests/testing/test_user_example.py, as a user runs it.
collect_ignore = ["user_project"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `live` call a real model: they need OPENAI_API_KEY, else they are skipped."""
    if os.environ.get("OPENAI_API_KEY"):
        return
    skip = pytest.mark.skip(reason="live: set OPENAI_API_KEY to call a real model")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)
