"""Every change kept as a notification and owed to the subscriptions that want it; deliveries sent in order per
incident and destination, each destination on its own, retried with backoff for a day. In-process over the real
store, with receivers and pagers that answer as the test says and a clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select
from unit.usecases.fakes import ALICE, BOB, RANKER_OFF, START, FakeExecutors, FakePagers, FakeReceivers, paging_over

from firehouse.commands.containment import LiftFirebreak, PullFirebreak
from firehouse.commands.drills import StartDrill
from firehouse.commands.incidents import ChangeClass, ChangeSeverity, ChangeStatus, HandOver, Resolve
from firehouse.commands.timeline import Log
from firehouse.config.paging import PagerSettings, Subscription
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.notifications import Published
from firehouse.domain.routing import Rule
from firehouse.domain.severity import Severity
from firehouse.store.deliveries import DeliveryStore
from firehouse.store.mapping import as_utc
from firehouse.store.tables import DeliveryRow, NotificationRow
from firehouse.usecases.containment import Containment
from firehouse.usecases.deliveries import GIVE_UP, Answered, Deliveries, backoff
from firehouse.usecases.drills import Drills
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.paging import Paging
from firehouse.usecases.ports import PartnerAnswer

SECOND, MINUTE = timedelta(seconds=1), timedelta(minutes=1)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
WAREHOUSE = Subscription(name="warehouse", url="http://127.0.0.1:9/warehouse", secret=SECRET)
TRACKER = Subscription(name="tracker", url="http://127.0.0.1:9/tracker", secret=SECRET, types=("incident.*",))
CHANGES = Subscription(name="changes", url="http://127.0.0.1:9/changes", secret=SECRET, types=("firebreak.pulled",))
SUBSCRIPTIONS = (WAREHOUSE, TRACKER, CHANGES)
AI_PLATFORM = PagerSettings(name="ai-platform", kind="pagerduty", url="http://127.0.0.1:9", secret="key")
SEV1 = Rule(name="sev1", match={"severity": ("sev1",)}, page=("ai-platform",))
SCENARIO = '''title = "Refund agent holds accounts"
summary = "The refund agent freezes accounts."
alarm = "PagerDuty: fraud holds x50"
class = "action"
severity = "sev1"
why = "An irreversible action reached customers."
'''


class Receivers(FakeReceivers):
    """Receivers that also remember every attempt, taken or not, and can fail for one incident only."""

    def __init__(self) -> None:
        super().__init__()
        self.tries: list[tuple[str, str]] = []  # (subscription, notification id)
        self.failing_incidents: set[int] = set()

    def send(self, subscription, published: Published) -> PartnerAnswer:
        self.tries.append((subscription.name, published.id))
        if published.incident_id in self.failing_incidents:
            return PartnerAnswer(False, "HTTP 503", retry=True)
        return super().send(subscription, published)


@dataclass
class Wired:
    service: IncidentService
    paging: Paging
    pagers: FakePagers
    receivers: Receivers

    @property
    def deliveries(self) -> Deliveries:
        return self.paging.deliveries

    @property
    def store(self) -> DeliveryStore:
        return self.deliveries.store

    def declare(self, *, severity: Severity = Severity.SEV2, class_id: str | None = None) -> Incident:
        return self.service.declare(title="Refund agent approves fraud", by=ALICE, severity=severity,
                                    class_id=class_id).incident

    def severity(self, incident: Incident, severity: Severity) -> None:
        self.service.change_severity(ChangeSeverity(severity), channel=incident.channel_id, by=ALICE)

    def notifications(self, incident: Incident | None = None) -> list[NotificationRow]:
        with Session(self.service.engine) as session:
            query = select(NotificationRow).order_by(col(NotificationRow.seq))
            if incident is not None:
                query = query.where(NotificationRow.incident_id == incident.id)
            return list(session.exec(query))

    def rows(self, destination: str | None = None) -> list[DeliveryRow]:
        with Session(self.service.engine) as session:
            query = select(DeliveryRow).order_by(col(DeliveryRow.id))
            if destination is not None:
                query = query.where(DeliveryRow.destination == destination)
            return list(session.exec(query))

    def got(self, name: str) -> list[str]:
        """The types `name` received, in order."""
        return [published.type for who, published in self.receivers.got if who == name]

    def drain(self) -> None:
        self.deliveries.drain()


@pytest.fixture
def wire(make_service):
    def make(*, events=SUBSCRIPTIONS, **changes) -> Wired:
        service = make_service(events=events, pagers={"ai-platform": AI_PLATFORM}, routing=(SEV1,),
                               firebreaks={"ranker-off": RANKER_OFF}, **changes)
        pagers, receivers = FakePagers(), Receivers()
        return Wired(service, paging_over(service, pagers=pagers, receivers=receivers), pagers, receivers)
    return make


@pytest.fixture
def wired(wire) -> Wired:
    return wire()


@pytest.fixture
def answers(wired) -> list[Answered]:
    """Every attempt's answer, as the metrics hear of it."""
    heard: list[Answered] = []
    wired.deliveries.on_answer.append(heard.append)
    return heard


