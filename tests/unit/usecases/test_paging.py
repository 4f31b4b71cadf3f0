"""Routing rules, pages and what pagers answer, in-process: the real store, the in-memory outbound, fake pagers whose
answers the test queues, and a clock the test moves. Nothing is sent until a test drains the deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from unit.usecases.fakes import ALICE, BOB, RANKER_OFF, START, FakeExecutors, FakePagers, FakeReceivers, paging_over

from firehouse.commands.containment import LiftFirebreak, PullFirebreak
from firehouse.commands.drills import StartDrill
from firehouse.commands.incidents import ChangeCause, ChangeClass, ChangeSeverity, ChangeStatus, Resolve
from firehouse.commands.paging import PagePager
from firehouse.config.paging import PagerSettings
from firehouse.domain.events import FIREHOUSE
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.pages import Page, PageAcknowledged, PageAnswered, PageRequest, PageRequested, PageState
from firehouse.domain.routing import Routed, Rule
from firehouse.domain.severity import Severity
from firehouse.errors import DomainError, InvalidChange
from firehouse.store import UnitOfWork
from firehouse.store.paging import PagingRepository
from firehouse.store.tables import DeliveryRow
from firehouse.usecases.containment import Containment
from firehouse.usecases.deliveries import Answered
from firehouse.usecases.drills import Drills
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.paging import Paging
from firehouse.usecases.ports import PartnerAnswer

SECOND, MINUTE = timedelta(seconds=1), timedelta(minutes=1)
AI_PLATFORM = PagerSettings(name="ai-platform", kind="pagerduty", url="http://127.0.0.1:9", secret="key",
                            change_events=True)
RANKING = PagerSettings(name="ranking", kind="pagerduty", url="http://127.0.0.1:9", secret="key")
ALERTS = PagerSettings(name="alerts", kind="alertmanager", url="http://127.0.0.1:9")
PAGERS = {"ai-platform": AI_PLATFORM, "ranking": RANKING, "alerts": ALERTS}
LEGAL = Rule(name="legal", match={"class": ("data", "compliance")}, invite=("S0LEGAL", BOB),
             announce=("C0LEGALINC",))
SEV1 = Rule(name="sev1", match={"severity": ("sev1",)}, page=("ai-platform",))
RULES = (LEGAL, SEV1)
BUSY = PartnerAnswer(False, "PagerDuty answered 503", retry=True)
REFUSED = PartnerAnswer(False, "PagerDuty answered 400: Event object is invalid (payload.summary is missing)")
SCENARIO = '''title = "Refund agent holds accounts"
summary = "The refund agent freezes accounts."
alarm = "PagerDuty: fraud holds x50"
class = "action"
severity = "sev1"
why = "An irreversible action reached customers."
PAGERS
'''


@dataclass
class Wired:
    service: IncidentService
    paging: Paging
    pagers: FakePagers

    def declare(self, *, severity: Severity = Severity.SEV2, class_id: str | None = None,
                title: str = "Refund agent approves fraud") -> Incident:
        return self.service.declare(title=title, by=ALICE, severity=severity, class_id=class_id).incident

    def severity(self, incident: Incident, severity: Severity) -> None:
        self.service.change_severity(ChangeSeverity(severity), channel=incident.channel_id, by=ALICE)

    def resolve(self, incident: Incident) -> None:
        self.service.resolve(Resolve(summary="fixed", waiver="no customer saw it"), channel=incident.channel_id,
                             by=ALICE)

    def reopen(self, incident: Incident) -> None:
        self.service.change_status(ChangeStatus(Status.INVESTIGATING), channel=incident.channel_id, by=ALICE)

    def page(self, incident: Incident, pager: str, message: str = "", *, by: str = ALICE):
        return self.paging.page(PagePager(pager, message), channel=incident.channel_id, by=by)

    def pages(self, incident: Incident) -> dict[str, Page]:
        return {page.pager: page for page in self.paging.pages(channel=incident.channel_id)[1]}

    def timeline(self, incident: Incident) -> list[str]:
        with UnitOfWork(self.service.engine) as uow:
            return [entry.text for entry in uow.incidents.timeline(incident.id)]

    def drain(self) -> None:
        self.paging.deliveries.drain()

    def sent(self, action: str | None = None) -> list[tuple[str, str, str]]:
        """(action, pager, dedup key) of every request the pagers got, of one action if named."""
        return [(r.action, r.pager, r.dedup_key) for r in self.pagers.sent if action in (None, r.action)]


@pytest.fixture
def wire(make_service):
    def make(*, rules: tuple[Rule, ...] = RULES, pagers: dict | None = None, **changes) -> Wired:
        service = make_service(pagers=PAGERS if pagers is None else pagers, routing=rules, **changes)
        fake = FakePagers()
        return Wired(service, paging_over(service, pagers=fake, receivers=FakeReceivers()), fake)
    return make


@pytest.fixture
def wired(wire) -> Wired:
    return wire()


def routed(events) -> list[Routed]:
    return [event for event in events if isinstance(event, Routed)]


# --- routing at declaration ------------------------------------------------------------------------------------

def test_a_data_incident_declared_brings_legal_in_with_the_briefing(wired, outbound):
    incident = wired.declare(class_id="data")
    (briefing,) = outbound.briefings
    (route,) = briefing.routes
    assert (route.rule, route.why, route.invite, route.announce, route.page, route.drill, route.by) == (
        "legal", "class data or compliance", ("S0LEGAL", BOB), ("C0LEGALINC",), (), False, FIREHOUSE)
    assert outbound.groups_expected == ["S0LEGAL"]  # read while the channel is created: no third round trip
    assert (f"Routing legal (class data or compliance): invited <!subteam^S0LEGAL>, <@{BOB}>; announced in"
            " <#C0LEGALINC>") in wired.timeline(incident)
    assert wired.pages(incident) == {}


def test_an_output_incident_matches_no_rule_and_reads_no_group(wired, outbound):
    incident = wired.declare(class_id="output")
    assert outbound.briefings[0].routes == () and outbound.groups_expected == []
    assert not any(text.startswith("Routing") for text in wired.timeline(incident))


def test_a_sev1_declared_pages_at_once_quietly_as_the_rules_page(wired, outbound):
    incident = wired.declare(severity=Severity.SEV1)
    (route,) = outbound.briefings[0].routes
    assert (route.rule, route.page) == ("sev1", ("ai-platform",))
    page = wired.pages(incident)["ai-platform"]
    assert (page.state, page.paged_by, page.paged_at) == (PageState.PAGING, "routing sev1", START)
    assert not any(text.startswith("Paging") for text in wired.timeline(incident))  # the rule's entry says it
    assert wired.pagers.sent == []  # nothing leaves before the deliveries are sent
    wired.drain()
    assert wired.sent() == [("trigger", "ai-platform", page.dedup_key)]
    assert wired.pages(incident)["ai-platform"].state is PageState.TRIGGERED
    assert "Paged ai-platform: pagerduty accepted" in wired.timeline(incident)


def test_the_page_request_carries_what_the_pager_shows(wired):
    incident = wired.declare(severity=Severity.SEV1, title="Refund agent approves fraud")
    wired.drain()
    (request,) = wired.pagers.sent
    assert (request.incident_id, request.title, request.severity, request.class_id, request.captain) == (
        incident.id, "Refund agent approves fraud", "sev1", "output", ALICE)
    assert request.link == f"https://slack.com/app_redirect?channel={incident.channel_id}"
    assert (request.at, request.started_at, request.drill) == (START, START, False)
    assert request.dedup_key.startswith(f"firehouse-{incident.id}-ai-platform-")


def test_every_key_a_rule_names_must_match(wire, outbound):
    both = Rule(name="data-sev1", match={"class": ("data",), "severity": ("sev1",)}, page=("ranking",))
    wired = wire(rules=(both,))
    sev2_data = wired.declare(class_id="data", severity=Severity.SEV2)
    sev1_output = wired.declare(class_id="output", severity=Severity.SEV1)
    sev1_data = wired.declare(class_id="data", severity=Severity.SEV1)
    assert [len(b.routes) for b in outbound.briefings] == [0, 0, 1]
    assert (wired.pages(sev2_data), wired.pages(sev1_output)) == ({}, {})
    assert set(wired.pages(sev1_data)) == {"ranking"}


def test_a_list_means_any_of_its_values(wire, outbound):
    wired = wire(rules=(Rule(name="urgent", match={"severity": ("sev1", "sev2")}, page=("ranking",)),))
    for severity in (Severity.SEV1, Severity.SEV2, Severity.SEV3):
        wired.declare(severity=severity)
    assert [[r.rule for r in b.routes] for b in outbound.briefings] == [["urgent"], ["urgent"], []]


def test_a_rule_on_the_cause_applies_when_the_cause_is_named(wire, outbound):
    cause = Rule(name="prompts", match={"class": ("output",), "cause": ("prompt", "model")}, invite=("UPROMPTS",))
    wired = wire(rules=(cause,))
    incident = wired.declare(class_id="output")
    assert outbound.briefings[0].routes == ()
    outbound.publications.clear()
    wired.service.change_cause(ChangeCause("retrieval"), channel=incident.channel_id, by=ALICE)
    assert routed(outbound.published_events) == []
    wired.service.change_cause(ChangeCause("model"), channel=incident.channel_id, by=ALICE)
    (route,) = routed(outbound.published_events)
    assert (route.rule, route.invite, route.why) == ("prompts", ("UPROMPTS",), "class output; cause prompt or model")


def test_a_rule_matching_nothing_named_matches_every_incident(wire, outbound):
    wired = wire(rules=(Rule(name="everyone", invite=("S0ONCALL",)),))
    wired.declare(severity=Severity.SEV3)
    assert [r.why for r in outbound.briefings[0].routes] == ["every incident"]
    assert outbound.groups_expected == ["S0ONCALL"]


def test_two_rules_matching_apply_in_the_files_order_each_once(wired, outbound):
    incident = wired.declare(class_id="data", severity=Severity.SEV1)
    assert [r.rule for r in outbound.briefings[0].routes] == ["legal", "sev1"]
    assert [t for t in wired.timeline(incident) if t.startswith("Routing")] == [
        f"Routing legal (class data or compliance): invited <!subteam^S0LEGAL>, <@{BOB}>; announced in <#C0LEGALINC>",
        "Routing sev1 (severity sev1): paged ai-platform"]


# --- once per rule per incident --------------------------------------------------------------------------------

def test_escalating_de_escalating_and_escalating_again_pages_once(wired, outbound):
    incident = wired.declare(severity=Severity.SEV2)
    wired.severity(incident, Severity.SEV1)
    wired.drain()
    wired.severity(incident, Severity.SEV2)
    wired.drain()
    wired.severity(incident, Severity.SEV1)
    wired.drain()
    assert [r.rule for r in routed(outbound.published_events)] == ["sev1"]
    assert [t for t in wired.timeline(incident) if t.startswith("Routing")] == [
        "Routing sev1 (severity sev1): paged ai-platform"]
    page = wired.pages(incident)["ai-platform"]
    assert wired.sent() == [("trigger", "ai-platform", page.dedup_key)]  # de-escalating resolved nothing
    assert page.state is PageState.TRIGGERED


def test_reclassifying_to_data_pulls_legal_in_mid_incident(wired, outbound):
    incident = wired.declare(class_id="output")
    outbound.publications.clear()
    wired.service.change_class(ChangeClass("data"), channel=incident.channel_id, by=ALICE)
    (publication,) = outbound.publications
    (route,) = routed(publication.events)
    assert (route.rule, route.invite, route.announce, route.drill) == ("legal", ("S0LEGAL", BOB), ("C0LEGALINC",),
                                                                       False)
    assert publication.incident.private  # announced discreetly: the outbound sees a private incident
    wired.service.change_class(ChangeClass("compliance"), channel=incident.channel_id, by=ALICE)
    assert len(routed(outbound.published_events)) == 1  # already applied


def test_a_page_by_hand_first_keeps_the_rule_from_paging_again(wired, outbound):
    incident = wired.declare(severity=Severity.SEV2)
    wired.page(incident, "ai-platform", "refunds over $10k")
    wired.severity(incident, Severity.SEV1)
    (route,) = routed(outbound.published_events)
    assert (route.rule, route.page) == ("sev1", ())
    wired.drain()
    assert len(wired.sent("trigger")) == 1
    assert wired.pages(incident)["ai-platform"].paged_by == ALICE


# --- drills ----------------------------------------------------------------------------------------------------

@pytest.fixture
def drill_wire(wire, tmp_path):
    def make(pagers_line: str = "") -> tuple[Wired, Drills]:
        (tmp_path / "drills").mkdir(exist_ok=True)
        (tmp_path / "drills" / "holds.toml").write_text(SCENARIO.replace("PAGERS", pagers_line))
        wired = wire(rules=(Rule(name="investigations", match={"severity": ("sev3",)}, page=("ai-platform",),
                                 invite=("S0ONCALL",)),),
                     drills_dir=tmp_path / "drills", firebreaks={"ranker-off": RANKER_OFF})
        return wired, Drills(service=wired.service)
    return make


def test_a_drill_shows_what_would_be_paged_and_pages_nobody(drill_wire, outbound):
    wired, drills = drill_wire()
    _, outcome = drills.start(StartDrill("holds"), channel="C0GENERAL", by=ALICE)
    incident = outcome.incident
    (route,) = outbound.briefings[0].routes
    assert (route.drill, route.page, route.invite) == (True, ("ai-platform",), ("S0ONCALL",))
    assert outbound.groups_expected == []  # a drill invites nobody, so reads no group
    assert "Routing investigations (severity sev3) (a drill): would invite <!subteam^S0ONCALL>; would page" \
           " ai-platform" in wired.timeline(incident)
    assert wired.pages(incident)["ai-platform"].state is PageState.SHOWN
    wired.drain()
    assert wired.pagers.sent == []
    with Session(wired.service.engine) as session:
        assert session.exec(select(DeliveryRow)).all() == []  # nothing was even owed


def test_a_drill_paged_by_hand_is_only_shown(drill_wire, outbound):
    wired, drills = drill_wire()
    incident = drills.start(StartDrill("holds"), channel="C0GENERAL", by=ALICE)[1].incident
    outcome = wired.page(incident, "ranking", "practice")
    (requested,) = outcome.events
    assert requested == PageRequested(at=START, by=ALICE, pager="ranking", message="practice", drill=True)
    assert requested.timeline_entry().text == "Would page ranking: practice (a drill: nobody was paged)"
    assert wired.pages(incident)["ranking"].state is PageState.SHOWN
    wired.drain()
    assert wired.pagers.sent == []


def test_a_drill_whose_scenario_says_live_pages_marked_as_a_drill(drill_wire):
    wired, drills = drill_wire('pagers = "live"')
    incident = drills.start(StartDrill("holds"), channel="C0GENERAL", by=ALICE)[1].incident
    assert wired.pages(incident)["ai-platform"].state is PageState.PAGING
    wired.drain()
    (request,) = wired.pagers.sent
    assert (request.action, request.pager, request.drill) == ("trigger", "ai-platform", True)
    assert request.summary.startswith("[DRILL] ")
    assert wired.pages(incident)["ai-platform"].state is PageState.TRIGGERED


# --- /incident page and /incident pages ------------------------------------------------------------------------

def test_paging_by_hand_pages_with_the_message_kept(wired, clock):
    incident = wired.declare()
    clock.advance(3 * MINUTE)
    outcome = wired.page(incident, "ranking", "rival products in the answers")
    assert outcome.events == [PageRequested(at=START + 3 * MINUTE, by=ALICE, pager="ranking",
                                            message="rival products in the answers")]
    assert "Paging ranking: rival products in the answers" in wired.timeline(incident)
    page = wired.pages(incident)["ranking"]
    assert (page.state, page.paged_by, page.message) == (PageState.PAGING, ALICE, "rival products in the answers")
    wired.drain()
    (request,) = wired.pagers.sent
    assert (request.message, request.dedup_key, request.started_at) == (
        "rival products in the answers", page.dedup_key, START + 3 * MINUTE)
    assert request.summary.endswith(": rival products in the answers")


def test_an_unknown_pager_is_refused_listing_the_pagers(wired):
    incident = wired.declare()
    with pytest.raises(DomainError) as refused:
        wired.page(incident, "nobody")
    assert str(refused.value) == "`nobody` is not a pager here. The pagers are `ai-platform`, `ranking`, `alerts`."
    assert wired.pages(incident) == {}


def test_without_pagers_the_refusal_says_none_are_configured(wire):
    wired = wire(rules=(), pagers={})
    incident = wired.declare()
    with pytest.raises(DomainError, match=r"No pagers are configured \(\[pagers\] in the settings\)"):
        wired.page(incident, "ranking")


def test_a_pager_already_paged_and_open_is_not_paged_twice(wired, clock):
    incident = wired.declare()
    wired.page(incident, "ranking")
    wired.drain()
    clock.advance(MINUTE)
    with pytest.raises(InvalidChange) as refused:
        wired.page(incident, "ranking", by=BOB)
    assert str(refused.value) == ("ranking is already paged for this incident (triggered since 09:00 UTC);"
                                  " `/incident pages` shows who acknowledged.")
    wired.drain()
    assert len(wired.pagers.sent) == 1


def test_a_failed_page_paged_again_keeps_its_dedup_key(wired, clock):
    incident = wired.declare()
    wired.pagers.answers.append(REFUSED)
    wired.page(incident, "ranking")
    wired.drain()
    failed = wired.pages(incident)["ranking"]
    assert failed.state is PageState.FAILED
    clock.advance(MINUTE)
    outcome = wired.page(incident, "ranking", "second try", by=BOB)
    assert outcome.events[0].again and outcome.events[0].timeline_entry().text == "Paging again ranking: second try"
    again = wired.pages(incident)["ranking"]
    assert (again.id, again.dedup_key, again.state, again.paged_by, again.message) == (
        failed.id, failed.dedup_key, PageState.PAGING, BOB, "second try")
    wired.drain()
    assert [key for *_, key in wired.sent()] == [failed.dedup_key, failed.dedup_key]
    assert wired.pages(incident)["ranking"].state is PageState.TRIGGERED


def test_a_resolved_incident_is_not_paged(wired):
    incident = wired.declare()
    wired.resolve(incident)
    with pytest.raises(InvalidChange, match=r"^The incident is resolved: reopen it to page\.$"):
        wired.page(incident, "ranking")
    assert wired.pages(incident) == {}


def test_pages_lists_every_page_with_its_state(wired, clock):
    incident = wired.declare(severity=Severity.SEV1)
    wired.pagers.answers += [PartnerAnswer(True, "accepted"), REFUSED]
    clock.advance(2 * MINUTE)
    wired.page(incident, "ranking", "rival products")
    wired.drain()
    clock.advance(3 * MINUTE)
    key = wired.pages(incident)["ai-platform"].dedup_key
    wired.paging.acknowledged(event_id="E1", incident_key=key, state="acknowledged", who="Alex", at=clock())
    shown, pages = wired.paging.pages(channel=incident.channel_id)
    assert shown.id == incident.id
    assert [page.line() for page in pages] == [
        "*ai-platform*: acknowledged by Alex at 09:05 UTC · paged 09:00 UTC by routing sev1",
        f"*ranking*: failed · paged 09:02 UTC by <@{ALICE}> · {REFUSED.text}"]


# --- resolving and reopening -----------------------------------------------------------------------------------

def test_resolving_resolves_every_open_page_with_its_dedup_key(wired, clock):
    incident = wired.declare(severity=Severity.SEV1)
    wired.page(incident, "ranking")
    wired.page(incident, "alerts")
    wired.pagers.answers += [PartnerAnswer(True, "ok"), PartnerAnswer(True, "ok"), REFUSED]
    wired.drain()
    before = wired.pages(incident)
    assert before["alerts"].state is PageState.FAILED
    clock.advance(10 * MINUTE)
    wired.resolve(incident)
    wired.drain()
    assert sorted(wired.sent("resolve")) == sorted(
        ("resolve", name, before[name].dedup_key) for name in ("ai-platform", "ranking"))
    after = wired.pages(incident)
    assert {name: page.state for name, page in after.items()} == {
        "ai-platform": PageState.RESOLVED, "ranking": PageState.RESOLVED, "alerts": PageState.FAILED}
    assert after["ranking"].resolved_at == START + 10 * MINUTE
    assert "Page to ranking resolved: pagerduty accepted" in wired.timeline(incident)


def test_reopening_triggers_the_resolved_pages_again_with_the_same_dedup_key(wired, clock, outbound):
    incident = wired.declare(severity=Severity.SEV1)
    wired.drain()
    key = wired.pages(incident)["ai-platform"].dedup_key
    wired.resolve(incident)
    wired.drain()
    clock.advance(MINUTE)
    outbound.publications.clear()
    wired.reopen(incident)
    assert [e for e in outbound.published_events if isinstance(e, PageRequested)] == [
        PageRequested(at=START + MINUTE, by=FIREHOUSE, pager="ai-platform", again=True)]
    assert routed(outbound.published_events) == []  # the rule was applied already
    wired.drain()
    assert wired.sent() == [("trigger", "ai-platform", key), ("resolve", "ai-platform", key),
                            ("trigger", "ai-platform", key)]
    page = wired.pages(incident)["ai-platform"]
    assert (page.state, page.resolved_at, page.paged_at) == (PageState.TRIGGERED, None, START + MINUTE)


def test_reopening_before_the_resolve_was_sent_still_pages_again(wired, clock):
    """The resolve waits (PagerDuty is down) while the incident reopens: the page must end up triggered."""
    incident = wired.declare(severity=Severity.SEV1)
    wired.drain()
    key = wired.pages(incident)["ai-platform"].dedup_key
    wired.resolve(incident)
    clock.advance(MINUTE)
    wired.reopen(incident)
    wired.drain()
    assert wired.sent() == [("trigger", "ai-platform", key), ("resolve", "ai-platform", key),
                            ("trigger", "ai-platform", key)]
    assert wired.pages(incident)["ai-platform"].state is PageState.TRIGGERED


def test_a_failed_page_is_not_resolved_nor_paged_again_on_reopening(wired):
    incident = wired.declare(severity=Severity.SEV1)
    wired.pagers.answers.append(REFUSED)
    wired.drain()
    wired.resolve(incident)
    wired.reopen(incident)
    wired.drain()
    assert wired.sent() == [("trigger", "ai-platform", wired.pages(incident)["ai-platform"].dedup_key)]
    assert wired.pages(incident)["ai-platform"].state is PageState.FAILED


# --- what PagerDuty answers ------------------------------------------------------------------------------------

def test_a_503_is_said_once_then_retried_quietly_until_taken(wired, clock, outbound):
    incident = wired.declare(severity=Severity.SEV1)
    wired.pagers.answers += [BUSY, BUSY, PartnerAnswer(True, "PagerDuty accepted")]
    outbound.publications.clear()
    wired.drain()
    assert [e for e in outbound.published_events if isinstance(e, PageAnswered)] == [
        PageAnswered(at=START, by=FIREHOUSE, pager="ai-platform", action="trigger", outcome="retrying",
                     said="PagerDuty answered 503")]
    page = wired.pages(incident)["ai-platform"]
    assert (page.state, page.said) == (PageState.PAGING, "PagerDuty answered 503")
    wired.drain()  # not due yet: nothing is sent
    assert len(wired.pagers.sent) == 1
    clock.advance(5 * SECOND)
    wired.drain()
    clock.advance(10 * SECOND)
    wired.drain()
    answered = [e for e in outbound.published_events if isinstance(e, PageAnswered)]
    assert [a.outcome for a in answered] == ["retrying", "sent"]
    assert len(wired.pagers.sent) == 3 and len({r.dedup_key for r in wired.pagers.sent}) == 1
    assert wired.pages(incident)["ai-platform"].state is PageState.TRIGGERED
    timeline = wired.timeline(incident)
    assert timeline.count("Paging ai-platform: PagerDuty answered 503, retrying") == 1
    assert "Paged ai-platform: PagerDuty accepted" in timeline


def test_a_400_fails_at_once_with_pagerdutys_message(wired, clock):
    incident = wired.declare(severity=Severity.SEV1)
    wired.pagers.answers.append(REFUSED)
    wired.drain()
    page = wired.pages(incident)["ai-platform"]
    assert (page.state, page.said) == (PageState.FAILED, REFUSED.text)
    assert f"Paging ai-platform FAILED: {REFUSED.text}" in wired.timeline(incident)
    clock.advance(timedelta(hours=1))
    wired.drain()
    assert len(wired.pagers.sent) == 1


def test_a_pager_failing_for_a_day_is_given_up(wired, clock, outbound):
    incident = wired.declare(severity=Severity.SEV1)
    wired.pagers.answers += [BUSY] * 500
    wired.drain()
    while clock() < START + timedelta(days=1):
        clock.advance(10 * MINUTE)
        wired.drain()
    attempts = len(wired.pagers.sent)
    assert attempts == 1 + 24 * 6  # the first, then one every ten minutes (the longest wait) until a day passed
    page = wired.pages(incident)["ai-platform"]
    assert (page.state, page.said) == (PageState.FAILED, "PagerDuty answered 503")
    answered = [e.outcome for e in outbound.published_events if isinstance(e, PageAnswered)]
    assert answered == ["retrying", "failed"]
    assert "Paging ai-platform FAILED: PagerDuty answered 503" in wired.timeline(incident)
    clock.advance(timedelta(hours=1))
    wired.drain()
    assert len(wired.pagers.sent) == attempts


# --- acknowledgements ------------------------------------------------------------------------------------------

@pytest.fixture
def paged(wired) -> tuple[Incident, str]:
    """A SEV1 whose rule paged ai-platform, taken by PagerDuty; and the page's dedup key."""
    incident = wired.declare(severity=Severity.SEV1)
    wired.drain()
    return incident, wired.pages(incident)["ai-platform"].dedup_key


