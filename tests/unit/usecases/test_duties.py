"""What an incident owes at each moment (`Duties`), in-process: the real wiring over the fake Slack and a clock
the test steps to the moment `next_run` names, without a scheduler."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from unit.usecases.fakes import ALICE, BOB, CAROL, DANA, START

from firehouse.commands.evidence import Freeze
from firehouse.commands.incidents import AssignRole, ChangeStatus, Resolve
from firehouse.commands.timeline import Log, PostUpdate
from firehouse.bolt.handlers import Services
from firehouse.bootstrap import build
from firehouse.config import Settings
from firehouse.config.file import BoardSettings
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity
from firehouse.slack.outbox import Outbox
from firehouse.store import UnitOfWork
from firehouse.usecases.duties import Duties

MINUTE = timedelta(minutes=1)
NO_CHECKLIST = BoardSettings(first_hour=())  # keeps the first-hour checklist out of the cadence tests


@dataclass
class Wired:
    """What `build` wired: the use cases, the status board's use case and the outbox, over one store."""

    services: Services
    duties: Duties
    outbox: Outbox
    engine: Engine

    def declare(self, title: str = "Bot recommends rival products", *, severity: Severity = Severity.SEV2,
                class_id: str | None = None) -> Incident:
        return self.services.incidents.declare(title=title, by=ALICE, severity=severity, class_id=class_id).incident

    def incident(self, incident_id: int) -> Incident:
        with UnitOfWork(self.engine) as uow:
            return uow.incidents.get(incident_id)

    def next_run(self, incident_id: int) -> datetime | None:
        return self.duties.next_run(self.incident(incident_id))


@pytest.fixture
def wire(engine, gateway, clock, fake):
    """`build` over the fake Slack, with settings that differ from the defaults by the keywords given."""
    built: list[Wired] = []

    def make(**changes) -> Wired:
        settings = Settings(bot_token=fake.bot_token, signing_secret="secret", stakeholder_channel=fake.stakeholders,
                            **changes)
        services, board = build(settings, engine=engine, gateway=gateway, clock=clock)
        duties = Duties(service=services.incidents, drills=services.drills)
        built.append(Wired(services, duties, board.outbox, engine))
        return built[-1]

    yield make
    for wired in built:
        wired.services.incidents.outbound.fan_out.shutdown()


def posts(fake, channel: str, pattern: str) -> list[str]:
    return [m["text"] for m in fake.messages(channel) if re.search(pattern, m["text"])]


PROMPT, REMINDER, SILENCE = "stakeholders are owed an update", "no update came by", "No new information"
ESCALATION, CHECKLIST = "missed updates in a row", "Still open from the first hour"


# --- prompts, reminders and silence ----------------------------------------------------------------------


def test_nothing_is_posted_before_the_prompt_time(wire, fake, clock):
    wired = wire(board=NO_CHECKLIST)
    incident = wired.declare()
    clock.set(START + 24 * MINUTE)
    wired.duties.run(incident.id)
    assert posts(fake, incident.channel_id, PROMPT) == []


def test_at_the_prompt_time_the_board_posts_one_prompt_to_the_captain(wire, fake, clock):
    wired = wire(board=NO_CHECKLIST)
    incident = wired.declare()  # SEV2: due every 30 minutes, prompted 5 minutes before
    assert wired.next_run(incident.id) == START + 25 * MINUTE

    clock.set(START + 25 * MINUTE)
    wired.duties.run(incident.id)
    clock.advance(MINUTE)
    wired.duties.run(incident.id)

    [prompt] = posts(fake, incident.channel_id, PROMPT)
    assert prompt.startswith(f":memo: <@{ALICE}>, stakeholders are owed an update at *09:30 UTC*")
    assert wired.incident(incident.id).update_prompted
    assert wired.next_run(incident.id) == START + 30 * MINUTE
    assert posts(fake, fake.stakeholders, SILENCE) == []


def test_at_the_due_time_without_an_update_the_captain_is_reminded_and_stakeholders_hear_there_is_nothing_new(
        wire, fake, clock):
    wired = wire(board=NO_CHECKLIST)
    incident = wired.declare()
    for minutes in (25, 30):
        clock.set(START + minutes * MINUTE)
        wired.duties.run(incident.id)

    [reminder] = posts(fake, incident.channel_id, REMINDER)
    assert reminder.startswith(f":hourglass: <@{ALICE}>, no update came by 09:30 UTC")
    assert "The next update is due at *10:00 UTC*" in reminder and ESCALATION not in reminder
    [silence] = posts(fake, fake.stakeholders, SILENCE)
    assert f"Incident {incident.id}: Bot recommends rival products" in silence
    assert "No new information since the incident was declared" in silence and "next update at 10:00 UTC" in silence
    stored = wired.incident(incident.id)
    assert stored.missed_updates == 1 and stored.next_update_due == START + 60 * MINUTE


