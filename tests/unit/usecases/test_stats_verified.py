"""Containments verified, read from a real store: of the firebreaks that took effect in the incidents of a window,
those a watched signal measured back within its baseline; drills left out, as from every number."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from unit.usecases.fakes import ALICE, START

from firehouse.comms.stats_report import csv_text, notes, text_table
from firehouse.domain.firebreaks import Firebreak, State
from firehouse.domain.stats import Share
from firehouse.domain.verification import Verdict, Verification
from firehouse.slack.stats_blocks import stats_message
from firehouse.store import UnitOfWork
from firehouse.usecases.stats import Stats

MIN, DAY = timedelta(minutes=1), timedelta(days=1)


def declare(service, clock, *, minutes: int, **extra):
    clock.set(START + minutes * MIN)
    return service.declare(title="Refund agent approves fraud", by=ALICE, **extra).incident


def firebreak(engine, incident_id: int, *verdicts: Verdict, took_effect: bool = True) -> int:
    """A firebreak of the incident (in force, or failed), measured against one signal per verdict."""
    at = START + 5 * MIN
    with UnitOfWork(engine) as uow:
        pulled = uow.evidence.add_firebreak(Firebreak(
            incident_id, "kill-switch", "refund agent", "unleash", ALICE, at, name="refund-agent-off",
            state=State.EXECUTED if took_effect else State.FAILED, executed_at=at if took_effect else None))
        for n, verdict in enumerate(verdicts):
            uow.signals.add_verification(Verification(
                incident_id=incident_id, firebreak_id=pulled.id, signal=f"signal-{n}", due_at=at + 10 * MIN,
                done_at=at + 10 * MIN, verdict=verdict, text=f"Effect of refund-agent-off on signal {n}: {verdict}"))
        uow.commit()
        return pulled.id


def counted(service, clock):
    clock.set(START + DAY)
    return Stats(engine=service.engine, settings=service.settings, clock=service.clock).last(7 * DAY)


def test_a_firebreak_counts_as_verified_only_when_a_verification_says_it_worked(service, clock, engine):
    action = declare(service, clock, minutes=0, class_id="action")
    firebreak(engine, action.id, Verdict.NO_EFFECT, Verdict.WORKED)  # worked on one of its signals: verified
    firebreak(engine, action.id, Verdict.NO_EFFECT)  # measured, no effect: not verified
    firebreak(engine, action.id, Verdict.WORKED, took_effect=False)  # never took effect: not counted at all
    cost = declare(service, clock, minutes=1, class_id="cost")
    firebreak(engine, cost.id)  # took effect, nothing watched it: not verified
    declare(service, clock, minutes=2, class_id="output")  # no firebreak: not counted
    numbers = counted(service, clock)
    assert numbers.total.containments == Share(hit=1, of=3)
    assert {f.name: f.containments for f in numbers.by_class} == {
        "action": Share(hit=1, of=2), "cost": Share(hit=0, of=1), "output": Share()}


def test_a_drills_firebreaks_stay_out_of_the_numbers(service, clock, engine):
    drill = declare(service, clock, minutes=0, drill=True)
    firebreak(engine, drill.id, Verdict.WORKED)
    real = declare(service, clock, minutes=1)
    firebreak(engine, real.id, Verdict.BETTER)
    assert counted(service, clock).total.containments == Share(hit=0, of=1)


def test_stats_and_the_report_show_the_share_with_its_percentage_and_the_csv_appends_its_columns(service, clock,
                                                                                               engine):
    incident = declare(service, clock, minutes=0)
    for verdicts in ((Verdict.WORKED,), (Verdict.WORKED,), (Verdict.WORSE,)):
        firebreak(engine, incident.id, *verdicts)
    numbers = counted(service, clock)
    fields = [f.text for block in stats_message(numbers, shown="the last 7 days", chart=None).blocks
              for f in (getattr(block, "fields", None) or [])]
    assert fields[-1] == "*Containments verified*\n2 of 3 (67%)"
    said = ("Containments verified: 2 of 3 (67%) (firebreaks that took effect and that a watched signal measured"
            " back within its baseline, out of those that took effect).")
    assert notes(numbers)[-1] == said and said in text_table(numbers).splitlines()
    rows = list(csv.reader(io.StringIO(csv_text(numbers))))
    assert rows[0][-2:] == ["containments_verified", "containments_counted"]
    assert rows[-1][0] == "all" and rows[-1][-2:] == ["2", "3"]


def test_with_no_firebreak_the_share_is_a_dash_and_the_words_say_why(service, clock):
    declare(service, clock, minutes=0)
    numbers = counted(service, clock)
    assert numbers.total.containments == Share()
    assert notes(numbers)[-1] == "Containments verified: no firebreak took effect."
