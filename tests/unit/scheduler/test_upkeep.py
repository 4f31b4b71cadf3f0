"""A chore of the leader's upkeep, on fixed datetimes: when it runs, and when it next runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from firehouse.scheduler.upkeep import LEEWAY, Chore

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def chore(named: datetime | None = None, **kwargs) -> tuple[Chore, list[datetime]]:
    ran: list[datetime] = []

    def work() -> datetime | None:
        ran.append(NOW)
        return named
    return Chore("test", HOUR, work, **kwargs), ran


def test_a_chore_runs_at_its_first_round_and_then_after_its_interval():
    each, ran = chore()
    assert each.run(NOW, taking_lead=False) and each.due == NOW + HOUR
    assert not each.run(NOW + HOUR - timedelta(seconds=1), taking_lead=False)
    assert each.run(NOW + HOUR, taking_lead=False) and len(ran) == 2


def test_work_that_names_an_earlier_moment_runs_again_then_and_never_later_than_its_interval():
    soon, _ = chore(named=NOW + timedelta(minutes=5))
    soon.run(NOW, taking_lead=False)
    assert soon.due == NOW + timedelta(minutes=5)
    late, _ = chore(named=NOW + 3 * HOUR)
    late.run(NOW, taking_lead=False)
    assert late.due == NOW + HOUR


def test_taking_the_lead_runs_only_the_chores_that_ask_for_it():
    eager, eager_ran = chore(on_taking_lead=True)
    patient, patient_ran = chore()
    for each in (eager, patient):
        each.run(NOW, taking_lead=False)
        each.run(NOW + timedelta(minutes=1), taking_lead=True)
    assert len(eager_ran) == 2 and len(patient_ran) == 1


def test_looking_again_runs_the_chore_at_the_next_round():
    each, ran = chore()
    each.run(NOW, taking_lead=False)
    each.look_again()
    assert each.run(NOW + timedelta(seconds=5), taking_lead=False) and len(ran) == 2


def test_a_round_a_moment_early_still_runs_a_chore_due_then():
    each, ran = chore()
    each.run(NOW, taking_lead=False)
    assert each.run(NOW + HOUR - LEEWAY, taking_lead=False) and len(ran) == 2
    assert not each.run(NOW + HOUR - LEEWAY + HOUR - LEEWAY - timedelta(milliseconds=1), taking_lead=False)
