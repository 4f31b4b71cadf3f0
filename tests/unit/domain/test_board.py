from datetime import UTC, datetime, timedelta, timezone

import pytest

from firehouse.domain.board import (
    FIRST_HOUR, BoardStep, Cadence, checkpoint_reached, lead, next_checkpoint, next_step, next_update_due, open_phase_items,
    rescheduled_due,
)
from firehouse.domain.classes import DEFAULT_CLASSES
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
CADENCE = Cadence({Severity.SEV1: 15 * MIN, Severity.SEV2: 30 * MIN, Severity.SEV3: 60 * MIN},
                  {Status.MONITORING: {Severity.SEV1: 30 * MIN}})


def test_cadence_per_severity_per_status_and_none_once_resolved():
    assert CADENCE.interval(Severity.SEV1, Status.INVESTIGATING) == 15 * MIN
    assert CADENCE.interval(Severity.SEV1, Status.MONITORING) == 30 * MIN
    assert CADENCE.interval(Severity.SEV3, Status.MONITORING) == 60 * MIN
    assert CADENCE.interval(Severity.SEV1, Status.RESOLVED) is None


def test_the_prompt_lead_is_a_third_of_the_cycle_at_most_five_minutes():
    assert lead(6 * timedelta(seconds=1)) == timedelta(seconds=2)
    assert lead(60 * MIN) == 5 * MIN


def test_next_update_keeps_the_rhythm_but_never_owes_missed_cycles():
    assert next_update_due(T0, 15 * MIN, T0 + 5 * MIN) == T0 + 15 * MIN
    assert next_update_due(T0, 15 * MIN, T0 + 15 * MIN) == T0 + 30 * MIN
    assert next_update_due(T0, 15 * MIN, T0 + 100 * MIN) == T0 + 115 * MIN  # down for hours: one cycle from now


def test_a_new_interval_stretches_or_shrinks_the_current_cycle_leaving_time_to_write():
    due = T0 + 60 * MIN  # a SEV3 cycle that started at T0
    assert rescheduled_due(due=due, old=60 * MIN, new=15 * MIN, now=T0 + 5 * MIN) == T0 + 15 * MIN
    assert rescheduled_due(due=due, old=60 * MIN, new=15 * MIN, now=T0 + 40 * MIN) == T0 + 45 * MIN
    assert rescheduled_due(due=T0 + 15 * MIN, old=15 * MIN, new=60 * MIN, now=T0 + 5 * MIN) == T0 + 60 * MIN


def test_steps_prompt_first_then_due_and_a_snooze_moves_the_prompt():
    due = T0 + 15 * MIN
    assert next_step(due=due, interval=15 * MIN, prompted=False, snoozed_until=None).at == due - 5 * MIN
    assert next_step(due=due, interval=15 * MIN, prompted=True, snoozed_until=None).kind == "due"
    snoozed = next_step(due=due, interval=15 * MIN, prompted=False, snoozed_until=due - 2 * MIN)
    assert (snoozed.kind, snoozed.at) == ("prompt", due - 2 * MIN)
    assert next_step(due=due, interval=15 * MIN, prompted=False, snoozed_until=due).kind == "due"


def incident() -> Incident:
    made, _ = Incident.declare(title="t", severity=Severity.SEV1, incident_class=DEFAULT_CLASSES["output"],
                               by="U1", at=T0)
    made.retime(old=None, new=15 * MIN, now=T0)
    return made


def test_an_update_resets_the_cycle_and_the_missed_count():
    made = incident()
    assert made.next_update_due == T0 + 15 * MIN
    missed = made.update_missed(interval=15 * MIN, now=T0 + 15 * MIN, by="firehouse")
    assert (missed.missed, missed.next_due, made.next_update_due) == (1, T0 + 30 * MIN, T0 + 30 * MIN)
    assert "No update by 02:15 UTC (1 in a row)" in missed.timeline_entry().text
    posted = made.post_update("rolled back", by="U1", at=T0 + 20 * MIN, interval=15 * MIN)
    assert posted.next_due == T0 + 35 * MIN and made.missed_updates == 0 and made.last_update_at == T0 + 20 * MIN


