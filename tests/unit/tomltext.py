"""Settings from TOML text, for the tests of each settings table: what it reads as, the one line that refuses it,
and the same text with one key changed."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping

import pytest

from firehouse.config.file import validate


def parsed(text: str, *, secrets: Mapping[str, str] | None) -> dict:
    return validate(tomllib.loads(text), secrets=secrets)


def refusal(text: str, *, secrets: Mapping[str, str] | None) -> str:
    with pytest.raises(ValueError) as refused:
        parsed(text, secrets=secrets)
    return str(refused.value)


def changed(text: str, key: str, value: str | None) -> str:
    """`text` with `key = …` set to `value` (added after the first table header if absent; None: removed)."""
    lines = text.strip("\n").split("\n")
    at = next((i for i, line in enumerate(lines) if line.split(" = ")[0] == key), None)
    if value is None:
        return "\n".join(line for i, line in enumerate(lines) if i != at) + "\n"
    if at is None:
        lines.insert(1, f"{key} = {value}")
    else:
        lines[at] = f"{key} = {value}"
    return "\n".join(lines) + "\n"
