"""Fixtures shared by every test package: the fake OpenAI server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.openai_server import FakeOpenAIServer, Text, serve_in_thread


@pytest.fixture(scope="session")
def fake_openai_session() -> Iterator[FakeOpenAIServer]:
    with serve_in_thread() as server:
        yield server


@pytest.fixture
def fake_openai(fake_openai_session: FakeOpenAIServer) -> Iterator[FakeOpenAIServer]:
    """The session's fake OpenAI server, with nothing scripted or recorded yet."""
    fake_openai_session.reset()
    fake_openai_session.default = Text()
    yield fake_openai_session
    fake_openai_session.reset()
