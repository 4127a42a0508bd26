"""pytest fixtures of the testing kit; enable them in a conftest.py:

    pytest_plugins = ["copilot_runtime.testing.pytest_plugin"]

`fake_openai`: the fake OpenAI-compatible server (one per test session, in a thread of its
own), with nothing scripted or recorded when the test starts.

This is the only module of the kit that imports pytest; `copilot_runtime.testing` itself does
not.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from copilot_runtime.testing.fake_openai import FakeOpenAIServer, Text, serve_in_thread

_TEST_NUMBERS = itertools.count(1)


@pytest.fixture(scope="session")
def fake_openai_session() -> Iterator[FakeOpenAIServer]:
    """The session's fake OpenAI server, as it is (prefer `fake_openai`)."""
    with serve_in_thread() as server:
        yield server


@pytest.fixture
def fake_openai(fake_openai_session: FakeOpenAIServer) -> Iterator[FakeOpenAIServer]:
    """The fake OpenAI server with nothing scripted or recorded; its default reply is `Text()`.

    Each test gets its own base URL (`server.base_url`): langchain-openai caches one HTTP
    client per base URL, bound to the event loop that first used it, and every async test has
    a loop of its own.
    """
    fake_openai_session.reset()
    fake_openai_session.path_prefix = f"/test-{next(_TEST_NUMBERS)}"
    fake_openai_session.default = Text()
    yield fake_openai_session
    fake_openai_session.reset()
