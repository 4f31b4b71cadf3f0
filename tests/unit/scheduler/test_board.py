"""The status board's job placement and the leader's upkeep, in-process: the real wiring over the fake Slack, a
clock set by hand, and a scheduler started paused, so jobs are placed and never run by themselves."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from unit.usecases.fakes import ALICE, START

from firehouse.bolt.handlers import Services
from firehouse.bootstrap import build
from firehouse.commands.incidents import Resolve
from firehouse.commands.timeline import PostUpdate
from firehouse.config import Settings
from firehouse.config.file import BoardSettings
from firehouse.domain.model import Incident
from firehouse.scheduler.board import StatusBoard
from firehouse.scheduler.upkeep import FOLLOW_UP_CHECK, OUTBOX_PRUNE, OUTBOX_SWEEP

MINUTE, SECOND = timedelta(minutes=1), timedelta(seconds=1)
NO_CHECKLIST = BoardSettings(first_hour=())  # the incident's job follows the cadence alone


@dataclass
class Wired:
    """One process's use cases and status board, and what its upkeep did, over the shared store."""

    services: Services
    board: StatusBoard
    done: Counter
    leads: list[bool]

    def declare(self) -> Incident:
        return self.services.incidents.declare(title="Bot recommends rival products", by=ALICE).incident

    def job_at(self, incident: Incident) -> datetime | None:
        job = self.board.scheduler.get_job(f"incident:{incident.id}")
        return job.next_run_time if job else None


@pytest.fixture
def wire(engine, gateway, clock, fake, monkeypatch):
    """`build` over the fake Slack with a paused scheduler; the outbox's upkeep and the follow-up reminders are
    counted, and `leads` says whether this process holds the lead at each round (held while it is empty)."""
    built: list[Wired] = []

    def make() -> Wired:
        settings = Settings(bot_token=fake.bot_token, signing_secret="secret", stakeholder_channel=fake.stakeholders,
                            board=NO_CHECKLIST)
        services, board = build(settings, engine=engine, gateway=gateway, clock=clock)
        wired = Wired(services, board, Counter(), [])
        for name, target in (("sweep", board.outbox), ("prune", board.outbox), ("confirm", board.outbox),
                             ("release_claims", board.outbox), ("remind", services.afteraction)):
            monkeypatch.setattr(target, name, lambda *args, name=name, **kwargs: wired.done.update([name]))
        monkeypatch.setattr(board.leadership, "held", lambda: wired.leads.pop(0) if wired.leads else True)
        board.scheduler.start(paused=True)
        built.append(wired)
        return wired

    yield make
    for wired in built:
        wired.board.scheduler.shutdown(wait=False)
        wired.services.incidents.outbound.fan_out.shutdown()


@pytest.fixture
def wired(wire) -> Wired:
    return wire()


# --- one job per incident ------------------------------------------------------------------------------


def test_the_leader_places_each_incidents_job_at_the_moment_its_duties_name(wired):
    incident = wired.declare()  # SEV3 by default: due every hour, prompted 5 minutes before
    assert wired.job_at(incident) is None  # no replica leads yet, so no job

    wired.board.lead()

    assert wired.job_at(incident) == START + 55 * MINUTE == wired.board.next_run(incident)


def test_running_the_job_does_the_duties_and_places_the_next_job(wired, fake, clock):
    incident = wired.declare()
    wired.board.lead()
    clock.set(START + 55 * MINUTE)

    wired.board.run(incident.id)

    assert any("stakeholders are owed an update" in m["text"] for m in fake.messages(incident.channel_id))
    assert wired.job_at(incident) == START + 60 * MINUTE


def test_a_job_places_the_next_one_when_it_finishes_not_while_its_posts_are_still_going_out(wired, clock,
                                                                                            monkeypatch):
    incident = wired.declare()
    wired.board.lead()
    clock.set(START + 55 * MINUTE)
    outbound = wired.services.incidents.outbound
    deliver, seen_while_sending = outbound.deliver, []
    monkeypatch.setattr(outbound, "deliver",
                        lambda owed: seen_while_sending.append(wired.job_at(incident)) or deliver(owed))

    wired.board.run(incident.id)

    assert seen_while_sending == [START + 55 * MINUTE]  # the job that runs, not one the scheduler would skip
    assert wired.job_at(incident) == START + 60 * MINUTE


