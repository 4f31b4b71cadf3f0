"""A drill through the real wiring, in-process: the fake Slack, a clock set by hand, and the incident's duties
done by the test at the moment `Duties.next_run` names. Starting, marking, injects, dry-run firebreaks, and the
scored end."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from unit.usecases.fakes import ALICE, BOB, CAROL, START, FakeExecutors

from firehouse.commands.afteraction import AddAction, Close
from firehouse.commands.containment import LiftFirebreak, PullFirebreak
from firehouse.commands.drills import StartDrill
from firehouse.commands.evidence import Freeze
from firehouse.commands.incidents import ChangeClass, ChangeSeverity, ChangeStatus, HandOver, Resolve
from firehouse.commands.notices import DraftNotice, NotReportable
from firehouse.commands.timeline import PostUpdate
from firehouse.bolt.handlers import Services
from firehouse.bootstrap import build
from firehouse.comms.charts import SIZE
from firehouse.config import Settings
from firehouse.config.integrations import FirebreakSettings
from firehouse.domain.board import FIRST_HOUR
from firehouse.domain.drills import Observed, Readiness, readiness
from firehouse.domain.firebreaks import Configured
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.permissions import NotAllowed
from firehouse.domain.severity import Severity
from firehouse.errors import InvalidChange
from firehouse.slack.outbox import Outbox
from firehouse.store import UnitOfWork
from firehouse.usecases.duties import Duties

MINUTE = timedelta(minutes=1)
SCRIPT = '''title = "Refund agent holds accounts"
summary = "The refund agent freezes accounts."
alarm = "PagerDuty: fraud holds x50 <!channel> {{ 7*7 }}"
class = "action"
severity = "sev1"
why = "An irreversible action reached customers."
time_limit = "30m"
firebreaks = "FIREBREAKS"

[[injects]]
at = "4m"
text = "Support: three customers are locked out"

[[injects]]
at = "9m"
text = "Payments: 212 accounts on hold"
'''
REFUND_OFF = FirebreakSettings(configured=Configured(name="refund-off", kind="kill-switch", target="refund-agent",
                                                     executor="unleash"), url="http://127.0.0.1:9", secret="t",
                               feature="refund-agent", environment="production")


@dataclass
class Wired:
    services: Services
    duties: Duties
    outbox: Outbox
    engine: Engine
    executors: FakeExecutors

    def incident(self, incident_id: int) -> Incident:
        with UnitOfWork(self.engine) as uow:
            return uow.incidents.get(incident_id)

    def run_due(self, incident_id: int, clock) -> datetime:
        """Move the clock to the incident's next job and run it, as the scheduler would."""
        when = self.duties.next_run(self.incident(incident_id))
        clock.set(when)
        self.duties.run(incident_id)
        return when


@pytest.fixture
def wire(engine, gateway, clock, fake, tmp_path):
    built: list[Wired] = []

    def make(*, firebreaks: str = "dry-run", **changes) -> Wired:
        (tmp_path / "drills").mkdir(exist_ok=True)
        (tmp_path / "drills" / "refund").write_text("not a scenario: no .toml")
        (tmp_path / "drills" / "refund.toml").write_text(SCRIPT.replace("FIREBREAKS", firebreaks))
        settings = Settings(bot_token=fake.bot_token, signing_secret="secret", stakeholder_channel=fake.stakeholders,
                            drills_dir=tmp_path / "drills", firebreaks={"refund-off": REFUND_OFF},
                            regimes={"gdpr": ("action",), "eu_ai_act": ("action",)}, **changes)
        executors = FakeExecutors()
        services, board = build(settings, engine=engine, gateway=gateway, clock=clock, executors=executors)
        built.append(Wired(services, Duties(service=services.incidents, drills=services.drills), board.outbox, engine,
                           executors))
        return built[-1]

    yield make
    for wired in built:
        wired.services.incidents.outbound.fan_out.shutdown()


@pytest.fixture
def general(fake):
    return fake.add_channel("general", members=[ALICE, BOB, CAROL])


def texts(fake, channel: str) -> list[str]:
    return [m["text"] for m in fake.messages(channel)]


def started(wired: Wired, general: str, *, by: str = ALICE):
    run, outcome = wired.services.drills.start(StartDrill("refund"), by=by, channel=general)
    return run, outcome.incident


# --- starting --------------------------------------------------------------------------------------------


