"""Pulling, lifting and recording firebreaks in a war room, with the executors and the clock in the test's hands."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from unit.usecases.fakes import (
    ALICE,
    BOB,
    PROMPT_ROLLBACK,
    RANKER_OFF,
    STAKEHOLDERS,
    START,
    FakeExecutors,
    FakeTraces,
)

from firehouse.commands.containment import LiftFirebreak, PullFirebreak, RecordFirebreak
from firehouse.commands.evidence import Freeze
from firehouse.commands.incidents import ChangeCause, ChangeSeverity
from firehouse.commands.timeline import PostUpdate
from firehouse.comms.templates import TemplateCatalogue
from firehouse.domain.events import FIREHOUSE
from firehouse.domain.firebreaks import AI_ACT, NO_EVIDENCE, Firebreak, FirebreakExecuted, FirebreakRequested, State
from firehouse.domain.permissions import NotAllowed
from firehouse.domain.severity import Severity
from firehouse.errors import DomainError, InvalidChange, NotAWarRoom
from firehouse.slack.outbound import SlackOutbound
from firehouse.store import UnitOfWork
from firehouse.usecases.containment import IN_FLIGHT, Containment, Unconfirmed
from firehouse.usecases.effects import StatusUpdate
from firehouse.usecases.evidence import Evidence
from firehouse.usecases.notices import NoticeDesk
from firehouse.usecases.updates import Updates

FIREBREAKS = {"ranker-off": RANKER_OFF, "prompt-rollback": PROMPT_ROLLBACK}
SEV1_NO_EVIDENCE = NO_EVIDENCE + " At SEV1 containment comes first: you may pull now."


class Crash(BaseException):
    """The process died while the executor was being called (not an answer: nothing comes back)."""


class CrashingExecutors(FakeExecutors):
    """Remembers the order, then the process dies before any answer."""

    def run(self, settings, order):
        self.orders.append(order)
        raise Crash


@pytest.fixture
def service(make_service):
    """The use-case service with a kill switch and a prompt rollback configured."""
    return make_service(firebreaks=FIREBREAKS)


@pytest.fixture
def executors() -> FakeExecutors:
    return FakeExecutors()


@pytest.fixture
def containment(service, executors) -> Containment:
    return Containment(service=service, executors=executors)


@pytest.fixture
def frozen(service, declared) -> None:
    """Evidence frozen in the declared incident, so a pull carries no warning."""
    Evidence(service=service, traces=FakeTraces()).snapshot(Freeze.of({"output": "Try our rival's app"}),
                                                            channel=declared.channel_id, by=ALICE)


def timeline(engine, incident_id: int) -> list:
    with UnitOfWork(engine) as uow:
        return uow.incidents.timeline(incident_id)


def firebreaks(engine, incident_id: int) -> list[Firebreak]:
    with UnitOfWork(engine) as uow:
        return uow.evidence.firebreaks(incident_id)


def left_requested(engine, incident_id: int, *, at, name: str = "ranker-off") -> Firebreak:
    """A pull recorded as requested whose answer never came (the process stopped in between)."""
    firebreak, event = Firebreak.request(FIREBREAKS[name].configured, incident_id=incident_id, by=ALICE, at=at)
    with UnitOfWork(engine) as uow:
        uow.evidence.add_firebreak(firebreak)
        uow.incidents.record(uow.incidents.get(incident_id), [event])
        uow.commit()
    return firebreak


# --- guards: nothing happens until the warnings were seen --------------------------------------------------

def test_a_pull_without_a_snapshot_asks_for_confirmation_and_does_nothing(containment, declared, executors, engine,
                                                                        outbound):
    before = timeline(engine, declared.id)
    outbound.publications.clear()
    with pytest.raises(Unconfirmed) as refused:
        containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    assert refused.value.warnings == [NO_EVIDENCE] and str(refused.value) == NO_EVIDENCE
    assert executors.orders == [] and firebreaks(engine, declared.id) == []
    assert timeline(engine, declared.id) == before and outbound.publications == []


def test_a_confirmed_pull_without_a_snapshot_goes_ahead_and_records_the_warning(containment, declared, executors,
                                                                              engine):
    firebreak, _ = containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE, confirmed=True)
    assert firebreak.state is State.EXECUTED and len(executors.orders) == 1
    requested = [e for e in timeline(engine, declared.id) if e.text.startswith("Requested firebreak")]
    assert requested[0].text == ("Requested firebreak ranker-off (kill-switch · ranker)"
                                 f"\nWarning shown and acknowledged: {NO_EVIDENCE}")


def test_at_sev1_the_warning_says_containment_comes_first(service, containment, declared):
    service.change_severity(ChangeSeverity(Severity.SEV1), channel=declared.channel_id, by=ALICE)
    with pytest.raises(Unconfirmed) as refused:
        containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    assert refused.value.warnings == [SEV1_NO_EVIDENCE]


@pytest.mark.usefixtures("frozen")
def test_with_a_snapshot_a_pull_goes_ahead_at_once(containment, declared, executors, engine, outbound, clock):
    outbound.publications.clear()
    clock.advance(timedelta(minutes=4))
    firebreak, outcome = containment.pull(PullFirebreak("ranker-off", note="rival products in the answers"),
                                          channel=declared.channel_id, by=ALICE)
    assert (firebreak.state, firebreak.answer, firebreak.attempts, firebreak.executed_at) == (
        State.EXECUTED, "flag off (HTTP 200)", 1, START + timedelta(minutes=4))
    (order,) = executors.orders
    assert order.action == "pull" and order.idempotency_key == f"firehouse-firebreak-{firebreak.id}-pull-1"
    assert (order.firebreak_id, order.name, order.kind, order.target, order.by, order.note) == (
        firebreak.id, "ranker-off", "kill-switch", "ranker", ALICE, "rival products in the answers")
    assert (order.incident_id, order.incident_title, order.severity, order.class_id, order.war_room) == (
        declared.id, "Bot recommends rival products", "SEV2", "output", declared.channel_id)
    assert firebreaks(engine, declared.id) == [firebreak]
    *_, requested, executed = timeline(engine, declared.id)
    assert (requested.author, requested.text) == (
        ALICE, "Requested firebreak ranker-off (kill-switch · ranker): rival products in the answers")
    assert (executed.author, executed.kind, executed.text) == (
        FIREHOUSE, "firebreak", "Firebreak ranker-off (kill-switch · ranker) in force; executor: flag off (HTTP 200)")
    assert [type(e) for e in outcome.events] == [FirebreakRequested, FirebreakExecuted]
    assert outbound.published_events == [outcome.events[1]]
    assert outbound.publications[0].incident.channel_id == declared.channel_id


@pytest.mark.usefixtures("frozen")
def test_the_order_of_a_private_incident_does_not_carry_its_title(service, executors, containment, engine):
    room = service.declare(title="Tenant A sees tenant B's invoices", by=ALICE, class_id="data").incident
    Evidence(service=service, traces=FakeTraces()).snapshot(Freeze.of({"x": "y"}), channel=room.channel_id, by=ALICE)
    containment.pull(PullFirebreak("ranker-off"), channel=room.channel_id, by=ALICE)
    assert executors.orders[-1].incident_title == "private incident"


# --- one pull, never two ---------------------------------------------------------------------------------------

@pytest.mark.usefixtures("frozen")
def test_pulling_a_firebreak_in_force_again_is_refused_and_the_executor_not_called(containment, declared, executors,
                                                                                 engine, clock):
    first, _ = containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    before = timeline(engine, declared.id)
    clock.advance(timedelta(minutes=10))
    with pytest.raises(InvalidChange) as refused:
        containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    assert str(refused.value) == "ranker-off (kill-switch · ranker) is already pulled (since 09:00 UTC); lift it first."
    assert len(executors.orders) == 1
    assert timeline(engine, declared.id) == before and firebreaks(engine, declared.id) == [first]


@pytest.mark.usefixtures("frozen")
def test_a_second_press_while_the_executor_is_still_working_is_refused(containment, declared, executors, engine):
    """The second press arrives while the first pull waits for its executor's answer."""
    refusals: list[str] = []

    class PressedAgain(FakeExecutors):
        def run(self, settings, order):
            try:
                containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
            except InvalidChange as err:
                refusals.append(str(err))
            return executors.run(settings, order)

    containment.executors = PressedAgain()
    firebreak, _ = containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    assert refusals == [f"ranker-off (kill-switch · ranker) is being pulled right now (by <@{ALICE}>)."]
    assert len(executors.orders) == 1 and firebreak.state is State.EXECUTED
    assert len(firebreaks(engine, declared.id)) == 1


