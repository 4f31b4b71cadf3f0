"""Declaring and changing incidents, in-process: a SQLite store, the outbound port in memory, a set clock."""

from __future__ import annotations

import inspect
import re
from datetime import timedelta

import pytest
from unit.usecases.fakes import (
    ALICE,
    BOB,
    CAROL,
    DANA,
    FRAUD_RATE,
    GONE,
    PROM,
    RANKER_OFF,
    ROBOT,
    STAKEHOLDERS,
    START,
    FakeExecutors,
    FakeMetrics,
    FakeOutbound,
    FakeTraces,
    paging_over,
)

from firehouse.bolt.handlers import Request, Services
from firehouse.bolt.table import COMMANDS, parse
from firehouse.commands.evidence import Freeze
from firehouse.commands.incidents import ChangeClass, ChangeSeverity, ChangeStatus, HandOver, Resolve
from firehouse.comms.templates import TemplateCatalogue
from firehouse.config.paging import PagerSettings
from firehouse.domain.events import (
    CaptainHandedOver,
    ClassChanged,
    IncidentDeclared,
    SeverityChanged,
    StatusChanged,
)
from firehouse.domain.lifecycle import Status
from firehouse.domain.permissions import ANYONE, CAPTAIN, Action, NotAllowed, Policy
from firehouse.domain.severity import Severity
from firehouse.errors import DomainError, NotAWarRoom, SlackFailure
from firehouse.integrations.bagging import BagItPacker
from firehouse.store import UnitOfWork
from firehouse.usecases.afteraction import AfterAction
from firehouse.usecases.containment import Containment
from firehouse.usecases.destinations import Destinations
from firehouse.usecases.drills import Drills
from firehouse.usecases.evidence import Evidence
from firehouse.usecases.evidence_pack import EvidencePacks
from firehouse.usecases.incidents import NAME_ATTEMPTS, TOKEN_ATTEMPTS, IncidentService
from firehouse.usecases.notices import NoticeDesk
from firehouse.usecases.ports import Outbound
from firehouse.usecases.signals import Signals
from firehouse.usecases.stats import Stats
from firehouse.usecases.statuspage import StatusDesk
from firehouse.usecases.updates import Updates

STAYS_PUBLIC = "This war room stays public"


def timeline(service: IncidentService, channel: str) -> list:
    with UnitOfWork(service.engine) as uow:
        return uow.incidents.timeline(uow.incidents.by_channel(channel).id)


def stored(service: IncidentService, channel: str):
    with UnitOfWork(service.engine) as uow:
        return uow.incidents.by_channel(channel)


# --- the fake itself ----------------------------------------------------------------------------------


def test_the_fake_outbound_has_every_method_of_the_port_with_the_same_parameters():
    for name, method in inspect.getmembers(Outbound, inspect.isfunction):
        if name.startswith("_"):
            continue
        assert list(inspect.signature(getattr(FakeOutbound, name)).parameters) == list(
            inspect.signature(method).parameters), name


# --- declaring -----------------------------------------------------------------------------------------


def test_declare_records_the_incident_and_its_timeline_and_starts_the_update_clock(service, outbound):
    outcome = service.declare(title="Bot recommends rival products", by=ALICE, severity=Severity.SEV2)

    incident = stored(service, outcome.incident.channel_id)
    assert incident == outcome.incident
    assert incident.id is not None and incident.captain == ALICE and incident.severity is Severity.SEV2
    assert incident.channel_name == "inc-20260302-bot-recommends-rival-products"
    assert incident.declared_at == START and incident.next_update_due == START + timedelta(minutes=30)
    assert [type(e) for e in outcome.events] == [IncidentDeclared]
    assert [(e.kind, e.author, e.at) for e in timeline(service, incident.channel_id)] == [("declared", ALICE, START)]


