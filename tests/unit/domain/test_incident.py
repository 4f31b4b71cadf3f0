from datetime import UTC, datetime, timedelta

import pytest

from firehouse.domain.classes import DEFAULT_CLASSES
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import MAX_TITLE, Incident
from firehouse.domain.severity import Severity
from firehouse.errors import InvalidChange

AT = datetime(2026, 11, 23, 2, 5, tzinfo=UTC)


def declare(**overrides):
    fields = dict(title="Support bot invents refund policy", severity=Severity.SEV2,
                  incident_class=DEFAULT_CLASSES["output"], by="UALICE", at=AT)
    fields.update(overrides)
    return Incident.declare(**fields)


def test_the_declarer_is_captain_unless_someone_else_is_named():
    incident, event = declare()
    assert incident.captain == "UALICE"
    assert incident.status is Status.INVESTIGATING
    assert event.timeline_entry().text == "Declared SEV2 output incident"

    named, event = declare(captain="UBOB")
    assert named.captain == "UBOB"
    assert "fire captain <@UBOB>" in event.timeline_entry().text


@pytest.mark.parametrize("class_id,private", [("data", True), ("compliance", True), ("output", False),
                                              ("action", False), ("cost", False), ("gate", False)])
def test_data_and_compliance_incidents_are_private(class_id, private):
    incident, _ = declare(incident_class=DEFAULT_CLASSES[class_id])
    assert incident.private is private


@pytest.mark.parametrize("title", ["", "   ", "x" * (MAX_TITLE + 1)])
def test_empty_or_oversized_titles_are_refused(title):
    with pytest.raises(InvalidChange):
        declare(title=title)


def test_overriding_the_proposed_severity_needs_a_reason_that_lands_in_the_timeline():
    with pytest.raises(InvalidChange, match="Say why"):
        declare(severity=Severity.SEV1, proposed=Severity.SEV3)
    _, event = declare(severity=Severity.SEV1, proposed=Severity.SEV3, override_reason="regulator is asking")
    assert event.timeline_entry().text.endswith("SEV1 over the proposed SEV3: regulator is asking")


def test_hand_over_keeps_exactly_one_captain_and_records_who_handed_it():
    incident, _ = declare()
    later = AT + timedelta(minutes=7)
    event = incident.hand_over(to="UBOB", by="UALICE", at=later)
    assert incident.captain == "UBOB"
    entry = event.timeline_entry()
    assert (entry.at, entry.author, entry.kind) == (later, "UALICE", "captain")
    assert entry.text == "Fire captain handed over from <@UALICE> to <@UBOB>"


def test_handing_over_to_the_current_captain_is_refused():
    incident, _ = declare()
    with pytest.raises(InvalidChange, match="already the fire captain"):
        incident.hand_over(to="UALICE", by="UBOB", at=AT)
    assert incident.captain == "UALICE"


def test_log_strips_text_and_refuses_empty_or_oversized():
    incident, _ = declare()
    assert incident.log(text="  rolled back prompt v42  ", by="UBOB", at=AT).text == "rolled back prompt v42"
    with pytest.raises(InvalidChange):
        incident.log(text=" ", by="UBOB", at=AT)
    with pytest.raises(InvalidChange):
        incident.log(text="x" * 3001, by="UBOB", at=AT)