@pytest.mark.usefixtures("frozen")
def test_a_pull_requested_under_two_minutes_ago_blocks_another(containment, declared, executors, engine, clock):
    left_requested(engine, declared.id, at=clock())
    clock.advance(IN_FLIGHT - timedelta(seconds=1))
    with pytest.raises(InvalidChange, match=r"is being pulled right now \(by <@UALICE>\)"):
        containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    assert executors.orders == []


@pytest.mark.usefixtures("frozen")
def test_a_pull_stuck_for_two_minutes_can_be_pulled_again_as_a_new_attempt(containment, declared, executors, engine,
                                                                           clock):
    stuck = left_requested(engine, declared.id, at=clock())
    clock.advance(IN_FLIGHT)
    firebreak, _ = containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    assert firebreak.id == stuck.id and firebreak.attempts == 2 and firebreak.state is State.EXECUTED
    assert [o.idempotency_key for o in executors.orders] == [f"firehouse-firebreak-{stuck.id}-pull-2"]


@pytest.mark.usefixtures("frozen")
def test_pulling_one_firebreak_does_not_block_another(containment, declared, executors):
    containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    second, _ = containment.pull(PullFirebreak("prompt-rollback"), channel=declared.channel_id, by=ALICE)
    assert second.state is State.EXECUTED and [o.name for o in executors.orders] == ["ranker-off", "prompt-rollback"]