def test_declare_briefs_the_new_war_room_once_inviting_the_declarer_and_the_captain(service, outbound):
    outcome = service.declare(title="Agent refunds every order", by=ALICE, captain=BOB, class_id="action")

    [(channel, private)] = outbound.created
    assert (channel.id, channel.name) == (outcome.incident.channel_id, outcome.incident.channel_name)
    assert private is False
    [briefing] = outbound.briefings
    assert briefing.incident.id == outcome.incident.id and briefing.incident.captain == BOB
    assert briefing.incident_class.id == "action"
    assert briefing.invite == (ALICE, BOB)
    assert outbound.publications == []  # the briefing is the announcement


def test_a_private_class_opens_a_private_war_room(service, outbound):
    outcome = service.declare(title="Support bot pastes other tenants' tickets", by=ALICE, class_id="data")
    assert outbound.created[0][1] is True
    assert outcome.incident.private


def test_declare_retries_a_taken_channel_name_with_a_numbered_one(service, outbound):
    outbound.name_taken = 2
    outcome = service.declare(title="Search ranks spam first", by=ALICE)

    base = "inc-20260302-search-ranks-spam-first"
    assert outbound.names_tried == [base, f"{base}-2", f"{base}-3"]
    assert outcome.incident.channel_name == f"{base}-3"
    assert stored(service, outcome.incident.channel_id).channel_name == f"{base}-3"


def test_declare_falls_back_to_a_random_suffix_once_every_numbered_name_is_taken(service, outbound):
    outbound.name_taken = NAME_ATTEMPTS
    outcome = service.declare(title="Search ranks spam first", by=ALICE)

    base = "inc-20260302-search-ranks-spam-first"
    assert outbound.names_tried[:NAME_ATTEMPTS] == [base, *(f"{base}-{n}" for n in range(2, NAME_ATTEMPTS + 1))]
    assert re.fullmatch(rf"{base}-[0-9a-f]{{6}}", outcome.incident.channel_name)
    assert len(outcome.incident.channel_name) <= 80
    assert stored(service, outcome.incident.channel_id).channel_name == outcome.incident.channel_name


def test_a_long_title_leaves_room_for_the_random_suffix_within_slacks_80_characters(service, outbound):
    outbound.name_taken = NAME_ATTEMPTS
    outcome = service.declare(title="Refund bot promises everything " * 4, by=ALICE)
    assert re.fullmatch(r"[a-z0-9-]{1,80}", outcome.incident.channel_name)
    assert re.search(r"-[0-9a-f]{6}$", outcome.incident.channel_name)


def test_random_suffixes_differ_from_one_try_to_the_next(service, outbound):
    outbound.name_taken = NAME_ATTEMPTS + 1
    service.declare(title="Search ranks spam first", by=ALICE)
    assert len(set(outbound.names_tried)) == NAME_ATTEMPTS + 2


def test_declare_gives_up_only_when_even_the_random_names_are_taken_and_records_nothing(service, outbound):
    outbound.name_taken = NAME_ATTEMPTS + TOKEN_ATTEMPTS
    with pytest.raises(SlackFailure, match="name_taken"):
        service.declare(title="Search ranks spam first", by=ALICE)
    assert len(outbound.names_tried) == NAME_ATTEMPTS + TOKEN_ATTEMPTS
    assert service.open_incidents() == [] and outbound.briefings == []


def test_declare_does_not_retry_another_refusal_of_the_channel(service, outbound):
    outbound.create_error = "restricted_action"
    with pytest.raises(SlackFailure, match="restricted_action"):
        service.declare(title="Search ranks spam first", by=ALICE)
    assert len(outbound.names_tried) == 1 and service.open_incidents() == []


@pytest.mark.parametrize(("captain", "says"), [(ROBOT, "is a bot"), (GONE, "is deactivated"),
                                                ("UNOBODY", "can't find")])
def test_declare_refuses_a_captain_who_cannot_answer_before_opening_a_room(service, outbound, captain, says):
    with pytest.raises(DomainError, match=says):
        service.declare(title="Voice bot swears", by=ALICE, captain=captain)
    assert outbound.names_tried == [] and service.open_incidents() == []


