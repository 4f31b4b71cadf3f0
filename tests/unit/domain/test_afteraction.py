"""The after-action lock in the domain: follow-ups and their reminders, fixtures, postmortem versions,
what the lock still lacks, closing, and the timeline line each event leaves. Time is always a parameter."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from firehouse.domain.afteraction import (
    ACTION_KINDS,
    MAX_ACTION,
    REMIND_EVERY,
    ActionAdded,
    ActionChanged,
    ActionState,
    Closed,
    Fixture,
    FixtureAdded,
    FollowUp,
    NoFixtureReason,
    PostmortemPublished,
    PostmortemVersion,
    missing_for_lock,
)
from firehouse.domain.classes import DEFAULT_CLASSES
from firehouse.domain.events import TimelineEntry
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident, NotLocked
from firehouse.domain.severity import Severity
from firehouse.errors import InvalidChange

ALICE, BOB, CAROL = "UALICE", "UBOB", "UCAROL"
MONDAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday morning
DAY = timedelta(days=1)
US = timedelta(microseconds=1)


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def action(*, due: date | None = MONDAY, owner: str | None = BOB, at: datetime = T0, kind: str = "prevent",
           text: str = "Add a rival-brand eval to the release gate") -> FollowUp:
    made, _ = FollowUp.add(text, incident_id=7, kind=kind, by=ALICE, at=at, owner=owner, due=due)
    made.id = 3
    return made


def resolved_incident() -> Incident:
    incident, _ = Incident.declare(title="Bot recommends rival products", severity=Severity.SEV2,
                                   incident_class=DEFAULT_CLASSES["output"], by=ALICE, at=T0)
    incident.id = 7
    incident.resolve(by=ALICE, at=T0 + timedelta(hours=2))
    return incident


# --- adding a follow-up ---------------------------------------------------------------------------------

def test_adding_a_follow_up_strips_its_text_and_starts_it_open_and_never_reminded():
    made, event = FollowUp.add("  Add a rival-brand eval  ", incident_id=7, kind="detect", by=ALICE, at=T0,
                               owner=BOB, due=MONDAY + DAY)
    assert (made.incident_id, made.text, made.kind, made.created_by, made.created_at) == (
        7, "Add a rival-brand eval", "detect", ALICE, T0)
    assert (made.owner, made.due, made.state, made.reminded_at, made.done_at) == (
        BOB, MONDAY + DAY, ActionState.OPEN, None, None)
    assert event == ActionAdded(at=T0, by=ALICE, text="Add a rival-brand eval", kind="detect", owner=BOB,
                                due=MONDAY + DAY)


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_a_follow_up_without_text_is_refused(text):
    with pytest.raises(InvalidChange, match="Say what the action is"):
        action(text=text)


def test_a_follow_up_of_exactly_the_limit_is_kept_and_one_character_more_is_refused():
    assert len(action(text="x" * MAX_ACTION).text) == MAX_ACTION
    with pytest.raises(InvalidChange, match=f"501 characters long; keep it to {MAX_ACTION}"):
        action(text="x" * (MAX_ACTION + 1))


def test_the_length_limit_counts_the_text_without_surrounding_spaces():
    assert action(text=f"  {'x' * MAX_ACTION}  ").text == "x" * MAX_ACTION


@pytest.mark.parametrize("kind", ["fix", "", "Prevent", "prevent "])
def test_a_follow_up_of_an_unknown_kind_is_refused_naming_the_kinds(kind):
    with pytest.raises(InvalidChange, match="is not an action kind: use one of prevent, mitigate, detect, process"):
        action(kind=kind)


@pytest.mark.parametrize("kind", list(ACTION_KINDS))
def test_every_listed_kind_is_accepted(kind):
    assert action(kind=kind).kind == kind


def test_a_due_date_of_yesterday_is_refused_from_the_first_moment_of_today():
    with pytest.raises(InvalidChange, match="The due date 2026-03-01 is in the past; pick today or later"):
        action(due=MONDAY - DAY, at=midnight(MONDAY))


def test_a_due_date_of_today_is_accepted_from_the_first_to_the_last_moment_of_the_day():
    assert action(due=MONDAY, at=midnight(MONDAY)).due == MONDAY
    assert action(due=MONDAY, at=midnight(MONDAY + DAY) - US).due == MONDAY


def test_at_the_last_moment_of_the_day_before_the_due_date_is_the_future():
    assert action(due=MONDAY + DAY, at=midnight(MONDAY + DAY) - US).due == MONDAY + DAY


def test_a_follow_up_may_start_without_owner_or_due_date_but_is_then_not_owned():
    assert not action(owner=None, due=None).owned
    assert not action(owner=BOB, due=None).owned
    assert not action(owner=None, due=MONDAY).owned
    assert action(owner=BOB, due=MONDAY).owned


# --- overdue, and reminding at most once a day ---------------------------------------------------------

def test_an_action_is_not_overdue_on_its_due_day_up_to_the_last_moment():
    due_today = action(due=MONDAY)
    assert not due_today.overdue(midnight(MONDAY))
    assert not due_today.overdue(midnight(MONDAY + DAY) - US)


def test_an_action_is_overdue_from_midnight_after_its_due_day():
    assert action(due=MONDAY).overdue(midnight(MONDAY + DAY))


def test_a_done_action_or_one_without_a_due_date_is_never_overdue():
    done = action(due=MONDAY)
    done.complete(by=BOB, at=T0)
    assert not done.overdue(T0 + 30 * DAY)
    assert not action(due=None).overdue(T0 + 30 * DAY)


def test_an_overdue_action_never_reminded_is_due_a_reminder():
    assert action(due=MONDAY).reminder_due(midnight(MONDAY + DAY))
    assert not action(due=MONDAY).reminder_due(midnight(MONDAY + DAY) - US)


def test_a_reminder_is_due_again_exactly_one_day_after_the_last_one_and_not_a_microsecond_before():
    overdue = action(due=MONDAY)
    reminded = midnight(MONDAY + 2 * DAY) + timedelta(hours=8)
    overdue.reminded(reminded)
    assert not overdue.reminder_due(reminded)
    assert not overdue.reminder_due(reminded + REMIND_EVERY - US)
    assert overdue.reminder_due(reminded + REMIND_EVERY)


def test_a_done_action_is_never_due_a_reminder():
    done = action(due=MONDAY)
    done.complete(by=BOB, at=T0)
    assert not done.reminder_due(T0 + 30 * DAY)


def test_the_first_reminder_of_an_action_is_midnight_utc_after_its_due_day():
    assert action(due=MONDAY).next_reminder(T0) == midnight(MONDAY + DAY)
    assert action(due=MONDAY + 5 * DAY).next_reminder(T0) == midnight(MONDAY + 6 * DAY)


def test_after_a_reminder_the_next_one_is_a_day_later():
    overdue = action(due=MONDAY)
    reminded = midnight(MONDAY + 3 * DAY) + timedelta(hours=14, minutes=5)
    overdue.reminded(reminded)
    assert overdue.next_reminder(reminded) == reminded + REMIND_EVERY


def test_a_reminder_recorded_before_the_action_was_overdue_does_not_bring_the_next_one_forward():
    early = action(due=MONDAY + 3 * DAY)
    early.reminded(T0)
    assert early.next_reminder(T0) == midnight(MONDAY + 4 * DAY)


def test_an_action_done_or_without_due_date_has_no_next_reminder():
    done = action(due=MONDAY)
    done.complete(by=BOB, at=T0)
    assert done.next_reminder(T0) is None
    assert action(due=None).next_reminder(T0) is None


@pytest.mark.parametrize("reminded", [None, midnight(MONDAY + DAY) + timedelta(hours=9, seconds=1)])
def test_the_next_reminder_is_exactly_the_first_moment_a_reminder_is_due(reminded):
    overdue = action(due=MONDAY)
    overdue.reminded_at = reminded
    moment = overdue.next_reminder(T0)
    assert not overdue.reminder_due(moment - US)
    assert overdue.reminder_due(moment)


# --- changing a follow-up ---------------------------------------------------------------------------------

def test_completing_an_action_records_who_and_when():
    made = action()
    event = made.complete(by=BOB, at=T0 + DAY)
    assert (made.state, made.done_by, made.done_at) == (ActionState.DONE, BOB, T0 + DAY)
    assert event == ActionChanged(at=T0 + DAY, by=BOB, action_id=3, change="done")


def test_an_action_done_once_cannot_be_done_again():
    made = action()
    made.complete(by=BOB, at=T0)
    with pytest.raises(InvalidChange, match="Action #3 is already done"):
        made.complete(by=CAROL, at=T0 + DAY)
    assert (made.done_by, made.done_at) == (BOB, T0)


def test_reassigning_an_action_names_the_new_owner():
    made = action(owner=BOB)
    event = made.reassign(CAROL, by=ALICE, at=T0)
    assert made.owner == CAROL
    assert event == ActionChanged(at=T0, by=ALICE, action_id=3, change=f"now owned by <@{CAROL}>")


def test_reassigning_an_action_to_its_owner_is_refused():
    with pytest.raises(InvalidChange, match=f"<@{BOB}> already owns action #3"):
        action(owner=BOB).reassign(BOB, by=ALICE, at=T0)


def test_moving_the_due_date_forgets_the_last_reminder_so_the_new_date_counts_from_scratch():
    made = action(due=MONDAY)
    made.reminded(midnight(MONDAY + DAY))
    later = MONDAY + 10 * DAY
    event = made.move_due(later, by=BOB, at=midnight(MONDAY + DAY) + timedelta(hours=1))
    assert (made.due, made.reminded_at) == (later, None)
    assert made.next_reminder(T0) == midnight(later + DAY)
    assert event == ActionChanged(at=midnight(MONDAY + DAY) + timedelta(hours=1), by=BOB, action_id=3,
                                  change="due 2026-03-12")


def test_moving_the_due_date_into_the_past_is_refused_and_keeps_the_reminder():
    made = action(due=MONDAY)
    made.reminded(midnight(MONDAY + DAY))
    with pytest.raises(InvalidChange, match="in the past"):
        made.move_due(MONDAY, by=BOB, at=midnight(MONDAY + DAY))
    assert (made.due, made.reminded_at) == (MONDAY, midnight(MONDAY + DAY))


# --- fixtures -------------------------------------------------------------------------------------------------

USER = {"role": "user", "content": "Which phone should I buy?"}
SYSTEM = {"role": "system", "content": "You are Acme's shopping assistant."}


def fixture(**changes) -> Fixture:
    arguments = {"incident_id": 7, "input": [SYSTEM, USER], "bad_output": "Buy a Rival X", "by": ALICE, "at": T0,
                 "target": "Recommend only Acme phones"}
    return Fixture.write(**{**arguments, **changes})


@pytest.mark.parametrize("messages", [
    [],
    [SYSTEM],
    [SYSTEM, {"role": "user", "content": "   "}],
    [SYSTEM, {"role": "assistant", "content": "Which phone should I buy?"}],
    [{"role": "user"}],
])
def test_a_fixture_without_what_the_user_sent_is_refused(messages):
    with pytest.raises(InvalidChange, match="A fixture needs the failing input"):
        fixture(input=messages)


def test_a_fixture_saying_nothing_about_what_should_have_happened_is_refused():
    with pytest.raises(InvalidChange, match="Say what should have happened"):
        fixture(target="  ", rubric="\n", forbidden=())


def test_forbidden_strings_that_are_all_blank_do_not_count_as_saying_what_should_have_happened():
    with pytest.raises(InvalidChange, match="Say what should have happened"):
        fixture(target="", rubric="", forbidden=["  ", ""])


@pytest.mark.parametrize("said", [{"target": "Recommend Acme"}, {"target": "", "rubric": "Never names a rival"},
                                  {"target": "", "forbidden": ["Rival X"]}])
def test_any_one_of_target_rubric_or_forbidden_strings_says_what_should_have_happened(said):
    assert fixture(**said).bad_output == "Buy a Rival X"


def test_a_fixture_keeps_its_input_verbatim_strips_target_and_rubric_and_drops_blank_strings_and_tags():
    made = fixture(target="  Recommend Acme  ", rubric=" no rivals ", forbidden=["Rival X", " ", ""],
                   tags=["brand", "", "  "], snapshot_id=4, metadata={"class": "output"})
    assert made.input == [SYSTEM, USER]
    assert (made.target, made.rubric, made.forbidden, made.tags) == ("Recommend Acme", "no rivals", ["Rival X"],
                                                                      ["brand"])
    assert (made.snapshot_id, made.metadata, made.created_by, made.created_at) == (4, {"class": "output"}, ALICE, T0)


def test_a_fixture_copies_its_metadata_so_the_caller_cannot_change_it_afterwards():
    metadata = {"class": "output"}
    made = fixture(metadata=metadata)
    metadata["class"] = "data"
    assert made.metadata == {"class": "output"}


def test_a_fixtures_event_counts_forbidden_strings_and_names_its_tags_and_its_key_names_the_incident():
    made = fixture(forbidden=["Rival X", "Rival Y"], tags=["brand", "shopping"])
    made.id = 12
    assert made.event() == FixtureAdded(at=T0, by=ALICE, fixture_id=12, forbidden=2, tags=("brand", "shopping"))
    assert made.key == "incident-7-fixture-12"


# --- postmortem versions -------------------------------------------------------------------------------------

def draft(text: str = "# Postmortem: incident 7\n\nPréférez l'appli ✨\n") -> PostmortemVersion:
    return PostmortemVersion(incident_id=7, version=2, text=text, drafted_by=ALICE, drafted_at=T0)


def test_a_postmortems_fingerprint_is_the_sha256_of_its_utf8_text():
    text = "# Postmortem: incident 7\n\nPréférez l'appli ✨\n"
    assert draft(text).fingerprint == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert draft(text).fingerprint != draft(text + " ").fingerprint


def test_publishing_a_version_records_who_and_when_and_returns_its_fingerprint():
    version = draft()
    event = version.publish(by=BOB, at=T0 + DAY)
    assert (version.published_by, version.published_at) == (BOB, T0 + DAY)
    assert event == PostmortemPublished(at=T0 + DAY, by=BOB, version=2, fingerprint=version.fingerprint)


def test_a_published_version_cannot_be_published_again():
    version = draft()
    version.publish(by=BOB, at=T0)
    with pytest.raises(InvalidChange, match=f"Postmortem version 2 is already published \\(by <@{BOB}>\\)"):
        version.publish(by=CAROL, at=T0 + DAY)
    assert (version.published_by, version.published_at) == (BOB, T0)


# --- what the lock lacks ---------------------------------------------------------------------------------

POSTMORTEM_MISSING = "a published postmortem (`/incident postmortem`, then Publish)"
FIXTURE_MISSING = "an eval fixture (`/incident fixture`), or why it cannot be one (`/incident fixture none <reason>`)"


def numbered(number: int, **changes) -> FollowUp:
    made = action(**changes)
    made.id = number
    return made


@pytest.mark.parametrize("published, fixtures, reason, unowned", list(itertools.product(
    [True, False], [0, 2], ["", "the failure needs a live tool call"], [False, True])))
def test_the_lock_lists_exactly_what_is_missing_in_order(published, fixtures, reason, unowned):
    actions = [numbered(1), numbered(2, owner=None)] if unowned else [numbered(1)]
    missing = missing_for_lock(published=published, fixtures=fixtures, no_fixture_reason=reason, actions=actions)
    expected = []
    if not published:
        expected.append(POSTMORTEM_MISSING)
    if not fixtures and not reason:
        expected.append(FIXTURE_MISSING)
    if unowned:
        expected.append("an owner and a due date for every open action (#2: `/incident actions` to set them)")
    assert missing == expected


def test_the_lock_holds_with_no_actions_at_all():
    assert missing_for_lock(published=True, fixtures=1, no_fixture_reason="", actions=[]) == []


def test_every_open_action_without_owner_or_due_date_is_named():
    actions = [numbered(1, owner=None), numbered(2), numbered(4, due=None), numbered(5, owner=None, due=None)]
    assert missing_for_lock(published=True, fixtures=1, no_fixture_reason="", actions=actions) == [
        "an owner and a due date for every open action (#1, #4, #5: `/incident actions` to set them)"]


def test_done_actions_without_owner_or_due_date_do_not_stand_in_the_way():
    done = numbered(1, owner=None, due=None)
    done.complete(by=BOB, at=T0)
    assert missing_for_lock(published=True, fixtures=1, no_fixture_reason="", actions=[done]) == []


# --- closing ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [Status.INVESTIGATING, Status.MONITORING])
def test_an_incident_that_is_not_resolved_cannot_be_closed_even_when_locked(status):
    incident = resolved_incident()
    incident.status = status
    with pytest.raises(InvalidChange, match=f"The incident is {status}; resolve it first"):
        incident.close(by=ALICE, at=T0 + DAY, missing=[])
    assert (incident.status, incident.closed_at) == (status, None)


def test_a_closed_incident_cannot_be_closed_again():
    incident = resolved_incident()
    incident.close(by=ALICE, at=T0 + DAY, missing=[])
    with pytest.raises(InvalidChange, match="resolve it first"):
        incident.close(by=ALICE, at=T0 + 2 * DAY, missing=[])
    assert incident.closed_at == T0 + DAY


def test_a_locked_resolved_incident_closes_and_stamps_when():
    incident = resolved_incident()
    event = incident.close(by=ALICE, at=T0 + DAY, missing=[])
    assert (incident.status, incident.closed_at, incident.lock_waiver) == (Status.CLOSED, T0 + DAY, "")
    assert event == Closed(at=T0 + DAY, by=ALICE, waiver="")


def test_an_unlocked_incident_is_not_closed_and_the_refusal_lists_what_is_missing():
    incident = resolved_incident()
    with pytest.raises(NotLocked) as refused:
        incident.close(by=ALICE, at=T0 + DAY, missing=[POSTMORTEM_MISSING, FIXTURE_MISSING])
    assert refused.value.missing == [POSTMORTEM_MISSING, FIXTURE_MISSING]
    assert str(refused.value) == (f"Not locked yet, so not closed. Still missing:\n• {POSTMORTEM_MISSING}\n"
                                  f"• {FIXTURE_MISSING}\n"
                                  "Or close anyway with `/incident close --waive-lock <reason>` (admins).")
    assert (incident.status, incident.closed_at) == (Status.RESOLVED, None)


def test_a_blank_waiver_does_not_close_an_unlocked_incident():
    incident = resolved_incident()
    with pytest.raises(NotLocked):
        incident.close(by=ALICE, at=T0 + DAY, missing=[POSTMORTEM_MISSING], waiver="   ")
    assert incident.status is Status.RESOLVED


def test_a_waiver_closes_an_unlocked_incident_and_is_kept_with_it():
    incident = resolved_incident()
    event = incident.close(by=ALICE, at=T0 + DAY, missing=[POSTMORTEM_MISSING],
                           waiver="  the feature was removed  ")
    assert (incident.status, incident.closed_at, incident.lock_waiver) == (
        Status.CLOSED, T0 + DAY, "the feature was removed")
    assert event == Closed(at=T0 + DAY, by=ALICE, waiver="the feature was removed")


def test_explaining_why_there_is_no_fixture_keeps_the_reason_and_refuses_an_empty_one():
    incident = resolved_incident()
    event = incident.explain_no_fixture("  needs a live tool call  ", by=BOB, at=T0)
    assert incident.no_fixture_reason == "needs a live tool call"
    assert event == NoFixtureReason(at=T0, by=BOB, reason="needs a live tool call")
    with pytest.raises(InvalidChange, match="The reason is empty"):
        incident.explain_no_fixture("  ", by=BOB, at=T0)
    assert incident.no_fixture_reason == "needs a live tool call"


# --- timeline entries ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("event, kind, text", [
    (ActionAdded(at=T0, by=ALICE, text="Add an eval", kind="detect", owner=BOB, due=MONDAY), "action",
     f"Follow-up (detect): Add an eval, owner <@{BOB}>, due 2026-03-02"),
    (ActionAdded(at=T0, by=ALICE, text="Add an eval", kind="prevent", owner=None, due=None), "action",
     "Follow-up (prevent): Add an eval, no owner yet, no due date yet"),
    (ActionChanged(at=T0, by=ALICE, action_id=3, change="done"), "action", "Action #3: done"),
    (FixtureAdded(at=T0, by=ALICE, fixture_id=12, forbidden=2, tags=("brand", "shopping")), "fixture",
     "Eval fixture #12 written (2 forbidden strings, tags brand, shopping)"),
    (FixtureAdded(at=T0, by=ALICE, fixture_id=12, forbidden=0, tags=()), "fixture",
     "Eval fixture #12 written (0 forbidden strings)"),
    (NoFixtureReason(at=T0, by=ALICE, reason="needs a live tool call"), "fixture",
     "No eval fixture: needs a live tool call"),
    (PostmortemPublished(at=T0, by=ALICE, version=2, fingerprint="ab" * 32), "postmortem",
     f"Postmortem version 2 published (sha256 {'ab' * 32})"),
    (Closed(at=T0, by=ALICE), "status", "Closed: locked by postmortem, fixture and owned actions"),
    (Closed(at=T0, by=ALICE, waiver="the feature was removed"), "status",
     "Closed; lock waived: the feature was removed"),
], ids=["action-added", "action-added-unowned", "action-changed", "fixture", "fixture-untagged", "no-fixture",
        "published", "closed", "closed-waived"])
def test_each_event_leaves_one_timeline_line(event, kind, text):
    assert event.timeline_entry() == TimelineEntry(T0, ALICE, kind, text)
