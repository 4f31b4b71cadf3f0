from datetime import UTC, datetime, timedelta, timezone

import pytest

from firehouse.domain.classes import DEFAULT_CLASSES
from firehouse.domain.clocks import REGIMES as REGIME_TABLE
from firehouse.domain.clocks import Deadline, add_months, deadlines
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


# --- every field of every deadline: reminders run from `start`, not only towards `due` ---------------

CLASSIFIED = AWARE + 2 * H


def test_gdpr_counts_72_hours_from_awareness_and_says_so():
    assert deadlines("gdpr", aware_at=AWARE, classified_at=CLASSIFIED) == [
        Deadline("gdpr", "initial", "notify the supervisory authority", "aware", AWARE, AWARE + 72 * H),
    ]


def test_the_eu_ai_act_deadline_names_its_case_and_counts_from_awareness():
    (standard,) = deadlines("eu_ai_act", aware_at=AWARE, classified_at=None)  # no case recorded: standard
    assert standard == Deadline("eu_ai_act", "initial", "report the serious incident (standard)", "aware", AWARE,
                                AWARE + timedelta(days=15))
    (critical,) = deadlines("eu_ai_act", aware_at=AWARE, classified_at=CLASSIFIED,
                            facts={"ai_act_case": "critical_infrastructure"})
    assert critical == Deadline("eu_ai_act", "initial", "report the serious incident (critical infrastructure)",
                                "aware", AWARE, AWARE + timedelta(days=2))


def test_nis2_final_report_runs_from_the_notification_not_from_awareness():
    notification = AWARE + 72 * H
    assert deadlines("nis2", aware_at=AWARE, classified_at=CLASSIFIED) == [
        Deadline("nis2", "initial", "early warning", "aware", AWARE, AWARE + 24 * H),
        Deadline("nis2", "intermediate", "incident notification", "aware", AWARE, notification),
        Deadline("nis2", "final", "final report", "notification", notification,
                 datetime(2026, 12, 26, 14, 0, tzinfo=UTC)),
    ]


def test_dora_starts_from_the_classification_and_chains_each_report_on_the_one_before():
    initial, intermediate = CLASSIFIED + 4 * H, CLASSIFIED + 4 * H + 72 * H
    assert deadlines("dora", aware_at=AWARE, classified_at=CLASSIFIED) == [
        Deadline("dora", "initial", "initial notification", "classified", CLASSIFIED, initial),
        Deadline("dora", "intermediate", "intermediate report", "initial report", initial, intermediate),
        Deadline("dora", "final", "final report", "intermediate report", intermediate,
                 datetime(2026, 12, 26, 20, 0, tzinfo=UTC)),
    ]


def test_dora_before_classification_counts_24_hours_from_awareness():
    (initial, intermediate, final) = deadlines("dora", aware_at=AWARE, classified_at=None)
    assert initial == Deadline("dora", "initial", "initial notification", "aware", AWARE, AWARE + 24 * H)
    assert (intermediate.start, intermediate.due) == (AWARE + 24 * H, AWARE + 96 * H)
    assert (final.start, final.due) == (AWARE + 96 * H, add_months(AWARE + 96 * H))


def test_a_late_dora_classification_keeps_the_24_hour_cap_but_reminds_over_what_is_left():
    late = AWARE + 22 * H  # the obligation only arises with the classification, two hours before the cap
    (initial, *_) = deadlines("dora", aware_at=AWARE, classified_at=late)
    assert initial == Deadline("dora", "initial", "initial notification", "aware", late, AWARE + 24 * H)
    assert initial.reminders()[0] == (0.5, AWARE + 23 * H)


