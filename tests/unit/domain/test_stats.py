"""The numbers in the domain: each time measured from the first signal, what counts as a notice on time and a
deadline met, the groups, the weekly trend, and drills left out. Time is always a parameter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firehouse.domain.classes import DEFAULT_CLASSES, IncidentClass
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity
from firehouse.domain.stats import (
    ASIDE,
    LATE,
    ON_TIME,
    PENDING,
    Record,
    Share,
    Times,
    deadline_outcomes,
    notice_outcome,
    numbers,
    week_start,
)

ALICE, BOB = "UALICE", "UBOB"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning
MIN, H, DAY, US = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1), timedelta(microseconds=1)
HOUR = 60 * MIN  # the default first-hour window for a customer notice
GDPR = {"gdpr": ("data", "compliance")}
CLASSES = tuple(DEFAULT_CLASSES)


def declare(class_id: str = "output", severity: Severity = Severity.SEV2, *, at: datetime = T0,
            **extra) -> Incident:
    made, _ = Incident.declare(title="Refund bot promises refunds", severity=severity,
                               incident_class=DEFAULT_CLASSES[class_id], by=ALICE, at=at, **extra)
    return made


def report(*records: Record | Incident, now: datetime = T0 + 30 * DAY, since: datetime = T0 - DAY,
           until: datetime = T0 + 30 * DAY, regimes=None):
    return numbers([r if isinstance(r, Record) else Record(r) for r in records], since=since, until=until, now=now,
                   regimes=regimes or {}, notice_within=HOUR, classes=CLASSES)


# --- the times ---------------------------------------------------------------------------------------------

def test_times_are_a_mean_a_median_and_how_many():
    assert Times.of([10 * MIN, 20 * MIN, 90 * MIN, None]) == Times(3, 40 * MIN, 20 * MIN)
    assert Times.of([10 * MIN, 20 * MIN]) == Times(2, 15 * MIN, 15 * MIN)
    assert Times.of([None]) == Times.of([]) == Times(0, None, None)


def test_each_time_runs_from_detection_when_it_was_recorded():
    incident = declare(at=T0 + 30 * MIN)
    incident.set_moment("detected", T0, by=ALICE, at=T0 + 30 * MIN)
    incident.change_status(Status.CONTAINED, by=ALICE, at=T0 + 50 * MIN)
    incident.resolve(by=ALICE, at=T0 + 3 * H)
    total = report(Record(incident, first_update_at=T0 + 40 * MIN)).total
    assert total.to_captain == Times(1, 30 * MIN, 30 * MIN)  # the declarer is captain at the declaration
    assert total.to_contain == Times(1, 50 * MIN, 50 * MIN)
    assert total.to_resolve == Times(1, 3 * H, 3 * H)
    assert total.to_first_update == Times(1, 40 * MIN, 40 * MIN)


def test_without_detection_each_time_runs_from_the_declaration():
    incident = declare()
    incident.change_status(Status.CONTAINED, by=ALICE, at=T0 + 12 * MIN)
    assert report(incident).total.to_contain == Times(1, 12 * MIN, 12 * MIN)
    assert report(incident).total.to_captain == Times(1, timedelta(0), timedelta(0))


def test_a_provisional_captain_counts_only_once_a_person_takes_the_role():
    waiting = declare(captain="UFIREHOUSE", provisional=True)
    assert report(waiting).total.to_captain == Times()
    waiting.hand_over(to=BOB, by=BOB, at=T0 + 7 * MIN)
    assert report(waiting).total.to_captain == Times(1, 7 * MIN, 7 * MIN)


def test_an_incident_resolved_without_passing_contained_was_contained_by_its_resolution():
    straight = declare()
    straight.resolve(by=ALICE, at=T0 + 25 * MIN)
    contained_first = declare()
    contained_first.change_status(Status.CONTAINED, by=ALICE, at=T0 + 5 * MIN)
    contained_first.resolve(by=ALICE, at=T0 + 2 * H)
    assert report(straight, contained_first).total.to_contain == Times(2, 15 * MIN, 15 * MIN)


def test_an_open_incident_counts_among_the_incidents_but_not_in_the_time_to_resolve():
    resolved, still_open = declare(), declare()
    resolved.resolve(by=ALICE, at=T0 + 2 * H)
    still_open.change_status(Status.CONTAINED, by=ALICE, at=T0 + 20 * MIN)
    total = report(resolved, still_open).total
    assert (total.incidents, total.open) == (2, 1)
    assert total.to_resolve == Times(1, 2 * H, 2 * H)
    assert total.to_contain == Times(2, 70 * MIN, 70 * MIN)


def test_a_reopened_incident_is_open_again_and_out_of_the_time_to_resolve():
    incident = declare()
    incident.resolve(by=ALICE, at=T0 + H)
    incident.change_status(Status.INVESTIGATING, by=ALICE, at=T0 + 2 * H)
    total = report(incident).total
    assert (total.open, total.to_resolve, total.to_contain) == (1, Times(), Times())


def test_a_closed_incident_keeps_its_resolution():
    incident = declare()
    incident.resolve(by=ALICE, at=T0 + H)
    incident.close(by=ALICE, at=T0 + DAY, missing=[], waiver="")
    total = report(incident).total
    assert (total.open, total.to_resolve) == (0, Times(1, H, H))


def test_no_update_yet_leaves_the_incident_out_of_the_time_to_first_update():
    total = report(Record(declare(), first_update_at=T0 + 9 * MIN), declare()).total
    assert total.to_first_update == Times(1, 9 * MIN, 9 * MIN)


# --- customer notices --------------------------------------------------------------------------------------

def sev1(reached_users: bool | None = True, **extra) -> Incident:
    return declare(severity=Severity.SEV1, reached_users=reached_users, **extra)


@pytest.mark.parametrize(("sent_after", "outcome"), [
    (10 * MIN, ON_TIME), (HOUR, ON_TIME), (HOUR + US, LATE), (5 * H, LATE)])
def test_a_notice_is_on_time_when_marked_sent_within_the_hour_after_the_first_signal(sent_after, outcome):
    incident = sev1()
    incident.notice_sent_at = T0 + sent_after
    assert notice_outcome(incident, now=T0 + DAY, within=HOUR) == outcome


def test_the_hour_starts_at_detection_when_it_was_recorded():
    incident = sev1(at=T0 + 30 * MIN, detected_at=T0)
    incident.notice_sent_at = T0 + 45 * MIN
    assert notice_outcome(incident, now=T0 + DAY, within=HOUR) == ON_TIME
    incident.notice_sent_at = T0 + 61 * MIN
    assert notice_outcome(incident, now=T0 + DAY, within=HOUR) == LATE


def test_an_owed_notice_still_inside_its_hour_is_not_counted_yet_and_late_once_the_hour_passed_unsent():
    incident = sev1()
    assert notice_outcome(incident, now=T0 + HOUR, within=HOUR) == PENDING
    assert notice_outcome(incident, now=T0 + HOUR + US, within=HOUR) == LATE


def test_a_waiver_is_set_aside_neither_on_time_nor_late():
    incident = sev1()
    incident.resolve(by=ALICE, at=T0 + 2 * H, waiver="the output never left the staging tenant")
    assert notice_outcome(incident, now=T0 + DAY, within=HOUR) == ASIDE


@pytest.mark.parametrize("incident", [declare(severity=Severity.SEV2), sev1(reached_users=False)],
                         ids=["sev2", "sev1 that reached nobody"])
def test_an_incident_that_owed_no_notice_and_sent_none_is_not_counted(incident):
    assert notice_outcome(incident, now=T0 + DAY, within=HOUR) is None


def test_a_notice_sent_when_none_was_owed_counts_too():
    incident = declare(severity=Severity.SEV2)
    incident.notice_sent_at = T0 + 2 * H
    assert notice_outcome(incident, now=T0 + DAY, within=HOUR) == LATE


def test_where_nobody_said_whether_harm_reached_users_a_sev1_owes_a_notice():
    assert notice_outcome(sev1(reached_users=None), now=T0 + DAY, within=HOUR) == LATE


def test_notices_are_counted_n_of_m_with_waivers_and_pending_ones_apart():
    on_time, late, waived, pending, unowed = sev1(), sev1(), sev1(), sev1(at=T0 + 10 * DAY), declare()
    on_time.notice_sent_at, late.notice_sent_at = T0 + 20 * MIN, T0 + 3 * H
    waived.notice_waiver = "a drill of the support team, no customer saw it"
    share = report(on_time, late, waived, pending, unowed, now=T0 + 10 * DAY + 5 * MIN).total.notices
    assert share == Share(hit=1, of=2, aside=1, pending=1)
    assert str(share) == "1 of 2"


# --- regulatory deadlines ----------------------------------------------------------------------------------

def data_breach(**extra) -> Incident:
    return declare("data", Severity.SEV1, **extra)  # GDPR: the authority within 72 h of awareness


@pytest.mark.parametrize(("reported", "now", "outcome"), [
    (T0 + 70 * H, T0 + 80 * H, ON_TIME),
    (T0 + 72 * H, T0 + 80 * H, ON_TIME),  # on the minute is in time
    (T0 + 72 * H + US, T0 + 80 * H, LATE),
    (None, T0 + 72 * H, LATE),  # due, and nothing reported
    (None, T0 + 72 * H - US, PENDING),
])
def test_a_deadline_is_met_when_its_report_was_marked_sent_by_its_due_time(reported, now, outcome):
    reported_at = {"gdpr:initial": reported} if reported else {}
    assert deadline_outcomes(data_breach(), reported_at, now=now, regimes=GDPR) == (outcome,)


def test_a_regime_decided_not_reportable_is_set_aside_even_once_due():
    incident = data_breach()
    incident.decide_not_reportable("gdpr", "the leaked rows held no personal data", by=ALICE, at=T0 + H)
    assert deadline_outcomes(incident, {}, now=T0 + 10 * DAY, regimes=GDPR) == (ASIDE,)


def test_each_stage_of_a_regime_is_a_deadline_of_its_own():
    incident = data_breach()
    nis2 = {"nis2": ("data",)}
    reported = {"nis2:initial": T0 + 20 * H, "nis2:intermediate": T0 + 80 * H}
    assert deadline_outcomes(incident, reported, now=T0 + 4 * DAY, regimes=nis2) == (ON_TIME, LATE, PENDING)


def test_only_the_regimes_enabled_and_covering_the_class_have_deadlines():
    assert deadline_outcomes(declare("cost"), {}, now=T0 + 10 * DAY, regimes=GDPR) == ()
    assert deadline_outcomes(data_breach(), {}, now=T0 + 10 * DAY, regimes={}) == ()


def test_deadlines_are_counted_n_of_m_with_not_reportable_and_not_yet_due_apart():
    met, missed, decided, young = data_breach(), data_breach(), data_breach(), data_breach(at=T0 + 9 * DAY)
    decided.decide_not_reportable("gdpr", "no personal data", by=ALICE, at=T0 + H)
    share = report(Record(met, reported_at={"gdpr:initial": T0 + 2 * H}), missed, decided, young,
                   now=T0 + 10 * DAY, regimes=GDPR).total.deadlines
    assert share == Share(hit=1, of=2, aside=1, pending=1)


# --- drills, the window, the groups ------------------------------------------------------------------------

def test_a_drill_never_counts():
    drill = declare(severity=Severity.SEV1, drill=True)
    drill.resolve(by=ALICE, at=T0 + H, waiver="a drill")
    counted = report(drill, declare())
    assert counted.total.incidents == 1
    assert [f.name for f in counted.by_severity] == ["SEV2"]
    assert sum(w.incidents for w in counted.weeks) == 1


def test_the_window_holds_incidents_declared_from_since_until_before_until():
    on_since, before, on_until, last = declare(at=T0), declare(at=T0 - US), declare(at=T0 + DAY), \
        declare(at=T0 + DAY - US)
    counted = report(on_since, before, on_until, last, since=T0, until=T0 + DAY)
    assert counted.total.incidents == 2


def test_classes_come_in_the_catalogues_order_then_any_others_by_name_and_severities_most_severe_first():
    removed = IncidentClass("zebra", "a class since removed from the configuration", ("internal",))
    older = IncidentClass("hallucination", "a class since removed too", ("product",))
    gone = [Incident.declare(title="t", severity=Severity.SEV3, incident_class=c, by=ALICE, at=T0)[0]
            for c in (removed, older)]
    counted = report(declare("cost", Severity.SEV3), declare("data", Severity.SEV1), declare("output"), *gone)
    assert [(f.name, f.incidents) for f in counted.by_class] == [
        ("output", 1), ("data", 1), ("cost", 1), ("hallucination", 1), ("zebra", 1)]
    assert [(f.name, f.incidents) for f in counted.by_severity] == [("SEV1", 1), ("SEV2", 1), ("SEV3", 3)]


def test_each_group_has_the_numbers_of_its_own_incidents():
    quick, slow = declare("output", Severity.SEV1, reached_users=False), declare("data", Severity.SEV2)
    quick.resolve(by=ALICE, at=T0 + 30 * MIN)
    slow.resolve(by=ALICE, at=T0 + 5 * H)
    counted = report(quick, slow)
    output, data = counted.by_class
    assert (output.name, output.to_resolve) == ("output", Times(1, 30 * MIN, 30 * MIN))
    assert (data.name, data.to_resolve) == ("data", Times(1, 5 * H, 5 * H))
    assert counted.total.to_resolve == Times(2, 165 * MIN, 165 * MIN)
    assert counted.total.name == "all" and counted.notice_within == HOUR


def test_nothing_in_the_window_gives_zeros_and_no_groups():
    counted = report(declare(at=T0 - 5 * DAY), since=T0, until=T0 + DAY)
    assert (counted.total.incidents, counted.total.open, counted.by_class, counted.by_severity) == (0, 0, (), ())
    assert counted.total.to_resolve == Times() and counted.total.notices == Share()
    assert [w.incidents for w in counted.weeks] == [0]


# --- the weekly trend --------------------------------------------------------------------------------------

def test_weeks_start_on_monday_at_midnight_utc():
    assert week_start(datetime(2026, 3, 8, 23, 59, tzinfo=UTC)) == datetime(2026, 3, 2, tzinfo=UTC)
    assert week_start(datetime(2026, 3, 9, tzinfo=UTC)) == datetime(2026, 3, 9, tzinfo=UTC)


def test_the_trend_has_every_week_the_window_touches_quiet_ones_too_with_weekly_medians():
    first = [declare(at=T0 + n * H) for n in range(3)]
    for n, incident in enumerate(first):
        incident.change_status(Status.CONTAINED, by=ALICE, at=incident.declared_at + (10 + 10 * n) * MIN)
    first[0].resolve(by=ALICE, at=T0 + 2 * H)
    third = declare(at=T0 + 15 * DAY)  # the Tuesday two weeks on: open, never contained
    weeks = report(*first, third, since=T0 - 2 * DAY, until=T0 + 16 * DAY).weeks
    assert [w.start for w in weeks] == [datetime(2026, 2, 23, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC),
                                        datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 16, tzinfo=UTC)]
    assert [w.incidents for w in weeks] == [0, 3, 0, 1]
    assert (weeks[1].to_contain, weeks[1].to_resolve) == (20 * MIN, 2 * H)
    assert (weeks[0].to_contain, weeks[3].to_contain, weeks[3].to_resolve) == (None, None, None)


def test_a_window_ending_on_a_monday_at_midnight_does_not_touch_that_week():
    weeks = report(since=T0, until=T0 - 9 * H + 7 * DAY).weeks  # Monday 2 March to Monday 9 March, 00:00
    assert [w.start for w in weeks] == [datetime(2026, 3, 2, tzinfo=UTC)]


def test_the_numbers_do_not_depend_on_the_servers_time_zone(server_in_cet):
    sunday_night = declare(at=datetime(2026, 3, 8, 23, 30, tzinfo=UTC))  # already Monday in CET
    weeks = report(sunday_night, since=T0, until=T0 + 14 * DAY).weeks
    assert [w.incidents for w in weeks] == [1, 0, 0]


# --- time is a parameter -----------------------------------------------------------------------------------

def test_the_same_record_read_later_turns_what_was_pending_into_late():
    incident = data_breach()
    early, later = report(incident, now=T0 + 30 * MIN, regimes=GDPR), report(incident, now=T0 + 4 * DAY,
                                                                             regimes=GDPR)
    assert (early.total.notices, early.total.deadlines) == (Share(pending=1), Share(pending=1))
    assert (later.total.notices, later.total.deadlines) == (Share(of=1), Share(of=1))
