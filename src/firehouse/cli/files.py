"""What the read-only commands share: an existing database, where output goes, and `--since`/`--until`."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from firehouse.errors import FirehouseError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def write(text: str, output: Path | None) -> str:
    """Write to `output`, or standard output; returns where it went, for the closing line."""
    if output is None:
        sys.stdout.write(text)
        return "standard output"
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as err:
        raise FirehouseError(f"cannot write {output}: {err.strerror}") from None
    return str(output)


def existing_store(url: str, *, current: bool = True) -> Engine:
    """An engine for a database that exists (at this release's schema unless not `current`): a read-only command
    (render, export, db current) never creates or upgrades one."""
    from firehouse.store import make_engine, migrate
    from firehouse.store.database import sqlite_file

    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise FirehouseError(f"no database at {path.resolve()}")
    engine = make_engine(url, upgrade=False)
    revision = migrate.current(engine)
    if current and not revision.up_to_date:
        raise FirehouseError(f"the database is not at this release's schema (found {revision}, this release needs"
                             f" revision {revision.head}): run `firehouse db upgrade` first")
    return engine


def moment(text: str) -> datetime:
    """`--since` or `--until`: a date (midnight UTC) or an ISO datetime (UTC when it names no offset), as UTC."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime.combine(day, time(), tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD) or an ISO datetime") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