def test_a_job_that_fails_is_placed_again_from_a_change_made_while_it_ran(wired, clock, monkeypatch):
    """A change during the job waits for the job to place it; the job fails, and places it all the same."""
    incident = wired.declare()
    wired.board.lead()
    clock.set(START + 55 * MINUTE)

    def fails(incident_id: int) -> None:
        wired.services.updates.post_update(PostUpdate("Ranker rolled back"), channel=incident.channel_id, by=ALICE)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(wired.board.duties, "run", fails)
    with pytest.raises(RuntimeError):
        wired.board.run(incident.id)

    assert wired.job_at(incident) == START + 110 * MINUTE  # the update's: prompted 5 minutes before 10:55


def test_a_change_moves_the_job_and_resolving_drops_it(wired, clock):
    incident = wired.declare()
    wired.board.lead()
    clock.set(START + 10 * MINUTE)
    wired.services.updates.post_update(PostUpdate("Ranker rolled back"), channel=incident.channel_id, by=ALICE)
    assert wired.job_at(incident) == START + 65 * MINUTE  # prompted 5 minutes before 10:10

    wired.services.incidents.resolve(Resolve(), channel=incident.channel_id, by=ALICE)

    assert wired.job_at(incident) is None


def test_a_replica_that_does_not_lead_places_no_jobs_and_does_no_upkeep_but_writes_down_what_it_sent(wired):
    incident = wired.declare()
    wired.leads[:] = [False]

    wired.board.lead()

    assert wired.job_at(incident) is None and not wired.board.leading
    assert wired.done == Counter(confirm=1)


def test_losing_the_lead_drops_every_job_and_stops_the_upkeep(wired, clock):
    incident = wired.declare()
    wired.board.lead()
    assert wired.job_at(incident) is not None
    wired.leads[:] = [False]
    wired.done.clear()
    clock.advance(OUTBOX_PRUNE)  # every chore is due again

    wired.board.lead()

    assert wired.job_at(incident) is None and not wired.board.leading
    assert wired.done == Counter(confirm=1)


def test_a_new_process_sees_the_incidents_another_declared_once_it_takes_the_lead(wire):
    first = wire()
    incident = first.declare()
    second = wire()

    second.board.lead()

    assert second.job_at(incident) == START + 55 * MINUTE


# --- the leader's upkeep: each chore on its own interval -----------------------------------------------------


def test_the_only_process_releases_what_the_last_run_held_once_on_taking_the_lead(wired, clock):
    wired.board.lead()
    clock.advance(OUTBOX_PRUNE)
    wired.board.lead()
    assert wired.done["release_claims"] == 1


def test_the_sweep_runs_on_taking_the_lead_then_every_ten_seconds_and_at_once_on_taking_it_again(wired, clock):
    sweeps = []
    for step in (0, 5, 5, 4, 1):  # 0 s, 5 s, 10 s, 14 s and 15 s
        clock.advance(step * SECOND)
        wired.board.lead()
        sweeps.append(wired.done["sweep"])
    assert sweeps == [1, 1, 2, 2, 2] and OUTBOX_SWEEP == 10 * SECOND

    wired.leads[:] = [False, True]  # lost, then taken again a second later
    clock.advance(SECOND)
    wired.board.lead()
    clock.advance(SECOND)
    wired.board.lead()
    assert wired.done["sweep"] == 3


def test_the_outbox_is_pruned_on_taking_the_lead_and_then_once_an_hour(wired, clock):
    prunes = []
    for step in (timedelta(), 30 * MINUTE, 29 * MINUTE, MINUTE):
        clock.advance(step)
        wired.board.lead()
        prunes.append(wired.done["prune"])
    assert prunes == [1, 1, 1, 2] and OUTBOX_PRUNE == 60 * MINUTE


def test_the_prune_keeps_the_configured_retention(wired, monkeypatch):
    asked = []
    monkeypatch.setattr(wired.board.outbox, "prune", lambda *, older_than: asked.append(older_than))
    wired.board.lead()
    assert asked == [wired.board.settings.outbox_retention]


def test_follow_up_reminders_run_at_most_every_fifteen_minutes_and_again_after_a_change(wired, clock):
    wired.board.lead()
    clock.advance(FOLLOW_UP_CHECK - SECOND)
    wired.board.lead()
    assert wired.done["remind"] == 1

    wired.declare()  # a saved incident may owe a reminder: the next round looks
    wired.board.lead()
    assert wired.done["remind"] == 2
    clock.advance(FOLLOW_UP_CHECK)
    wired.board.lead()
    assert wired.done["remind"] == 3
