"""Fixtures shared by every test folder."""

from __future__ import annotations

import os

import pytest
from pgserver import postgres_server


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server; skipped where none is installed, except in CI, where it must be there."""
    try:
        with postgres_server() as url:
            yield url
    except FileNotFoundError as missing:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(missing))
