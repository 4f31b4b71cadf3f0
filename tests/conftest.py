"""Fixtures shared by every test folder."""

from __future__ import annotations

import pytest
from pgserver import server_or_skip


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server; skipped where none is installed, except in CI, where it must be there."""
    with server_or_skip() as url:
        yield url
