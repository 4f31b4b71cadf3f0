"""Publishing when things happen at once or go wrong in between: two clicks together, words approved for another
status, an answer lost in a crash, a retry after Statuspage took the update, components two incidents share, an
incident reopened long ago, and a failure after a resolve committed."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, update
from unit.usecases.fakes import ALICE
from unit.usecases.test_status_publishing import FACTS, Wired, atlassian, own, wire  # noqa: F401

from firehouse.commands.incidents import ChangeStatus
from firehouse.commands.notices import RecordFacts
from firehouse.domain.lifecycle import Status
from firehouse.domain.notices import NoticeStatus
from firehouse.domain.severity import Severity
from firehouse.domain.statuspage import Publishing
from firehouse.errors import InvalidChange
from firehouse.store import UnitOfWork
from firehouse.store.tables import DeliveryRow
from firehouse.usecases.ports import PartnerAnswer


def test_two_clicks_at_once_make_one_update(own):  # noqa: F811
    incident = own.declare()
    notice = own.approved(incident)
    start, refused = threading.Barrier(2), []

    def click() -> None:
        start.wait()
        try:
            own.publish(notice)
        except InvalidChange as refusal:
            refused.append(str(refusal))

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for each in clicks:
        each.start()
    for each in clicks:
        each.join()
    assert len(own.updates(incident)) == 1 and len(refused) == 1
    assert "publish" in refused[0]  # already publishing or published, whichever the second click saw


def test_words_approved_for_another_status_are_not_published(own):  # noqa: F811
    incident = own.declare()
    before = own.approved(incident)  # "we are investigating"
    own.resolve(incident)
    with pytest.raises(InvalidChange, match="approved while the incident was investigating; it is resolved now"):
        own.publish(before)
    assert own.desk.public_page().incidents == ()


def test_a_lost_answer_is_recorded_by_the_leaders_recovery(atlassian, clock):  # noqa: F811
    incident = atlassian.declare()
    notice = atlassian.approved(incident)
    atlassian.publish(notice)
    atlassian.desk.deliveries.on_answer.clear()  # the process stops between Statuspage's answer and its record
    atlassian.drain()
    assert atlassian.notice(notice).status is NoticeStatus.PUBLISHING
    assert atlassian.desk.recover() == 0  # a moment later it may still be on its way: not yet
    clock.advance(timedelta(minutes=2))
    assert atlassian.desk.recover() == 1
    (stored,) = atlassian.updates(incident)
    assert (stored.state, stored.statuspage_id, stored.statuspage_link) == (
        Publishing.PUBLISHED, "sp1", "https://stspg.io/sp1")
    assert atlassian.notice(notice).status is NoticeStatus.PUBLISHED
    assert atlassian.desk.recover() == 0


def test_a_retry_after_statuspage_took_the_update_updates_the_same_incident(atlassian, clock):  # noqa: F811
    incident = atlassian.declare()
    atlassian.publish(atlassian.approved(incident))
    atlassian.desk.deliveries.on_answer.clear()
    atlassian.drain()
    with Session(atlassian.service.engine) as session:  # the crash came before the delivery was marked done
        session.exec(update(DeliveryRow).values(done_at=None))
        session.commit()
    atlassian.drain()
    assert [sent[0] for sent in atlassian.statuspage.sent] == [None, "sp1"]  # never a second incident


def test_a_component_another_open_incident_holds_stays_down_on_statuspage(atlassian):  # noqa: F811
    first, second = atlassian.declare(severity=Severity.SEV1), atlassian.declare(title="Assistant swears")
    atlassian.publish(atlassian.approved(first))
    atlassian.publish(atlassian.approved(second))
    atlassian.drain()
    atlassian.service.change_status(ChangeStatus(Status.MONITORING), channel=second.channel_id, by=ALICE)
    atlassian.publish(atlassian.approved(second))
    atlassian.resolve(second)
    resolved = atlassian.notices.notice(max(n.id for n in notices_of(atlassian, second)))
    atlassian.publish(atlassian.notices.approve(notice_id=resolved.id, by=ALICE))
    atlassian.drain()
    assert [components for _, _, components in atlassian.statuspage.sent] == [
        {"cmpout": "major_outage"}, {"cmpout": "major_outage"},  # the SEV2 cannot lighten what the SEV1 holds
        {"cmpout": "major_outage"}, {"cmpout": "major_outage"}]
    page = atlassian.desk.public_page()
    assert [c.state for c in page.components if c.key == "output"] == ["major_outage"]


def test_an_incident_reopened_stays_on_the_page_however_long_ago_its_last_update(own, clock):  # noqa: F811
    incident = own.declare()
    own.publish(own.approved(incident))
    own.resolve(incident)
    resolved = notices_of(own, incident)[-1]
    own.publish(own.notices.approve(notice_id=resolved.id, by=ALICE))
    own.service.change_status(ChangeStatus(Status.INVESTIGATING), channel=incident.channel_id, by=ALICE)
    own.notices.record_facts(RecordFacts(FACTS), channel=incident.channel_id, by=ALICE)
    own.publish(own.approved(incident))
    clock.advance(timedelta(days=91))
    page = own.desk.public_page()
    assert [(i.status, len(i.updates)) for i in page.incidents] == [("investigating", 3)]
    assert page.indicator == "major"


def test_each_incident_has_one_public_id_however_its_updates_came(own):  # noqa: F811
    first, second = own.declare(), own.declare(title="Another")
    for incident in (first, second, first):
        own.publish(own.approved(incident))
    ids = {incident.id: {u.public_id for u in own.updates(incident)} for incident in (first, second)}
    assert len(ids[first.id]) == 1 and len(ids[second.id]) == 1 and ids[first.id] != ids[second.id]


def test_a_failure_after_a_resolve_leaves_the_resolve_standing(own):  # noqa: F811
    incident = own.declare()
    own.publish(own.approved(incident))
    own.service.context.settled[:] = [lambda incident, events: 1 / 0]
    own.resolve(incident)  # no error for the person who resolved
    assert own.service.incident_by_id(incident.id).status is Status.RESOLVED


def notices_of(wired: Wired, incident):
    with UnitOfWork(wired.service.engine) as uow:
        return uow.notices.of(incident.id)


def test_an_incident_deleted_in_statuspage_is_opened_again_by_the_next_publish(atlassian):  # noqa: F811
    incident = atlassian.declare()
    atlassian.publish(atlassian.approved(incident))
    atlassian.drain()
    second = atlassian.approved(incident)
    atlassian.publish(second)
    atlassian.statuspage.answers.append(PartnerAnswer(False, "Statuspage incident sp1 is gone (404)", gone=True))
    atlassian.drain()
    assert atlassian.notice(second).status is NoticeStatus.APPROVED  # refused: Publish is back
    atlassian.publish(second)
    atlassian.drain()
    assert [sent[0] for sent in atlassian.statuspage.sent] == [None, "sp1", None]
    assert atlassian.notice(second).status is NoticeStatus.PUBLISHED
