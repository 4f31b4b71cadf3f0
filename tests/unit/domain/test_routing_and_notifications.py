"""Routing rules, what they put on the timeline, and what other systems hear of each change: pure functions of the
incident, its events and the time."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta

import pytest

from firehouse.domain.afteraction import ActionAdded, ActionChanged, Closed, FixtureAdded, PostmortemPublished
from firehouse.domain.classes import DEFAULT_CLASSES
from firehouse.domain.drills import DrillEnded, DrillStarted
from firehouse.domain.events import (
    FIREHOUSE,
    CaptainConfirmed,
    CaptainHandedOver,
    CauseChanged,
    ClassChanged,
    IncidentDeclared,
    Logged,
    RoleAssigned,
    SeverityChanged,
    StatusChanged,
)
from firehouse.domain.firebreaks import FirebreakExecuted, FirebreakFailed, FirebreakLifted
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.notices import NoticeEvent
from firehouse.domain.notifications import EVENT_TYPES, PRIVATE_KEYS, REDACTED, notification, redacted
from firehouse.domain.pages import Page, PageRequest, PageState, dedup_key
from firehouse.domain.routing import Routed, Rule, due
from firehouse.domain.severity import Severity
from firehouse.domain.snapshots import SnapshotTaken
from firehouse.domain.statuspage import PublicStatus, StatusPublished

AT = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
ALICE, BOB = "UALICE", "UBOB"


def incident(*, class_id: str = "output", severity: Severity = Severity.SEV2, cause: str | None = None,
             drill: bool = False) -> Incident:
    found, _ = Incident.declare(title="Tenant A sees tenant B's invoices", severity=severity,
                                incident_class=DEFAULT_CLASSES[class_id], by=ALICE, at=AT, drill=drill)
    found.id, found.channel_id, found.cause = 7, "C0WARROOM", cause
    return found


# --- Rule.matches and why ----------------------------------------------------------------------------------------

LEGAL = Rule(name="legal", match={"class": ("data", "compliance")}, invite=("S0LEGAL",))
SEV1 = Rule(name="sev1", match={"severity": ("sev1",)}, page=("ai-platform",))
MODEL_DATA = Rule(name="model-data", match={"class": ("data",), "cause": ("model", "prompt")}, invite=("UML",))
EVERYONE = Rule(name="everyone", announce=("C0ALL",))


@pytest.mark.parametrize(("class_id", "matches"), [("data", True), ("compliance", True), ("output", False)])
def test_a_list_matches_any_of_its_values(class_id, matches):
    assert LEGAL.matches(incident(class_id=class_id)) is matches


@pytest.mark.parametrize(("severity", "matches"), [(Severity.SEV1, True), (Severity.SEV2, False),
                                                   (Severity.SEV3, False)])
def test_severity_matches_by_its_lower_case_label(severity, matches):
    assert SEV1.matches(incident(severity=severity)) is matches


@pytest.mark.parametrize(("class_id", "cause", "matches"), [
    ("data", "model", True), ("data", "prompt", True), ("data", "retrieval", False), ("data", None, False),
    ("output", "model", False),
])
def test_every_key_named_must_match(class_id, cause, matches):
    assert MODEL_DATA.matches(incident(class_id=class_id, cause=cause)) is matches


def test_a_rule_naming_no_key_matches_every_incident():
    assert all(EVERYONE.matches(incident(class_id=c, severity=s)) for c in DEFAULT_CLASSES for s in Severity)
    assert EVERYONE.why() == "every incident"


def test_why_says_what_the_rule_matched_on():
    assert LEGAL.why() == "class data or compliance"
    assert MODEL_DATA.why() == "class data; cause model or prompt"
    assert Rule(name="x", match={"severity": ("sev1", "sev2"), "class": ("cost",)}).why() == (
        "severity sev1 or sev2; class cost")


# --- due ---------------------------------------------------------------------------------------------------------

def test_due_is_every_matching_rule_not_yet_applied_in_the_files_order():
    rules = (SEV1, LEGAL, MODEL_DATA, EVERYONE)
    leak = incident(class_id="data", severity=Severity.SEV1, cause="model")
    assert [r.name for r in due(rules, leak, ())] == ["sev1", "legal", "model-data", "everyone"]
    assert [r.name for r in due(rules, leak, {"legal", "everyone"})] == ["sev1", "model-data"]
    assert due(rules, leak, {r.name for r in rules}) == []
    assert [r.name for r in due(rules, incident(), ())] == ["everyone"]
    assert due((), leak, ()) == []


def test_due_after_a_change_adds_only_the_rules_that_now_match():
    leak = incident(class_id="output", severity=Severity.SEV2)
    applied = {r.name for r in due((SEV1, LEGAL), leak, ())}
    assert applied == set()
    leak.severity = Severity.SEV1
    assert [r.name for r in due((SEV1, LEGAL), leak, applied)] == ["sev1"]
    applied.add("sev1")
    leak.severity = Severity.SEV2
    assert due((SEV1, LEGAL), leak, applied) == []
    leak.severity = Severity.SEV1  # escalated again: sev1 was applied once already
    assert due((SEV1, LEGAL), leak, applied) == []


# --- Routed on the timeline --------------------------------------------------------------------------------------

def test_a_routing_entry_mentions_people_groups_channels_and_pagers():
    entry = Routed(at=AT, by=FIREHOUSE, rule="legal", why="class data or compliance", invite=("S0LEGAL", BOB, "W0EXT"),
                   announce=("C0LEGALINC", "G0PRIVATE"), page=("ai-platform", "alerts")).timeline_entry()
    assert (entry.at, entry.author, entry.kind) == (AT, FIREHOUSE, "routing")
    assert entry.text == ("Routing legal (class data or compliance): invited <!subteam^S0LEGAL>, <@UBOB>, <@W0EXT>;"
                          " announced in <#C0LEGALINC>, <#G0PRIVATE>; paged ai-platform, alerts")


def test_a_routing_entry_leaves_out_what_the_rule_does_not_do():
    assert Routed(at=AT, by=FIREHOUSE, rule="sev1", why="severity sev1", page=("ai-platform",)).timeline_entry().text \
        == "Routing sev1 (severity sev1): paged ai-platform"
    assert Routed(at=AT, by=FIREHOUSE, rule="sev1", why="severity sev1").timeline_entry().text == (
        "Routing sev1 (severity sev1): nothing to do")  # its pager was paged by hand before


def test_a_drills_routing_entry_says_what_it_would_do_and_which_pages_went_out():
    entry = Routed(at=AT, by=FIREHOUSE, rule="rule 1", why="every incident", invite=("S0ONCALL",),
                   announce=("C0LEGALINC",), page=("ai-platform",), drill=True, pages_live=False)
    assert entry.timeline_entry().text == (
        "Routing rule 1 (every incident) (a drill): would invite <!subteam^S0ONCALL>; would announce in <#C0LEGALINC>;"
        " would page ai-platform")
    live = Routed(at=AT, by=FIREHOUSE, rule="rule 1", why="every incident", page=("ai-platform",), drill=True)
    assert live.timeline_entry().text == "Routing rule 1 (every incident) (a drill): paged ai-platform"


# --- notification: one type per change -------------------------------------------------------------------------

LATER = AT + timedelta(minutes=3)
MAPPED = [
    (IncidentDeclared(at=AT, by=ALICE, title="t", severity=Severity.SEV2, class_id="output", captain=ALICE),
     "incident.declared", {"severity": "sev2", "class": "output", "captain": ALICE}),
    (SeverityChanged(at=LATER, by=ALICE, previous=Severity.SEV2, severity=Severity.SEV1, reason="users hit"),
     "incident.severity_changed", {"previous": "sev2", "severity": "sev1", "reason": "users hit"}),
    (ClassChanged(at=LATER, by=ALICE, previous="output", class_id="data"),
     "incident.class_changed", {"previous": "output", "class": "data"}),
    (StatusChanged(at=LATER, by=ALICE, previous=Status.INVESTIGATING, status=Status.CONTAINED),
     "incident.status_changed", {"previous": "investigating", "status": "contained"}),
    (StatusChanged(at=LATER, by=ALICE, previous=Status.MONITORING, status=Status.RESOLVED, summary="rolled back",
                   waiver="no user saw it"),
     "incident.resolved", {"previous": "monitoring", "summary": "rolled back", "waiver": "no user saw it"}),
    (StatusChanged(at=LATER, by=ALICE, previous=Status.RESOLVED, status=Status.INVESTIGATING),
     "incident.reopened", {"previous": "resolved", "status": "investigating"}),
    (CaptainHandedOver(at=LATER, by=ALICE, previous=ALICE, captain=BOB),
     "incident.captain_changed", {"previous": ALICE, "captain": BOB}),
    (CaptainConfirmed(at=LATER, by=BOB, captain=BOB), "incident.captain_changed", {"previous": None, "captain": BOB}),
    (Closed(at=LATER, by=ALICE, waiver="no fixture possible"), "incident.closed", {"waiver": "no fixture possible"}),
    (FirebreakExecuted(at=LATER, by=ALICE, label="ranker-off (kill-switch · ranker)", answer="flag off"),
     "firebreak.pulled", {"firebreak": "ranker-off (kill-switch · ranker)", "answer": "flag off"}),
    (FirebreakLifted(at=LATER, by=ALICE, label="ranker-off", answer="flag on", note="fixed"),
     "firebreak.lifted", {"firebreak": "ranker-off", "answer": "flag on", "note": "fixed"}),
    (FirebreakFailed(at=LATER, by=ALICE, label="ranker-off", answer="HTTP 500"),
     "firebreak.failed", {"firebreak": "ranker-off", "answer": "HTTP 500"}),
    (SnapshotTaken(at=LATER, by=ALICE, snapshot_id=3, keys=("model", "output"), fingerprint="ab12", supersedes=2),
     "snapshot.frozen", {"snapshot": 3, "keys": ["model", "output"], "fingerprint": "ab12", "supersedes": 2}),
    (NoticeEvent(at=LATER, by=ALICE, what="approved", notice_id=4, lane="product", title="Wrong answers"),
     "notice.approved", {"notice": 4, "lane": "product", "notice_title": "Wrong answers"}),
    (NoticeEvent(at=LATER, by=ALICE, what="marked sent", notice_id=4, lane="legal", title="Breach notice"),
     "notice.sent", {"notice": 4, "lane": "legal", "notice_title": "Breach notice"}),
    (StatusPublished(at=LATER, by=ALICE, what="published", notice_id=5, status=PublicStatus.MONITORING,
                     title="Incorrect answers", link="https://stspg.io/abc"),
     "notice.published", {"notice": 5, "lane": "product", "status": "monitoring", "public_title": "Incorrect answers",
                          "link": "https://stspg.io/abc"}),
    (PostmortemPublished(at=LATER, by=ALICE, version=2, fingerprint="cd34"),
     "postmortem.published", {"version": 2, "fingerprint": "cd34"}),
    (ActionAdded(at=LATER, by=ALICE, text="alert on rival names", kind="detect", owner=BOB, due=date(2026, 4, 1)),
     "action.created", {"text": "alert on rival names", "kind": "detect", "owner": BOB, "due": "2026-04-01"}),
    (ActionAdded(at=LATER, by=ALICE, text="someday", kind="prevent", owner=None, due=None),
     "action.created", {"text": "someday", "kind": "prevent", "owner": None, "due": None}),
    (ActionChanged(at=LATER, by=BOB, action_id=9, change="done"), "action.done", {"action": 9}),
    (FixtureAdded(at=LATER, by=ALICE, fixture_id=5, forbidden=2, tags=("rival", "ranking")),
     "fixture.saved", {"fixture": 5, "forbidden": 2, "tags": ["rival", "ranking"]}),
    (DrillStarted(at=AT, by=ALICE, scenario="holds", time_limit=timedelta(minutes=30), injects=2),
     "drill.started", {"scenario": "holds", "injects": 2}),
    (DrillEnded(at=LATER, by=ALICE, on_time=4, milestones=5, by_time_limit=True),
     "drill.ended", {"on_time": 4, "milestones": 5, "by_time_limit": True}),
]


@pytest.mark.parametrize(("event", "kind", "details"), MAPPED, ids=lambda v: v if isinstance(v, str) else "")
def test_each_change_maps_to_its_type_and_details(event, kind, details):
    found = notification(event, incident())
    assert found.type == kind
    assert found.data == {"incident": {"id": 7, "title": "Tenant A sees tenant B's invoices", "severity": "sev2",
                                       "class": "output", "status": "investigating", "captain": ALICE,
                                       "war_room": "C0WARROOM", "private": False, "drill": False},
                          "by": event.by, "at": event.at.isoformat(), **details}


def test_every_type_a_subscription_may_ask_for_is_mapped_from_some_change():
    assert {kind for _, kind, _ in MAPPED} == set(EVENT_TYPES)


@pytest.mark.parametrize("event", [
    Logged(at=AT, by=ALICE, text="looked at the dashboards"),
    CauseChanged(at=AT, by=ALICE, previous=None, cause="model"),
    RoleAssigned(at=AT, by=ALICE, role="scribe", holder=BOB, previous=None),
    NoticeEvent(at=AT, by=ALICE, what="drafted", notice_id=1, lane="product", title="draft"),
    NoticeEvent(at=AT, by=ALICE, what="edited", notice_id=1, lane="product", title="draft"),
    ActionChanged(at=AT, by=ALICE, action_id=1, change="reopened"),
    Routed(at=AT, by=FIREHOUSE, rule="legal", why="class data", invite=("S0LEGAL",)),
], ids=lambda e: type(e).__name__)
def test_a_change_nobody_subscribes_to_is_none(event):
    assert notification(event, incident()) is None


def test_the_incident_in_a_notification_is_as_it_is_now():
    leak = incident(class_id="data", severity=Severity.SEV1, drill=True)
    leak.status, leak.captain = Status.CONTAINED, BOB
    data = notification(Closed(at=AT, by=ALICE), leak).data["incident"]
    assert (data["severity"], data["class"], data["status"], data["captain"], data["private"], data["drill"]) == (
        "sev1", "data", "contained", BOB, True, True)


# --- redacted ----------------------------------------------------------------------------------------------------

def test_redacted_replaces_a_private_incidents_texts_and_keeps_ids_and_structure():
    leak = incident(class_id="data")
    data = notification(StatusChanged(at=AT, by=ALICE, previous=Status.MONITORING, status=Status.RESOLVED,
                                      summary="Tenant B's invoices purged from the index", waiver=""), leak).data
    before = copy.deepcopy(data)
    hidden = redacted(data)
    assert data == before  # the kept notification is not changed: another subscription may see it whole
    assert hidden["incident"] == {**data["incident"], "title": REDACTED}
    assert (hidden["summary"], hidden["waiver"], hidden["previous"], hidden["by"], hidden["at"]) == (
        REDACTED, "", "monitoring", ALICE, AT.isoformat())  # an empty text stays empty: nothing is hidden


def test_redacted_walks_lists_and_nested_tables():
    data = {"items": [{"text": "alert on tenant B", "id": 3}, {"note": "", "id": 4}], "tags": ["a", "b"],
            "nested": {"answer": "flag off", "reason": None, "notice_title": "Breach", "count": 2}}
    assert redacted(data) == {"items": [{"text": REDACTED, "id": 3}, {"note": "", "id": 4}], "tags": ["a", "b"],
                              "nested": {"answer": REDACTED, "reason": None, "notice_title": REDACTED, "count": 2}}


def test_every_private_key_is_redacted_wherever_it_stands():
    assert redacted({key: "secret words" for key in PRIVATE_KEYS}) == {key: REDACTED for key in PRIVATE_KEYS}
    assert redacted("a bare string") == "a bare string" and redacted(7) == 7


# --- pages -------------------------------------------------------------------------------------------------------

def test_a_dedup_key_names_the_incident_and_pager_and_is_unique():
    keys = {dedup_key(7, "ai-platform") for _ in range(50)}
    assert len(keys) == 50 and all(k.startswith("firehouse-7-ai-platform-") and len(k) == 36 for k in keys)


def test_a_drills_page_is_only_shown_and_not_open():
    shown = Page.new(incident_id=7, pager="alerts", by="routing rule 1", at=AT, drill=True)
    live = Page.new(incident_id=7, pager="alerts", by=ALICE, at=AT, message="see the room")
    assert (shown.state, shown.open, live.state, live.open) == (PageState.SHOWN, False, PageState.PAGING, True)
    assert shown.line() == "*alerts*: shown · paged 14:05 UTC by routing rule 1"
    assert live.line() == f"*alerts*: paging · paged 14:05 UTC by <@{ALICE}>"


def test_a_page_request_survives_its_json_and_says_drill_first():
    request = PageRequest(action="trigger", pager="ai-platform", dedup_key="k", incident_id=7, title="Bad answers",
                          severity="sev1", class_id="output", captain=ALICE, link="https://x", at=AT,
                          started_at=AT - timedelta(minutes=1), message="refunds", drill=True, details={"a": 1})
    assert PageRequest.from_json(request.to_json()) == request
    assert request.summary == "[DRILL] Incident 7 (SEV1 output): Bad answers: refunds"


def test_a_refused_resolve_reads_as_a_resolve_not_a_page():
    from firehouse.domain.pages import PageAnswered

    failed = PageAnswered(at=AT, by=FIREHOUSE, pager="ai-platform", action="resolve", outcome="failed",
                          said="PagerDuty answered 400: Invalid routing key")
    assert failed.timeline_entry().text == ("Resolving the page to ai-platform FAILED: PagerDuty answered 400:"
                                            " Invalid routing key")
