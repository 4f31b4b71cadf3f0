"""Publishing approved product notices to the status pages, in-process: the real store, the in-memory outbound, a
Statuspage whose answers the test queues, and a clock the test moves. Nothing reaches Statuspage until a test
drains the deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from unit.usecases.fakes import ALICE, BOB, CAROL, FakePagers, FakeReceivers, FakeStatusPages

from firehouse.commands.drills import StartDrill
from firehouse.commands.incidents import AssignRole, ChangeStatus, Resolve
from firehouse.commands.notices import DraftNotice, RecordFacts
from firehouse.comms.templates import TemplateCatalogue
from firehouse.config.statuspage import OwnPageSettings, StatusPageSettings, StatuspageSettings
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.notices import Notice, NoticeStatus
from firehouse.domain.permissions import NotAllowed
from firehouse.domain.severity import Severity
from firehouse.domain.statuspage import (
    DEFAULT_STATES,
    IMPACT,
    PublicStatus,
    Publishing,
    StatusPublished,
    StatusUpdate,
    fingerprint,
)
from firehouse.errors import InvalidChange
from firehouse.store import UnitOfWork
from firehouse.usecases.deliveries import Deliveries
from firehouse.usecases.drills import Drills
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.notices import NoticeDesk
from firehouse.usecases.ports import PartnerAnswer
from firehouse.usecases.statuspage import StatusDesk

OWN = OwnPageSettings(name="Acme status", url="https://status.acme.test",
                      components={"output": "Assistant answers", "data": "Customer data"})
ATLASSIAN = StatuspageSettings(page_id="pg1", api_key="key", url="http://127.0.0.1:9",
                               components={"output": "cmpout", "data": "cmpdata"})
FACTS = {"feature": "the support assistant", "window_start": "09:00 UTC"}


@dataclass
class Wired:
    service: IncidentService
    notices: NoticeDesk
    desk: StatusDesk
    statuspage: FakeStatusPages

    def declare(self, *, severity: Severity = Severity.SEV2, class_id: str = "output",
                title: str = "Assistant tells customers to stop their medication") -> Incident:
        incident = self.service.declare(title=title, by=ALICE, severity=severity, class_id=class_id).incident
        self.notices.record_facts(RecordFacts(FACTS), channel=incident.channel_id, by=ALICE)
        return incident

    def approved(self, incident: Incident, *, text: str | None = None) -> Notice:
        notice = self.notices.draft(DraftNotice("product"), channel=incident.channel_id, by=ALICE)
        if text is not None:
            self.notices.edit(notice_id=notice.id, by=ALICE, text=text)
        return self.notices.approve(notice_id=notice.id, by=ALICE)

    def publish(self, notice: Notice, *, by: str = ALICE):
        return self.desk.publish(notice_id=notice.id, by=by)

    def notice(self, notice: Notice) -> Notice:
        return self.notices.notice(notice.id)

    def updates(self, incident: Incident) -> list[StatusUpdate]:
        with UnitOfWork(self.service.engine) as uow:
            return uow.statuspage.of(incident.id)

    def timeline(self, incident: Incident) -> list[str]:
        with UnitOfWork(self.service.engine) as uow:
            return [entry.text for entry in uow.incidents.timeline(incident.id)]

    def resolve(self, incident: Incident) -> None:
        self.service.resolve(Resolve(summary="rolled back the prompt"), channel=incident.channel_id, by=ALICE)

    def drain(self) -> None:
        self.desk.deliveries.drain()


@pytest.fixture
def wire(make_service):
    def make(*, statuspage: bool = False, own: bool = True) -> Wired:
        service = make_service(status_page=StatusPageSettings(statuspage=ATLASSIAN if statuspage else None,
                                                              firehouse=OWN if own else None))
        fake = FakeStatusPages()
        deliveries = Deliveries(engine=service.engine, settings=service.settings, pagers=FakePagers(),
                                receivers=FakeReceivers(), status_pages=fake, clock=service.clock)
        notices = NoticeDesk(service=service, templates=TemplateCatalogue.with_override(None))
        return Wired(service, notices, StatusDesk(service=service, notices=notices, deliveries=deliveries), fake)
    return make


@pytest.fixture
def own(wire) -> Wired:
    """Firehouse's own page alone: publishing is done in the change itself."""
    return wire()


