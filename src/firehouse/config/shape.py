"""Checks of a TOML document's shape, shared by every part of the config."""

from __future__ import annotations

from typing import Any


def table(value: Any, key: str) -> dict:
    """`value` as a table, or ValueError naming `[key]`."""
    if not isinstance(value, dict):
        raise ValueError(f"[{key}] must be a table")
    return value


def no_unknown(found: dict, known, *, where: str) -> None:
    """ValueError naming the first key of `found` that is not `known`; `where` ends with a dot."""
    unknown = sorted(set(found) - set(known))
    if unknown:
        raise ValueError(f"unknown key {where}{unknown[0]!r} (known keys: {', '.join(known)})")
