"""Follow-up reminders through the leader's round, in-process: the real wiring over the fake Slack, a clock
set by hand, and a scheduler that is never started (the test calls `lead()` itself). On SQLite this process
always holds the lead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from unit.usecases.fakes import ALICE, BOB, START

from firehouse.commands.afteraction import AddAction
from firehouse.commands.incidents import Resolve
from firehouse.bolt.handlers import Services
from firehouse.bootstrap import build
from firehouse.config import Settings
from firehouse.domain.model import Incident
from firehouse.scheduler.board import StatusBoard
from firehouse.store import UnitOfWork

DAY, HOUR = timedelta(days=1), timedelta(hours=1)
TODAY = START.date()


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass
class Wired:
    """What one `build` wired: one process's use cases and status board, over the shared store."""

    services: Services
    board: StatusBoard
    engine: Engine

    def follow_up(self, incident: Incident, *, owner: str = BOB, due: date = TODAY) -> int:
        action, _ = self.services.afteraction.add_action(AddAction("Add a rival-brand eval to the release gate", owner=owner, due=due),
                                                         channel=incident.channel_id, by=ALICE)
        return action.id


@pytest.fixture
def wire(engine, gateway, clock, fake):
    """`build` over the fake Slack; each call is a fresh process over the same database."""
    built: list[Wired] = []

    def make() -> Wired:
        settings = Settings(bot_token=fake.bot_token, signing_secret="secret", stakeholder_channel=fake.stakeholders)
        services, board = build(settings, engine=engine, gateway=gateway, clock=clock)
        built.append(Wired(services, board, engine))
        return built[-1]

    yield make
    for wired in built:
        wired.services.incidents.outbound.fan_out.shutdown()


@pytest.fixture
def wired(wire) -> Wired:
    return wire()


@pytest.fixture
def incident(wired) -> Incident:
    return wired.services.incidents.declare(title="Bot recommends rival products", by=ALICE).incident


def reminders(fake, user: str = BOB) -> list[str]:
    """The follow-up reminders in a user's direct messages."""
    return [m["text"] for m in fake.messages(user) if "overdue" in m["text"]]


def test_before_the_due_day_is_over_the_leader_reminds_nobody(wired, incident, fake, clock):
    wired.follow_up(incident, due=TODAY)
    wired.board.lead()
    clock.set(midnight(TODAY + DAY) - timedelta(microseconds=1))
    wired.board.lead()
    assert reminders(fake) == []


def test_at_the_moment_it_falls_overdue_the_leader_sends_the_owner_one_direct_message(wired, incident, fake, clock):
    action_id = wired.follow_up(incident, due=TODAY)
    wired.board.lead()  # learns when the reminders next have work
    clock.set(midnight(TODAY + DAY))
    wired.board.lead()
    [reminder] = reminders(fake)
    assert reminder.startswith(f":alarm_clock: Follow-up #{action_id} from ")
    assert "is 1 day overdue: Add a rival-brand eval to the release gate" in reminder
    assert f"<#{incident.channel_id}>" in reminder
    assert reminders(fake, ALICE) == []


def test_further_rounds_the_same_day_do_not_repeat_the_reminder(wired, incident, fake, clock):
    wired.follow_up(incident, due=TODAY)
    reminded = clock.set(midnight(TODAY + DAY))
    wired.board.lead()
    for later in (reminded, reminded + HOUR, reminded + DAY - timedelta(seconds=1)):
        clock.set(later)
        wired.board.lead()
    assert len(reminders(fake)) == 1
    clock.set(reminded + DAY)
    wired.board.lead()
    assert [r.split(" is ")[1].split(" overdue")[0] for r in reminders(fake)] == ["1 day", "2 days"]


def test_a_restart_the_same_day_does_not_repeat_the_reminder(wire, wired, incident, fake, clock):
    before = wired
    before.follow_up(incident, due=TODAY)
    reminded = clock.set(midnight(TODAY + DAY) + 8 * HOUR)
    before.board.lead()
    before.board.lead()  # a later round writes down that the post was sent
    clock.advance(HOUR)
    after = wire()  # a new process over the same database
    after.board.lead()
    clock.advance(HOUR)
    after.board.lead()
    assert len(reminders(fake)) == 1
    clock.set(reminded + DAY)
    after.board.lead()
    assert len(reminders(fake)) == 2


def test_a_restart_right_after_sending_before_it_was_written_down_does_not_repeat_the_reminder(
        wire, wired, incident, fake, clock, engine):
    before = wired
    before.follow_up(incident, due=TODAY)
    clock.set(midnight(TODAY + DAY))
    before.board.lead()  # sent; its confirmation is still only in this process's memory
    after = wire()
    after.board.lead()  # the new leader finds the unconfirmed post already in the owner's messages
    after.board.lead()
    assert len(reminders(fake)) == 1
    with UnitOfWork(engine) as uow:
        [action] = uow.afteraction.actions(incident.id)
    assert action.reminded_at == midnight(TODAY + DAY)


def test_an_action_added_after_the_leader_looked_is_reminded_when_it_falls_due(wired, incident, fake, clock):
    # Resolved, so its status-board job is gone: a scheduler that never started keeps no job to compare with.
    wired.services.incidents.resolve(Resolve(), channel=incident.channel_id, by=ALICE)
    wired.board.lead()  # nothing due before the lock nudge, tomorrow 09:00
    wired.follow_up(incident, due=TODAY)  # the save tells this process's board to look again
    clock.set(midnight(TODAY + DAY))
    wired.board.lead()
    assert len(reminders(fake)) == 1


def test_an_action_added_by_another_process_is_reminded_when_it_falls_due(wire, wired, incident, fake, clock):
    wired.follow_up(incident, due=TODAY + 10 * DAY)
    wired.board.lead()  # the leader's next follow-up work: in eleven days
    other = wire()  # another replica (on PostgreSQL) takes the command
    other.follow_up(incident, due=TODAY)
    clock.set(midnight(TODAY + DAY) + HOUR)
    wired.board.lead()
    assert len(reminders(fake)) == 1