# --- what is kept and owed -------------------------------------------------------------------------------------

INCIDENT_TYPES = ["incident.declared", "incident.severity_changed", "incident.class_changed",
                  "incident.status_changed", "incident.captain_changed"]


def every_kind_of_change(wired: Wired, clock) -> Incident:
    incident = wired.declare()
    room = incident.channel_id
    containment = Containment(service=wired.service, executors=FakeExecutors())
    steps = [
        lambda: wired.severity(incident, Severity.SEV3),
        lambda: wired.service.change_class(ChangeClass("cost"), channel=room, by=ALICE),
        lambda: wired.service.change_status(ChangeStatus(Status.IDENTIFIED), channel=room, by=ALICE),
        lambda: wired.service.hand_over(HandOver(BOB), channel=room, by=ALICE),
        lambda: wired.service.log(Log("nobody outside hears of this"), channel=room, by=BOB),
        lambda: containment.pull(PullFirebreak("ranker-off"), channel=room, by=BOB, confirmed=True),
        lambda: containment.lift(LiftFirebreak("ranker-off"), channel=room, by=BOB),
        lambda: wired.service.resolve(Resolve(summary="ranker back to v6"), channel=room, by=BOB),
        lambda: wired.service.change_status(ChangeStatus(Status.INVESTIGATING), channel=room, by=BOB),
    ]
    for step in steps:
        clock.advance(MINUTE)
        step()
    return incident


def test_every_change_is_kept_once_in_order(wired, clock):
    incident = every_kind_of_change(wired, clock)
    kept = wired.notifications(incident)
    assert [row.type for row in kept] == [*INCIDENT_TYPES, "firebreak.pulled", "firebreak.lifted",
                                          "incident.resolved", "incident.reopened"]
    assert len({row.id for row in kept}) == len(kept)
    assert [row.at for row in kept] == sorted(row.at for row in kept)
    assert not any(row.drill for row in kept)
    declared = kept[0].data
    assert declared["incident"]["id"] == incident.id and declared["by"] == ALICE
    assert kept[1].data["previous"] == "sev2" and kept[1].data["severity"] == "sev3"


def test_each_notification_is_owed_to_the_subscriptions_whose_types_match(wired, clock):
    every_kind_of_change(wired, clock)
    owed = {name: len(wired.rows(f"events:{name}")) for name in ("warehouse", "tracker", "changes")}
    assert owed == {"warehouse": 9, "tracker": 7, "changes": 1}
    wired.drain()
    assert wired.got("warehouse") == [row.type for row in wired.notifications()]
    assert wired.got("tracker") == [*INCIDENT_TYPES, "incident.resolved", "incident.reopened"]
    assert wired.got("changes") == ["firebreak.pulled"]
    assert all(row.done_at is not None and row.attempts == 1 for row in wired.rows())


def test_without_subscriptions_changes_are_still_kept_for_replay_but_owed_to_nobody(wire):
    wired = wire(events=())
    wired.declare()
    assert [row.type for row in wired.notifications()] == ["incident.declared"]
    assert wired.rows() == []


def test_a_drills_notifications_are_flagged(wire, tmp_path):
    (tmp_path / "drills").mkdir()
    (tmp_path / "drills" / "holds.toml").write_text(SCENARIO)
    wired = wire(drills_dir=tmp_path / "drills")
    drill = Drills(service=wired.service).start(StartDrill("holds"), channel="C0GENERAL", by=ALICE)[1].incident
    real = wired.declare()
    by_incident = {row.incident_id: row for row in wired.notifications() if row.type == "incident.declared"}
    assert [row.type for row in wired.notifications(drill)] == ["incident.declared", "drill.started"]
    assert all(row.drill and row.data["incident"]["drill"] for row in wired.notifications(drill))
    assert not by_incident[real.id].drill and not by_incident[real.id].data["incident"]["drill"]
    wired.drain()
    sent = {(who, published.type): published.drill for who, published in wired.receivers.got
            if published.incident_id == drill.id}
    assert sent == {("warehouse", "incident.declared"): True, ("warehouse", "drill.started"): True,
                    ("tracker", "incident.declared"): True}