def test_a_drill_opens_its_own_war_room_marked_drill_with_the_alarm_after_the_kickoff(wire, fake, general, clock):
    wired = wire()
    run, incident = started(wired, general)
    room = fake.channels[incident.channel_id]
    assert room.name == "drill-20260302-refund-agent-holds-accounts"
    assert room.topic.startswith("DRILL · SEV3 · output · Fire captain: <@UALICE> (provisional)")
    posted = fake.messages(incident.channel_id)
    assert all(m["text"].startswith("[DRILL] ") for m in posted)
    assert all(m["blocks"][0]["elements"][0]["text"].startswith(":construction: *DRILL*") for m in posted)
    heads = [m["text"].split(":", 1)[0] for m in posted]  # the kickoff and the announcement go out at once
    assert sorted(heads[:2]) == ["[DRILL] ", "[DRILL] SEV3 output incident"] and heads[2:] == ["[DRILL] Alarm"]
    alarm = str(posted[-1]["blocks"])
    assert "&lt;!channel&gt;" in alarm and "{{ 7*7 }}" in alarm and "<!channel>" not in alarm
    stored = wired.incident(incident.id)
    assert stored.drill and stored.captain_provisional and stored.detected_at == START
    assert stored.severity is Severity.SEV3 and stored.classified_at is None
    assert run.scenario.severity is Severity.SEV1 and run.started_by == ALICE


def test_a_drills_stakeholder_posts_stay_in_its_war_room_marked_as_what_stakeholders_would_hear(wire, fake, general):
    wired = wire()
    _, incident = started(wired, general)
    wired.services.incidents.change_severity(ChangeSeverity(Severity.SEV1), channel=incident.channel_id, by=ALICE)
    wired.services.updates.post_update(PostUpdate("Agent off; lifting holds"), channel=incident.channel_id, by=ALICE)
    assert fake.messages(fake.stakeholders) == []
    heard = [m for m in fake.messages(incident.channel_id)
             if "what the stakeholder channel would hear" in m["blocks"][0]["elements"][0]["text"]]
    assert [m["text"].split(" ", 2)[1] for m in heard][:1] == [":rotating_light:"]  # the announcement of the room
    assert len([m for m in fake.messages(incident.channel_id) if "Agent off; lifting holds" in str(m["blocks"])]) == 1


def test_no_regulatory_clock_starts_in_a_drill(wire, fake, general, clock):
    wired = wire()
    _, incident = started(wired, general)
    wired.services.incidents.change_class(ChangeClass("action"), channel=incident.channel_id, by=ALICE)
    stored = wired.incident(incident.id)
    assert stored.deadlines(wired.services.incidents.settings.regimes) == []
    with pytest.raises(InvalidChange, match="drill, so no regulatory clock runs"):
        wired.services.notices.not_reportable(NotReportable("gdpr", "x"), channel=incident.channel_id, by=ALICE)


def test_a_second_drill_in_a_drill_channel_and_a_drill_in_a_real_war_room_are_refused(wire, fake, general):
    wired = wire()
    _, drill = started(wired, general)
    with pytest.raises(InvalidChange, match="already a drill's war room"):
        wired.services.drills.start(StartDrill("refund"), by=ALICE, channel=drill.channel_id)
    real = wired.services.incidents.declare(title="Bot recommends rival products", by=ALICE).incident
    with pytest.raises(InvalidChange, match="real incident's war room"):
        wired.services.drills.start(StartDrill("refund"), by=ALICE, channel=real.channel_id)
    with UnitOfWork(wired.engine) as uow:
        assert len(uow.drills.runs()) == 1


def test_an_unknown_or_broken_scenario_is_refused_naming_the_ones_there_are(wire, fake, general, tmp_path):
    wired = wire()
    with pytest.raises(InvalidChange, match="There is no scenario `refnd`. Scenarios: .*`refund`"):
        wired.services.drills.start(StartDrill("refnd"), by=ALICE, channel=general)
    (tmp_path / "drills" / "broken.toml").write_text('title = "x"\nsummary =\n')
    with pytest.raises(InvalidChange, match=r"`broken` cannot run: broken.toml: not valid TOML: .*line 2"):
        wired.services.drills.start(StartDrill("broken"), by=ALICE, channel=general)
    assert fake.calls("conversations.create") == []


# --- while it runs -----------------------------------------------------------------------------------------


