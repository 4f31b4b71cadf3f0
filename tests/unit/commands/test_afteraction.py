"""`/incident action|actions|fixture|postmortem|close`: the words after the incident, and the refusals with
their form."""

from datetime import date

import pytest
from unit.commands.reading import p, refused

from firehouse.commands.afteraction import (
    AddAction, Close, DraftPostmortem, NoFixture, OpenFixtureForm, PostmortemNote, PublishPostmortem, ShowActions,
)
from firehouse.domain.afteraction import MAX_ACTION
from firehouse.domain.model import MAX_TEXT

ACTION_FORM = "/incident action [prevent|mitigate|detect|process] <text> [@owner] [due YYYY-MM-DD]"
FIXTURE_FORM = "/incident fixture [none <reason>]"
POSTMORTEM_FORM = "/incident postmortem [note <section> <text> | publish]"
CLOSE_FORM = "/incident close [--waive-lock <reason>]"


# action

DUE = date(2026, 12, 1)


@pytest.mark.parametrize(("text", "expected"), [
    ("action Pin the ranker", AddAction("Pin the ranker", "prevent", None, None)),
    ("action DETECT alert on rival names", AddAction("alert on rival names", "detect", None, None)),
    ("action mitigate cap refunds <@U2> due 2026-12-01", AddAction("cap refunds", "mitigate", "U2", DUE)),
    ("action <@U2|bob> process write the runbook", AddAction("process write the runbook", "prevent", "U2", None)),
    ("action due 2026-12-01 pin the ranker", AddAction("pin the ranker", "prevent", None, DUE)),
    ("action pin the ranker DUE 2026-12-01 <@U2>", AddAction("pin the ranker", "prevent", "U2", DUE)),
])
def test_action_reads_a_kind_first_then_text_with_an_owner_and_a_due_date_anywhere(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize(("text", "problem"), [
    ("action", "The action is missing."),
    ("action detect", "The action is missing."),
    ("action <@U2> due 2026-12-01", "The action is missing."),
    ("action pin it <@U2> <@U3>", "Name one owner."),
    ("action pin it due", "Give the due date after `due`, like `due 2026-12-01`."),
    ("action pin it due tomorrow", "`tomorrow` is not a date like 2026-12-01."),
    ("action pin it due 2026-13-01", "`2026-13-01` is not a date like 2026-12-01."),
    ("action pin it due <!here>", "`&lt;!here&gt;` is not a date like 2026-12-01."),
    ("action pin it due " + "9" * 30, f"`{'9' * 20}` is not a date like 2026-12-01."),
    ("action " + "a" * (MAX_ACTION + 1), f"The action is {MAX_ACTION + 1} characters long; keep it to {MAX_ACTION}."),
])
def test_action_refuses_what_it_cannot_read(text, problem):
    err = refused(text)
    assert (err.problem, err.form) == (problem, ACTION_FORM)


def test_action_text_may_be_as_long_as_an_action_and_keeps_only_the_first_due():
    assert p("action " + "a" * MAX_ACTION).text == "a" * MAX_ACTION
    assert p("action pin due 2026-12-01 due 2027-01-01").text == "pin due 2027-01-01"


def test_actions_lists_them_whatever_follows():
    assert p("actions") == ShowActions() and p("actions all of them") == ShowActions()


# fixture

def test_fixture_alone_opens_the_form_and_none_records_why_there_can_be_none():
    assert p("fixture") == OpenFixtureForm()
    assert p("fixture none the answers are not reproducible") == NoFixture("the answers are not reproducible")
    assert p("fixture NONE offline only") == NoFixture("offline only")


@pytest.mark.parametrize(("text", "problem"), [
    ("fixture now", "Open the form with `/incident fixture`, or say why there can be none with"
                    " `/incident fixture none <reason>`."),
    ("fixture none", "The reason is missing."),
    ("fixture none " + "r" * (MAX_TEXT + 1), "The reason is 3,001 characters long; keep it to 3,000."),
])
def test_fixture_refuses_anything_but_none_with_a_reason(text, problem):
    err = refused(text)
    assert (err.problem, err.form) == (problem, FIXTURE_FORM)


# postmortem

@pytest.mark.parametrize(("text", "expected"), [
    ("postmortem", DraftPostmortem()),
    ("postmortem PUBLISH", PublishPostmortem()),
    ("postmortem note lucky a tester saw it first", PostmortemNote("lucky", "a tester saw it first")),
    ("postmortem note LUCKY  spaced  out ", PostmortemNote("lucky", "spaced  out")),
])
def test_postmortem_drafts_publishes_or_adds_a_note_to_a_section(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize(("text", "problem"), [
    ("postmortem share", "I don't know `share` here."),
    ("postmortem <!channel>", "I don't know `&lt;!channel&gt;` here."),
    ("postmortem note", "Which section? One of: "),
    ("postmortem note impact", "`impact` is not a section: use one of "),
    ("postmortem note lucky", "The note is missing."),
])
def test_postmortem_refuses_what_it_cannot_do(text, problem):
    err = refused(text)
    assert err.problem.startswith(problem) and err.form == POSTMORTEM_FORM


# close

def test_close_takes_nothing_or_a_reason_to_close_without_the_lock():
    assert p("close") == Close()
    assert p("close --waive-lock a drill that went wrong") == Close("a drill that went wrong")


@pytest.mark.parametrize(("text", "problem"), [
    ("close now", "`/incident close` takes nothing, or `--waive-lock <reason>`."),
    ("close --WAIVE-LOCK why", "`/incident close` takes nothing, or `--waive-lock <reason>`."),
    ("close --waive-lock", "The reason for closing without the lock is missing."),
    ("close --waive-lock " + "r" * (MAX_TEXT + 1),
     "The reason for closing without the lock is 3,001 characters long; keep it to 3,000."),
])
def test_close_refuses_anything_else(text, problem):
    err = refused(text)
    assert (err.problem, err.form) == (problem, CLOSE_FORM)