def test_what_slack_refused_while_briefing_comes_back_as_problems_and_the_incident_stands(service, outbound):
    outbound.refusals = ["I couldn't set the topic (Slack said `too_long`)."]
    outcome = service.declare(title="Voice bot swears", by=ALICE)
    assert outcome.problems == ["I couldn't set the topic (Slack said `too_long`)."]
    assert stored(service, outcome.incident.channel_id) is not None


# --- changing: the event is saved, then exactly it is published ----------------------------------------


def test_escalating_saves_the_change_and_publishes_exactly_the_saved_events(service, outbound, declared, clock):
    clock.advance(timedelta(minutes=3))
    before = timeline(service, declared.channel_id)

    outcome = service.change_severity(ChangeSeverity(Severity.SEV1, reason="spreading to mobile"),
                                      channel=declared.channel_id, by=BOB)

    after = timeline(service, declared.channel_id)
    assert [type(e) for e in outcome.events] == [SeverityChanged]
    assert after[:len(before)] == before
    assert after[len(before):] == [e.timeline_entry() for e in outcome.events]
    assert after[-1].text == "Escalated from SEV2 to SEV1: spreading to mobile"
    [publication] = outbound.publications
    assert publication.events == tuple(outcome.events)
    assert publication.incident.severity is Severity.SEV1
    incident = stored(service, declared.channel_id)
    assert incident.severity is Severity.SEV1
    assert incident.next_update_due == START + timedelta(minutes=15)  # the cycle shrank to SEV1's 15 minutes


def test_a_change_tells_whoever_follows_incidents_after_it_is_saved(service, declared):
    seen = []
    service.context.after_save.append(lambda incident: seen.append((incident.severity, stored(service, incident.channel_id))))
    service.change_severity(ChangeSeverity(Severity.SEV1), channel=declared.channel_id, by=BOB)
    assert seen and seen[0][0] is Severity.SEV1 and seen[0][1].severity is Severity.SEV1


def test_lowering_the_severity_is_refused_to_others_naming_who_may_and_nothing_is_saved(service, outbound,
                                                                                       declared):
    before = timeline(service, declared.channel_id)
    with pytest.raises(NotAllowed) as refused:
        service.change_severity(ChangeSeverity(Severity.SEV3), channel=declared.channel_id, by=BOB)

    assert str(refused.value) == (f"Only the fire captain (<@{ALICE}>) or a Firehouse admin may lower the"
                                  " severity.")
    assert timeline(service, declared.channel_id) == before
    assert stored(service, declared.channel_id) == declared
    assert outbound.publications == []


def test_an_admin_may_lower_the_severity(make_service, declared):
    admin = make_service(admins=(CAROL,))
    outcome = admin.change_severity(ChangeSeverity(Severity.SEV3), channel=declared.channel_id, by=CAROL)
    assert outcome.incident.severity is Severity.SEV3


def test_a_member_of_an_admin_user_group_may_lower_the_severity(make_service, outbound, declared):
    outbound.usergroups = {"S0ADMINS": frozenset({CAROL})}
    admins = make_service(admins=("S0ADMINS",))
    assert admins.change_severity(ChangeSeverity(Severity.SEV3), channel=declared.channel_id, by=CAROL).events
    admins.change_severity(ChangeSeverity(Severity.SEV2), channel=declared.channel_id, by=ALICE)
    with pytest.raises(NotAllowed):
        admins.change_severity(ChangeSeverity(Severity.SEV3), channel=declared.channel_id, by=DANA)


def test_handing_over_saves_the_new_captain_and_publishes_it(service, outbound, declared):
    outcome = service.hand_over(HandOver(BOB), channel=declared.channel_id, by=ALICE)
    assert [type(e) for e in outbound.published_events] == [CaptainHandedOver]
    assert outbound.publications[0].events == tuple(outcome.events)
    assert stored(service, declared.channel_id).captain == BOB
    assert timeline(service, declared.channel_id)[-1].text == f"Fire captain handed over from <@{ALICE}> to <@{BOB}>"