def test_injects_are_posted_on_time_by_the_incidents_own_job_and_the_drill_ends_at_its_time_limit(wire, fake, general,
                                                                                                  clock):
    wired = wire()
    _, incident = started(wired, general)
    assert wired.duties.next_run(wired.incident(incident.id)) == START + 4 * MINUTE
    wired.run_due(incident.id, clock)
    assert [t for t in texts(fake, incident.channel_id) if "Inject" in t] == [
        "[DRILL] Inject: Support: three customers are locked out"]
    clock.set(START + 30 * MINUTE)  # the bot was down through the second inject and the end
    wired.duties.run(incident.id)
    assert len([t for t in texts(fake, incident.channel_id) if "Inject" in t]) == 2
    stored = wired.incident(incident.id)
    assert stored.status is Status.CLOSED and wired.duties.next_run(stored) is None
    with UnitOfWork(wired.engine) as uow:
        run = uow.drills.of(incident.id)
    assert run.ended_by == "firehouse" and run.report.timed_out and run.injects_sent == 2
    assert "DRILL report" in texts(fake, incident.channel_id)[-2]
    assert any("time limit passed" in t for t in texts(fake, incident.channel_id))


def test_a_drills_firebreak_runs_dry_and_no_executor_is_called(wire, fake, general, clock):
    wired = wire()
    _, incident = started(wired, general)
    done, _ = wired.services.containment.pull(PullFirebreak("refund-off"),
                                              channel=incident.channel_id, by=ALICE, confirmed=True)
    assert wired.executors.orders == []
    assert done.answer == ("dry run for the drill: unleash would pull refund-off (kill-switch · refund-agent);"
                           " nothing was changed")
    wired.services.containment.lift(LiftFirebreak("refund-off"), channel=incident.channel_id, by=ALICE)
    assert wired.executors.orders == []


def test_a_scenario_may_run_its_firebreaks_live(wire, fake, general):
    wired = wire(firebreaks="live")
    _, incident = started(wired, general)
    wired.services.containment.pull(PullFirebreak("refund-off"), channel=incident.channel_id, by=ALICE, confirmed=True)
    assert [order.action for order in wired.executors.orders] == ["pull"]


def test_a_drills_notice_is_approved_for_practice_never_marked_sent_and_settles_the_sev1_rule(wire, fake, general):
    wired = wire()
    _, incident = started(wired, general)
    wired.services.incidents.change_severity(ChangeSeverity(Severity.SEV1), channel=incident.channel_id, by=ALICE)
    notice = wired.services.notices.draft(DraftNotice("product"), channel=incident.channel_id, by=ALICE)
    wired.services.notices.approve(notice_id=notice.id, by=ALICE)
    shown = [m for m in fake.messages(incident.channel_id) if "Product notice" in m["text"]][-1]
    assert "'notice_sent'" not in str(shown["blocks"]) and "never sent" in str(shown["blocks"])  # no Mark sent
    with pytest.raises(InvalidChange, match="never marked sent"):
        wired.services.notices.mark_sent(notice_id=notice.id, by=ALICE)
    assert wired.services.notices.notice(notice.id).sent_at is None
    resolved = wired.services.incidents.resolve(Resolve(), channel=incident.channel_id, by=ALICE)  # no waiver needed
    assert resolved.incident.status is Status.RESOLVED
    assert "drills never send notices" in wired.incident(incident.id).notice_waiver


# --- the end and the score --------------------------------------------------------------------------------


def drive(wired: Wired, incident: Incident, clock, *, firebreak_at: int) -> None:
    """A team that takes the captain role at 2, classifies right at 6, snapshots at 8, pulls at `firebreak_at`,
    posts an update at 15, says it is contained at 16 and drafts the product notice at 21."""
    room = incident.channel_id
    clock.set(START + 2 * MINUTE)
    wired.services.incidents.hand_over(HandOver(BOB), channel=room, by=BOB)
    clock.set(START + 5 * MINUTE)
    wired.services.incidents.change_class(ChangeClass("action"), channel=room, by=BOB)
    clock.set(START + 6 * MINUTE)
    wired.services.incidents.change_severity(ChangeSeverity(Severity.SEV1), channel=room, by=BOB)
    clock.set(START + 8 * MINUTE)
    wired.services.evidence.snapshot(Freeze.of({"output": "Account held as fraud"}), channel=room, by=BOB)
    clock.set(START + firebreak_at * MINUTE)
    wired.services.containment.pull(PullFirebreak("refund-off"), channel=room, by=BOB)
    clock.set(START + 15 * MINUTE)
    wired.services.updates.post_update(PostUpdate("Agent off; lifting holds"), channel=room, by=BOB)
    clock.set(START + 16 * MINUTE)
    wired.services.incidents.change_status(ChangeStatus(Status.CONTAINED), channel=room, by=BOB)
    clock.set(START + 21 * MINUTE)
    wired.services.notices.draft(DraftNotice("product"), channel=room, by=BOB)
    clock.set(START + 25 * MINUTE)


