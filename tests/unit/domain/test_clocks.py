from datetime import UTC, datetime, timedelta

import pytest

from firehouse.domain.classes import DEFAULT_CLASSES
from firehouse.domain.clocks import add_months, deadlines
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity
from firehouse.errors import InvalidChange

AWARE = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
H = timedelta(hours=1)


def due(regime, **kwargs):
    return {d.stage: d.due for d in deadlines(regime, aware_at=AWARE, **{"classified_at": None, **kwargs})}


def test_gdpr_is_72_hours_from_awareness():
    assert due("gdpr") == {"initial": AWARE + 72 * H}


@pytest.mark.parametrize(("case", "days"), [("standard", 15), ("widespread", 2), ("critical_infrastructure", 2),
                                            ("death", 10)])
def test_eu_ai_act_depends_on_the_case(case, days):
    assert due("eu_ai_act", facts={"ai_act_case": case}) == {"initial": AWARE + timedelta(days=days)}


def test_nis2_early_warning_notification_and_final_report_a_month_after_notification():
    assert due("nis2") == {"initial": AWARE + 24 * H, "intermediate": AWARE + 72 * H,
                           "final": datetime(2026, 12, 26, 14, 0, tzinfo=UTC)}


def test_dora_initial_is_4h_after_classification_but_never_later_than_24h_after_awareness():
    early = due("dora", classified_at=AWARE + 2 * H)
    assert early["initial"] == AWARE + 6 * H
    assert early["intermediate"] == AWARE + 78 * H
    assert early["final"] == add_months(AWARE + 78 * H)
    late = due("dora", classified_at=AWARE + 22 * H)
    assert late["initial"] == AWARE + 24 * H
    assert due("dora")["initial"] == AWARE + 24 * H  # not classified yet


def test_months_end_on_the_last_day_when_the_day_does_not_exist():
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC)) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 12, 15, tzinfo=UTC)) == datetime(2027, 1, 15, tzinfo=UTC)


def test_reminders_at_half_three_quarters_ninety_percent_and_expiry():
    (gdpr,) = deadlines("gdpr", aware_at=AWARE, classified_at=None)
    assert [at - AWARE for _, at in gdpr.reminders()] == [36 * H, 54 * H, timedelta(hours=64.8), 72 * H]


def incident(class_id="data") -> Incident:
    made, _ = Incident.declare(title="t", severity=Severity.SEV1, incident_class=DEFAULT_CLASSES[class_id],
                               by="U1", at=AWARE)
    return made


REGIMES = {"gdpr": ("data", "compliance"), "eu_ai_act": ("output", "action")}


def test_only_regimes_covering_the_class_apply():
    assert {d.regime for d in incident("data").deadlines(REGIMES)} == {"gdpr"}
    assert {d.regime for d in incident("output").deadlines(REGIMES)} == {"eu_ai_act"}
    assert incident("cost").deadlines(REGIMES) == []


def test_a_reminder_missed_while_down_is_sent_once_and_never_again():
    made = incident()
    assert made.reminders_due(REGIMES, AWARE + 10 * H) == []
    (late,) = made.reminders_due(REGIMES, AWARE + 60 * H)  # 50 % and 75 % passed: one reminder, the latest
    assert late.point == 0.75
    assert made.reminders_due(REGIMES, AWARE + 61 * H) == []
    assert made.next_reminder(REGIMES) == AWARE + timedelta(hours=64.8)


def test_not_reportable_stops_the_clock_and_is_recorded_once():
    made = incident()
    event = made.decide_not_reportable("gdpr", "the data was synthetic", by="ULEGAL", at=AWARE + H)
    assert event.timeline_entry().text == "Not reportable under GDPR Art. 33: the data was synthetic"
    assert made.open_deadlines(REGIMES) == [] and made.next_reminder(REGIMES) is None
    with pytest.raises(InvalidChange):
        made.decide_not_reportable("gdpr", "again", by="ULEGAL", at=AWARE)


def test_a_reported_deadline_needs_no_more_reminders():
    made = incident()
    made.reported.append("gdpr:initial")
    assert made.reminders_due(REGIMES, AWARE + 80 * H) == []
