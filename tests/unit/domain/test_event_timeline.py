"""Each event's timeline entry: when, who, what kind, and the text people read.

(Named apart from tests/e2e/test_events.py: test files share one namespace.)
"""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from firehouse.domain.events import (
    FIREHOUSE, CaptainHandedOver, CauseChanged, ClassChanged, DeadlineReminded, DecidedNotReportable, FactRecorded,
    IncidentDeclared, Logged, MomentSet, RoleAssigned, SeverityChanged, StatusChanged, TimelineEntry, UpdateMissed,
    UpdatePosted,
)
from firehouse.domain.lifecycle import Status
from firehouse.domain.severity import Severity

AT = datetime(2026, 11, 23, 2, 5, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))


def declared(**changes) -> IncidentDeclared:
    fields = {"at": AT, "by": "UALICE", "title": "t", "severity": Severity.SEV2, "class_id": "output",
              "captain": "UALICE"}
    return IncidentDeclared(**{**fields, **changes})


def test_a_declaration_by_the_captain_names_severity_and_class():
    assert declared().timeline_entry() == TimelineEntry(AT, "UALICE", "declared", "Declared SEV2 output incident")


def test_a_declaration_names_a_captain_other_than_the_declarer():
    assert declared(captain="UBOB").timeline_entry().text == "Declared SEV2 output incident; fire captain <@UBOB>"


def test_a_declaration_that_follows_the_proposed_severity_says_nothing_about_it():
    assert declared(proposed=Severity.SEV2).timeline_entry().text == "Declared SEV2 output incident"


def test_a_declaration_over_the_proposed_severity_gives_the_reason():
    entry = declared(severity=Severity.SEV1, proposed=Severity.SEV3, override_reason="regulator asks").timeline_entry()
    assert entry.text == "Declared SEV1 output incident; SEV1 over the proposed SEV3: regulator asks"


def test_a_hand_over_names_both_captains():
    assert CaptainHandedOver(AT, "UALICE", "UALICE", "UBOB").timeline_entry() == TimelineEntry(
        AT, "UALICE", "captain", "Fire captain handed over from <@UALICE> to <@UBOB>")


def test_a_log_entry_is_the_text_as_written_with_its_kind():
    assert Logged(AT, "UBOB", "rolled back").timeline_entry() == TimelineEntry(AT, "UBOB", "log", "rolled back")
    assert Logged(AT, "UBOB", "pinned", kind="pin").timeline_entry().kind == "pin"


def test_an_escalation_gives_its_reason():
    assert SeverityChanged(AT, "UBOB", Severity.SEV2, Severity.SEV1, "refunds").timeline_entry() == TimelineEntry(
        AT, "UBOB", "severity", "Escalated from SEV2 to SEV1: refunds")


def test_a_de_escalation_without_a_reason_ends_with_the_new_severity():
    entry = SeverityChanged(AT, "UBOB", Severity.SEV1, Severity.SEV3, "").timeline_entry()
    assert entry.text == "De-escalated from SEV1 to SEV3"


def test_a_class_change_names_both_classes():
    assert ClassChanged(AT, "UBOB", "output", "data").timeline_entry() == TimelineEntry(
        AT, "UBOB", "class", "Class changed from output to data")


def test_a_first_cause_has_nothing_to_replace():
    assert CauseChanged(AT, "UBOB", None, "prompt").timeline_entry() == TimelineEntry(
        AT, "UBOB", "cause", "Suspected cause set to prompt")


def test_a_new_cause_names_the_one_it_replaced():
    assert CauseChanged(AT, "UBOB", "prompt", "model").timeline_entry().text == (
        "Suspected cause set to model (was prompt)")


def test_a_role_given_for_the_first_time_names_the_holder():
    assert RoleAssigned(AT, "UALICE", "legal", "ULAW", None).timeline_entry() == TimelineEntry(
        AT, "UALICE", "role", "<@ULAW> is legal")


def test_a_role_changing_hands_names_the_previous_holder():
    assert RoleAssigned(AT, "UALICE", "scribe", "U3", "U2").timeline_entry().text == (
        "<@U3> is scribe, taking over from <@U2>")


def test_a_status_change_names_both_statuses():
    assert StatusChanged(AT, "UBOB", Status.IDENTIFIED, Status.CONTAINED).timeline_entry() == TimelineEntry(
        AT, "UBOB", "status", "Status changed from identified to contained")