@pytest.mark.parametrize("to", [ROBOT, GONE, "UNOBODY"])
def test_handing_over_to_someone_who_cannot_answer_saves_nothing(service, outbound, declared, to):
    before = timeline(service, declared.channel_id)
    with pytest.raises(DomainError):
        service.hand_over(HandOver(to), channel=declared.channel_id, by=ALICE)
    assert timeline(service, declared.channel_id) == before and outbound.publications == []


def test_changing_the_class_is_the_captains_and_refused_to_others(service, outbound, declared):
    before = timeline(service, declared.channel_id)
    with pytest.raises(NotAllowed, match=re.escape(f"Only the fire captain (<@{ALICE}>) or a Firehouse admin may"
                                                   " change the class.")):
        service.change_class(ChangeClass("cost"), channel=declared.channel_id, by=BOB)
    assert timeline(service, declared.channel_id) == before and outbound.publications == []
    assert stored(service, declared.channel_id).class_id == "output"


def test_a_class_change_to_a_private_class_says_the_public_war_room_stays_public(service, outbound, declared):
    outcome = service.change_class(ChangeClass("data"), channel=declared.channel_id, by=ALICE)

    assert [type(e) for e in outcome.events] == [ClassChanged]
    assert outbound.publications[0].events == tuple(outcome.events)
    assert outcome.incident.private and stored(service, declared.channel_id).private
    assert len(outcome.problems) == 1 and outcome.problems[0].startswith(STAYS_PUBLIC)


def test_a_class_change_to_a_public_class_reports_no_problem(service, declared):
    assert service.change_class(ChangeClass("cost"), channel=declared.channel_id, by=ALICE).problems == []


def test_a_private_war_room_changing_to_another_private_class_reports_no_problem(service, outbound):
    room = service.declare(title="Bot leaks salaries", by=ALICE, class_id="compliance").incident
    assert service.change_class(ChangeClass("data"), channel=room.channel_id, by=ALICE).problems == []


def test_what_slack_refused_while_publishing_comes_back_as_problems_and_the_change_stands(service, outbound,
                                                                                          declared):
    outbound.refusals = ["I couldn't announce it in the stakeholder channel (Slack said `not_in_channel`)."]
    outcome = service.change_class(ChangeClass("data"), channel=declared.channel_id, by=ALICE)

    assert outcome.problems[0] == outbound.refusals[0]
    assert outcome.problems[1].startswith(STAYS_PUBLIC)
    assert stored(service, declared.channel_id).class_id == "data"


def test_anyone_may_move_the_status_while_the_incident_is_open(service, outbound, declared):
    outcome = service.change_status(ChangeStatus(Status.CONTAINED), channel=declared.channel_id, by=BOB)
    assert [type(e) for e in outcome.events] == [StatusChanged]
    incident = stored(service, declared.channel_id)
    assert incident.status is Status.CONTAINED and incident.contained_at == START
    assert outbound.publications[0].events == tuple(outcome.events)


@pytest.mark.parametrize("through", ["resolve", "status"])
def test_resolving_is_the_captains_and_refused_to_others(service, outbound, declared, through):
    before = timeline(service, declared.channel_id)
    with pytest.raises(NotAllowed, match="may resolve the incident"):
        if through == "resolve":
            service.resolve(Resolve("rolled back"), channel=declared.channel_id, by=BOB)
        else:
            service.change_status(ChangeStatus(Status.RESOLVED), channel=declared.channel_id, by=BOB)
    assert timeline(service, declared.channel_id) == before and outbound.publications == []
    assert stored(service, declared.channel_id).status is Status.INVESTIGATING


def test_resolving_saves_the_summary_stops_the_update_clock_and_publishes_it(service, outbound, declared, clock):
    clock.advance(timedelta(minutes=40))
    outcome = service.resolve(Resolve("rolled back the ranker"), channel=declared.channel_id, by=ALICE)

    incident = stored(service, declared.channel_id)
    assert incident.status is Status.RESOLVED and incident.resolved_at == clock.now
    assert incident.summary == "rolled back the ranker" and incident.next_update_due is None
    assert outbound.publications[0].events == tuple(outcome.events)
    assert timeline(service, declared.channel_id)[-1].text == (
        "Status changed from investigating to resolved. Summary: rolled back the ranker")


