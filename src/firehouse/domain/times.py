"""Moments people type (`2026-11-23T14:05Z`, `30m ago`) and the durations the summary reports."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from firehouse.errors import echo

_AGO = re.compile(r"^(\d+)\s*(s|m|h|d)\s+ago$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_moment(text: str, *, now: datetime) -> datetime:
    """An ISO 8601 time (UTC unless it says otherwise) or `<n>[smhd] ago`; never in the future."""
    text = text.strip()
    match = _AGO.match(text)
    if match:
        moment = now - timedelta(**{_UNITS[match[2].lower()]: int(match[1])})
    else:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"`{echo(text)}` is not a time like 2026-11-23T14:05Z or 30m ago") from None
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment > now + timedelta(minutes=1):
        raise ValueError("that time is in the future")
    return moment


def stamp(moment: datetime) -> str:
    """`2026-11-23 14:05 UTC`: how Firehouse shows a moment, whatever offset it came with."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def hhmm(moment: datetime) -> str:
    """`14:05 UTC`: a moment within the day, for next-update times."""
    return f"{moment.astimezone(UTC):%H:%M} UTC"


def duration(start: datetime | None, end: datetime | None) -> str:
    """`1h 05m`, `3d 2h` or `42s`; `-` when either end is unknown."""
    if start is None or end is None:
        return "-"
    return span(end - start)


def span(delta: timedelta) -> str:
    """How long `delta` is, as `duration` shows it: `1h 05m`, `3d 2h`, `6m` or `42s` (nothing below zero)."""
    seconds = max(0, int(delta.total_seconds()))
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m" if minutes else f"{seconds}s"