def test_an_acknowledgement_is_recorded_with_who_and_when(wired, paged, clock, outbound):
    incident, key = paged
    clock.advance(5 * MINUTE)
    outbound.publications.clear()
    taken = START + 4 * MINUTE
    assert wired.paging.acknowledged(event_id="E1", incident_key=key, state="acknowledged", who="Alex",
                                     at=taken) == "recorded"
    page = wired.pages(incident)["ai-platform"]
    assert (page.state, page.acknowledged_by, page.acknowledged_at) == (PageState.ACKNOWLEDGED, "Alex", taken)
    assert outbound.published_events == [PageAcknowledged(at=START + 5 * MINUTE, by=FIREHOUSE, pager="ai-platform",
                                                           state="acknowledged", who="Alex", moment=taken)]
    assert wired.timeline(incident)[-1] == "Paged ai-platform: acknowledged by Alex at 09:04 UTC"


def test_the_same_webhook_twice_is_recorded_once(wired, paged):
    incident, key = paged
    for _ in range(2):
        last = wired.paging.acknowledged(event_id="E1", incident_key=key, state="acknowledged", who="Alex", at=START)
    assert last == "duplicate"
    assert sum("acknowledged by Alex" in text for text in wired.timeline(incident)) == 1


def test_an_unknown_dedup_key_records_nothing(wired, paged):
    incident, _ = paged
    before = wired.timeline(incident)
    assert wired.paging.acknowledged(event_id="E2", incident_key="firehouse-99-elsewhere-000000", state="acknowledged",
                                     who="Alex", at=START) == "unknown"
    assert wired.timeline(incident) == before


