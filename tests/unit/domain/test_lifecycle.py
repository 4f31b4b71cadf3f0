from datetime import UTC, datetime, timedelta

import pytest

from firehouse.domain.classes import DEFAULT_CLASSES
from firehouse.domain.lifecycle import SETTABLE, TRANSITIONS, Status, can_move
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity
from firehouse.errors import InvalidChange

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def incident(severity=Severity.SEV2, reached_users=None) -> Incident:
    made, _ = Incident.declare(title="t", severity=severity, incident_class=DEFAULT_CLASSES["output"], by="U1",
                               at=AT, reached_users=reached_users)
    return made


OPEN = [Status.INVESTIGATING, Status.IDENTIFIED, Status.CONTAINED, Status.MONITORING]


@pytest.mark.parametrize("start", OPEN)
@pytest.mark.parametrize("to", OPEN + [Status.RESOLVED])
def test_an_open_incident_may_move_to_any_other_open_status_or_resolve(start, to):
    assert can_move(start, to) is (start != to)


def test_resolved_can_only_be_reopened_or_closed_and_closed_is_final():
    assert TRANSITIONS[Status.RESOLVED] == {Status.INVESTIGATING, Status.CLOSED}
    assert not TRANSITIONS[Status.CLOSED]
    assert Status.CLOSED not in SETTABLE


def test_containment_and_resolution_are_stamped_and_reopen_clears_resolution():
    made = incident()
    made.change_status(Status.IDENTIFIED, by="U1", at=AT + timedelta(minutes=5))
    made.change_status(Status.CONTAINED, by="U1", at=AT + timedelta(minutes=20))
    made.change_status(Status.MONITORING, by="U1", at=AT + timedelta(minutes=30))
    made.change_status(Status.CONTAINED, by="U1", at=AT + timedelta(minutes=40))
    assert made.contained_at == AT + timedelta(minutes=20)  # the first containment counts
    event = made.resolve(by="U1", at=AT + timedelta(hours=1), summary="rolled back prompt v42")
    assert made.resolved_at == AT + timedelta(hours=1)
    assert made.summary == "rolled back prompt v42"
    assert event.timeline_entry().text == "Status changed from contained to resolved. Summary: rolled back prompt v42"
    reopened = made.change_status(Status.INVESTIGATING, by="U2", at=AT + timedelta(hours=2))
    assert reopened.reopened and made.resolved_at is None and made.status is Status.INVESTIGATING


def test_a_move_to_the_same_status_or_off_the_map_is_refused():
    made = incident()
    with pytest.raises(InvalidChange, match="already investigating"):
        made.change_status(Status.INVESTIGATING, by="U1", at=AT)
    made.resolve(by="U1", at=AT)
    with pytest.raises(InvalidChange, match="A resolved incident can't move to contained"):
        made.change_status(Status.CONTAINED, by="U1", at=AT)


@pytest.mark.parametrize(("severity", "reached", "owed"), [
    (Severity.SEV1, True, True), (Severity.SEV1, None, True), (Severity.SEV1, False, False),
    (Severity.SEV2, True, False), (Severity.SEV3, None, False),
])
def test_a_sev1_that_reached_users_owes_a_notice(severity, reached, owed):
    assert incident(severity, reached).notice_owed is owed


def test_resolving_a_sev1_that_reached_users_needs_a_sent_notice_or_a_waiver():
    made = incident(Severity.SEV1, True)
    with pytest.raises(InvalidChange, match="product-lane notice must be published or marked sent") as err:
        made.resolve(by="U1", at=AT)
    assert "--waive-notice <reason>" in str(err.value)
    assert made.status is Status.INVESTIGATING and made.resolved_at is None
    event = made.resolve(by="U1", at=AT, waiver="only internal testers saw it")
    assert made.notice_waiver == "only internal testers saw it"
    assert event.timeline_entry().text.endswith("Customer notice waived: only internal testers saw it")

    sent = incident(Severity.SEV1, True)
    sent.notice_sent_at = AT
    sent.resolve(by="U1", at=AT)
    assert sent.status is Status.RESOLVED


def test_severity_changes_say_which_way_they_went():
    made = incident(Severity.SEV2)
    assert made.severity_action(Severity.SEV1) == "escalate"
    assert made.severity_action(Severity.SEV3) == "deescalate"
    up = made.change_severity(Severity.SEV1, by="U2", at=AT, reason="refunds are irreversible")
    assert up.timeline_entry().text == "Escalated from SEV2 to SEV1: refunds are irreversible"
    with pytest.raises(InvalidChange, match="already SEV1"):
        made.change_severity(Severity.SEV1, by="U2", at=AT)


def test_reclassifying_to_a_private_class_makes_the_incident_private_for_good():
    made = incident()
    assert made.classified_at is None
    made.change_class(DEFAULT_CLASSES["data"], by="U1", at=AT + timedelta(minutes=3))
    assert made.private and made.classified_at == AT + timedelta(minutes=3)
    made.change_class(DEFAULT_CLASSES["output"], by="U1", at=AT + timedelta(minutes=9))
    assert made.private and made.classified_at == AT + timedelta(minutes=3)


def test_roles_have_one_holder_and_a_person_may_hold_several():
    made = incident()
    made.assign_role("scribe", "U2", by="U1", at=AT)
    made.assign_role("comms", "U2", by="U1", at=AT)
    event = made.assign_role("scribe", "U3", by="U1", at=AT)
    assert made.roles == {"scribe": "U3", "comms": "U2"}
    assert event.timeline_entry().text == "<@U3> is scribe, taking over from <@U2>"
    with pytest.raises(InvalidChange):
        made.assign_role("scribe", "U3", by="U1", at=AT)


def test_detection_is_before_the_declaration():
    made = incident()
    made.set_moment("detected", AT - timedelta(minutes=30), by="U1", at=AT)
    assert made.first_known_at == AT - timedelta(minutes=30)
    with pytest.raises(InvalidChange, match="Detection can't be after the declaration"):
        made.set_moment("detected", AT + timedelta(minutes=1), by="U1", at=AT)


@pytest.mark.parametrize("start", OPEN)
def test_an_open_incident_cannot_skip_resolution_and_close(start):
    assert not can_move(start, Status.CLOSED)
    made = incident()
    made.status = start
    with pytest.raises(InvalidChange, match=f"A {start} incident can't move to closed"):
        made.change_status(Status.CLOSED, by="U1", at=AT)


def test_a_resolved_incident_closes():
    made = incident()
    made.resolve(by="U1", at=AT)
    event = made.change_status(Status.CLOSED, by="U1", at=AT + timedelta(days=2))
    assert (event.previous, event.status, made.status) == (Status.RESOLVED, Status.CLOSED, Status.CLOSED)


def test_only_resolved_and_closed_incidents_are_not_open():
    assert [s for s in Status if not s.is_open] == [Status.RESOLVED, Status.CLOSED]