def test_drill_end_scores_the_run_against_the_flow_and_posts_the_report_and_its_chart(wire, fake, general, clock):
    wired = wire()
    _, incident = started(wired, general)
    drive(wired, incident, clock, firebreak_at=14)
    ended = wired.services.drills.end(channel=incident.channel_id, by=ALICE)
    report: Readiness = ended.run.report
    assert {m.key: m.after for m in report.milestones} == {
        "captain": 2 * MINUTE, "classify": 6 * MINUTE, "snapshot": 8 * MINUTE, "firebreak": 14 * MINUTE,
        "update": 15 * MINUTE, "notice": 21 * MINUTE}
    assert report.on_time == 6 and report.missed == () and report.right_severity and ended.previous is None
    message = [m for m in fake.messages(incident.channel_id) if "DRILL report" in m["text"]][0]
    shown = str(message["blocks"])
    assert "*6 of 6* milestones" in shown and "Time to first firebreak: *14m* (by 20m)" in shown
    assert "An irreversible action reached customers." in shown and "The first run of this scenario" in shown
    (chart,) = fake.files(incident.channel_id)
    assert chart["bytes"][:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", chart["bytes"][16:24]) == SIZE
    assert chart["name"] == f"drill-refund-incident-{incident.id}.png"
    assert wired.incident(incident.id).status is Status.CLOSED


def test_the_next_run_of_a_scenario_is_compared_with_the_one_before(wire, fake, general, clock):
    wired = wire()
    _, first = started(wired, general)
    drive(wired, first, clock, firebreak_at=14)
    wired.services.drills.end(channel=first.channel_id, by=ALICE)
    clock.set(START + 40 * MINUTE)
    _, second = started(wired, general)
    second_start = clock.now
    wired.services.incidents.hand_over(HandOver(BOB), channel=second.channel_id, by=BOB)
    clock.set(second_start + 6 * MINUTE)
    wired.services.containment.pull(PullFirebreak("refund-off"), channel=second.channel_id, by=BOB, confirmed=True)
    clock.set(second_start + 10 * MINUTE)
    ended = wired.services.drills.end(channel=second.channel_id, by=ALICE)
    assert ended.previous.incident_id == first.id
    shown = str([m for m in fake.messages(second.channel_id) if "DRILL report" in m["text"]][0]["blocks"])
    assert "time to first firebreak 14m → 6m" in shown and "time to first snapshot 8m → never" in shown
    assert "on time 6 → 2 of 6" in shown


def test_only_the_facilitator_the_captain_or_an_admin_ends_a_drill(wire, fake, general, clock):
    wired = wire()
    _, incident = started(wired, general)
    wired.services.incidents.hand_over(HandOver(BOB), channel=incident.channel_id, by=BOB)
    with pytest.raises(NotAllowed, match="may end the drill"):
        wired.services.drills.end(channel=incident.channel_id, by=CAROL)
    wired.services.drills.end(channel=incident.channel_id, by=BOB)  # the captain
    with pytest.raises(InvalidChange, match="ended already"):
        wired.services.drills.end(channel=incident.channel_id, by=ALICE)


def test_drill_end_outside_a_drill_says_where_it_works(wire, fake, general):
    wired = wire()
    real = wired.services.incidents.declare(title="Bot recommends rival products", by=ALICE).incident
    with pytest.raises(InvalidChange, match="this is a real incident's war room"):
        wired.services.drills.end(channel=real.channel_id, by=ALICE)
    with pytest.raises(InvalidChange, match="This channel is not one"):
        wired.services.drills.end(channel=general, by=ALICE)
    assert wired.incident(real.id).status is Status.INVESTIGATING


def test_drills_stay_out_of_the_list_of_open_incidents_and_out_of_the_open_incidents_gauge(wire, fake, general):
    from firehouse.bolt.handlers import Request, list_incidents
    from firehouse.ops.metrics import StoreCollector

    wired = wire()
    started(wired, general)
    wired.services.incidents.declare(title="Bot recommends rival products", by=ALICE)
    listed = list_incidents(None, Request(user=ALICE, channel=general, trigger_id="", services=wired.services))
    assert listed.text.startswith("1 open incidents") and "1 drill running" in str(listed.blocks)
    collector = StoreCollector(engine=wired.engine, regimes={}, clock=lambda: START)
    gauge = next(m for m in collector.collect() if m.name == "firehouse_open_incidents")
    assert [(s.labels, s.value) for s in gauge.samples] == [({"severity": "sev3", "class": "output"}, 1.0)]


def test_a_person_and_the_time_limit_ending_one_drill_at_once_score_it_once(wire, fake, general, clock):
    """Two replicas both read the drill as running; the conditional update lets only the first end it."""
    wired = wire()
    _, incident = started(wired, general)
    with UnitOfWork(wired.engine) as first, UnitOfWork(wired.engine) as second:
        mine, theirs = first.drills.of(incident.id), second.drills.of(incident.id)
        for run, uow in ((mine, first), (theirs, second)):
            run.end(readiness(run.scenario, Observed(None, None, START, "output", Severity.SEV3, None, None, None,
                                                     None, None), started_at=START, ended_at=clock.now,
                              offsets=FIRST_HOUR), by=ALICE, at=clock.now)
        assert first.drills.end(mine) is True
        first.commit()
        assert second.drills.end(theirs) is False


def test_a_drill_resolved_before_its_time_limit_is_still_scored_at_it_and_closes_only_by_ending(wire, fake, general,
                                                                                                 clock):
    wired = wire()
    _, incident = started(wired, general)
    clock.set(START + 2 * MINUTE)
    wired.services.incidents.resolve(Resolve("agent off"), channel=incident.channel_id, by=ALICE)
    with pytest.raises(InvalidChange, match="A drill closes when it ends"):
        wired.services.afteraction.close(Close(), channel=incident.channel_id, by=ALICE)
    resolved = wired.incident(incident.id)
    assert resolved.status is Status.RESOLVED and wired.duties.next_run(resolved) == START + 30 * MINUTE
    wired.run_due(incident.id, clock)
    assert [t for t in texts(fake, incident.channel_id) if "Inject" in t] == []  # none into a resolved room
    with UnitOfWork(wired.engine) as uow:
        assert uow.drills.of(incident.id).report.timed_out
    assert wired.incident(incident.id).status is Status.CLOSED


def test_the_report_is_owed_through_the_outbox_so_a_slack_outage_delays_it_and_never_loses_it(wire, fake, general,
                                                                                               clock):
    wired = wire()
    _, incident = started(wired, general)
    fake.inject("chat.postMessage", status=200, error="fatal_error", count=2)  # the announcement and the report
    ended = wired.services.drills.end(channel=incident.channel_id, by=ALICE)
    assert ended.run.report is not None and not [t for t in texts(fake, incident.channel_id) if "DRILL report" in t]
    assert fake.files(incident.channel_id)  # the chart went up; the report it belongs with is owed
    clock.advance(5 * MINUTE)  # past the outbox's claim: the next sweep sends what is owed
    wired.outbox.sweep()
    assert len([t for t in texts(fake, incident.channel_id) if "DRILL report" in t]) == 1


def test_a_drills_fixtures_follow_ups_and_postmortem_stay_practice(wire, fake, general, clock):
    """Its fixtures never reach the regression gate, its follow-ups never nag anyone, its postmortem says DRILL."""
    wired = wire()
    _, incident = started(wired, general)
    real = wired.services.incidents.declare(title="Bot recommends rival products", by=ALICE).incident
    for room in (incident, real):
        wired.services.afteraction.add_fixture(incident_id=room.id, by=ALICE, user_input="Which plan?",
                                               bad_output="Try our rival", target="Our own plans")
        wired.services.afteraction.add_action(AddAction("add a rival-name eval", owner=BOB, due=START.date()),
                                              channel=room.channel_id, by=ALICE)
    with UnitOfWork(wired.engine) as uow:
        assert [f.incident_id for f in uow.afteraction.fixtures()] == [real.id]
        assert [f.incident_id for f in uow.afteraction.fixtures(incident.id)] == [incident.id]
    clock.set(START + timedelta(days=2))
    assert wired.services.afteraction.remind() == 1  # the real incident's overdue action only
    assert "A practice incident" in wired.services.afteraction.render_postmortem(incident.id).text
    assert "A practice incident" not in wired.services.afteraction.render_postmortem(real.id).text