def test_a_state_firehouse_does_not_follow_is_ignored(wired, paged):
    incident, key = paged
    assert wired.paging.acknowledged(event_id="E3", incident_key=key, state="escalated", who="Alex",
                                     at=START) == "ignored"
    assert wired.pages(incident)["ai-platform"].state is PageState.TRIGGERED


def test_a_late_acknowledgement_after_the_resolution_is_ignored(wired, paged, clock):
    incident, key = paged
    wired.resolve(incident)
    wired.drain()
    before = wired.timeline(incident)
    clock.advance(MINUTE)
    assert wired.paging.acknowledged(event_id="E4", incident_key=key, state="acknowledged", who="Alex",
                                     at=clock()) == "ignored"
    page = wired.pages(incident)["ai-platform"]
    assert (page.state, page.acknowledged_by) == (PageState.RESOLVED, None)
    assert wired.timeline(incident) == before


def test_unacknowledged_goes_back_to_triggered(wired, paged, clock):
    incident, key = paged
    wired.paging.acknowledged(event_id="E5", incident_key=key, state="acknowledged", who="Alex", at=START)
    clock.advance(30 * MINUTE)
    assert wired.paging.acknowledged(event_id="E6", incident_key=key, state="triggered", who="Alex",
                                     at=clock()) == "recorded"
    page = wired.pages(incident)["ai-platform"]
    assert page.state is PageState.TRIGGERED
    assert page.line().startswith("*ai-platform*: triggered · paged")
    assert wired.timeline(incident)[-1] == "Paged ai-platform: unacknowledged by Alex at 09:30 UTC"


