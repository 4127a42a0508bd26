"""The PostgreSQL database of the tests: COPILOT_TEST_DATABASE_URL, or its tests are skipped.

A machine without PostgreSQL still runs the rest of the suite; CI sets the variable (.ci/run),
so there the PostgreSQL tests always run.
"""

from __future__ import annotations

import os

import pytest

DATABASE_URL = os.environ.get("COPILOT_TEST_DATABASE_URL", "")
"""postgresql://... of a database the tests may write to (each test uses its own thread ids)."""

needs_postgres = pytest.mark.skipif(
    not DATABASE_URL,
    reason="needs PostgreSQL: set COPILOT_TEST_DATABASE_URL=postgresql://USER@HOST:PORT/DATABASE",
)
