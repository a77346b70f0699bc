"""Schedules' tests: the saved functions' fixtures, and a clock that schedules are set at."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from tests.functions.conftest import alice_fn, bob_fn, fake_runner  # noqa: F401  (fixtures)

T0 = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)

# Tests that need PostgreSQL run when the suite runs on it (`make test-postgres`, TEST_SERVICES=1).
on_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="PostgreSQL only: make test-postgres (TEST_SERVICES=1)",
)
