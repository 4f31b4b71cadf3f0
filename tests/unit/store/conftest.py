"""The store's tests run on both databases Firehouse supports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pgserver import new_database
from sqlalchemy.engine import Engine

from firehouse.store import make_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path) -> Iterator[Engine]:
    """A store at this release's schema: a new SQLite file, or a new database on the test PostgreSQL server."""
    if request.param == "postgresql":
        yield from postgres_engine(request.getfixturevalue("postgres_url"))
        return
    engine = make_engine(f"sqlite:///{tmp_path / 'firehouse.db'}")
    yield engine
    engine.dispose()


def postgres_engine(server: str) -> Iterator[Engine]:
    """A store at this release's schema in a new database on `server`, disposed of after."""
    for url in new_database(server):
        engine = make_engine(url)
        yield engine
        engine.dispose()
