"""The pipeline every change runs through: load, permit, decide, save, publish — and nothing half-done."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from unit.usecases.fakes import ALICE, BOB

from firehouse.domain.permissions import Action, NotAllowed
from firehouse.domain.severity import Severity
from firehouse.errors import DomainError, Missing, NotAWarRoom
from firehouse.usecases.effects import LockNudge
from firehouse.usecases.pipeline import Decision, by_id, change, war_room, write
from firehouse.usecases.ports import Post


def timeline_texts(service, incident_id: int) -> list[str]:
    with service.context.unit_of_work() as uow:
        return [entry.text for entry in uow.incidents.timeline(incident_id)]


def test_a_change_is_saved_with_its_events_and_published_after_the_commit(service, declared, outbound, clock):
    seen_in_store = []
    outbound.publish = lambda incident, events: seen_in_store.append(timeline_texts(service, incident.id)) or []

    outcome = change(service.context, war_room(declared.channel_id), by=ALICE, needs=Action.LOG,
                     decide=lambda uow, target: target.incident.log(text="rolled back", by=ALICE, at=clock()))

    assert [e.timeline_entry().text for e in outcome.events] == ["rolled back"]
    assert "rolled back" in timeline_texts(service, declared.id)
    assert seen_in_store and "rolled back" in seen_in_store[0]  # the publication came after the commit


def test_a_refused_permission_decides_nothing_and_writes_nothing(service, declared, outbound, clock):
    decided = []
    before = timeline_texts(service, declared.id)

    with pytest.raises(NotAllowed):
        change(service.context, war_room(declared.channel_id), by=BOB, needs=Action.RESOLVE,
               decide=lambda uow, target: decided.append(target) or [])

    assert decided == [] and timeline_texts(service, declared.id) == before and outbound.publications == []


def test_a_permission_that_depends_on_what_was_loaded_is_asked_of_it(service, declared):
    asked = []

    def needs(target):
        asked.append(target.incident.id)
        return (Action.LOG, Action.DEESCALATE)

    with pytest.raises(NotAllowed) as refused:
        change(service.context, war_room(declared.channel_id), by=BOB, needs=needs, decide=lambda uow, target: [])
    assert asked == [declared.id] and "lower the severity" in str(refused.value)


def test_a_decision_that_fails_leaves_no_event_and_no_post(service, declared, outbound, clock):
    def decide(uow, target):
        target.incident.log(text="half", by=ALICE, at=clock())
        outbound.owe(uow, target.incident, [Post("lock-nudge", declared.channel_id, LockNudge(target.incident, ()),
                                                 clock())])
        raise DomainError("refused half way")

    with pytest.raises(DomainError):
        change(service.context, war_room(declared.channel_id), by=ALICE, needs=None, decide=decide)

    assert "half" not in timeline_texts(service, declared.id) and outbound.delivered == []
    with service.context.unit_of_work() as uow:  # the post staged before the failure was rolled back too
        assert uow.session.execute(text("select count(*) from outbox")).scalar_one() == 0


def test_posts_are_recorded_with_the_change_and_delivered_after_it(service, declared, outbound, clock):
    post = Post("lock-nudge", declared.channel_id, LockNudge(declared, ("a postmortem",)), clock())

    outcome = change(service.context, by_id(declared.id), by=ALICE, needs=None, publish=False,
                     decide=lambda uow, target: Decision([], [post], made="nudged"))

    assert outcome.made == "nudged" and outbound.owed == [(declared.id, post)]
    assert len(outbound.delivered) == 1 and outbound.publications == []


def test_a_change_of_severity_moves_the_next_update(service, declared, clock):
    """SEV2 asks every 30 minutes, SEV1 every 15: the pipeline re-times the cadence the decision changed."""
    assert declared.next_update_due == clock() + timedelta(minutes=30)

    outcome = change(service.context, war_room(declared.channel_id), by=ALICE, needs=Action.ESCALATE,
                     decide=lambda uow, target: target.incident.change_severity(Severity.SEV1, by=ALICE, at=clock()))

    assert outcome.incident.next_update_due == clock() + timedelta(minutes=15)
    assert service.incident_by_id(declared.id).next_update_due == clock() + timedelta(minutes=15)


def test_every_saved_incident_is_told_to_the_listeners(service, declared, clock):
    told = []
    service.context.after_save.append(lambda incident: told.append(incident.id))
    change(service.context, by_id(declared.id), by=ALICE, needs=None, decide=lambda uow, target: [])
    assert told == [declared.id]


def test_loading_what_is_not_there_says_so(service):
    with pytest.raises(NotAWarRoom, match="not a war room"):
        change(service.context, war_room("C404"), by=ALICE, needs=None, decide=lambda uow, target: [])
    with pytest.raises(Missing, match="Incident #99 does not exist"):
        service.context.read(by_id(99))
    with pytest.raises(NotAWarRoom, match="Incident #99 does not exist"):  # as a person looking it up is told
        service.incident_by_id(99)


def test_the_status_boards_own_job_tells_no_listener(service, declared, clock):
    """The board places its next job itself, and its reminders change nothing a listener follows."""
    told = []
    service.context.after_save.append(lambda incident: told.append(incident.id))
    change(service.context, by_id(declared.id), by=ALICE, needs=None, tell=False, decide=lambda uow, target: [])
    assert told == []


def test_record_commits_work_about_no_one_incident(service, clock):
    assert write(service.context, lambda uow: uow.incidents.first_delivery("Ev1", at=clock())) is True
    assert write(service.context, lambda uow: uow.incidents.first_delivery("Ev1", at=clock())) is False