def test_resolved_in_the_pager_is_recorded_and_not_resolved_again(wired, paged, clock):
    incident, key = paged
    assert wired.paging.acknowledged(event_id="E7", incident_key=key, state="resolved", who="Alex",
                                     at=START + MINUTE) == "recorded"
    page = wired.pages(incident)["ai-platform"]
    assert (page.state, page.resolved_at) == (PageState.RESOLVED, START + MINUTE)
    assert wired.timeline(incident)[-1] == "Paged ai-platform: resolved in the pager by Alex at 09:01 UTC"
    assert wired.paging.acknowledged(event_id="E8", incident_key=key, state="resolved", who="Alex",
                                     at=START + MINUTE) == "ignored"


# --- change events, privacy and the Alertmanager's renewal -----------------------------------------------------

def test_a_pulled_and_a_lifted_firebreak_are_change_events_for_live_incidents_only(wire, clock):
    wired = wire(firebreaks={"ranker-off": RANKER_OFF})
    incident = wired.declare()
    containment = Containment(service=wired.service, executors=FakeExecutors())
    clock.advance(MINUTE)
    containment.pull(PullFirebreak("ranker-off"), channel=incident.channel_id, by=ALICE, confirmed=True)
    clock.advance(MINUTE)
    containment.lift(LiftFirebreak("ranker-off"), channel=incident.channel_id, by=ALICE)
    wired.drain()
    changes = [r for r in wired.pagers.sent if r.action == "change"]
    assert [(r.pager, r.message, r.dedup_key, r.drill) for r in changes] == [
        ("ai-platform", "Firebreak ranker-off (kill-switch · ranker) pulled", "", False),
        ("ai-platform", "Firebreak ranker-off (kill-switch · ranker) lifted", "", False)]
    assert changes[0].details == {"firebreak": "ranker-off (kill-switch · ranker)", "answer": "flag off (HTTP 200)"}
    assert changes[0].at == START + MINUTE
    assert wired.pages(incident) == {}  # a change event is no page


