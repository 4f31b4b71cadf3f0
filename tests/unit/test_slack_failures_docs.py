"""docs/slack-failures.md says what the code does: each of Slack's errors in the row of its class, and the
superseding table as the outbox applies it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from firehouse.slack import failures
from firehouse.slack.outbox import SUPERSEDES

PAGE = (Path(__file__).parents[2] / "docs" / "slack-failures.md").read_text()


def row(first_cell: str) -> str:
    [found] = [line for line in PAGE.splitlines() if line.startswith(f"| {first_cell} |")]
    return found


@pytest.mark.parametrize(("cell", "codes"), [
    ("transient", failures.TRANSIENT),
    ("repairable", failures.REPAIRABLE),
    ("needs a person: the channel", failures.DESTINATION),
    ("needs a person: the bot", failures.WORKSPACE),
    ("permanent for this message", failures.PERMANENT),
])
def test_every_error_of_the_table_is_in_the_row_of_its_class(cell, codes):
    listed = set(re.findall(r"`([a-z_]+)`", row(cell).split("|")[3]))
    assert listed - {"not_in_channel"} == set(codes) - {"not_in_channel"}


def test_the_superseding_table_is_the_outboxs():
    shown = {}
    for kind, kinds in re.findall(r"^\| `(\w+)`[^|]*\| ([^|]+) \|$", PAGE, re.MULTILINE):
        shown[kind] = frozenset(re.findall(r"`(\w+)`", kinds))
    assert shown == SUPERSEDES