# --- order, and failures kept to themselves ---------------------------------------------------------------------

def test_a_failing_delivery_holds_back_the_later_ones_of_its_incident_until_it_is_taken(wired, clock):
    incident = wired.declare()
    wired.severity(incident, Severity.SEV3)
    wired.service.change_class(ChangeClass("cost"), channel=incident.channel_id, by=ALICE)
    wired.receivers.failing.add("tracker")
    wired.drain()
    assert wired.got("tracker") == [] and len(wired.receivers.tries) == 3 + 1  # warehouse's three, tracker's first
    wired.receivers.failing.clear()
    wired.drain()  # the first is not due again yet, so nothing after it goes either
    assert wired.got("tracker") == []
    clock.advance(5 * SECOND)
    wired.drain()
    assert wired.got("tracker") == ["incident.declared", "incident.severity_changed", "incident.class_changed"]
    assert [published.id for who, published in wired.receivers.got if who == "tracker"] == [
        row.id for row in wired.notifications()]


def test_a_failing_incident_does_not_hold_back_another_incidents_deliveries(wired, clock):
    first = wired.declare()
    second = wired.declare()
    wired.receivers.failing_incidents.add(first.id)
    wired.severity(first, Severity.SEV3)
    wired.severity(second, Severity.SEV3)
    wired.drain()
    sent = [(who, published.incident_id, published.type) for who, published in wired.receivers.got]
    assert sent == [(name, second.id, kind) for name in ("warehouse", "tracker")
                    for kind in ("incident.declared", "incident.severity_changed")]
    tracker = [notification for who, notification in wired.receivers.tries if who == "tracker"]
    assert tracker[0] == wired.notifications(first)[0].id  # tried once; its incident's later one waits
    assert len(tracker) == 1 + 2


def test_a_failing_subscription_never_delays_another_subscription_nor_a_page(wired, clock):
    wired.receivers.failing.add("tracker")
    incident = wired.declare(severity=Severity.SEV1)
    wired.severity(incident, Severity.SEV2)
    wired.drain()
    assert wired.got("warehouse") == ["incident.declared", "incident.severity_changed"]
    assert [(r.action, r.pager) for r in wired.pagers.sent] == [("trigger", "ai-platform")]
    assert wired.got("tracker") == []
    assert [row.attempts for row in wired.rows("events:tracker")] == [1, 0]


def test_backoff_doubles_from_five_seconds_to_ten_minutes(wired, clock):
    wired.receivers.failing.add("tracker")
    wired.declare()
    waits = []
    for _ in range(10):
        wired.drain()
        (row,) = wired.rows("events:tracker")
        waits.append(as_utc(row.next_at) - clock())
        clock.set(clock() + waits[-1])
    assert waits == [timedelta(seconds=s) for s in (5, 10, 20, 40, 80, 160, 320, 600, 600, 600)]
    assert row.attempts == 10 and row.said == "HTTP 500"


def test_a_retry_due_a_second_from_now_is_not_sent_early(wired, clock):
    wired.receivers.failing.add("tracker")
    wired.declare()
    wired.drain()
    wired.receivers.failing.clear()
    clock.advance(4 * SECOND)
    wired.drain()
    assert wired.got("tracker") == []
    clock.advance(SECOND)
    wired.drain()
    assert wired.got("tracker") == ["incident.declared"]


def test_the_same_notification_id_is_sent_on_every_retry(wired, clock):
    wired.receivers.failing.add("tracker")
    incident = wired.declare()
    for _ in range(5):
        wired.drain()
        clock.advance(10 * MINUTE)
    wired.receivers.failing.clear()
    wired.drain()
    tries = [notification for who, notification in wired.receivers.tries if who == "tracker"]
    assert len(tries) == 6 and set(tries) == {wired.notifications(incident)[0].id}
    assert [published.id for who, published in wired.receivers.got if who == "tracker"] == tries[-1:]


