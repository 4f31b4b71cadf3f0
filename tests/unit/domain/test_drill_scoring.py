"""Drills in the domain: a run's injects on time, its end, and the readiness score against the 60-minute flow."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from firehouse.domain.board import FIRST_HOUR, PHASES
from firehouse.domain.drills import (
    DrillRun,
    Inject,
    Observed,
    Readiness,
    Scenario,
    check_script,
    compared,
    phase_ends,
    readiness,
)
from firehouse.domain.severity import Severity
from firehouse.errors import InvalidChange

START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
SCENARIO = Scenario(name="refund-fraud", title="Refund agent holds accounts", summary="s", alarm="Fraud holds x50",
                    class_id="action", severity=Severity.SEV1, why="Accounts were frozen.",
                    injects=(Inject(5 * MINUTE, "finance says spend doubled"), Inject(12 * MINUTE, "a second tenant")),
                    time_limit=60 * MINUTE, cause="model")


def at(minutes: float) -> datetime:
    return START + minutes * MINUTE


def observed(**changes) -> Observed:
    """A room that did everything inside the flow: captain at 2, classified at 6, firebreak at 14, snapshot at 25,
    update at 33, product notice drafted at 45."""
    base = Observed(captain_at=at(2), classified_at=at(6), severity_set_at=at(5), class_id="action",
                    severity=Severity.SEV1, first_snapshot_at=at(25), first_firebreak_at=at(14), first_update_at=at(33),
                    first_product_draft_at=at(45), contained_at=at(15))
    return replace(base, **changes)


def milestone(report: Readiness, key: str):
    return next(m for m in report.milestones if m.key == key)


def score(**changes) -> Readiness:
    return readiness(SCENARIO, observed(**changes), started_at=START, ended_at=at(50), offsets=FIRST_HOUR)


# --- the run ------------------------------------------------------------------------------------------


def test_injects_come_out_once_each_when_their_time_has_come():
    run, started = DrillRun.start(SCENARIO, incident_id=7, by="UFAC", at=START)
    assert started.timeline_entry().text == ("Drill started: scenario refund-fraud, 1h 00m time limit, 2 injects;"
                                             " facilitator <@UFAC>")
    assert run.next_moment() == at(5)
    assert run.due_injects(at(5) - timedelta(seconds=1), by="firehouse") == []
    posted = run.due_injects(at(5), by="firehouse")
    assert [(p.offset, p.text) for p in posted] == [(5 * MINUTE, "finance says spend doubled")]
    assert posted[0].timeline_entry().text == "Inject at +5m: finance says spend doubled"
    assert run.due_injects(at(6), by="firehouse") == [] and run.injects_sent == 1
    assert run.next_moment() == at(12)


def test_injects_missed_while_the_bot_was_down_are_posted_late_once_and_then_the_end_is_next():
    run, _ = DrillRun.start(SCENARIO, incident_id=7, by="UFAC", at=START)
    assert [p.offset for p in run.due_injects(at(30), by="firehouse")] == [5 * MINUTE, 12 * MINUTE]
    assert run.due_injects(at(31), by="firehouse") == []
    assert run.next_moment() == run.ends_at == at(60)


def test_an_ended_run_posts_nothing_and_cannot_end_again():
    run, _ = DrillRun.start(SCENARIO, incident_id=7, by="UFAC", at=START)
    ended = run.end(score(), by="UFAC", at=at(50))
    assert ended.timeline_entry().text == "Drill ended: 6 of 6 milestones inside the 60-minute flow"
    assert not run.running and run.next_moment() is None and run.due_injects(at(59), by="firehouse") == []
    with pytest.raises(InvalidChange, match="ended already"):
        run.end(score(), by="UFAC", at=at(51))


def test_a_run_ended_by_its_time_limit_says_so():
    run, _ = DrillRun.start(SCENARIO, incident_id=7, by="UFAC", at=START)
    report = readiness(SCENARIO, observed(), started_at=START, ended_at=at(60), offsets=FIRST_HOUR, timed_out=True)
    assert run.end(report, by="firehouse", at=at(60)).timeline_entry().text == (
        "Drill ended at its time limit: 6 of 6 milestones inside the 60-minute flow")


# --- the score ----------------------------------------------------------------------------------------


def test_each_milestone_is_timed_from_the_alarm_against_the_end_of_its_phase():
    report = score()
    assert [(m.key, m.after, m.target) for m in report.milestones] == [
        ("captain", 2 * MINUTE, 10 * MINUTE), ("classify", 6 * MINUTE, 10 * MINUTE),
        ("firebreak", 14 * MINUTE, 20 * MINUTE), ("snapshot", 25 * MINUTE, 40 * MINUTE),
        ("update", 33 * MINUTE, 60 * MINUTE), ("notice", 45 * MINUTE, 60 * MINUTE)]
    assert report.on_time == 6 and report.missed == () and report.right_severity


def test_a_milestone_reached_after_its_phase_is_late_and_one_at_the_boundary_is_not():
    report = score(first_firebreak_at=at(20), first_snapshot_at=at(40) + timedelta(seconds=1))
    assert milestone(report, "firebreak").on_time
    assert not milestone(report, "snapshot").on_time
    assert report.on_time == 5


def test_classifying_counts_when_both_class_and_severity_are_the_scenarios_and_from_the_later_of_the_two():
    assert milestone(score(classified_at=at(3), severity_set_at=at(8)), "classify").after == 8 * MINUTE
    wrong_severity = milestone(score(severity=Severity.SEV2), "classify")
    assert wrong_severity.after is None and wrong_severity.note == "chose SEV2, the scenario's is SEV1"
    wrong_class = milestone(score(class_id="output"), "classify")
    assert wrong_class.after is None and wrong_class.note == "chose class `output`, the scenario's is `action`"
    never = milestone(score(classified_at=None), "classify")
    assert never.after is None and never.note == "never classified"


def test_nobody_taking_the_captain_role_is_a_missed_milestone_with_a_reason():
    captain = milestone(score(captain_at=None), "captain")
    assert captain.after is None and not captain.on_time and captain.note == "nobody took the captain role"


def test_what_happened_after_the_drill_ended_does_not_count():
    assert milestone(score(first_product_draft_at=at(51)), "notice").after is None


def test_checklist_items_are_missed_when_done_after_their_checkpoint_or_never():
    report = score(classified_at=at(11), contained_at=None, first_update_at=at(61))
    assert report.missed == (PHASES[0][1], PHASES[1][1], PHASES[3][1])


def test_the_phases_follow_the_deployments_checkpoints_and_fewer_checkpoints_stretch_the_last():
    assert phase_ends(FIRST_HOUR) == [10 * MINUTE, 20 * MINUTE, 40 * MINUTE, 60 * MINUTE]
    assert phase_ends((timedelta(seconds=30), timedelta(seconds=90))) == [
        timedelta(seconds=30), timedelta(seconds=90), timedelta(seconds=90), timedelta(seconds=90)]
    quick = readiness(SCENARIO, observed(first_firebreak_at=START + timedelta(seconds=80)), started_at=START,
                      ended_at=at(50), offsets=(timedelta(seconds=30), timedelta(seconds=90)))
    assert milestone(quick, "firebreak").on_time and not milestone(quick, "captain").on_time


def test_a_report_is_compared_with_the_run_before_milestone_by_milestone():
    before = score(first_firebreak_at=at(14), first_update_at=None, first_product_draft_at=at(45))
    now = score(first_firebreak_at=at(6), first_update_at=at(30), first_product_draft_at=None)
    lines = compared(now, before)
    assert "time to first firebreak 14m → 6m" in lines
    assert "time to first stakeholder update never → 30m" in lines
    assert "time to first product notice draft 45m → never" in lines
    assert "time to captain 2m → 2m" in lines
    assert lines[-1] == "on time 5 → 5 of 6"


def test_scenarios_and_reports_survive_their_json_form():
    assert Scenario.from_json(SCENARIO.to_json()) == SCENARIO
    report = score(captain_at=None, severity=Severity.SEV2)
    assert Readiness.from_json(report.to_json()) == report


@pytest.mark.parametrize(("injects", "limit", "problem"), [
    ((Inject(61 * MINUTE, "late"),), 60 * MINUTE, r"inject 1 at \+1h 01m is past the end of the drill"),
    ((Inject(60 * MINUTE, "at the end"),), 60 * MINUTE, "past the end"),
    ((Inject(9 * MINUTE, "b"), Inject(3 * MINUTE, "a")), 60 * MINUTE, "in the order they are posted"),
    ((), timedelta(), "longer than nothing"),
    (tuple(Inject(i * MINUTE, "x") for i in range(1, 42)), 60 * MINUTE, "41 injects; keep it to 40"),
])
def test_a_script_whose_timing_cannot_run_is_refused(injects, limit, problem):
    with pytest.raises(ValueError, match=problem):
        check_script(injects=injects, time_limit=limit)