def test_a_drill_that_pages_nobody_sends_no_change_events(drill_wire):
    wired, drills = drill_wire()
    incident = drills.start(StartDrill("holds"), channel="C0GENERAL", by=ALICE)[1].incident
    Containment(service=wired.service, executors=FakeExecutors()).pull(
        PullFirebreak("ranker-off"), channel=incident.channel_id, by=ALICE, confirmed=True)
    wired.drain()
    assert wired.pagers.sent == []


def test_a_live_drill_sends_its_change_events_marked(drill_wire):
    wired, drills = drill_wire('pagers = "live"')
    incident = drills.start(StartDrill("holds"), channel="C0GENERAL", by=ALICE)[1].incident
    Containment(service=wired.service, executors=FakeExecutors()).pull(
        PullFirebreak("ranker-off"), channel=incident.channel_id, by=ALICE, confirmed=True)
    wired.drain()
    (change,) = [r for r in wired.pagers.sent if r.action == "change"]
    assert (change.pager, change.drill) == ("ai-platform", True)


def test_a_private_incidents_title_never_reaches_a_pager(wire):
    wired = wire(rules=(Rule(name="all", page=("ai-platform", "alerts")),), firebreaks={"ranker-off": RANKER_OFF})
    incident = wired.declare(class_id="data", title="Tenant A sees tenant B's invoices")
    wired.page(incident, "ranking", "see the war room")
    Containment(service=wired.service, executors=FakeExecutors()).pull(
        PullFirebreak("ranker-off"), channel=incident.channel_id, by=ALICE, confirmed=True)
    wired.drain()
    wired.resolve(incident)
    wired.drain()
    assert len(wired.pagers.sent) == 7  # three triggers, a change event, three resolves
    assert {r.title for r in wired.pagers.sent} == {f"Private incident #{incident.id}"}
    assert not any("invoices" in r.summary for r in wired.pagers.sent)


