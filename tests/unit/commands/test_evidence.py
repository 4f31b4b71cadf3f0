"""`/incident snapshot`: free `key=value` fields or the form, and the refusals that say what is wrong."""

import pytest
from unit.commands.reading import p, refused

from firehouse.commands.evidence import Freeze, OpenSnapshotForm, ShowSnapshots


# snapshot

SNAPSHOT_FORM = "/incident snapshot [<key>=<value> … | signals]"
EVIDENCE_AS = "Give evidence as `key=value`, like `model=gpt-4o-2024-08-06 output=…`;"


@pytest.mark.parametrize(("text", "expected"), [
    ("snapshot", OpenSnapshotForm()),
    ("snapshot trace=abc123", Freeze((("trace", "abc123"),))),
    ("snapshot Model=gpt-4o-2024-08-06  output=Refund issued <!channel> {{ x }} ",
     Freeze((("model", "gpt-4o-2024-08-06"), ("output", "Refund issued <!channel> {{ x }}")))),
    ("snapshot url=https://x.test/?a=b supersedes=2", Freeze((("url", "https://x.test/?a=b"), ("supersedes", "2")))),
    ("snapshot a.b-c_9=1", Freeze((("a.b-c_9", "1"),))),
    ("snapshot " + "k" * 40 + "=v", Freeze((("k" * 40, "v"),))),
    ("snapshot output=" + "v" * 3000, Freeze((("output", "v" * 3000),))),
])
def test_snapshot_freezes_free_key_value_fields_or_opens_the_form(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize(("text", "problem"), [
    ("snapshot =x", "A field name is missing before `=`."),
    ("snapshot model =x", "Write `model=<value>` with no space before `=`."),
    ("snapshot hello model=x", f"{EVIDENCE_AS} `hello` is not one."),
    ("snapshot <!here>=x", f"{EVIDENCE_AS} `&lt;!here&gt;=x` is not one."),
    ("snapshot " + "k" * 41 + "=v", f"{EVIDENCE_AS} `{'k' * 40}` is not one."),
    ("snapshot model= output=x", "The field `model` is empty; leave it out or give it a value."),
    ("snapshot Model=a model=b", "The field `model` is given twice."),
    ("snapshot output=" + "v" * 3001, "The field output is 3,001 characters long; keep it to 3,000."),
])
def test_snapshot_refuses_fields_it_cannot_read(text, problem):
    err = refused(text)
    assert (err.problem, err.form) == (problem, SNAPSHOT_FORM)


def test_snapshot_keeps_an_equals_sign_inside_a_value():
    assert p("snapshot output=2 + 2 = 5") == Freeze((("output", "2 + 2 = 5"),))


def test_snapshots_lists_what_was_frozen():
    assert p("snapshots all") == ShowSnapshots()