def test_missed_updates_count_up_cycle_after_cycle(wire, fake, clock):
    wired = wire(board=NO_CHECKLIST)
    incident = wired.declare()
    for minutes in (25, 30, 55, 60):
        assert wired.next_run(incident.id) == START + minutes * MINUTE
        clock.set(START + minutes * MINUTE)
        wired.duties.run(incident.id)

    assert wired.incident(incident.id).missed_updates == 2
    assert len(posts(fake, incident.channel_id, PROMPT)) == 2
    assert len(posts(fake, incident.channel_id, REMINDER)) == 2
    assert len(posts(fake, fake.stakeholders, SILENCE)) == 2
    with UnitOfWork(wired.engine) as uow:
        board_lines = [e.text for e in uow.incidents.timeline(incident.id) if e.kind == "board"]
    assert [re.search(r"\((\d) in a row\)", line)[1] for line in board_lines] == ["1", "2"]


def test_a_board_that_was_down_for_several_cycles_reminds_once_and_keeps_the_rhythm_from_now(wire, fake, clock):
    wired = wire(board=NO_CHECKLIST)
    incident = wired.declare()
    clock.set(START + 107 * MINUTE)  # three due times (09:30, 10:00, 10:30) went by unattended
    wired.duties.run(incident.id)

    assert len(posts(fake, incident.channel_id, REMINDER)) == 1
    stored = wired.incident(incident.id)
    assert stored.missed_updates == 1 and stored.next_update_due == clock.now + 30 * MINUTE


def test_after_too_many_misses_the_reminder_pulls_in_the_comms_and_scribe_holders(wire, fake, clock):
    wired = wire(board=NO_CHECKLIST)
    incident = wired.declare()
    wired.services.incidents.assign_role(AssignRole("comms", BOB), channel=incident.channel_id, by=ALICE)
    wired.services.incidents.assign_role(AssignRole("scribe", CAROL), channel=incident.channel_id, by=ALICE)
    for minutes in (25, 30, 55, 60):
        clock.set(START + minutes * MINUTE)
        wired.duties.run(incident.id)

    first, second = posts(fake, incident.channel_id, REMINDER)
    assert ESCALATION not in first
    assert f"<@{BOB}> <@{CAROL}>: that is 2 missed updates in a row" in second


def test_escalation_leaves_out_a_role_the_captain_holds(wire, fake, clock):
    wired = wire(board=BoardSettings(first_hour=(), missed_before_escalation=1))
    incident = wired.declare()
    wired.services.incidents.assign_role(AssignRole("comms", ALICE), channel=incident.channel_id, by=ALICE)
    wired.services.incidents.assign_role(AssignRole("scribe", CAROL), channel=incident.channel_id, by=ALICE)
    clock.set(START + 30 * MINUTE)
    wired.duties.run(incident.id)

    [reminder] = posts(fake, incident.channel_id, REMINDER)
    assert reminder.endswith(f"\n<@{CAROL}>: that is 1 missed updates in a row. Can you help get one out?")


def test_escalation_goes_to_the_configured_user_group_instead(wire, fake, clock):
    wired = wire(board=BoardSettings(first_hour=(), missed_before_escalation=1, escalate_to="S0ONCALL"))
    incident = wired.declare()
    wired.services.incidents.assign_role(AssignRole("comms", BOB), channel=incident.channel_id, by=ALICE)
    clock.set(START + 30 * MINUTE)
    wired.duties.run(incident.id)

    [reminder] = posts(fake, incident.channel_id, REMINDER)
    assert "<!subteam^S0ONCALL>: that is 1 missed updates in a row" in reminder and f"<@{BOB}>" not in reminder