@pytest.fixture
def atlassian(wire) -> Wired:
    """Atlassian Statuspage and Firehouse's own page: published once Statuspage takes it."""
    return wire(statuspage=True)


# --- Firehouse's own page ----------------------------------------------------------------------------------

def test_publishing_puts_the_approved_text_on_the_page_and_counts_as_sent(own, clock):
    incident = own.declare()
    notice = own.approved(incident)
    clock.advance(timedelta(minutes=3))
    outcome = own.publish(notice)
    (update,) = own.updates(incident)
    title, _, body = notice.approved_text.partition("\n")
    assert (update.state, update.status, update.impact, update.component_state) == (
        Publishing.PUBLISHED, PublicStatus.INVESTIGATING, "major", "partial_outage")
    assert update.title == title.lstrip("# ") == "Incorrect answers from the support assistant"
    assert update.body == body.strip() and update.fingerprint == fingerprint(update.title, body.strip())
    assert outcome.made.published_at == clock()
    published = own.notice(notice)
    assert (published.status, published.sent_by, published.sent_at) == (NoticeStatus.PUBLISHED, ALICE, clock())
    assert own.service.incident_by_id(incident.id).notice_sent_at == clock()  # the SEV1 rule, notices on time
    assert (f"Product notice #{notice.id} published to the status page (investigating), sha256"
            f" {update.fingerprint[:16]}: https://status.acme.test/#{update.public_id}") in own.timeline(incident)
    page = own.desk.public_page()
    (shown,) = page.incidents
    assert (shown.name, shown.status, shown.impact, page.indicator) == (update.title, "investigating", "major", "major")
    assert [(c.name, c.state) for c in page.components] == [("Assistant answers", "partial_outage"),
                                                           ("Customer data", "operational")]


def test_publishing_twice_makes_one_update(own):
    incident = own.declare()
    notice = own.approved(incident)
    own.publish(notice)
    with pytest.raises(InvalidChange, match="already published: one notice is one status update"):
        own.publish(notice)
    assert len(own.updates(incident)) == 1


def test_a_later_notice_is_an_update_of_the_same_public_incident(own):
    incident = own.declare()
    own.publish(own.approved(incident))
    own.service.change_status(ChangeStatus(Status.MONITORING), channel=incident.channel_id, by=ALICE)
    own.publish(own.approved(incident))
    first, second = own.updates(incident)
    assert first.public_id == second.public_id and second.status is PublicStatus.MONITORING
    (shown,) = own.desk.public_page().incidents
    assert [u.status for u in shown.updates] == ["monitoring", "investigating"]  # newest first
    assert shown.monitoring_at == second.published_at


def test_only_an_approved_product_notice_is_published(own):
    incident = own.declare()
    draft = own.notices.draft(DraftNotice("product"), channel=incident.channel_id, by=ALICE)
    with pytest.raises(InvalidChange, match="not approved: only approved text is published"):
        own.publish(draft)
    approved = own.notices.approve(notice_id=draft.id, by=ALICE)
    own.notices.edit(notice_id=approved.id, by=ALICE, text="# Something else\n\nUnreviewed words.")
    with pytest.raises(InvalidChange, match="not approved"):  # the edit withdrew the approval
        own.publish(approved)
    legal = own.notices.draft(DraftNotice("legal"), channel=incident.channel_id, by=ALICE)
    own.service.assign_role(AssignRole("legal", BOB), channel=incident.channel_id, by=ALICE)
    own.notices.approve(notice_id=legal.id, by=BOB)
    with pytest.raises(InvalidChange, match="Only product notices go on the status page"):
        own.publish(legal)
    assert own.updates(incident) == [] and own.desk.public_page().incidents == ()


