"""Fixtures shared by every test package: the fake OpenAI server."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from tests.openai_server import FakeOpenAIServer, Text, serve_in_thread

_TEST_NUMBERS = itertools.count(1)


@pytest.fixture(scope="session")
def fake_openai_session() -> Iterator[FakeOpenAIServer]:
    with serve_in_thread() as server:
        yield server


@pytest.fixture
def fake_openai(fake_openai_session: FakeOpenAIServer) -> Iterator[FakeOpenAIServer]:
    """The session's fake OpenAI server, with nothing scripted or recorded yet.

    Each test gets its own base URL: langchain-openai caches one httpx client per base URL,
    bound to the event loop that first used it, and every test has its own loop.
    """
    fake_openai_session.reset()
    fake_openai_session.path_prefix = f"/test-{next(_TEST_NUMBERS)}"
    fake_openai_session.default = Text()
    yield fake_openai_session
    fake_openai_session.reset()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `live` call a real model: they need OPENAI_API_KEY, else they are skipped."""
    if os.environ.get("OPENAI_API_KEY"):
        return
    skip = pytest.mark.skip(reason="live: set OPENAI_API_KEY to call a real model")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)