# --- failure and retry -----------------------------------------------------------------------------------------

@pytest.mark.usefixtures("frozen")
def test_a_failure_is_recorded_with_what_the_executor_answered(containment, declared, executors, engine, outbound):
    executors.done, executors.text = False, "HTTP 503: unleash is restarting"
    firebreak, outcome = containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    assert (firebreak.state, firebreak.answer, firebreak.executed_at) == (
        State.FAILED, "HTTP 503: unleash is restarting", None)
    assert firebreaks(engine, declared.id)[0].state is State.FAILED
    assert timeline(engine, declared.id)[-1].text == (
        "Firebreak ranker-off (kill-switch · ranker) FAILED; executor: HTTP 503: unleash is restarting")
    assert outcome.events[-1].answer == "HTTP 503: unleash is restarting"


@pytest.mark.usefixtures("frozen")
def test_a_failed_firebreak_can_be_retried_with_a_new_idempotency_key(containment, declared, executors, engine,
                                                                     clock):
    executors.done, executors.text = False, "HTTP 503"
    first, _ = containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    clock.advance(timedelta(seconds=30))  # a failure is not in flight: no need to wait
    executors.done, executors.text = True, "flag off (HTTP 200)"
    again, outcome = containment.pull(PullFirebreak("ranker-off", note="second try"),
                                      channel=declared.channel_id, by=ALICE)
    assert again.id == first.id and again.attempts == 2 and again.state is State.EXECUTED
    assert [o.idempotency_key for o in executors.orders] == [
        f"firehouse-firebreak-{first.id}-pull-1", f"firehouse-firebreak-{first.id}-pull-2"]
    assert len(firebreaks(engine, declared.id)) == 1
    *_, retrying, executed = timeline(engine, declared.id)
    assert retrying.text == "Retrying firebreak ranker-off (kill-switch · ranker): second try"
    assert executed.text.endswith("in force; executor: flag off (HTTP 200)")
    assert outcome.events[0].retry


@pytest.mark.usefixtures("frozen")
def test_every_retry_is_a_new_attempt(containment, declared, executors):
    executors.done = False
    for _ in range(3):
        firebreak, _ = containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    assert firebreak.attempts == 3
    assert [o.idempotency_key.rsplit("-", 1)[1] for o in executors.orders] == ["1", "2", "3"]


