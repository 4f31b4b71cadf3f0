"""Alert intake's use case over a real store: open, attach, resolve, storm control, and failures that leave
the delivery for a later try with nothing half-written."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from unit.usecases.fakes import BOB, CAROL, GONE, START

from firehouse.commands.incidents import Resolve
from firehouse.config.alerts import AlertSettings
from firehouse.domain.alerts import FIRING, RESOLVED, Alert, AlertGroup, Rule
from firehouse.domain.lifecycle import Status
from firehouse.domain.severity import Severity
from firehouse.intake.parse import parse
from firehouse.store import UnitOfWork
from firehouse.store.tables import AlertDeliveryRow
from firehouse.usecases.alerts import AlertIntake
from firehouse.usecases.effects import AlertPost

ALERTS = AlertSettings(token="t" * 20, captain=CAROL, storm_limit=2, storm_window=timedelta(minutes=10),
                       rules=(Rule({"ai_class": "cost"}, class_id="cost", captain=BOB),
                              Rule({"ai_class": "gone"}, captain=GONE)))


@pytest.fixture
def intake(make_service) -> AlertIntake:
    return AlertIntake(service=make_service(alerts=ALERTS))


def alert(name: str, *, fingerprint: str | None = None, status: str = FIRING, minutes_ago: int = 5,
          **labels: str) -> Alert:
    return Alert(status=status, labels={"alertname": name, **labels}, annotations={"summary": f"{name} is up"},
                 starts_at=START - timedelta(minutes=minutes_ago), fingerprint=fingerprint or f"fp-{name}",
                 ends_at=START if status == RESOLVED else None, generator_url=f"http://prom.example/{name}")


def group(*alerts: Alert, key: str | None = None) -> AlertGroup:
    return AlertGroup(source="alertmanager", status=alerts[0].status, alerts=alerts,
                      group_key=key if key is not None else f"{{}}:{{alertname={alerts[0].name!r}}}")


def deliveries(intake: AlertIntake) -> list[AlertDeliveryRow]:
    with UnitOfWork(intake.service.engine) as uow:
        return list(uow.session.exec(AlertDeliveryRow.__table__.select().order_by(AlertDeliveryRow.id)))


def incident_of(intake: AlertIntake, channel: str):
    return intake.service.incident_in(channel)


def timeline(intake: AlertIntake, incident_id: int) -> list[tuple[str, str]]:
    with UnitOfWork(intake.service.engine) as uow:
        return [(e.kind, e.text) for e in uow.incidents.timeline(incident_id)]


def test_a_firing_group_opens_a_provisional_investigation_triaged_by_the_rules(intake, outbound, clock):
    intake.receive(group(alert("SpendDoubled", ai_class="cost"), alert("SpendEU", ai_class="eu", minutes_ago=9)))
    clock.advance(timedelta(seconds=2))
    assert intake.drain() == 1
    ((channel, private),) = outbound.created
    incident = incident_of(intake, channel.id)
    assert (incident.title, incident.severity, incident.class_id, incident.captain) == (
        "SpendDoubled is up (+1 more)", Severity.SEV3, "cost", BOB)
    assert incident.captain_provisional and incident.declared_by == "firehouse" and not private
    assert incident.detected_at == START - timedelta(minutes=9)  # the earliest firing alert's start
    assert outbound.briefings[0].invite == (BOB,)
    kinds = [kind for kind, _ in timeline(intake, incident.id)]
    assert kinds[0] == "alert" and kinds.count("alert") == 8 and "declared" in kinds  # received before declared
    ((_, post),) = outbound.owed
    assert isinstance(post.effect, AlertPost) and (post.effect.kind, post.effect.rule, post.channel) == (
        "opened", 1, channel.id)
    assert [(d.outcome, d.incident_id) for d in deliveries(intake)] == [("opened", incident.id)]


def test_without_a_matching_rule_the_defaults_decide_and_the_class_stays_unclassified(intake, outbound):
    intake.receive(group(alert("Drift", team="ml")))
    intake.drain()
    incident = incident_of(intake, outbound.created[0][0].id)
    assert (incident.class_id, incident.captain, incident.classified_at) == ("output", CAROL, None)


def test_a_repeat_of_the_group_attaches_and_only_what_is_new_goes_on_the_timeline(intake, outbound, clock):
    intake.receive(group(alert("Spend")))
    intake.drain()
    incident = incident_of(intake, outbound.created[0][0].id)
    before = len(timeline(intake, incident.id))
    intake.receive(group(alert("Spend")))  # Alertmanager's repeat_interval: the same again
    intake.receive(group(alert("Spend"), alert("SpendEU"), key='{}:{alertname="Spend"}'))
    intake.drain()
    assert len(outbound.created) == 1
    added = timeline(intake, incident.id)[before:]
    assert [text for _, text in added][0].startswith("Alertmanager: SpendEU firing since")
    assert len(added) == 4
    assert [p.effect.kind for _, p in outbound.owed] == ["opened", "joined"]
    assert [d.outcome for d in deliveries(intake)] == ["opened", "attached", "attached"]


def test_a_known_fingerprint_attaches_whatever_group_it_comes_in(intake, outbound):
    intake.receive(group(alert("Spend", fingerprint="same")))
    intake.receive(group(alert("Spend", fingerprint="same"), key='{}:{team="finops"}'))
    intake.drain()
    assert len(outbound.created) == 1 and [d.outcome for d in deliveries(intake)] == ["opened", "attached"]


def test_a_resolve_is_noted_once_and_the_incident_stays_open(intake, outbound):
    intake.receive(group(alert("Spend")))
    intake.receive(group(alert("Spend", status=RESOLVED)))
    intake.receive(group(alert("Spend", status=RESOLVED)))  # sent again
    intake.drain()
    incident = incident_of(intake, outbound.created[0][0].id)
    resolved = [text for _, text in timeline(intake, incident.id) if "resolved" in text]
    assert resolved == [("Alertmanager: Spend resolved at 2026-03-02 09:00 UTC. The incident stays open until a"
                         " person resolves it.")]
    assert incident.status is Status.INVESTIGATING
    assert [p.effect.kind for _, p in outbound.owed] == ["opened", "resolved"]


def test_a_resolved_group_nobody_knows_opens_nothing(intake, outbound):
    intake.receive(group(alert("Quiet", status=RESOLVED)))
    assert intake.drain() == 1
    assert outbound.created == [] and [d.outcome for d in deliveries(intake)] == ["ignored"]


def test_an_incident_a_person_resolved_is_not_reopened_by_its_alert_firing_again(intake, outbound, service):
    intake.receive(group(alert("Spend")))
    intake.drain()
    service.resolve(Resolve("budget raised"), channel=outbound.created[0][0].id, by=CAROL)
    intake.receive(group(alert("Spend")))
    intake.drain()
    assert len(outbound.created) == 2


def test_storm_control_opens_the_limit_then_gathers_new_groups_in_one_room_until_the_window_passes(
        intake, outbound, clock):
    for n in range(4):
        intake.receive(group(alert(f"Flood{n}")))
    intake.drain()
    names = [channel.name for channel, _ in outbound.created]
    assert len(names) == 3 and "alert-storm" in names[2]
    storm = incident_of(intake, outbound.created[2][0].id)
    assert storm.title == "Alert storm: more than 2 alert groups within 10m" and storm.captain == CAROL
    assert [d.outcome for d in deliveries(intake)] == ["opened", "opened", "storm", "storm"]
    joined = [text for _, text in timeline(intake, storm.id) if "joined the storm" in text]
    assert len(joined) == 2
    intake.receive(group(alert("Flood3")))  # a repeat of a storm's group stays in the storm
    clock.advance(timedelta(minutes=11))
    intake.receive(group(alert("Flood5")))  # the window moved on: a room of its own again
    intake.drain()
    assert len(outbound.created) == 4 and [d.outcome for d in deliveries(intake)][4:] == ["attached", "opened"]


def test_slack_down_leaves_the_delivery_unprocessed_and_it_is_tried_again_later_once(intake, outbound, clock):
    told = []
    intake.on_outcome.append(lambda source, outcome: told.append(outcome))
    intake.receive(group(alert("Spend")))
    outbound.create_error = "internal_error"
    assert intake.drain() == 0
    (waiting,) = deliveries(intake)
    assert waiting.processed_at is None and waiting.attempts == 1 and "internal_error" in waiting.error
    with UnitOfWork(intake.service.engine) as uow:
        assert uow.incidents.open_incidents() == []  # nothing half-written
    outbound.create_error = None
    assert intake.drain() == 0  # not before its wait is over
    clock.advance(timedelta(seconds=5))
    assert intake.drain() == 1 and intake.drain() == 0
    assert len(outbound.created) == 1 and told == ["failed", "opened"]


def test_a_failed_delivery_is_not_overtaken_by_a_later_one_of_its_group_and_other_groups_go_on(
        intake, outbound, clock):
    intake.receive(group(alert("Spend")))
    outbound.create_error = "internal_error"  # Slack is down: the firing waits
    assert intake.drain() == 0
    outbound.create_error = None
    intake.receive(group(alert("Spend", status=RESOLVED)))  # same group: waits behind the firing
    intake.receive(group(alert("Spend", status=RESOLVED), key='{}:{team="finops"}'))  # same alert: waits too
    intake.receive(group(alert("Other")))  # another group: not held up
    assert intake.drain() == 1
    assert [d.outcome or None for d in deliveries(intake)] == [None, None, None, "opened"]
    assert len(outbound.created) == 1 and "other" in outbound.created[0][0].name
    clock.advance(timedelta(seconds=5))
    assert intake.drain() == 3
    assert [d.outcome for d in deliveries(intake)] == ["opened", "attached", "attached", "opened"]
    spend = incident_of(intake, outbound.created[1][0].id)
    assert [text for _, text in timeline(intake, spend.id) if "Spend resolved" in text] == [
        "Alertmanager: Spend resolved at 2026-03-02 09:00 UTC. The incident stays open until a person resolves it."]


def test_a_start_sent_with_a_utc_offset_is_stored_as_the_same_moment(intake, outbound):
    body = {"version": "4", "status": "firing", "groupKey": '{}:{alertname="Drift"}',
            "alerts": [{"status": "firing", "labels": {"alertname": "Drift"},
                        "startsAt": "2026-03-02T10:55:00+02:00", "endsAt": "0001-01-01T00:00:00Z"}]}
    intake.receive(parse("alertmanager", body))
    assert intake.drain() == 1
    incident = incident_of(intake, outbound.created[0][0].id)  # read back from SQLite, which keeps no offset
    assert incident.detected_at == START - timedelta(minutes=5) <= incident.declared_at


def test_a_rules_captain_who_cannot_answer_gives_way_to_the_default_captain(intake, outbound):
    intake.receive(group(alert("Ghost", ai_class="gone")))
    intake.drain()
    incident = incident_of(intake, outbound.created[0][0].id)
    assert incident.captain == CAROL
    assert any("Label rule 2 names a captain who cannot take the role" in text
               for _, text in timeline(intake, incident.id))


def test_a_default_captain_who_cannot_answer_fails_the_delivery_without_opening_anything(make_service, outbound):
    intake = AlertIntake(service=make_service(alerts=replace(ALERTS, captain=GONE)))
    intake.receive(group(alert("Spend")))
    assert intake.drain() == 0
    assert outbound.created == [] and "deactivated" in deliveries(intake)[0].error


def test_two_workers_draining_at_once_open_one_war_room_for_one_group(intake, outbound):
    intake.receive(group(alert("Spend")))
    intake.receive(group(alert("Spend")))
    workers = [threading.Thread(target=intake.drain) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(outbound.created) == 1 and sorted(d.outcome for d in deliveries(intake)) == ["attached", "opened"]


def test_a_drain_asked_to_stop_leaves_the_rest_stored(intake, outbound):
    for n in range(3):
        intake.receive(group(alert(f"Own{n}")))
    calls = iter([True, True, False])
    assert intake.drain(keep_going=lambda: next(calls, False)) == 1
    assert [d.processed_at is None for d in deliveries(intake)] == [False, True, True]

