"""`/incident firebreak`: show, pull, lift or record, and the refusals with the form."""

import pytest
from unit.commands.reading import p, refused

from firehouse.commands.containment import LiftFirebreak, PullFirebreak, RecordFirebreak, ShowFirebreaks
from firehouse.domain.model import MAX_TEXT


# firebreak

FIREBREAK_FORM = "/incident firebreak [<name> [note] | lift <name|#n> [note] | record <kind> <target> [note]]"
KINDS = "kill-switch, rollback, fallback-human, degrade, rate-limit, tool-disable, traffic-split"


@pytest.mark.parametrize(("text", "expected"), [
    ("firebreak", ShowFirebreaks()),
    ("firebreak Kill-Chat", PullFirebreak("kill-chat", "")),
    ("firebreak kill_chat9   paging <!here> {{ x }} ", PullFirebreak("kill_chat9", "paging <!here> {{ x }}")),
    ("firebreak " + "n" * 40, PullFirebreak("n" * 40, "")),
    ("firebreak LIFT #3  all clear", LiftFirebreak("#3", "all clear")),
    ("firebreak lift kill-chat", LiftFirebreak("kill-chat", "")),
    ("firebreak record Rollback prompt-v12  done by hand ", RecordFirebreak("rollback", "prompt-v12", "done by hand")),
    ("firebreak RECORD tool-disable refunds", RecordFirebreak("tool-disable", "refunds", "")),
    ("firebreak record degrade " + "t" * 200, RecordFirebreak("degrade", "t" * 200, "")),
    ("firebreak kill " + "n" * MAX_TEXT, PullFirebreak("kill", "n" * MAX_TEXT)),
])
def test_firebreak_shows_pulls_lifts_or_records(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize(("text", "problem"), [
    ("firebreak bad!name", "`bad!name` is not a firebreak name."),
    ("firebreak -x", "`-x` is not a firebreak name."),
    ("firebreak <!channel>", "`&lt;!channel&gt;` is not a firebreak name."),
    ("firebreak " + "n" * 41, f"`{'n' * 40}` is not a firebreak name."),
    ("firebreak kill " + "n" * (MAX_TEXT + 1), "The note is 3,001 characters long; keep it to 3,000."),
    ("firebreak lift", "The firebreak to lift (its name or #number) is missing."),
    ("firebreak lift " + "n" * 41, "The firebreak to lift (its name or #number) is 41 characters long; keep it to 40."),
    ("firebreak lift #2 " + "n" * (MAX_TEXT + 1), "The note is 3,001 characters long; keep it to 3,000."),
    ("firebreak record", f"Which firebreak kind? One of: {KINDS}."),
    ("firebreak record nuke prod", f"`nuke` is not a firebreak kind: use one of {KINDS}."),
    ("firebreak record rollback", "The target is missing."),
    ("firebreak record rollback " + "t" * 201, "The target is 201 characters long; keep it to 200."),
    ("firebreak record rollback v1 " + "n" * (MAX_TEXT + 1), "The note is 3,001 characters long; keep it to 3,000."),
])
def test_firebreak_refuses_what_it_cannot_do(text, problem):
    err = refused(text)
    assert (err.problem, err.form) == (problem, FIREBREAK_FORM)