def test_a_confirmed_warning_on_a_retry_goes_on_the_timeline_too(make_service, executors, engine):
    service = make_service(firebreaks=FIREBREAKS, regimes={"eu_ai_act": ("output",)})
    room = service.declare(title="Bot recommends rival products", by=ALICE).incident
    Evidence(service=service, traces=FakeTraces()).snapshot(Freeze.of({"x": "y"}), channel=room.channel_id, by=ALICE)
    containment = Containment(service=service, executors=executors)
    executors.done = False
    containment.pull(PullFirebreak("prompt-rollback"), channel=room.channel_id, by=ALICE, confirmed=True)
    executors.done = True
    containment.pull(PullFirebreak("prompt-rollback"), channel=room.channel_id, by=ALICE, confirmed=True)
    retrying = [e for e in timeline(engine, room.id) if e.text.startswith("Retrying")]
    assert f"Warning shown and acknowledged: {AI_ACT}" in retrying[0].text


# --- lifting ---------------------------------------------------------------------------------------------------

@pytest.mark.usefixtures("frozen")
def test_lifting_asks_the_executor_to_turn_it_back_and_records_it(containment, declared, executors, engine, clock,
                                                                 outbound):
    pulled, _ = containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    later = clock.advance(timedelta(minutes=40))
    executors.text = "flag on (HTTP 200)"
    outbound.publications.clear()
    lifted, outcome = containment.lift(LiftFirebreak("ranker-off", note="fixed"), channel=declared.channel_id, by=ALICE)
    assert lifted.id == pulled.id
    assert (lifted.state, lifted.lifted_by, lifted.lifted_at) == (State.LIFTED, ALICE, later)
    order = executors.orders[-1]
    assert order.action == "lift" and order.idempotency_key == f"firehouse-firebreak-{pulled.id}-lift-1"
    assert order.by == ALICE and order.note == "fixed"
    assert firebreaks(engine, declared.id)[0].state is State.LIFTED
    entry = timeline(engine, declared.id)[-1]
    assert (entry.at, entry.author, entry.text) == (
        later, ALICE, "Lifted firebreak ranker-off (kill-switch · ranker); executor: flag on (HTTP 200): fixed")
    assert outbound.published_events == outcome.events