def test_publishing_needs_the_captain_or_the_comms_role(own):
    incident = own.declare()
    notice = own.approved(incident)
    with pytest.raises(NotAllowed, match="comms role holder"):
        own.publish(notice, by=BOB)
    own.service.assign_role(AssignRole("comms", CAROL), channel=incident.channel_id, by=ALICE)
    own.publish(notice, by=CAROL)
    assert own.notice(notice).sent_by == CAROL


def test_without_a_status_page_there_is_nowhere_to_publish(wire):
    wired = wire(own=False)
    incident = wired.declare()
    with pytest.raises(InvalidChange, match=r"No status page is configured.*\[status_page.firehouse\]"):
        wired.publish(wired.approved(incident))


def test_markup_and_template_syntax_are_published_exactly_as_approved(own):
    incident = own.declare()
    text = "# <script>alert(1)</script> {{ secrets }}\n\n<!channel> **Investigating** <b>bold</b> {% raw %}"
    own.publish(own.approved(incident, text=text))
    (update,) = own.updates(incident)
    assert (update.title, update.body) == ("<script>alert(1)</script> {{ secrets }}",
                                           "<!channel> **Investigating** <b>bold</b> {% raw %}")


def test_a_private_incident_shows_only_its_approved_public_text(own):
    incident = own.declare(class_id="data", title="Leak of Jane Doe's records")
    assert incident.private
    own.publish(own.approved(incident))
    page = own.desk.public_page()
    shown = repr(page)
    assert "Jane Doe" not in shown and ALICE not in shown and incident.channel_id not in shown
    (update,) = own.updates(incident)
    assert page.incidents[0].name == update.title and page.incidents[0].updates[0].body == update.body
    assert [(c.name, c.state) for c in page.components] == [("Assistant answers", "operational"),
                                                           ("Customer data", "partial_outage")]


# --- Atlassian Statuspage ------------------------------------------------------------------------------------

def test_statuspage_takes_the_update_before_it_counts_as_published(atlassian):
    incident = atlassian.declare(severity=Severity.SEV1)
    notice = atlassian.approved(incident)
    atlassian.publish(notice)
    assert atlassian.notice(notice).status is NoticeStatus.PUBLISHING
    assert atlassian.desk.public_page().incidents == ()  # nothing public until Statuspage took it
    with pytest.raises(InvalidChange, match="already publishing"):
        atlassian.publish(notice)
    atlassian.drain()
    ((opened, update, components),) = atlassian.statuspage.sent
    assert (opened, update.status, update.impact, components) == (None, "investigating", "critical",
                                                                  {"cmpout": "major_outage"})
    (stored,) = atlassian.updates(incident)
    assert (stored.state, stored.statuspage_id, stored.statuspage_link) == (
        Publishing.PUBLISHED, "sp1", "https://stspg.io/sp1")
    assert atlassian.notice(notice).status is NoticeStatus.PUBLISHED
    assert (f"Product notice #{notice.id} published to the status page (investigating), sha256"
            f" {stored.fingerprint[:16]} as Statuspage incident sp1: https://stspg.io/sp1"
            in atlassian.timeline(incident))
    assert len(atlassian.desk.public_page().incidents) == 1


def test_later_updates_update_the_incident_statuspage_opened(atlassian):
    incident = atlassian.declare()
    first, second = atlassian.approved(incident), atlassian.approved(incident)
    atlassian.publish(first)
    atlassian.publish(second)
    atlassian.drain()  # both in one lane: the second must know the incident the first opened
    assert [sent[0] for sent in atlassian.statuspage.sent] == [None, "sp1"]