def test_an_update_starts_a_new_cycle_and_clears_the_misses(wire, fake, clock):
    wired = wire(board=NO_CHECKLIST)
    incident = wired.declare()
    wired.services.incidents.assign_role(AssignRole("comms", BOB), channel=incident.channel_id, by=ALICE)
    for minutes in (25, 30):
        clock.set(START + minutes * MINUTE)
        wired.duties.run(incident.id)

    clock.set(START + 40 * MINUTE)
    wired.services.updates.post_update(PostUpdate("Ranker rolled back"), channel=incident.channel_id, by=ALICE)
    assert wired.next_run(incident.id) == START + 65 * MINUTE  # prompted 5 minutes before 10:10

    clock.set(START + 60 * MINUTE)  # the old cycle's due time passes quietly
    wired.duties.run(incident.id)
    assert len(posts(fake, incident.channel_id, REMINDER)) == 1
    for minutes in (65, 70):
        clock.set(START + minutes * MINUTE)
        wired.duties.run(incident.id)

    reminders = posts(fake, incident.channel_id, REMINDER)
    assert len(reminders) == 2 and ESCALATION not in reminders[-1]  # one miss since the update, not two
    assert "no update came by 10:10 UTC" in reminders[-1]
    assert wired.incident(incident.id).missed_updates == 1
    assert "No new information since 09:40 UTC" in posts(fake, fake.stakeholders, SILENCE)[-1]


def test_a_resolved_incident_has_no_board_job_left(wire, clock):
    wired = wire(board=NO_CHECKLIST)
    incident = wired.declare()
    wired.services.incidents.resolve(Resolve(), channel=incident.channel_id, by=ALICE)
    assert wired.next_run(incident.id) is None


# --- the first-hour checklist ----------------------------------------------------------------------------


def test_the_first_hour_checklist_lists_the_open_items_and_not_the_done_ones(wire, fake, clock):
    wired = wire()  # checkpoints at 10, 20, 40 and 60 minutes
    incident = wired.declare(class_id="output")  # classified at once
    wired.services.evidence.snapshot(Freeze.of({"output": "the bad answer"}),
                                     channel=incident.channel_id, by=BOB)  # evidence preserved
    assert wired.next_run(incident.id) == START + 10 * MINUTE

    clock.set(START + 9 * MINUTE)
    wired.duties.run(incident.id)
    assert posts(fake, incident.channel_id, CHECKLIST) == []
    clock.set(START + 10 * MINUTE)
    wired.duties.run(incident.id)
    wired.duties.run(incident.id)

    [checklist] = posts(fake, incident.channel_id, CHECKLIST)
    assert checklist.startswith(f":clipboard: <@{ALICE}>, 10m in. Still open from the first hour:")
    assert "Contain:" in checklist and "Stabilize and communicate" in checklist
    assert "Classify" not in checklist and "Preserve evidence" not in checklist
    assert wired.next_run(incident.id) == START + 20 * MINUTE


def test_no_checklist_is_posted_once_every_first_hour_item_is_done(wire, fake, clock):
    wired = wire()
    incident = wired.declare(class_id="output")
    incidents = wired.services.incidents
    wired.services.evidence.snapshot(Freeze.of({"output": "the bad answer"}), channel=incident.channel_id, by=BOB)
    incidents.change_status(ChangeStatus(Status.CONTAINED), channel=incident.channel_id, by=ALICE)
    wired.services.updates.post_update(PostUpdate("Contained; watching"), channel=incident.channel_id, by=ALICE)
    clock.set(START + 10 * MINUTE)
    wired.duties.run(incident.id)

    assert posts(fake, incident.channel_id, CHECKLIST) == []
    assert wired.next_run(incident.id) == START + 20 * MINUTE  # the checkpoint still counts as passed


def test_a_pinned_message_is_not_evidence_only_a_snapshot_is(wire, fake, clock):
    wired = wire()
    incident = wired.declare(class_id="output")
    wired.services.incidents.log(Log(text="the bad answer, pinned"), channel=incident.channel_id, by=BOB, kind="pinned")
    clock.set(START + 10 * MINUTE)
    wired.duties.run(incident.id)
    [checklist] = posts(fake, incident.channel_id, CHECKLIST)
    assert "Preserve evidence" in checklist


def test_an_unclassified_incident_is_reminded_to_classify(wire, fake, clock):
    wired = wire()
    incident = wired.declare()  # the default class, not chosen
    clock.set(START + 10 * MINUTE)
    wired.duties.run(incident.id)
    [checklist] = posts(fake, incident.channel_id, CHECKLIST)
    assert "Classify" in checklist and "Preserve evidence" in checklist


# --- regulatory deadlines ------------------------------------------------------------------------------

GDPR = {"gdpr": ("output",)}  # 72 hours from awareness: reminders at 36 h, 54 h, 64.8 h and at 72 h
ALARM = r"^:alarm_clock: .*GDPR Art\. 33 window is gone"