@pytest.mark.usefixtures("frozen")
def test_a_second_press_on_lift_while_the_executor_works_lifts_once(containment, declared, executors, engine):
    containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    pressed: list[str] = []

    class PressedAgain(FakeExecutors):
        def run(self, settings, order):
            if not pressed:
                pressed.append(order.action)
                try:
                    containment.lift(LiftFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
                except DomainError:
                    pass
            return executors.run(settings, order)

    containment.executors = PressedAgain()
    containment.lift(LiftFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    assert [o.action for o in executors.orders] == ["pull", "lift"]
    assert len([e for e in timeline(engine, declared.id) if e.text.startswith("Lifted firebreak")]) == 1


@pytest.mark.usefixtures("frozen")
def test_a_firebreak_can_be_lifted_by_its_number(containment, declared):
    pulled, _ = containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    lifted, _ = containment.lift(LiftFirebreak(f"#{pulled.id}"), channel=declared.channel_id, by=ALICE)
    assert lifted.state is State.LIFTED


@pytest.mark.usefixtures("frozen")
def test_a_lifted_firebreak_can_be_pulled_again_as_a_new_one(containment, declared, engine):
    first, _ = containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    containment.lift(LiftFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    second, _ = containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    assert second.id != first.id and second.attempts == 1
    assert [f.state for f in firebreaks(engine, declared.id)] == [State.LIFTED, State.EXECUTED]


@pytest.mark.usefixtures("frozen")
def test_when_the_executor_cannot_lift_the_firebreak_stays_in_force(containment, declared, executors, engine):
    containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    before = timeline(engine, declared.id)
    executors.done, executors.text = False, "HTTP 401: token expired"
    with pytest.raises(DomainError) as refused:
        containment.lift(LiftFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    assert str(refused.value).startswith("ranker-off (kill-switch · ranker) is still in force: the executor said"
                                         " HTTP 401: token expired.")
    assert firebreaks(engine, declared.id)[0].state is State.EXECUTED and timeline(engine, declared.id) == before


@pytest.mark.usefixtures("frozen")
def test_lifting_what_is_not_in_force_is_refused_saying_what_is(containment, declared, executors):
    with pytest.raises(InvalidChange) as refused:
        containment.lift(LiftFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    assert str(refused.value) == "No firebreak `ranker-off` is in force here (none is)."
    pulled, _ = containment.pull(PullFirebreak("prompt-rollback"), channel=declared.channel_id, by=ALICE)
    with pytest.raises(InvalidChange) as refused:
        containment.lift(LiftFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    assert str(refused.value) == f"No firebreak `ranker-off` is in force here (in force: #{pulled.id} prompt-rollback)."
    assert [o.action for o in executors.orders] == ["pull"]


@pytest.mark.usefixtures("frozen")
def test_a_failed_firebreak_cannot_be_lifted(containment, declared, executors):
    executors.done = False
    containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    with pytest.raises(InvalidChange, match="is in force here"):
        containment.lift(LiftFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)


# --- recorded by hand ----------------------------------------------------------------------------------------

def test_a_firebreak_done_by_hand_is_recorded_as_in_force(containment, declared, executors, engine, outbound):
    outbound.publications.clear()
    firebreak, outcome = containment.record(RecordFirebreak("degrade", "search answers", note="FAQ answers only"),
                                            channel=declared.channel_id, by=ALICE)
    assert (firebreak.state, firebreak.executor, firebreak.name) == (State.EXECUTED, "by hand", None)
    assert executors.orders == [] and firebreaks(engine, declared.id) == [firebreak]
    entry = timeline(engine, declared.id)[-1]
    assert (entry.author, entry.text) == (
        ALICE, "Firebreak degrade · search answers in force; executor: recorded as done by hand")
    assert outbound.published_events == outcome.events


def test_recording_an_unknown_kind_records_nothing(containment, declared, engine):
    before = timeline(engine, declared.id)
    with pytest.raises(InvalidChange, match="`shutdown` is not a firebreak kind"):
        containment.record(RecordFirebreak("shutdown", "x"), channel=declared.channel_id, by=ALICE)
    assert firebreaks(engine, declared.id) == [] and timeline(engine, declared.id) == before


def test_a_firebreak_recorded_by_hand_is_lifted_by_hand(containment, declared, executors, engine):
    recorded, _ = containment.record(RecordFirebreak("kill-switch", "refunds"), channel=declared.channel_id, by=ALICE)
    lifted, _ = containment.lift(LiftFirebreak(str(recorded.id)), channel=declared.channel_id, by=ALICE)
    assert lifted.state is State.LIFTED and executors.orders == []
    assert timeline(engine, declared.id)[-1].text == "Lifted firebreak kill-switch · refunds; executor: lifted by hand"


# --- who may -----------------------------------------------------------------------------------------------------

@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize("act", [
    lambda c, room: c.pull(PullFirebreak("ranker-off"), channel=room, by=BOB, confirmed=True),
    lambda c, room: c.record(RecordFirebreak("degrade", "x"), channel=room, by=BOB),
    lambda c, room: c.lift(LiftFirebreak("ranker-off"), channel=room, by=BOB),
], ids=["pull", "record", "lift"])
def test_only_the_captain_or_an_admin_may_pull_record_or_lift(containment, declared, executors, engine, act):
    containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    before = timeline(engine, declared.id)
    with pytest.raises(NotAllowed, match=rf"^Only the fire captain \(<@{ALICE}>\) or a Firehouse admin may"):
        act(containment, declared.channel_id)
    assert len(executors.orders) == 1 and timeline(engine, declared.id) == before


@pytest.mark.usefixtures("frozen")
def test_an_admin_may_pull(make_service, executors, declared):
    service = make_service(firebreaks=FIREBREAKS, admins=(BOB,))
    firebreak, _ = Containment(service=service, executors=executors).pull(PullFirebreak("ranker-off"),
                                                                          channel=declared.channel_id, by=BOB)
    assert firebreak.state is State.EXECUTED and executors.orders[0].by == BOB


def test_pulling_outside_a_war_room_is_refused(containment, declared):
    with pytest.raises(NotAWarRoom):
        containment.pull(PullFirebreak("ranker-off"), channel=STAKEHOLDERS, by=ALICE, confirmed=True)


def test_an_unknown_firebreak_names_the_configured_ones(containment, declared, executors):
    with pytest.raises(InvalidChange) as refused:
        containment.pull(PullFirebreak("refund-off"), channel=declared.channel_id, by=ALICE, confirmed=True)
    assert str(refused.value) == ("There is no firebreak called `refund-off` (configured: ranker-off, prompt-rollback)."
                                  " To record one done by hand: `/incident firebreak record <kind> <target> [note]`.")
    assert executors.orders == []


def test_without_configured_firebreaks_a_pull_says_none_is(make_service, executors):
    service = make_service()
    room = service.declare(title="Bot recommends rival products", by=ALICE).incident
    with pytest.raises(InvalidChange, match=r"\(configured: none is configured here\)"):
        Containment(service=service, executors=executors).pull(PullFirebreak("ranker-off"),
                                                               channel=room.channel_id, by=ALICE)


# --- the EU AI Act ------------------------------------------------------------------------------------------------

@pytest.fixture
def regulated(make_service, executors):
    """An output incident under the EU AI Act, with evidence frozen."""
    service = make_service(firebreaks=FIREBREAKS, regimes={"eu_ai_act": ("output",)})
    room = service.declare(title="Bot recommends rival products", by=ALICE).incident
    Evidence(service=service, traces=FakeTraces()).snapshot(Freeze.of({"x": "y"}), channel=room.channel_id, by=ALICE)
    return Containment(service=service, executors=executors), room


def test_under_the_eu_ai_act_a_rollback_needs_the_article_73_warning_confirmed(regulated, executors, engine):
    containment, room = regulated
    with pytest.raises(Unconfirmed) as refused:
        containment.pull(PullFirebreak("prompt-rollback"), channel=room.channel_id, by=ALICE)
    assert refused.value.warnings == [AI_ACT] and executors.orders == []
    containment.pull(PullFirebreak("prompt-rollback"), channel=room.channel_id, by=ALICE, confirmed=True)
    requested = [e for e in timeline(engine, room.id) if e.text.startswith("Requested firebreak")]
    assert requested[0].text == ("Requested firebreak prompt-rollback (rollback · support-prompt)"
                                 f"\nWarning shown and acknowledged: {AI_ACT}")


def test_under_the_eu_ai_act_a_kill_switch_pulls_without_a_warning(regulated, executors, engine):
    containment, room = regulated
    firebreak, _ = containment.pull(PullFirebreak("ranker-off"), channel=room.channel_id, by=ALICE)
    assert firebreak.state is State.EXECUTED
    assert "Warning" not in "".join(e.text for e in timeline(engine, room.id))


def test_a_class_the_eu_ai_act_does_not_cover_gets_no_article_73_warning(make_service, executors):
    service = make_service(firebreaks=FIREBREAKS, regimes={"eu_ai_act": ("action",)})
    room = service.declare(title="Bot recommends rival products", by=ALICE).incident
    Evidence(service=service, traces=FakeTraces()).snapshot(Freeze.of({"x": "y"}), channel=room.channel_id, by=ALICE)
    firebreak, _ = Containment(service=service, executors=executors).pull(PullFirebreak("prompt-rollback"),
                                                                          channel=room.channel_id, by=ALICE)
    assert firebreak.state is State.EXECUTED


# --- recovery after a restart -------------------------------------------------------------------------------------

@pytest.mark.usefixtures("frozen")
def test_a_pull_a_restart_interrupted_is_carried_out_with_its_original_idempotency_key(service, declared, engine,
                                                                                      clock, outbound):
    crashed = CrashingExecutors()
    with pytest.raises(Crash):
        Containment(service=service, executors=crashed).pull(PullFirebreak("ranker-off"),
                                                             channel=declared.channel_id, by=ALICE)
    (original,) = crashed.orders
    assert firebreaks(engine, declared.id)[0].state is State.REQUESTED

    clock.advance(timedelta(minutes=5))  # the process comes back
    executors = FakeExecutors()
    outbound.publications.clear()
    (recovered,) = Containment(service=service, executors=executors).recover()
    (order,) = executors.orders
    assert order.idempotency_key == original.idempotency_key == f"firehouse-firebreak-{recovered.id}-pull-1"
    assert order.by == FIREHOUSE and order.action == "pull"
    assert recovered.state is State.EXECUTED and recovered.attempts == 1
    assert firebreaks(engine, declared.id)[0].state is State.EXECUTED
    (publication,) = outbound.publications
    assert publication.incident.channel_id == declared.channel_id  # its war room is told
    (event,) = publication.events
    assert event.answer == "flag off (HTTP 200) (after a restart interrupted the pull)"
    assert timeline(engine, declared.id)[-1].text == (
        "Firebreak ranker-off (kill-switch · ranker) in force; executor: flag off (HTTP 200)"
        " (after a restart interrupted the pull)")


def test_recovery_leaves_fresh_pulls_to_whoever_is_carrying_them_out(containment, declared, executors, engine, clock):
    left_requested(engine, declared.id, at=clock())
    clock.advance(IN_FLIGHT - timedelta(seconds=1))
    assert containment.recover() == [] and executors.orders == []
    assert firebreaks(engine, declared.id)[0].state is State.REQUESTED


def test_recovery_of_everything_carries_out_fresh_pulls_too(containment, declared, executors, engine, clock):
    stuck = left_requested(engine, declared.id, at=clock())
    (recovered,) = containment.recover(everything=True)
    assert recovered.id == stuck.id and recovered.state is State.EXECUTED
    assert [o.idempotency_key for o in executors.orders] == [f"firehouse-firebreak-{stuck.id}-pull-1"]


def test_recovery_claims_a_pull_so_another_pull_sees_it_in_flight(containment, declared, executors, engine, clock):
    left_requested(engine, declared.id, at=clock())
    clock.advance(timedelta(minutes=5))
    refusals: list[str] = []

    class PressedDuringRecovery(FakeExecutors):
        def run(self, settings, order):
            try:
                containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE, confirmed=True)
            except InvalidChange as err:
                refusals.append(str(err))
            return executors.run(settings, order)

    containment.executors = PressedDuringRecovery()
    containment.recover()
    assert len(refusals) == 1 and "is being pulled right now" in refusals[0]
    assert len(executors.orders) == 1


def test_recovery_skips_firebreaks_no_longer_configured(make_service, declared, engine, clock):
    left_requested(engine, declared.id, at=clock(), name="prompt-rollback")
    clock.advance(timedelta(minutes=5))
    executors = FakeExecutors()
    service = make_service(firebreaks={"ranker-off": RANKER_OFF})
    assert Containment(service=service, executors=executors).recover() == [] and executors.orders == []


def test_a_recovered_pull_that_fails_is_recorded_as_failed(containment, declared, executors, engine, clock):
    left_requested(engine, declared.id, at=clock())
    clock.advance(timedelta(minutes=5))
    executors.done, executors.text = False, "HTTP 404: no such feature"
    (recovered,) = containment.recover()
    assert recovered.state is State.FAILED
    assert recovered.answer == "HTTP 404: no such feature (after a restart interrupted the pull)"


# --- the board -------------------------------------------------------------------------------------------------------

def test_the_board_lists_the_suggested_firebreaks_first_and_says_evidence_is_missing(service, containment, declared):
    service.change_cause(ChangeCause("prompt"), channel=declared.channel_id, by=ALICE)
    board = containment.board(channel=declared.channel_id)
    assert [c.name for c in board.configured] == ["prompt-rollback", "ranker-off"]
    assert board.suggested == ["prompt-rollback"]
    assert board.evidence is False and board.pulled == []
    assert board.warnings == {"prompt-rollback": [NO_EVIDENCE], "ranker-off": [NO_EVIDENCE]}


@pytest.mark.usefixtures("frozen")
def test_the_board_reports_evidence_and_what_was_pulled(service, containment, declared):
    service.change_cause(ChangeCause("tool-loop"), channel=declared.channel_id, by=ALICE)
    pulled, _ = containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    board = containment.board(channel=declared.channel_id)
    assert board.evidence is True and board.warnings == {"ranker-off": [], "prompt-rollback": []}
    assert [c.name for c in board.configured] == ["ranker-off", "prompt-rollback"]
    assert board.suggested == ["ranker-off"]
    assert board.pulled == [pulled] and board.incident.id == declared.id


def test_without_a_cause_the_board_keeps_the_configured_order(containment, declared):
    board = containment.board(channel=declared.channel_id)
    assert [c.name for c in board.configured] == ["ranker-off", "prompt-rollback"] and board.suggested == []


# --- what customers and stakeholders read --------------------------------------------------------------------------

@pytest.mark.usefixtures("frozen")
def test_the_product_notice_says_what_is_disabled_while_a_firebreak_is_in_force(service, containment, declared,
                                                                            clock):
    desk = NoticeDesk(service=service, templates=TemplateCatalogue())
    assert "ranker" not in desk.render(declared, lane="product").text
    containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    text = desk.render(declared, lane="product").text
    assert "Currently disabled or limited" in text and "- ranker: turn the feature off, since " in text
    containment.lift(LiftFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    assert "ranker" not in desk.render(declared, lane="product").text


@pytest.mark.usefixtures("frozen")
def test_the_stakeholder_update_names_the_firebreak_in_force(service, containment, declared, outbound, settings):
    containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    recorded, _ = containment.record(RecordFirebreak("degrade", "search answers"),
                                     channel=declared.channel_id, by=ALICE)
    containment.lift(LiftFirebreak(f"#{recorded.id}"), channel=declared.channel_id, by=ALICE)
    outbound.owed.clear()
    Updates(service).post_update(PostUpdate("Ranker off; answers look right again"),
                                 channel=declared.channel_id, by=ALICE)
    views = SlackOutbound(gateway=None, outbox=None, settings=replace(settings, firebreaks=FIREBREAKS),
                          templates=TemplateCatalogue(), fan_out=None)
    to_stakeholders = [post for _, post in outbound.owed if post.channel == STAKEHOLDERS]
    (post,) = to_stakeholders
    assert isinstance(post.effect, StatusUpdate)
    text = views.render(post.effect).text
    assert "Contained by: kill-switch of ranker (since 2026-03-02 09:00 UTC)" in text
    assert "search answers" not in text  # lifted: no longer containing anything


@pytest.mark.usefixtures("frozen")
def test_in_the_stakeholder_update_the_update_text_is_its_own_paragraph_after_the_firebreaks(service, containment,
                                                                                           declared, outbound,
                                                                                           settings):
    containment.pull(PullFirebreak("ranker-off"), channel=declared.channel_id, by=ALICE)
    Updates(service).post_update(PostUpdate("Ranker off; answers look right again"),
                                 channel=declared.channel_id, by=ALICE)
    (post,) = [post for _, post in outbound.owed if post.channel == STAKEHOLDERS]
    views = SlackOutbound(gateway=None, outbox=None, settings=settings, templates=TemplateCatalogue(), fan_out=None)
    assert "UTC)\n\nRanker off; answers look right again" in views.render(post.effect).text


def test_the_stakeholders_of_a_private_incident_are_not_told_what_was_contained(service, containment, outbound,
                                                                                settings):
    room = service.declare(title="Tenant A sees tenant B's invoices", by=ALICE, class_id="data").incident
    Evidence(service=service, traces=FakeTraces()).snapshot(Freeze.of({"x": "y"}), channel=room.channel_id, by=ALICE)
    containment.pull(PullFirebreak("ranker-off"), channel=room.channel_id, by=ALICE)
    Updates(service).post_update(PostUpdate("Cross-tenant search is off"), channel=room.channel_id, by=ALICE)
    views = SlackOutbound(gateway=None, outbox=None, settings=settings, templates=TemplateCatalogue(), fan_out=None)
    texts = {post.channel: views.render(post.effect).text for _, post in outbound.owed}
    assert "Contained by: kill-switch of ranker" in texts[room.channel_id]
    assert "ranker" not in texts[STAKEHOLDERS] and "Tenant A" not in texts[STAKEHOLDERS]