def test_refresh_re_sends_only_held_alertmanager_pages_of_open_incidents(wire):
    wired = wire(rules=(Rule(name="all", page=("alerts", "ranking")),))
    held = wired.declare()
    resolved = wired.declare()
    waiting = wired.declare()
    wired.pagers.answers += [PartnerAnswer(True, "ok")] * 2 + [BUSY]  # waiting's alert is still being retried
    wired.drain()
    assert wired.pages(waiting)["alerts"].state is PageState.PAGING
    wired.resolve(resolved)
    wired.drain()
    wired.pagers.sent.clear()
    assert wired.paging.refresh() == 1
    assert wired.paging.refresh() == 0  # the renewal not yet taken is not owed twice
    wired.drain()
    (request,) = wired.pagers.sent
    assert (request.action, request.pager, request.incident_id) == ("renew", "alerts", held.id)
    assert request.dedup_key == wired.pages(held)["alerts"].dedup_key
    assert wired.paging.refresh() == 1  # taken: the next minute renews it again


def test_refresh_without_an_alertmanager_sends_nothing(wire):
    wired = wire(rules=(SEV1,), pagers={"ai-platform": AI_PLATFORM})
    wired.declare(severity=Severity.SEV1)
    wired.drain()
    wired.pagers.sent.clear()
    assert wired.paging.refresh() == 0 and wired.pagers.sent == []