def test_a_receiver_failing_for_a_day_is_given_up_counted_and_the_next_one_goes(wired, clock, answers):
    wired.receivers.failing.add("tracker")
    incident = wired.declare()
    wired.severity(incident, Severity.SEV3)
    wired.drain()
    clock.set(START + GIVE_UP - SECOND)
    wired.drain()
    first, second = wired.rows("events:tracker")
    assert (first.given_up_at, first.attempts, second.attempts) == (None, 2, 0)
    clock.set(START + GIVE_UP + MINUTE)
    wired.drain()
    first, second = wired.rows("events:tracker")
    assert (as_utc(first.given_up_at), first.done_at, first.said, first.attempts) == (clock(), None, "HTTP 500", 3)
    assert [row.id for row in wired.store.pending()] == [second.id]
    tracker = [(a.outcome, a.attempts, a.final) for a in answers if a.destination == "events:tracker"]
    assert tracker == [("retrying", 1, False), ("retrying", 2, False), ("given_up", 3, True)]
    wired.receivers.failing.clear()  # the receiver is back: what waited behind the given-up one goes now
    wired.drain()
    assert wired.got("tracker") == ["incident.severity_changed"]
    assert [a.outcome for a in answers if a.destination == "events:tracker"][-1] == "sent"


def test_backoff_stops_doubling_at_ten_minutes_however_many_attempts():
    assert [backoff(n) for n in (0, 1, 2, 3, 8, 9)] == [timedelta(seconds=s) for s in (5, 5, 10, 20, 600, 600)]
    assert backoff(45) == backoff(1000) == timedelta(minutes=10)  # a day of tries every ten minutes is 145


# --- settings that changed, senders that collide or break ------------------------------------------------------

def resent_with(wired: Wired, clock, **changes) -> Deliveries:
    """A sender started with other settings (a restart after the file changed), over the same store."""
    return Deliveries(engine=wired.service.engine, settings=replace(wired.service.settings, **changes),
                      pagers=wired.pagers, receivers=wired.receivers, clock=clock)


def test_a_subscription_removed_from_the_settings_is_given_up_saying_so(wired, clock):
    wired.declare()
    restarted = resent_with(wired, clock, events=(WAREHOUSE, CHANGES))
    heard: list[Answered] = []
    restarted.on_answer.append(heard.append)
    restarted.drain()
    (row,) = wired.rows("events:tracker")
    assert (row.said, row.done_at, as_utc(row.given_up_at)) == (
        "the subscription tracker is no longer configured", None, START)
    assert wired.got("warehouse") == ["incident.declared"] and wired.got("tracker") == []
    assert [(a.destination, a.outcome) for a in heard] == [("events:warehouse", "sent"), ("events:tracker", "failed")]


def test_a_pager_removed_from_the_settings_is_given_up_saying_so(wired, clock):
    wired.declare(severity=Severity.SEV1)
    resent_with(wired, clock, pagers={}).drain()
    (row,) = wired.rows("pager:ai-platform")
    assert (row.said, as_utc(row.given_up_at)) == ("the pager ai-platform is no longer configured", START)
    assert wired.pagers.sent == []


def test_a_delivery_another_sender_holds_is_not_sent_twice_and_its_incident_waits(wired, clock):
    incident = wired.declare()
    wired.severity(incident, Severity.SEV3)
    first, _ = wired.rows("events:tracker")
    assert wired.store.claim_many([first.id], now=clock(), until=clock() + 2 * MINUTE) == {first.id}  # another
    assert wired.store.claim_many([first.id], now=clock(), until=clock() + 2 * MINUTE) == set()  # replica took it
    wired.drain()
    assert wired.got("tracker") == [] and wired.got("warehouse") == ["incident.declared", "incident.severity_changed"]
    clock.advance(2 * MINUTE + SECOND)  # that replica died: its claim ran out
    wired.drain()
    assert wired.got("tracker") == ["incident.declared", "incident.severity_changed"]
    assert [row.attempts for row in wired.rows("events:tracker")] == [2, 1]  # the lost attempt counts


