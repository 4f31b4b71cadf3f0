"""A throwaway PostgreSQL server on 127.0.0.1 for the tests that prove Firehouse runs on it."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _binaries() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_STOP: dict[str, Callable[[], None]] = {}  # each running server's stop, by its URL


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a private cluster and yield its SQLAlchemy URL; PostgreSQL refuses to run as root, so as root
    the cluster runs as the `postgres` user."""
    binaries = _binaries()
    if binaries is None:
        raise FileNotFoundError("PostgreSQL is not installed (no initdb)")
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = Path(tempfile.mkdtemp(prefix="firehouse-pg-"))
    if as_postgres:
        shutil.chown(data, "postgres", "postgres")
    port = _free_port()
    run = lambda *args: subprocess.run([*as_postgres, *args], check=True, capture_output=True, text=True)  # noqa: E731
    run(str(binaries / "initdb"), "-D", str(data / "db"), "-A", "trust", "-U", "firehouse", "--no-sync")
    run(str(binaries / "pg_ctl"), "-D", str(data / "db"), "-l", str(data / "log"), "-w", "-o",
        f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    url = f"postgresql+psycopg://firehouse@127.0.0.1:{port}/postgres"
    # Stopping twice is harmless: a test may have stopped it already, as an outage (`outage`).
    _STOP[url] = lambda: subprocess.run([*as_postgres, str(binaries / "pg_ctl"), "-D", str(data / "db"), "-m",
                                         "immediate", "stop"], capture_output=True)
    try:
        yield url
    finally:
        _STOP.pop(url)()
        shutil.rmtree(data, ignore_errors=True)


@contextmanager
def server_or_skip() -> Iterator[str]:
    """`postgres_server`, or the test skipped where PostgreSQL is not installed, except in CI, where it must be."""
    try:
        with postgres_server() as url:
            yield url
    except FileNotFoundError as missing:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(missing))


def outage(url: str) -> None:
    """Stop the server at `url` now, as an outage would: every connection is refused from then on."""
    _STOP[url]()


def new_database(server: str) -> Iterator[str]:
    """A new, empty database of its own on the test server, its URL yielded; dropped afterwards."""
    from uuid import uuid4

    from sqlalchemy import create_engine, make_url

    name = f"firehouse_{uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.dispose()