def test_a_refusal_publishes_nothing_and_gives_publish_back(atlassian):
    incident = atlassian.declare()
    notice = atlassian.approved(incident)
    atlassian.publish(notice)
    atlassian.statuspage.answers.append(PartnerAnswer(False, "Statuspage refused the API key (401)"))
    atlassian.drain()
    (update,) = atlassian.updates(incident)
    assert (update.state, update.said) == (Publishing.FAILED, "Statuspage refused the API key (401)")
    assert atlassian.notice(notice).status is NoticeStatus.APPROVED
    assert atlassian.service.incident_by_id(incident.id).notice_sent_at is None
    assert atlassian.desk.public_page().incidents == ()
    assert (f"Product notice #{notice.id} was NOT published: Statuspage refused the API key (401)"
            in atlassian.timeline(incident))
    atlassian.publish(notice)  # fixed: publish again, and this time it opens the incident
    atlassian.drain()
    assert [sent[0] for sent in atlassian.statuspage.sent] == [None, None]
    assert atlassian.notice(notice).status is NoticeStatus.PUBLISHED


def test_a_busy_statuspage_is_retried_and_said_once(atlassian, clock):
    incident = atlassian.declare()
    notice = atlassian.approved(incident)
    atlassian.publish(notice)
    atlassian.statuspage.answers += [PartnerAnswer(False, "Statuspage answered 503", retry=True)] * 2
    for _ in range(3):
        atlassian.drain()
        clock.advance(timedelta(minutes=1))
    assert len(atlassian.statuspage.sent) == 3
    said = [text for text in atlassian.timeline(incident) if "did not take" in text]
    assert said == [f"The status page did not take product notice #{notice.id} yet: Statuspage answered 503;"
                    " retrying"]
    assert atlassian.notice(notice).status is NoticeStatus.PUBLISHED


# --- resolving ------------------------------------------------------------------------------------------------

def test_resolving_drafts_the_resolved_notice_and_the_page_resolves_only_when_it_is_published(own, outbound):
    incident = own.declare()
    own.publish(own.approved(incident))
    own.resolve(incident)
    with UnitOfWork(own.service.engine) as uow:
        drafted = uow.notices.of(incident.id)[-1]
    assert (drafted.lane, drafted.status) == ("product", NoticeStatus.DRAFT)
    assert drafted.text.startswith("# Resolved: incorrect answers from the support assistant")
    assert (f"The status page still shows the incident open: product notice #{drafted.id} drafted to resolve it"
            " there") in own.timeline(incident)
    owed = [e for p in outbound.publications for e in p.events if isinstance(e, StatusPublished)][-1]
    assert (owed.what, owed.notice_id) == ("owed", drafted.id)
    assert own.desk.public_page().indicator == "major"  # still open: nobody approved the resolution yet
    own.publish(own.notices.approve(notice_id=drafted.id, by=ALICE))
    page = own.desk.public_page()
    (shown,) = page.incidents
    assert (shown.status, shown.resolved_at is not None, page.indicator) == ("resolved", True, "none")
    assert {c.state for c in page.components} == {"operational"}


def test_resolving_an_incident_never_published_drafts_nothing(own):
    incident = own.declare()
    own.resolve(incident)
    with UnitOfWork(own.service.engine) as uow:
        assert uow.notices.of(incident.id) == []


# --- drills ---------------------------------------------------------------------------------------------------

def test_a_drill_shows_what_would_have_gone_out_and_publishes_nothing(atlassian, outbound):
    drills = Drills(service=atlassian.service)
    drill = drills.start(StartDrill("eval-gate-override"), channel="C0SOMEWHERE", by=ALICE)[1].incident
    atlassian.notices.record_facts(RecordFacts(FACTS), channel=drill.channel_id, by=ALICE)
    notice = atlassian.approved(drill)
    outcome = atlassian.publish(notice)
    assert outcome.made is None and atlassian.updates(drill) == []
    assert atlassian.notice(notice).status is NoticeStatus.APPROVED
    assert any(text.startswith(f"A drill: product notice #{notice.id} would have been published")
               for text in atlassian.timeline(drill))
    (previewed,) = [e for p in outbound.publications for e in p.events if isinstance(e, StatusPublished)]
    assert previewed.said == f"impact {IMPACT[drill.severity]}, the {drill.class_id} component" \
                             f" {DEFAULT_STATES[f'sev{int(drill.severity)}']}"
    atlassian.drain()
    assert atlassian.statuspage.sent == [] and atlassian.desk.public_page().incidents == ()