# --- edges: changes while resolved, resolving while a trigger waits, drills that end -----------------------------

def test_escalating_a_resolved_incident_pages_nobody_until_it_reopens(wired, outbound, clock):
    incident = wired.declare(severity=Severity.SEV2)
    wired.resolve(incident)
    outbound.publications.clear()
    wired.severity(incident, Severity.SEV1)
    assert routed(outbound.published_events) == []
    assert wired.pages(incident) == {}
    clock.advance(MINUTE)
    wired.reopen(incident)
    (route,) = routed(outbound.published_events)
    assert (route.rule, route.page, route.at) == ("sev1", ("ai-platform",), START + MINUTE)
    wired.drain()
    assert wired.sent() == [("trigger", "ai-platform", wired.pages(incident)["ai-platform"].dedup_key)]


def test_resolving_while_the_trigger_is_retried_pages_nobody_after_the_incident(wired, clock):
    incident = wired.declare(severity=Severity.SEV1)
    wired.pagers.answers.append(BUSY)
    wired.drain()
    wired.resolve(incident)
    assert wired.pages(incident)["ai-platform"].state is PageState.RESOLVED
    clock.advance(5 * SECOND)
    wired.drain()
    key = wired.pages(incident)["ai-platform"].dedup_key
    assert wired.sent() == [("trigger", "ai-platform", key), ("resolve", "ai-platform", key)]  # no trigger after
    page = wired.pages(incident)["ai-platform"]
    assert (page.state, page.resolved_at) == (PageState.RESOLVED, START)