def test_a_receiver_that_raises_is_retried_and_does_not_stop_the_lane(wired, clock):
    first = wired.declare()
    second = wired.declare()

    def send(subscription, published):
        if published.incident_id == first.id:
            raise RuntimeError("a bug")
        return Receivers.send(wired.receivers, subscription, published)

    wired.receivers.send = send
    wired.drain()
    assert {published.incident_id for _, published in wired.receivers.got} == {second.id}
    (row, _) = wired.rows("events:tracker")
    assert (row.said, row.given_up_at, as_utc(row.next_at)) == ("could not send (RuntimeError)", None,
                                                                START + 5 * SECOND)


def test_an_answer_hook_that_raises_leaves_the_delivery_settled(wired, answers):
    def broken(answered):
        raise RuntimeError("metrics are down")

    wired.deliveries.on_answer.insert(0, broken)
    wired.declare()
    wired.drain()
    assert wired.store.pending() == [] and wired.got("warehouse") == ["incident.declared"]
    assert [a.outcome for a in answers] == ["sent", "sent"]  # the hooks after the broken one still hear


def test_the_oldest_undelivered_is_the_oldest_still_owed(wired, clock):
    wired.receivers.failing.add("tracker")
    assert wired.store.oldest_undelivered("events:") is None
    wired.declare()
    clock.advance(MINUTE)
    wired.declare()
    wired.drain()
    assert wired.store.oldest_undelivered("events:") == START  # tracker's first, still owed
    assert wired.store.oldest_undelivered("pager:") is None
    wired.receivers.failing.clear()
    clock.advance(MINUTE)
    wired.drain()
    assert wired.store.oldest_undelivered("events:") is None


def test_a_receiver_refusing_for_good_is_retried_all_the_same(wired, clock, answers):
    """A receiver deduplicates by id, so even its 4xx is tried again: it may be fixed within the day."""
    refusals = [PartnerAnswer(False, "HTTP 410")]

    def send(subscription, published):
        if subscription.name == "tracker" and refusals:
            return refusals.pop()
        return Receivers.send(wired.receivers, subscription, published)

    wired.receivers.send = send
    wired.declare()
    wired.drain()
    (row,) = wired.rows("events:tracker")
    assert (row.said, row.given_up_at, as_utc(row.next_at)) == ("HTTP 410", None, START + 5 * SECOND)
    clock.advance(5 * SECOND)
    wired.drain()
    assert wired.got("tracker") == ["incident.declared"]
    assert [a.outcome for a in answers if a.destination == "events:tracker"] == ["retrying", "sent"]


# --- claims that never run out in flight, privacy as it stands, forgetting ------------------------------------


class SlowReceivers(Receivers):
    """Receivers each of whose sends takes `takes` on the test's clock."""

    def __init__(self, clock, takes: timedelta) -> None:
        super().__init__()
        self.clock, self.takes = clock, takes

    def send(self, subscription, published: Published) -> PartnerAnswer:
        self.clock.advance(self.takes)
        return super().send(subscription, published)


def test_a_lane_stops_sending_before_its_claim_runs_out_and_gives_the_rest_back(wire, clock):
    wired = wire(events=(TRACKER,))
    incidents = [wired.declare() for _ in range(6)]  # one notification each, six incidents
    wired.receivers = wired.paging.deliveries.receivers = SlowReceivers(clock, takes=40 * SECOND)
    wired.drain()
    rows = wired.rows("events:tracker")
    sent = [row for row in rows if row.done_at is not None]
    assert len(sent) == 3  # 40 s each: a fourth would end past the two-minute claim's last 30 s
    assert all(row.claimed_until is None and row.attempts == 0 for row in rows if row.done_at is None)
    wired.drain()
    assert all(row.done_at is not None for row in wired.rows("events:tracker"))
    assert [published.incident_id for _, published in wired.receivers.got] == [i.id for i in incidents]


def test_an_incident_made_private_since_is_redacted_in_what_is_still_owed(wired, clock):
    incident = wired.declare()  # output: not private when declared
    wired.service.change_class(ChangeClass("data"), channel=incident.channel_id, by=ALICE)
    wired.drain()
    declared = next(p for name, p in wired.receivers.got if name == "warehouse" and p.type == "incident.declared")
    assert declared.data["incident"]["private"] is True  # the receiver redacts it as it stands now


def test_settled_deliveries_are_forgotten_after_the_retention_and_notifications_kept(wired, clock):
    wired.declare()
    wired.drain()
    owed = len(wired.rows())
    clock.advance(timedelta(days=31))
    assert wired.deliveries.prune(older_than=timedelta(days=30)) == owed
    assert wired.rows() == [] and len(wired.notifications()) == 1