def test_reopening_says_so():
    event = StatusChanged(AT, "UBOB", Status.RESOLVED, Status.INVESTIGATING)
    assert event.reopened and event.timeline_entry().text == "Reopened: back to investigating"


@pytest.mark.parametrize(("previous", "status"), [(Status.RESOLVED, Status.CLOSED),
                                                  (Status.IDENTIFIED, Status.INVESTIGATING)])
def test_only_resolved_back_to_investigating_is_a_reopening(previous, status):
    assert not StatusChanged(AT, "UBOB", previous, status).reopened


def test_a_resolution_carries_its_summary_and_waiver():
    event = StatusChanged(AT, "UBOB", Status.MONITORING, Status.RESOLVED, summary="rolled back",
                          waiver="internal testers only")
    assert event.timeline_entry().text == (
        "Status changed from monitoring to resolved. Summary: rolled back. Customer notice waived: internal testers"
        " only")


def test_a_moment_set_by_hand_is_shown_in_utc():
    assert MomentSet(AT, "UBOB", "detected", datetime(2026, 11, 23, 1, 40, tzinfo=UTC)).timeline_entry() == (
        TimelineEntry(AT, "UBOB", "times", "Detected at 2026-11-23 01:40 UTC"))


def test_a_moment_given_in_plus_two_hours_is_shown_in_utc():
    moment = datetime(2026, 11, 23, 1, 40, tzinfo=PLUS_TWO)
    assert MomentSet(AT, "UBOB", "aware", moment).timeline_entry().text == "Aware at 2026-11-22 23:40 UTC"


def test_an_update_is_its_text():
    assert UpdatePosted(AT, "UBOB", "rolled back", None).timeline_entry() == TimelineEntry(
        AT, "UBOB", "update", "rolled back")


def test_a_missed_update_says_when_it_was_due_how_many_in_a_row_and_when_the_next_is():
    event = UpdateMissed(AT, FIREHOUSE, AT - timedelta(minutes=5), 2, AT + timedelta(minutes=10))
    assert event.timeline_entry() == TimelineEntry(
        AT, FIREHOUSE, "board", "No update by 02:00 UTC (2 in a row); stakeholders told there is no new information,"
        " next update at 02:15 UTC")


def test_a_missed_update_in_plus_two_hours_is_shown_in_utc():
    due = datetime(2026, 11, 23, 4, 0, tzinfo=PLUS_TWO)
    event = UpdateMissed(due, FIREHOUSE, due, 1, due + timedelta(minutes=15))
    assert "No update by 02:00 UTC" in event.timeline_entry().text
    assert event.timeline_entry().text.endswith("next update at 02:15 UTC")


def test_a_recorded_fact_shows_its_value():
    assert FactRecorded(AT, "UBOB", "feature", "search").timeline_entry() == TimelineEntry(
        AT, "UBOB", "fact", "Fact feature = search")


def test_a_cleared_fact_says_so():
    assert FactRecorded(AT, "UBOB", "feature", "").timeline_entry().text == "Fact feature cleared"


def test_not_reportable_names_the_regime_and_the_reason():
    assert DecidedNotReportable(AT, "ULAW", "GDPR Art. 33", "synthetic").timeline_entry() == TimelineEntry(
        AT, "ULAW", "clock", "Not reportable under GDPR Art. 33: synthetic")


@pytest.mark.parametrize(("point", "where"), [(0.5, "50% of the window gone"), (0.9, "90% of the window gone"),
                                              (1.0, "expired")])
def test_a_reminder_says_how_much_of_the_window_is_gone(point, where):
    event = DeadlineReminded(AT, FIREHOUSE, "gdpr:initial", point, datetime(2026, 11, 26, 14, 0, tzinfo=UTC))
    assert event.timeline_entry() == TimelineEntry(
        AT, FIREHOUSE, "clock", f"Reminder: gdpr:initial due 2026-11-26 14:00 UTC ({where})")


def test_a_reminder_shows_a_deadline_given_in_plus_two_hours_in_utc():
    event = DeadlineReminded(AT, FIREHOUSE, "gdpr:initial", 0.5, datetime(2026, 11, 27, 1, 0, tzinfo=PLUS_TWO))
    assert "due 2026-11-26 23:00 UTC" in event.timeline_entry().text