def test_when_4_hours_after_classification_is_exactly_the_cap_the_awareness_limit_is_what_binds():
    (initial, *_) = deadlines("dora", aware_at=AWARE, classified_at=AWARE + 20 * H)
    assert (initial.starts, initial.due) == ("aware", AWARE + 24 * H)
    (earlier, *_) = deadlines("dora", aware_at=AWARE, classified_at=AWARE + 20 * H - timedelta(microseconds=1))
    assert (earlier.starts, earlier.due) == ("classified", AWARE + 24 * H - timedelta(microseconds=1))


def test_an_unknown_regime_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown regime 'sox'"):
        deadlines("sox", aware_at=AWARE, classified_at=None)


def test_a_deadline_key_is_its_regime_and_stage():
    assert [d.key for d in deadlines("nis2", aware_at=AWARE, classified_at=None)] == [
        "nis2:initial", "nis2:intermediate", "nis2:final"]


def test_reminders_run_from_the_start_of_the_window_not_from_awareness():
    (initial, intermediate, _) = deadlines("dora", aware_at=AWARE, classified_at=CLASSIFIED)
    assert initial.reminders() == [(0.5, CLASSIFIED + 2 * H), (0.75, CLASSIFIED + 3 * H),
                                   (0.9, CLASSIFIED + timedelta(hours=3.6)), (1.0, CLASSIFIED + 4 * H)]
    assert intermediate.reminders()[0] == (0.5, intermediate.start + 36 * H)


# --- months, and moments given with another offset -----------------------------------------------

PLUS_TWO = timezone(timedelta(hours=2))


def test_a_month_from_the_last_days_of_january_ends_on_the_last_day_of_february():
    assert add_months(datetime(2026, 1, 30, 9, 15, tzinfo=UTC)) == datetime(2026, 2, 28, 9, 15, tzinfo=UTC)
    assert add_months(datetime(2028, 1, 31, tzinfo=UTC)) == datetime(2028, 2, 29, tzinfo=UTC)  # a leap year
    assert add_months(datetime(2026, 11, 30, tzinfo=UTC), 3) == datetime(2027, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 3, 31, tzinfo=UTC), 12) == datetime(2027, 3, 31, tzinfo=UTC)


@pytest.mark.parametrize("regime", ["gdpr", "eu_ai_act", "nis2", "dora"])
def test_a_moment_given_in_plus_two_hours_gives_the_same_deadlines_as_in_utc(regime):
    aware = datetime(2026, 1, 27, 23, 30, tzinfo=UTC)  # notification on Jan 30 at 23:30 UTC, Jan 31 at +02:00
    utc = deadlines(regime, aware_at=aware, classified_at=aware + H)
    local = deadlines(regime, aware_at=aware.astimezone(PLUS_TWO), classified_at=(aware + H).astimezone(PLUS_TWO))
    assert local == utc


def test_months_are_counted_on_the_utc_calendar_whatever_the_offset(server_in_cet):
    moment = datetime(2026, 1, 31, 1, 30, tzinfo=PLUS_TWO)  # still January 30 in UTC
    assert add_months(moment) == datetime(2026, 2, 28, 23, 30, tzinfo=UTC)


# --- the regime table: which incidents each regime covers by default ------------------------------

def test_gdpr_covers_data_exposures():
    assert "data" in REGIME_TABLE["gdpr"].classes


def test_the_eu_ai_act_covers_harmful_output_and_actions_of_ai_systems():
    assert {"output", "action"} <= set(REGIME_TABLE["eu_ai_act"].classes)


def test_no_regime_covers_internal_only_incidents():
    assert not any({"cost", "gate"} & set(regime.classes) for regime in REGIME_TABLE.values())


def test_every_regime_in_the_table_has_a_clock():
    for regime in REGIME_TABLE:
        assert deadlines(regime, aware_at=AWARE, classified_at=None)


def test_months_are_counted_on_the_utc_calendar_on_a_server_in_another_zone(server_in_cet):
    assert add_months(datetime(2026, 1, 30, 23, 30, tzinfo=UTC)) == datetime(2026, 2, 28, 23, 30, tzinfo=UTC)