def test_resolving_stops_the_board_and_reopening_restarts_it():
    made = incident()
    made.retime(old=15 * MIN, new=None, now=T0 + 5 * MIN)
    assert made.next_update_due is None
    made.retime(old=None, new=15 * MIN, now=T0 + 50 * MIN)
    assert made.next_update_due == T0 + 65 * MIN


def test_first_hour_checkpoints_missed_while_down_are_sent_once():
    assert next_checkpoint(T0, 0) == T0 + 10 * MIN
    assert next_checkpoint(T0, len(FIRST_HOUR)) is None
    assert checkpoint_reached(T0, T0 + 45 * MIN) == 3
    made = incident()
    made.checklist_passed(T0 + 45 * MIN, FIRST_HOUR)
    assert made.checklist_step == 3 and next_checkpoint(T0, made.checklist_step) == T0 + 60 * MIN


@pytest.mark.parametrize(("done", "left"), [
    ({}, 4), ({"classified": True}, 3), ({"classified": True, "contained": True, "evidence": True}, 1),
    ({"classified": True, "contained": True, "evidence": True, "updated": True}, 0),
])
def test_the_checklist_lists_only_what_is_not_done(done, left):
    flags = {"classified": False, "contained": False, "evidence": False, "updated": False, **done}
    assert len(open_phase_items(**flags)) == left


US = timedelta(microseconds=1)


def test_a_checkpoint_is_reached_at_its_exact_minute_and_not_a_microsecond_before():
    assert checkpoint_reached(T0, T0 + 10 * MIN - US) == 0
    assert checkpoint_reached(T0, T0 + 10 * MIN) == 1
    assert checkpoint_reached(T0, T0 + 60 * MIN - US) == 3
    assert checkpoint_reached(T0, T0 + 60 * MIN) == 4


def test_checkpoints_follow_the_configured_offsets():
    offsets = (5 * MIN, 30 * MIN)
    assert checkpoint_reached(T0, T0 + 5 * MIN, offsets) == 1
    assert next_checkpoint(T0, 1, offsets) == T0 + 30 * MIN and next_checkpoint(T0, 2, offsets) is None


def test_checkpoints_count_the_same_instant_given_in_another_offset():
    declared = T0.astimezone(timezone(timedelta(hours=2)))  # 04:00 at +02:00 is 02:00 UTC
    assert checkpoint_reached(declared, T0 + 20 * MIN) == 2
    assert next_checkpoint(declared, 2) == T0 + 40 * MIN


def test_once_prompted_the_next_step_is_the_due_time_itself():
    due = T0 + 15 * MIN
    assert next_step(due=due, interval=15 * MIN, prompted=True, snoozed_until=None) == BoardStep(due, "due")
    assert next_step(due=due, interval=15 * MIN, prompted=False, snoozed_until=None) == BoardStep(
        due - 5 * MIN, "prompt")


def test_a_snooze_past_the_due_time_leaves_only_the_due_step():
    due = T0 + 15 * MIN
    assert next_step(due=due, interval=15 * MIN, prompted=False, snoozed_until=due + MIN) == BoardStep(due, "due")


def test_a_status_without_its_own_cadence_uses_the_severity_cadence():
    assert CADENCE.interval(Severity.SEV2, Status.MONITORING) == 30 * MIN
    assert CADENCE.interval(Severity.SEV1, Status.CLOSED) is None


def test_the_checklist_items_come_in_the_order_of_the_first_hour():
    items = open_phase_items(classified=False, contained=False, evidence=True, updated=False)
    assert [item.split(":")[0] for item in items] == ["Classify and name a captain", "Contain",
                                                      "Stabilize and communicate"]