def test_an_acknowledgement_after_the_resolution_but_before_the_resolve_is_sent_is_ignored(wired, paged):
    incident, key = paged
    wired.resolve(incident)
    assert wired.paging.acknowledged(event_id="E9", incident_key=key, state="acknowledged", who="Alex",
                                     at=START) == "ignored"
    assert wired.pages(incident)["ai-platform"].acknowledged_by is None


def test_a_live_drill_that_ends_resolves_its_pages(drill_wire, clock):
    wired, drills = drill_wire('pagers = "live"')
    incident = drills.start(StartDrill("holds"), channel="C0GENERAL", by=ALICE)[1].incident
    wired.drain()
    clock.advance(10 * MINUTE)
    drills.end(channel=incident.channel_id, by=ALICE)
    wired.drain()
    key = wired.pages(incident)["ai-platform"].dedup_key
    assert wired.sent() == [("trigger", "ai-platform", key), ("resolve", "ai-platform", key)]
    assert wired.pages(incident)["ai-platform"].state is PageState.RESOLVED


def test_after_a_reopen_what_pagerduty_says_of_the_alert_before_is_ignored(wired, paged, clock):
    incident, key = paged
    wired.resolve(incident)
    wired.drain()
    clock.advance(MINUTE)
    wired.reopen(incident)
    late = START + 30 * SECOND  # the first alert's resolution, redelivered after the reopen
    assert wired.paging.acknowledged(event_id="E-late", incident_key=key, state="resolved", who="PagerDuty",
                                     at=late) == "ignored"
    assert wired.pages(incident)["ai-platform"].state is PageState.PAGING


def test_a_late_answer_to_the_trigger_before_a_reopen_leaves_the_new_page_alone(wired, clock):
    incident = wired.declare(severity=Severity.SEV1)
    wired.pagers.answers.append(BUSY)
    wired.drain()  # the first trigger is being retried …
    (owed,) = [r for r in wired.paging.deliveries.store.pending() if r.destination == "pager:ai-platform"]
    first = PageRequest.from_json(owed.body)
    wired.resolve(incident)
    clock.advance(MINUTE)
    wired.reopen(incident)  # … and the page is triggered anew
    wired.paging._answered(Answered("pager:ai-platform", incident.id, first.to_json(), REFUSED, 2, final=True))
    assert wired.pages(incident)["ai-platform"].state is PageState.PAGING


def test_a_webhook_whose_recording_failed_is_recorded_when_pagerduty_retries(wired, paged, monkeypatch):
    incident, key = paged

    def store_away(self, page):
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(PagingRepository, "save_page", store_away)
        with pytest.raises(RuntimeError):  # the webhook is answered 503 and PagerDuty sends it again
            wired.paging.acknowledged(event_id="E1", incident_key=key, state="acknowledged", who="Alex", at=START)
    assert wired.paging.acknowledged(event_id="E1", incident_key=key, state="acknowledged", who="Alex",
                                     at=START) == "recorded"