def test_a_waiver_also_needs_the_waive_notice_permission(make_service, outbound, declared):
    rules = {**Policy().rules, "waive_notice": frozenset({"legal"})}
    service = make_service(policy=Policy(rules=rules))
    with pytest.raises(NotAllowed, match="may waive the customer notice"):
        service.resolve(Resolve(waiver="internal only"), channel=declared.channel_id, by=ALICE)
    assert stored(service, declared.channel_id).status is Status.INVESTIGATING


def test_reopening_needs_the_reopen_permission_and_restarts_the_update_clock(make_service, outbound, declared,
                                                                              clock):
    service = make_service(policy=Policy(rules={**Policy().rules, "reopen": frozenset({CAPTAIN})}))
    service.resolve(Resolve(), channel=declared.channel_id, by=ALICE)
    clock.advance(timedelta(hours=2))
    with pytest.raises(NotAllowed, match="may reopen the incident"):
        service.change_status(ChangeStatus(Status.INVESTIGATING), channel=declared.channel_id, by=BOB)

    service.change_status(ChangeStatus(Status.INVESTIGATING), channel=declared.channel_id, by=ALICE)
    incident = stored(service, declared.channel_id)
    assert incident.status is Status.INVESTIGATING and incident.resolved_at is None
    assert incident.next_update_due == clock.now + timedelta(minutes=30)


def test_a_change_outside_a_war_room_is_refused(service, outbound, declared):
    with pytest.raises(NotAWarRoom):
        service.change_severity(ChangeSeverity(Severity.SEV1), channel=STAKEHOLDERS, by=ALICE)
    assert outbound.publications == []


# --- the command table's permission column is what the use cases check --------------------------------

# One command per row that names a permission, typed by a responder inside the war room.
SAMPLES = {
    "captain": f"captain <@{BOB}>",
    "role": f"role comms <@{BOB}>",
    "sev": "sev 1 spreading to mobile",
    "class": "class cost",
    "cause": "cause model",
    "status": "status identified",
    "resolve": "resolve rolled back the ranker",
    "detected": "detected 30m ago",
    "update": "update Rolled back the ranking model",
    "fact": "fact affected_users=120",
    "comms": "comms product",
    "clock": "clock gdpr not-reportable no personal data was involved",
    "aware": "aware 30m ago",
    "log": "log Paged the ranking team",
    "snapshot": "snapshot model=ranker-v7 output=Try our rival's app",
    "evidence": "evidence",
    "firebreak": "firebreak ranker-off rival products in the answers",
    "page": "page ranking-team rival products in the answers",
    "watch": "watch fraud-flag-rate",
    "action": f"action detect alert on rival names in answers <@{BOB}> due 2030-01-01",
    "fixture": "fixture none the ranker's answers are not reproducible offline",
    "postmortem": "postmortem note lucky a tester saw it first",
    "close": "close --waive-lock a drill that went wrong",
}
SETUP = {"close": "resolve the ranker is back to v6"}  # what a row's sample needs done first, by the captain
ROWS_WITH_A_PERMISSION = [row for row in COMMANDS if row.permission]
ROWS_WITHOUT = [row for row in COMMANDS if not row.permission]
WITHOUT_SAMPLES = {"": "", "declare": "declare Bot recommends rival products", "help": "help", "list": "list",
                   "roles": "roles", "summary": "summary", "timeline": "timeline", "clock": "clock",
                   "snapshots": "snapshots", "actions": "actions", "drill": "drill",
                   "stats": "stats 7d", "pages": "pages"}


RANKING_TEAM = PagerSettings(name="ranking-team", kind="pagerduty", url="http://127.0.0.1:9", secret="key")


