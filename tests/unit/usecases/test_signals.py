"""Live signals in-process: the real wiring over the fake Slack, a metric source whose values follow the test's
functions of time, and a clock the test steps; the status board's decisions run without a scheduler."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy.engine import Engine
from unit.usecases.fakes import ALICE, BOB, FRAUD_RATE, PROM, RANKER_OFF, START, FakeExecutors, FakeMetrics

from firehouse.bolt.handlers import Request, Services
from firehouse.bolt.handlers.updates import UPDATE_FORM
from firehouse.bolt.table import parse
from firehouse.bootstrap import build
from firehouse.commands.containment import PullFirebreak
from firehouse.commands.drills import StartDrill
from firehouse.commands.incidents import ChangeStatus, Resolve
from firehouse.commands.signals import StopWatching, WatchSignal
from firehouse.commands.timeline import PostUpdate
from firehouse.config import Settings
from firehouse.config.alerts import AlertSettings
from firehouse.config.file import BoardSettings
from firehouse.domain.alerts import Alert, AlertGroup
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.permissions import NotAllowed
from firehouse.domain.severity import Severity
from firehouse.domain.signals import Signal, Unreadable, WatchWhen
from firehouse.domain.watches import Origin, Watch
from firehouse.errors import InvalidChange, MetricFailure, QueryRefused
from firehouse.slack.signal_blocks import MOVE_ACTION, move_value, read_move_value
from firehouse.store import UnitOfWork
from firehouse.usecases.alerts import AlertIntake
from firehouse.usecases.duties import Duties
from firehouse.usecases.incidents import StillOutside

MINUTE = timedelta(minutes=1)
PULL_AT = START + 20 * MINUTE  # the test pulls the firebreak here; the fraud rate falls after it
TOKENS = Signal(name="tokens", query="sum(rate(tokens_total[5m]))", label="token spend", source="prom",
                unit="tokens", baseline=timedelta(days=7))


def fraud(moment: datetime) -> float:
    """9.1 % until the pull, 2.1 % after."""
    return 0.091 if moment < PULL_AT else 0.021


@dataclass
class Wired:
    services: Services
    duties: Duties
    metrics: FakeMetrics
    executors: FakeExecutors
    engine: Engine

    def declare(self, *, class_id: str | None = None) -> Incident:
        return self.services.incidents.declare(title="Refund agent approves fraud", by=ALICE,
                                               severity=Severity.SEV2, class_id=class_id).incident

    def timeline(self, incident: Incident) -> list[str]:
        with UnitOfWork(self.engine) as uow:
            return [e.text for e in uow.incidents.timeline(incident.id)]

    def incident(self, incident: Incident) -> Incident:
        with UnitOfWork(self.engine) as uow:
            return uow.incidents.get(incident.id)

    def watches(self, incident: Incident) -> list[str]:
        with UnitOfWork(self.engine) as uow:
            return [w.signal.name for w in uow.signals.watches(incident.id)]

    def verifications(self, incident: Incident) -> list[str]:
        with UnitOfWork(self.engine) as uow:
            return [v.text for v in uow.signals.verifications(incident.id)]

    def pull(self, incident: Incident) -> None:
        self.services.containment.pull(PullFirebreak("ranker-off"), channel=incident.channel_id, by=ALICE,
                                       confirmed=True)


@pytest.fixture
def wire(engine, gateway, clock, fake):
    built: list[Wired] = []

    def make(*, signals: dict[str, Signal] | None = None, values: dict | None = None, **changes) -> Wired:
        settings = Settings(bot_token=fake.bot_token, signing_secret="secret", stakeholder_channel=fake.stakeholders,
                            board=BoardSettings(first_hour=()), metric_sources={"prom": PROM},
                            signals=signals if signals is not None else {"fraud-flag-rate": FRAUD_RATE},
                            firebreaks={"ranker-off": RANKER_OFF}, **changes)
        metrics = FakeMetrics(values if values is not None else {FRAUD_RATE.query: fraud})
        executors = FakeExecutors()
        services, board = build(settings, engine=engine, gateway=gateway, clock=clock, executors=executors,
                                metrics=metrics)
        built.append(Wired(services, board.duties, metrics, executors, engine))
        return built[-1]

    yield make
    for wired in built:
        wired.services.incidents.outbound.fan_out.shutdown()


def texts(fake, channel: str, pattern: str) -> list[str]:
    return [m["text"] for m in fake.messages(channel) if re.search(pattern, m["text"])]


# --- watching ---------------------------------------------------------------------------------------------


def test_watching_a_signal_puts_it_on_the_timeline_and_shares_its_chart_with_where_it_stands(wire, fake, clock):
    wired = wire()
    incident = wired.declare()
    clock.set(START + 5 * MINUTE)

    outcome, reading = wired.services.signals.watch(WatchSignal("fraud-flag-rate"), channel=incident.channel_id,
                                                    by=BOB)
    assert reading.now(timedelta(minutes=5)).headline() == "fraud-flag rate 9.1% now (threshold 3.0%, 3.0×)"
    wired.services.signals.show_chart(incident, reading)

    assert wired.watches(incident) == ["fraud-flag-rate"]
    assert wired.timeline(incident)[-1] == "Watching fraud-flag rate (`fraud-flag-rate`)"
    [chart] = fake.files(incident.channel_id)
    assert chart["bytes"].startswith(b"\x89PNG") and "fraud-flag rate 9.1% now" in chart["comment"]
    # from an hour before the first signal to now, in one query
    [(_, query, start, end)] = wired.metrics.asked
    assert query == FRAUD_RATE.query and start <= START - timedelta(hours=1) and end >= START + 5 * MINUTE


def test_watching_again_starts_nothing_new_and_stopping_ends_the_watch(wire, clock):
    wired = wire()
    incident = wired.declare()
    signals = wired.services.signals
    signals.watch(WatchSignal("fraud-flag-rate"), channel=incident.channel_id, by=BOB)
    again, _ = signals.watch(WatchSignal("fraud-flag-rate"), channel=incident.channel_id, by=BOB)
    assert again.events == [] and wired.watches(incident) == ["fraud-flag-rate"]

    signals.stop(StopWatching("fraud-flag-rate"), channel=incident.channel_id, by=BOB)
    assert wired.watches(incident) == []
    assert wired.timeline(incident)[-1] == "Stopped watching fraud-flag rate (`fraud-flag-rate`)"
    with pytest.raises(InvalidChange, match="does not watch `fraud-flag-rate` \\(it watches: none\\)"):
        signals.stop(StopWatching("fraud-flag-rate"), channel=incident.channel_id, by=BOB)


def test_an_unknown_signal_is_refused_with_the_configured_ones_and_nothing_is_written(wire):
    wired = wire(signals={"fraud-flag-rate": FRAUD_RATE, "tokens": TOKENS})
    incident = wired.declare()
    before = wired.timeline(incident)
    with pytest.raises(InvalidChange) as refused:
        wired.services.signals.watch(WatchSignal("fraud"), channel=incident.channel_id, by=BOB)
    assert refused.value.reply == "There is no signal called `fraud` (configured: `fraud-flag-rate`, `tokens`)."
    assert wired.timeline(incident) == before and wired.metrics.asked == []


def test_a_query_the_source_refuses_starts_no_watch_and_says_what_prometheus_said(wire):
    wired = wire()
    incident = wired.declare()
    wired.metrics.failure = QueryRefused("Prometheus refused the query: 1:5: parse error: unexpected <by>")
    with pytest.raises(InvalidChange) as refused:
        wired.services.signals.watch(WatchSignal("fraud-flag-rate"), channel=incident.channel_id, by=BOB)
    assert "parse error: unexpected &lt;by&gt;" in refused.value.reply
    assert wired.watches(incident) == []


def test_a_source_that_is_down_does_not_stop_the_watch_and_the_reply_says_so(wire):
    wired = wire()
    incident = wired.declare()
    wired.metrics.failure = MetricFailure("Prometheus did not answer within 5 s")
    outcome, reading = wired.services.signals.watch(WatchSignal("fraud-flag-rate"), channel=incident.channel_id,
                                                    by=BOB)
    assert isinstance(reading, Unreadable)
    assert reading.describe() == "fraud-flag rate: unavailable: Prometheus did not answer within 5 s"
    assert wired.watches(incident) == ["fraud-flag-rate"]


def test_the_watch_command_replies_in_the_war_room_with_the_standing_and_escapes_what_it_quotes(wire, fake):
    wired = wire()
    incident = wired.declare()
    parsed = parse("watch fraud-flag-rate", catalog=wired.services.incidents.catalog)
    reply = parsed.row.handle(parsed.command, Request(user=BOB, channel=incident.channel_id, trigger_id="t",
                                                      services=wired.services))
    assert reply.text == "Watching fraud-flag rate: fraud-flag rate 9.1% now (threshold 3.0%, 3.0×)."
    assert len(fake.files(incident.channel_id)) == 1


# --- what follows by itself -------------------------------------------------------------------------------


def test_a_class_a_signal_watches_is_watched_from_the_declaration(wire):
    wired = wire(signals={"fraud-flag-rate": replace(FRAUD_RATE, watch=WatchWhen(classes=("action",)))})
    watched, other = wired.declare(class_id="action"), wired.declare(class_id="output")
    assert wired.watches(watched) == ["fraud-flag-rate"] and wired.watches(other) == []
    assert "Watching fraud-flag rate (`fraud-flag-rate`) (its class is watched)" in wired.timeline(watched)


def test_pulling_a_firebreak_a_signal_verifies_starts_watching_it(wire, clock):
    wired = wire(signals={"fraud-flag-rate": replace(FRAUD_RATE, watch=WatchWhen(firebreaks=("ranker-off",)))})
    incident = wired.declare()
    assert wired.watches(incident) == []
    wired.pull(incident)
    assert wired.watches(incident) == ["fraud-flag-rate"]


# --- verification -----------------------------------------------------------------------------------------


def test_verify_after_the_pull_the_effect_is_measured_once_and_said_on_the_timeline_with_the_chart(
        wire, fake, clock):
    wired = wire()
    incident = wired.declare()
    wired.services.signals.watch(WatchSignal("fraud-flag-rate"), channel=incident.channel_id, by=BOB)
    clock.set(PULL_AT)
    wired.pull(incident)
    assert wired.duties.next_run(wired.incident(incident)) <= PULL_AT + 10 * MINUTE

    clock.set(PULL_AT + 10 * MINUTE)
    wired.duties.run(incident.id)
    clock.advance(MINUTE)
    wired.duties.run(incident.id)

    effect = "Effect of ranker-off on fraud-flag rate: 9.1% → 2.1% (−77%), back within baseline"
    assert wired.verifications(incident) == [effect]
    assert effect in wired.timeline(incident)
    assert texts(fake, incident.channel_id, "^:bar_chart: Effect of ranker-off") == [f":bar_chart: {effect}"]
    assert [f["comment"] for f in fake.files(incident.channel_id)] == [effect]


def test_a_firebreak_that_changed_nothing_is_said_to_have_no_measurable_effect(wire, clock):
    wired = wire(values={FRAUD_RATE.query: lambda t: 0.090 if t < PULL_AT else 0.088})
    incident = wired.declare()
    wired.services.signals.watch(WatchSignal("fraud-flag-rate"), channel=incident.channel_id, by=BOB)
    clock.set(PULL_AT)
    wired.pull(incident)
    clock.set(PULL_AT + 10 * MINUTE)
    wired.duties.run(incident.id)
    assert wired.verifications(incident) == [
        "Effect of ranker-off on fraud-flag rate: no measurable effect: 9.0% → 8.8%"]


def test_a_source_down_when_a_verification_is_due_is_tried_again_then_recorded_as_not_measured(wire, clock):
    wired = wire()
    incident = wired.declare()
    wired.services.signals.watch(WatchSignal("fraud-flag-rate"), channel=incident.channel_id, by=BOB)
    clock.set(PULL_AT)
    wired.pull(incident)
    wired.metrics.failure = MetricFailure("Prometheus could not be reached (ConnectError)")

    clock.set(PULL_AT + 10 * MINUTE)
    wired.duties.run(incident.id)
    assert wired.verifications(incident) == []
    assert wired.duties.next_run(wired.incident(incident)) == PULL_AT + 11 * MINUTE  # tried again in a minute

    clock.set(PULL_AT + 41 * MINUTE)
    wired.duties.run(incident.id)
    assert wired.verifications(incident) == ["Effect of ranker-off on fraud-flag rate: not measured, Prometheus could"
                                             " not be reached (ConnectError)"]


# --- updates ----------------------------------------------------------------------------------------------


def test_every_update_carries_a_line_per_watched_signal_and_an_unreadable_one_never_stops_it(wire, fake, clock):
    wired = wire(signals={"fraud-flag-rate": FRAUD_RATE, "tokens": TOKENS})
    incident = wired.declare()
    for name in ("fraud-flag-rate", "tokens"):
        wired.services.signals.watch(WatchSignal(name), channel=incident.channel_id, by=BOB)
    clock.set(PULL_AT + 15 * MINUTE)  # within the threshold since 09:20 (the first point after the pull)

    wired.services.updates.post_update(PostUpdate("Refunds paused; fraud flags falling."),
                                       channel=incident.channel_id, by=ALICE)

    [update] = texts(fake, fake.stakeholders, "Refunds paused")
    assert "fraud-flag rate 2.1% (threshold 3.0%): within baseline since 09:20 UTC" in update
    assert "token spend: no data" in update


def test_the_stakeholders_no_new_information_post_carries_the_lines_too(wire, fake, clock):
    wired = wire()
    incident = wired.declare()
    wired.services.signals.watch(WatchSignal("fraud-flag-rate"), channel=incident.channel_id, by=BOB)
    wired.metrics.failure = MetricFailure("Prometheus did not answer within 5 s")
    clock.set(START + 30 * MINUTE)  # SEV2: an update was due now
    wired.duties.run(incident.id)
    [silence] = texts(fake, fake.stakeholders, "No new information")
    assert "fraud-flag rate: unavailable: Prometheus did not answer within 5 s" in silence


def test_one_read_per_signal_serves_the_whole_tick(wire, clock):
    wired = wire()
    incident = wired.declare()
    wired.services.signals.watch(WatchSignal("fraud-flag-rate"), channel=incident.channel_id, by=BOB)
    clock.set(PULL_AT)
    wired.pull(incident)
    wired.metrics.asked.clear()
    clock.set(START + 30 * MINUTE)  # the silence post and the verification are due in the same tick
    wired.duties.run(incident.id)
    assert len(wired.metrics.asked) == 1


# --- status guards and monitoring ---------------------------------------------------------------------------


def test_moving_to_contained_while_a_signal_is_outside_asks_first_and_a_confirmed_move_is_recorded(wire, clock):
    wired = wire()
    incident = wired.declare()
    wired.services.signals.watch(WatchSignal("fraud-flag-rate"), channel=incident.channel_id, by=BOB)
    clock.set(START + 10 * MINUTE)
    before = wired.timeline(incident)

    with pytest.raises(StillOutside) as asked:
        wired.services.incidents.change_status(ChangeStatus(Status.CONTAINED), channel=incident.channel_id, by=ALICE)
    assert asked.value.standings == ["fraud-flag rate 9.1% (threshold 3.0%): outside baseline since 08:00 UTC"]
    assert wired.incident(incident).status is Status.INVESTIGATING and wired.timeline(incident) == before

    wired.services.incidents.change_status(ChangeStatus(Status.CONTAINED, confirmed=True),
                                           channel=incident.channel_id, by=ALICE)
    assert wired.incident(incident).status is Status.CONTAINED
    assert wired.timeline(incident)[-1] == ("Moved to contained although still outside baseline (confirmed):"
                                            " fraud-flag rate 9.1% (threshold 3.0%): outside baseline since 08:00 UTC")


def test_resolving_is_guarded_too_and_a_move_the_signals_do_not_argue_against_is_not(wire, clock):
    wired = wire()
    incident = wired.declare()
    wired.services.signals.watch(WatchSignal("fraud-flag-rate"), channel=incident.channel_id, by=BOB)
    with pytest.raises(StillOutside):
        wired.services.incidents.resolve(Resolve("refunds paused"), channel=incident.channel_id, by=ALICE)
    wired.services.incidents.change_status(ChangeStatus(Status.IDENTIFIED), channel=incident.channel_id, by=ALICE)
    clock.set(PULL_AT + 10 * MINUTE)
    wired.services.incidents.resolve(Resolve("refunds paused"), channel=incident.channel_id, by=ALICE)
    assert wired.incident(incident).status is Status.RESOLVED


def test_in_monitoring_the_captain_hears_once_when_every_signal_settled_within_its_baseline(wire, fake, clock):
    wired = wire()
    incident = wired.declare()
    wired.services.signals.watch(WatchSignal("fraud-flag-rate"), channel=incident.channel_id, by=BOB)
    clock.set(PULL_AT + MINUTE)  # the last five minutes still average outside: moved anyway
    wired.services.incidents.change_status(ChangeStatus(Status.MONITORING, confirmed=True),
                                           channel=incident.channel_id, by=ALICE)

    clock.set(PULL_AT + 20 * MINUTE)  # within since 09:20, not yet for 30 minutes
    wired.duties.run(incident.id)
    assert texts(fake, incident.channel_id, "every watched signal") == []

    clock.set(PULL_AT + 31 * MINUTE)
    wired.duties.run(incident.id)
    clock.advance(5 * MINUTE)
    wired.duties.run(incident.id)
    [settled] = texts(fake, incident.channel_id, "every watched signal")
    assert settled.startswith(f":white_check_mark: <@{ALICE}>, every watched signal has stayed within its baseline")
    assert "Consider resolving" in settled
    assert any(t.startswith("Every watched signal within baseline for 30m") for t in wired.timeline(incident))


# --- evidence ---------------------------------------------------------------------------------------------


def test_snapshot_signals_freezes_every_watched_signals_range_data_verbatim(wire, clock):
    channel_label = (("route", "<!channel> {{ 7*7 }}"),)
    wired = wire(values={})
    wired.metrics.series[FRAUD_RATE.query] = {channel_label: fraud, (("route", "b"),): lambda t: math.nan}
    incident = wired.declare()
    wired.services.signals.watch(WatchSignal("fraud-flag-rate"), channel=incident.channel_id, by=BOB)
    clock.set(START + 10 * MINUTE)

    fields = wired.services.signals.snapshot_fields(channel=incident.channel_id, by=BOB)
    frozen = json.loads(fields["signal.fraud-flag-rate"])
    assert frozen["signal"]["query"] == FRAUD_RATE.query
    assert [s["labels"] for s in frozen["series"]] == [{"route": "<!channel> {{ 7*7 }}"}, {"route": "b"}]
    assert frozen["series"][0]["values"][-1][1] == 0.091


def test_snapshot_signals_with_nothing_watched_is_refused(wire):
    wired = wire()
    incident = wired.declare()
    with pytest.raises(InvalidChange, match="watches no signal"):
        wired.services.signals.snapshot_fields(channel=incident.channel_id, by=BOB)


# --- alerts -----------------------------------------------------------------------------------------------


def test_an_alert_with_a_prometheus_graph_link_is_watched_in_the_investigation_it_opens(wire, clock):
    expression = "sum(rate(refund_fraud_total[5m])) / sum(rate(refund_total[5m])) > 0.05"
    wired = wire(alerts=AlertSettings(token="t" * 20, captain=ALICE),
                 values={"sum(rate(refund_fraud_total[5m])) / sum(rate(refund_total[5m]))": fraud})
    intake = AlertIntake(service=wired.services.incidents, bring=wired.services.signals.for_alerts)
    firing = Alert(status="firing", labels={"alertname": "RefundFraudHigh"}, annotations={}, fingerprint="fp-1",
                   starts_at=START - 5 * MINUTE, generator_url=f"{PROM.url}/graph?g0.expr={quote(expression)}&g0.tab=1")
    intake.receive(AlertGroup(source="alertmanager", status="firing", group_key="{}:{}", alerts=(firing,)))
    intake.drain()

    incident = wired.services.incidents.open_incidents()[-1]
    with UnitOfWork(wired.engine) as uow:
        [watch] = uow.signals.watches(incident.id)
    assert (watch.signal.name, watch.signal.label, watch.signal.threshold) == (
        "alert-refundfraudhigh", "RefundFraudHigh", 0.05)
    assert "Watching RefundFraudHigh (`alert-refundfraudhigh`) (the alert's own signal)" in wired.timeline(incident)
    reading = wired.services.signals.tick(incident).readings["alert-refundfraudhigh"]
    # an alert's expression has no unit: its value is shown as it is
    assert reading.now(timedelta(minutes=5)).describe() == ("RefundFraudHigh 0.091 (threshold 0.05): outside"
                                                            " baseline since 07:00 UTC")


# --- drills ---------------------------------------------------------------------------------------------


def test_a_drill_practises_verification_against_its_scenarios_scripted_signal(wire, fake, clock):
    wired = wire(values={})
    general = fake.add_channel("general", members=[ALICE, BOB])
    run, outcome = wired.services.drills.start(StartDrill("refund-fraud"), channel=general, by=ALICE)
    incident = outcome.incident
    assert wired.watches(incident) == ["fraud-flag-rate"]
    assert "Watching fraud-flag rate (`fraud-flag-rate`) (the drill's scripted signal)" in wired.timeline(incident)

    clock.set(START + 12 * MINUTE)  # 9.7 % since minute 9 of the script
    wired.pull(incident)
    clock.set(START + 22 * MINUTE)
    wired.duties.run(incident.id)

    [verified] = wired.verifications(incident)
    assert verified.startswith("Effect of ranker-off on fraud-flag rate: 9.") and verified.endswith(
        "back within baseline")
    assert wired.metrics.asked == []  # no Prometheus: the scenario's values


def test_the_signals_of_a_no_new_information_post_are_read_just_before_it_is_due_so_it_does_not_wait(
        wire, fake, clock):
    wired = wire()
    incident = wired.declare()
    due = START + 30 * MINUTE  # SEV2
    clock.set(START + 25 * MINUTE)
    wired.duties.run(incident.id)  # the captain's prompt; next, the update is due
    assert wired.duties.next_run(wired.incident(incident)) == due  # nothing watched: no early run

    wired.services.signals.watch(WatchSignal("fraud-flag-rate"), channel=incident.channel_id, by=BOB)
    assert wired.duties.next_run(wired.incident(incident)) == due - timedelta(seconds=10)
    clock.set(due - timedelta(seconds=10))
    wired.metrics.asked.clear()
    wired.duties.run(incident.id)
    assert len(wired.metrics.asked) == 1 and texts(fake, fake.stakeholders, "No new information") == []
    assert wired.duties.next_run(wired.incident(incident)) == due

    clock.set(due)
    wired.duties.run(incident.id)
    assert len(wired.metrics.asked) == 1  # the read made just before served the post
    [silence] = texts(fake, fake.stakeholders, "No new information")
    assert "fraud-flag rate 2.1% (threshold 3.0%): within baseline since 09:20 UTC" in silence


def test_someone_who_may_not_resolve_is_refused_before_the_signals_are_read(wire):
    wired = wire()
    incident = wired.declare()  # Alice captains; resolving is the captain's (or an admin's)
    wired.services.signals.watch(WatchSignal("fraud-flag-rate"), channel=incident.channel_id, by=BOB)
    wired.metrics.asked.clear()
    with pytest.raises(NotAllowed):
        wired.services.incidents.resolve(Resolve("done"), channel=incident.channel_id, by=BOB)
    assert wired.metrics.asked == []


def test_the_move_anyway_button_carries_a_long_summary_and_reason_shortened_to_fit():
    value = move_value(Status.RESOLVED, "s" * 1500, "w" * 2990)
    assert len(value) <= 2000
    status, summary, waiver = read_move_value(value)
    assert status is Status.RESOLVED and summary.startswith("s") and waiver.startswith("w")


def test_the_update_forms_status_move_past_a_signal_still_outside_asks_with_the_button(wire, fake):
    wired = wire()
    incident = wired.declare()
    wired.services.signals.watch(WatchSignal("fraud-flag-rate"), channel=incident.channel_id, by=BOB)
    reply = UPDATE_FORM.handle((incident.id, Status.CONTAINED, "Refunds paused."),
                               Request(user=ALICE, channel="", trigger_id="t", services=wired.services))
    assert reply.text.startswith("Update posted to the war room and the stakeholders.")
    assert "Still outside baseline, so not moved to contained yet" in reply.text
    [button] = [e for b in reply.blocks if hasattr(b, "elements") for e in b.elements]
    assert button.action_id == MOVE_ACTION and read_move_value(button.value)[0] is Status.CONTAINED
    assert wired.incident(incident).status is Status.INVESTIGATING


def test_the_settle_window_starts_when_the_incident_moves_into_monitoring(wire, fake, clock):
    wired = wire()
    incident = wired.declare()
    wired.services.signals.watch(WatchSignal("fraud-flag-rate"), channel=incident.channel_id, by=BOB)
    clock.set(PULL_AT + 60 * MINUTE)  # within its threshold for an hour already
    wired.services.incidents.change_status(ChangeStatus(Status.MONITORING), channel=incident.channel_id, by=ALICE)
    clock.advance(5 * MINUTE)
    wired.duties.run(incident.id)
    assert texts(fake, incident.channel_id, "every watched signal") == []
    clock.advance(26 * MINUTE)
    wired.duties.run(incident.id)
    assert len(texts(fake, incident.channel_id, "every watched signal")) == 1


def test_a_drill_watches_its_scripted_signals_only_never_the_configured_ones_its_class_calls_for(wire, fake):
    wired = wire(values={}, signals={"fraud-flag-rate": replace(FRAUD_RATE, watch=WatchWhen(classes=("action",))),
                                     "tokens": replace(TOKENS, watch=WatchWhen(classes=("action",)))})
    general = fake.add_channel("general", members=[ALICE, BOB])
    _, outcome = wired.services.drills.start(StartDrill("refund-fraud"), channel=general, by=ALICE)
    parse_and_run(wired, outcome.incident, "class action")
    with UnitOfWork(wired.engine) as uow:
        [watch] = uow.signals.watches(outcome.incident.id)
    assert (watch.signal.name, watch.signal.source) == ("fraud-flag-rate", "drill")


def test_two_watches_of_one_signal_started_at_once_count_as_one(wire, clock):
    wired = wire()
    incident = wired.declare()
    with UnitOfWork(wired.engine) as uow:  # as two replicas would, each after finding none
        for _ in range(2):
            uow.signals.add_watch(Watch(incident_id=incident.id, signal=FRAUD_RATE, origin=Origin.COMMAND,
                                        started_by=BOB, started_at=START))
        uow.commit()
    clock.set(PULL_AT)
    wired.pull(incident)
    clock.set(PULL_AT + 10 * MINUTE)
    wired.duties.run(incident.id)
    assert wired.watches(incident) == ["fraud-flag-rate"] and len(wired.verifications(incident)) == 1


def parse_and_run(wired: Wired, incident: Incident, text: str) -> None:
    parsed = parse(text, catalog=wired.services.incidents.catalog)
    parsed.row.handle(parsed.command, Request(user=ALICE, channel=incident.channel_id, trigger_id="t",
                                              services=wired.services))


def test_incidents_of_one_hour_that_watch_one_signal_share_its_read(wire, clock):
    wired = wire()
    first, second = wired.declare(), wired.declare()
    for incident in (first, second):
        wired.services.signals.watch(WatchSignal("fraud-flag-rate"), channel=incident.channel_id, by=BOB)
    wired.metrics.asked.clear()
    clock.set(START + 10 * MINUTE)
    lines = [wired.services.signals.lines(incident) for incident in (first, second)]
    assert len(wired.metrics.asked) == 1 and lines[0] == lines[1]