def resolved_with_a_clock(wired: Wired, *, legal: str | None = DANA) -> Incident:
    """A SEV3 incident under GDPR, resolved, so only its regulatory clock still runs."""
    incident = wired.declare(severity=Severity.SEV3)
    if legal:
        wired.services.incidents.assign_role(AssignRole("legal", legal), channel=incident.channel_id, by=ALICE)
    wired.services.incidents.resolve(Resolve(), channel=incident.channel_id, by=ALICE)
    return incident


def test_deadline_reminders_go_at_50_75_and_90_percent_once_each(wire, fake, clock):
    wired = wire(board=NO_CHECKLIST, regimes=GDPR)
    incident = resolved_with_a_clock(wired)
    sent = []
    for point, hours in ((0.5, 36), (0.75, 54), (0.9, 64.8)):
        at = START + timedelta(hours=hours)
        assert wired.next_run(incident.id) == at
        clock.set(at)
        wired.duties.run(incident.id)
        clock.advance(MINUTE)
        wired.duties.run(incident.id)  # a second tick sends nothing new
        sent = posts(fake, incident.channel_id, ALARM)
        assert len(sent) == [0.5, 0.75, 0.9].index(point) + 1
        assert sent[-1].startswith(f":alarm_clock: <@{DANA}>, {point:.0%} of the GDPR Art. 33 window is gone")
    assert wired.next_run(incident.id) == START + timedelta(hours=72)


def test_a_deadline_reminder_missed_while_down_is_sent_once_for_the_latest_point(wire, fake, clock):
    wired = wire(board=NO_CHECKLIST, regimes=GDPR)
    incident = resolved_with_a_clock(wired)
    clock.set(START + timedelta(hours=60))  # past 50 % and 75 %
    wired.duties.run(incident.id)

    [reminder] = posts(fake, incident.channel_id, ALARM)
    assert "75% of the GDPR Art. 33 window" in reminder
    assert wired.next_run(incident.id) == START + timedelta(hours=64.8)


def test_a_deadline_reminder_goes_to_the_captain_while_nobody_holds_the_legal_role(wire, fake, clock):
    wired = wire(board=NO_CHECKLIST, regimes=GDPR)
    incident = resolved_with_a_clock(wired, legal=None)
    clock.set(START + timedelta(hours=36))
    wired.duties.run(incident.id)
    [reminder] = posts(fake, incident.channel_id, ALARM)
    assert reminder.startswith(f":alarm_clock: <@{ALICE}> (no legal role holder yet")


def test_the_expiry_of_a_deadline_is_announced_once(wire, fake, clock):
    wired = wire(board=NO_CHECKLIST, regimes=GDPR)
    incident = resolved_with_a_clock(wired)
    clock.set(START + timedelta(hours=72))
    wired.duties.run(incident.id)
    wired.duties.run(incident.id)
    assert len(posts(fake, incident.channel_id, r"^:red_circle: .*GDPR Art\. 33 deadline")) == 1
    assert wired.next_run(incident.id) is None


# --- writes on the happy path ------------------------------------------------------------------------------


@pytest.fixture
def writes_and_sends(engine, gateway, monkeypatch) -> list[str]:
    """What the process did, in order: each committed transaction, and each post to Slack."""
    seen: list[str] = []
    event.listen(engine, "commit", lambda connection: seen.append("commit"))
    post = gateway.post

    def recorded_post(*args, **kwargs):
        seen.append("post")
        return post(*args, **kwargs)

    monkeypatch.setattr(gateway, "post", recorded_post)
    return seen


def test_a_prompt_tick_commits_once_and_then_sends(wire, clock, writes_and_sends):
    wired = wire(board=NO_CHECKLIST)
    incident = wired.declare()
    clock.set(START + 25 * MINUTE)
    writes_and_sends.clear()

    wired.duties.run(incident.id)

    assert writes_and_sends == ["commit", "post"]
    wired.outbox.confirm()  # Slack's confirmation is written later, in one more transaction
    assert writes_and_sends == ["commit", "post", "commit"]


def test_a_due_tick_commits_once_and_then_sends_both_posts(wire, clock, writes_and_sends):
    wired = wire(board=NO_CHECKLIST)
    incident = wired.declare()
    clock.set(START + 30 * MINUTE)
    writes_and_sends.clear()

    wired.duties.run(incident.id)

    assert writes_and_sends == ["commit", "post", "post"]