def services_over(service: IncidentService) -> Services:
    notices, paging = NoticeDesk(service=service, templates=TemplateCatalogue.with_override(None)), paging_over(service)
    return Services(incidents=service, updates=Updates(service), notices=notices,
                    evidence=Evidence(service=service, traces=FakeTraces()),
                    containment=Containment(service=service, executors=FakeExecutors()),
                    afteraction=AfterAction(service=service, templates=TemplateCatalogue.with_override(None)),
                    stats=Stats(engine=service.engine, settings=service.settings, clock=service.clock),
                    drills=Drills(service=service),
                    signals=Signals(service=service, sources=FakeMetrics()), paging=paging,
                    statuspage=StatusDesk(service=service, notices=notices, deliveries=paging.deliveries),
                    packs=EvidencePacks(ctx=service.context, packer=BagItPacker(), stamps=None),
                    destinations=Destinations(service=service, notices=notices),
                    gateway=None)  # handlers never call it


def only_the_captain_may(action: str) -> Policy:
    """Every action open to anyone except `action`, which is the captain's alone."""
    return Policy(rules={**{a: frozenset({ANYONE}) for a in Action}, action: frozenset({CAPTAIN})})


def test_every_row_with_a_permission_has_a_sample_command_here():
    assert set(SAMPLES) == {row.words for row in ROWS_WITH_A_PERMISSION}
    assert all(row.permission in Action for row in ROWS_WITH_A_PERMISSION)


@pytest.mark.parametrize("row", ROWS_WITH_A_PERMISSION, ids=lambda row: row.words)
def test_a_rows_permission_is_the_one_its_use_case_checks(make_service, outbound, row):
    service = make_service(policy=only_the_captain_may(row.permission), regimes={"gdpr": ("output",)},
                           firebreaks={"ranker-off": RANKER_OFF}, metric_sources={"prom": PROM},
                           signals={"fraud-flag-rate": FRAUD_RATE}, pagers={"ranking-team": RANKING_TEAM})
    room = service.declare(title="Bot recommends rival products", by=ALICE).incident
    services = services_over(service)
    services.evidence.snapshot(Freeze.of({"output": "Try our rival's app"}), channel=room.channel_id, by=ALICE)
    if row.words in SETUP:
        setup = parse(SETUP[row.words], catalog=service.catalog)
        setup.row.handle(setup.command, Request(user=ALICE, channel=room.channel_id, trigger_id="0.t",
                                                services=services))
    parsed = parse(SAMPLES[row.words], catalog=service.catalog)
    assert parsed.row is row
    before = timeline(service, room.channel_id)

    outbound.publications.clear()
    with pytest.raises(NotAllowed) as refused:
        row.handle(parsed.command, Request(user=BOB, channel=room.channel_id, trigger_id="1.t", services=services))
    assert str(refused.value) == f"Only the fire captain (<@{ALICE}>) may {row.permission.says}."
    assert timeline(service, room.channel_id) == before and outbound.publications == []

    row.handle(parsed.command, Request(user=ALICE, channel=room.channel_id, trigger_id="2.t", services=services))
    assert len(timeline(service, room.channel_id)) > len(before)


def test_every_row_without_a_permission_has_a_sample_command_here():
    assert set(WITHOUT_SAMPLES) >= {row.words for row in ROWS_WITHOUT}


@pytest.mark.parametrize("row", ROWS_WITHOUT, ids=lambda row: row.words or "(bare)")
def test_a_row_without_a_permission_runs_for_anyone_when_every_action_is_the_captains(make_service, row):
    captains_only = Policy(rules={a: frozenset({CAPTAIN}) for a in Action})
    service = make_service(policy=captains_only)
    room = service.declare(title="Bot recommends rival products", by=ALICE).incident
    parsed = parse(WITHOUT_SAMPLES[row.words], catalog=service.catalog)
    assert parsed.row is row
    row.handle(parsed.command, Request(user=BOB, channel=room.channel_id, trigger_id="1.t",
                                       services=services_over(service)))
