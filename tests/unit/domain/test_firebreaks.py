"""Firebreaks: the state machine of a pull, the guards shown before it, and what the cause suggests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firehouse.domain.firebreaks import (
    AI_ACT,
    KINDS,
    NO_EVIDENCE,
    Configured,
    Firebreak,
    FirebreakExecuted,
    FirebreakFailed,
    FirebreakLifted,
    FirebreakRequested,
    State,
    guards,
    in_force,
    suggested,
    suggests,
)
from firehouse.errors import InvalidChange

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = AT + timedelta(minutes=3)

RANKER_OFF = Configured(name="ranker-off", kind="kill-switch", target="ranker", executor="unleash")
PROMPT_ROLLBACK = Configured(name="prompt-rollback", kind="rollback", target="support-prompt", executor="webhook",
                             rollback_of="prompt")
MODEL_ROLLBACK = Configured(name="model-rollback", kind="rollback", target="gpt-4o", executor="webhook",
                            rollback_of="model")
TOOLS_OFF = Configured(name="refund-tool-off", kind="tool-disable", target="refund", executor="unleash")
SLOW_DOWN = Configured(name="slow-down", kind="rate-limit", target="agent", executor="webhook")
HUMANS = Configured(name="humans", kind="fallback-human", target="support", executor="unleash")
ALL = [RANKER_OFF, HUMANS, SLOW_DOWN, MODEL_ROLLBACK, TOOLS_OFF, PROMPT_ROLLBACK]


def pulled(item: Configured = RANKER_OFF, **changes) -> Firebreak:
    firebreak, _ = Firebreak.request(item, incident_id=1, by="UALICE", at=AT, **changes)
    return firebreak


def in_force_one() -> Firebreak:
    firebreak = pulled()
    firebreak.executed(at=AT, answer="flag off (HTTP 200)", by="firehouse")
    return firebreak


# --- the state machine ------------------------------------------------------------------------------------

def test_a_request_starts_as_requested_on_its_first_attempt():
    firebreak, event = Firebreak.request(RANKER_OFF, incident_id=3, by="UALICE", at=AT, note="rival products",
                                         warnings=["w1"])
    assert (firebreak.state, firebreak.attempts, firebreak.name, firebreak.kind, firebreak.target) == (
        State.REQUESTED, 1, "ranker-off", "kill-switch", "ranker")
    assert (firebreak.incident_id, firebreak.requested_by, firebreak.requested_at, firebreak.note) == (
        3, "UALICE", AT, "rival products")
    assert firebreak.executor == "unleash" and firebreak.executed_at is None
    assert event == FirebreakRequested(at=AT, by="UALICE", name="ranker-off", kind="kill-switch", target="ranker",
                                       note="rival products", warnings=("w1",))


def test_an_executed_firebreak_is_in_force_with_the_executors_answer():
    firebreak = pulled()
    event = firebreak.executed(at=LATER, answer="flag off (HTTP 200)", by="firehouse")
    assert firebreak.state is State.EXECUTED and firebreak.state.in_force
    assert (firebreak.executed_at, firebreak.answer) == (LATER, "flag off (HTTP 200)")
    assert event == FirebreakExecuted(at=LATER, by="firehouse", label="ranker-off (kill-switch · ranker)",
                                      answer="flag off (HTTP 200)")


def test_a_failed_firebreak_is_not_in_force_and_keeps_the_answer():
    firebreak = pulled()
    event = firebreak.failed(at=LATER, answer="HTTP 503: unavailable", by="firehouse")
    assert firebreak.state is State.FAILED and not firebreak.state.in_force
    assert firebreak.executed_at is None and firebreak.answer == "HTTP 503: unavailable"
    assert isinstance(event, FirebreakFailed) and event.answer == "HTTP 503: unavailable"


def test_pulling_again_while_in_force_is_refused():
    firebreak = in_force_one()
    with pytest.raises(InvalidChange) as refused:
        firebreak.retry(by="UBOB", at=LATER)
    assert str(refused.value) == "ranker-off (kill-switch · ranker) is already pulled (since 09:00 UTC); lift it first."
    assert firebreak.state is State.EXECUTED and firebreak.attempts == 1 and firebreak.requested_by == "UALICE"


def test_a_failed_firebreak_can_be_retried_as_a_new_attempt():
    firebreak = pulled(note="first")
    firebreak.failed(at=AT, answer="HTTP 503", by="firehouse")
    event = firebreak.retry(by="UBOB", at=LATER, note="second")
    assert (firebreak.state, firebreak.attempts, firebreak.requested_by, firebreak.requested_at, firebreak.note) == (
        State.REQUESTED, 2, "UBOB", LATER, "second")
    assert event.retry and event.by == "UBOB" and event.at == LATER
    firebreak.executed(at=LATER, answer="ok", by="firehouse")
    assert firebreak.state is State.EXECUTED


def test_a_retry_without_a_note_keeps_the_first_note():
    firebreak = pulled(note="rival products")
    firebreak.failed(at=AT, answer="HTTP 503", by="firehouse")
    firebreak.retry(by="UBOB", at=LATER)
    assert firebreak.note == "rival products"


def test_a_requested_firebreak_a_restart_left_behind_can_be_retried():
    firebreak = pulled()
    firebreak.retry(by="firehouse", at=LATER)
    assert firebreak.state is State.REQUESTED and firebreak.attempts == 2


def test_a_lifted_firebreak_cannot_be_retried():
    firebreak = in_force_one()
    firebreak.lift(by="UALICE", at=LATER, answer="flag on")
    with pytest.raises(InvalidChange):
        firebreak.retry(by="UALICE", at=LATER)


@pytest.mark.parametrize("state", [State.EXECUTED, State.FAILED, State.LIFTED])
def test_only_a_requested_firebreak_can_be_answered(state):
    firebreak = pulled()
    firebreak.state = state
    for answer in (firebreak.executed, firebreak.failed):
        with pytest.raises(InvalidChange, match=f"is {state.value}, not requested"):
            answer(at=LATER, answer="late answer", by="firehouse")
    assert firebreak.state is state


def test_lifting_a_firebreak_in_force_records_who_and_when():
    firebreak = in_force_one()
    event = firebreak.lift(by="UBOB", at=LATER, answer="flag on (HTTP 200)", note="fixed upstream")
    assert (firebreak.state, firebreak.lifted_by, firebreak.lifted_at) == (State.LIFTED, "UBOB", LATER)
    assert not firebreak.state.in_force
    assert event == FirebreakLifted(at=LATER, by="UBOB", label="ranker-off (kill-switch · ranker)",
                                    answer="flag on (HTTP 200)", note="fixed upstream")


@pytest.mark.parametrize("state", [State.REQUESTED, State.FAILED, State.LIFTED])
def test_only_a_firebreak_in_force_can_be_lifted(state):
    firebreak = pulled()
    firebreak.state = state
    with pytest.raises(InvalidChange) as refused:
        firebreak.lift(by="UBOB", at=LATER, answer="")
    assert str(refused.value) == (f"ranker-off (kill-switch · ranker) is {state.value}, not in force,"
                                  " so there is nothing to lift.")
    assert firebreak.state is state and firebreak.lifted_at is None


def test_in_force_picks_only_executed_firebreaks():
    requested, executed, failed, lifted = pulled(), in_force_one(), pulled(), in_force_one()
    failed.failed(at=AT, answer="no", by="firehouse")
    lifted.lift(by="UALICE", at=LATER, answer="on")
    assert in_force([requested, executed, failed, lifted]) == [executed]


# --- recorded by hand -------------------------------------------------------------------------------------

def test_a_firebreak_done_by_hand_is_recorded_as_in_force_at_once():
    firebreak, event = Firebreak.record(kind="degrade", target="search answers", incident_id=2, by="UBOB", at=AT,
                                        note="answers limited to FAQ")
    assert (firebreak.state, firebreak.executed_at, firebreak.executor, firebreak.name) == (
        State.EXECUTED, AT, "by hand", None)
    assert firebreak.label == "degrade · search answers" and firebreak.note == "answers limited to FAQ"
    assert event == FirebreakExecuted(at=AT, by="UBOB", label="degrade · search answers",
                                      answer="recorded as done by hand")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_can_be_recorded_by_hand(kind):
    firebreak, _ = Firebreak.record(kind=kind, target="x", incident_id=1, by="UBOB", at=AT)
    assert firebreak.kind == kind


@pytest.mark.parametrize("kind", ["killswitch", "Kill-Switch", "shutdown", ""])
def test_recording_an_unknown_kind_is_refused_listing_the_kinds(kind):
    with pytest.raises(InvalidChange) as refused:
        Firebreak.record(kind=kind, target="x", incident_id=1, by="UBOB", at=AT)
    assert str(refused.value) == f"`{kind}` is not a firebreak kind: use one of {', '.join(KINDS)}."


def test_a_recorded_firebreak_can_be_lifted():
    firebreak, _ = Firebreak.record(kind="kill-switch", target="refunds", incident_id=1, by="UBOB", at=AT)
    event = firebreak.lift(by="UBOB", at=LATER, answer="lifted by hand")
    assert firebreak.state is State.LIFTED
    assert event.timeline_entry().text == "Lifted firebreak kill-switch · refunds; executor: lifted by hand"


# --- what the cause suggests ------------------------------------------------------------------------------

@pytest.mark.parametrize(("cause", "first"), [
    ("prompt", ["prompt-rollback"]),
    ("model", ["model-rollback"]),
    ("retrieval", []),
    ("tool-loop", ["ranker-off", "slow-down", "refund-tool-off"]),
    ("injection", ["ranker-off", "humans", "refund-tool-off"]),
    ("input-drift", ["humans"]),
    ("eval-drift", ["model-rollback", "prompt-rollback"]),
    ("unknown", []),
    (None, []),
])
def test_the_suggested_cause_puts_its_firebreaks_first_in_configured_order(cause, first):
    """Among the suggested ones the deployment's order holds, not the order of SUGGESTED_KINDS."""
    ordered = suggested(ALL, cause)
    names = [item.name for item in ordered]
    assert names[:len(first)] == first
    assert sorted(names) == sorted(item.name for item in ALL)  # nothing lost, nothing doubled
    rest = [item.name for item in ALL if item.name not in first]
    assert names[len(first):] == rest


def test_cause_prompt_suggests_a_prompt_rollback_and_not_a_model_rollback():
    assert suggests("prompt", PROMPT_ROLLBACK)
    assert not suggests("prompt", MODEL_ROLLBACK)
    assert not suggests("prompt", RANKER_OFF)


def test_a_rollback_of_nothing_in_particular_is_not_suggested_by_a_cause_naming_a_target():
    assert not suggests("prompt", Configured(name="back", kind="rollback", target="x", executor="webhook"))


def test_a_tool_loop_suggests_tool_disable_rate_limit_and_the_kill_switch():
    assert [suggests("tool-loop", item) for item in (TOOLS_OFF, SLOW_DOWN, RANKER_OFF, HUMANS, PROMPT_ROLLBACK)] == [
        True, True, True, False, False]


def test_a_cause_nobody_configured_suggests_nothing():
    assert not any(suggests("vendor", item) for item in ALL)


def test_a_configured_firebreak_describes_its_kind_and_target():
    assert PROMPT_ROLLBACK.described == "rollback of prompt · support-prompt"
    assert RANKER_OFF.described == "kill-switch · ranker"


# --- guards -------------------------------------------------------------------------------------------------

def test_without_evidence_the_guard_asks_for_a_snapshot_first():
    assert guards(kind="kill-switch", evidence=False, sev1=False, ai_act=False) == [NO_EVIDENCE]
    assert "`/incident snapshot`" in NO_EVIDENCE


def test_at_sev1_the_no_evidence_guard_says_containment_comes_first():
    (warning,) = guards(kind="kill-switch", evidence=False, sev1=True, ai_act=False)
    assert warning == NO_EVIDENCE + " At SEV1 containment comes first: you may pull now."


def test_with_evidence_and_no_regime_there_is_nothing_to_warn_about():
    assert guards(kind="rollback", evidence=True, sev1=True, ai_act=False) == []


def test_under_the_eu_ai_act_a_rollback_warns_about_article_73():
    assert guards(kind="rollback", evidence=True, sev1=False, ai_act=True) == [AI_ACT]
    assert "Art. 73" in AI_ACT and "authorities" in AI_ACT


@pytest.mark.parametrize("kind", sorted(set(KINDS) - {"rollback"}))
def test_under_the_eu_ai_act_only_a_rollback_carries_the_article_73_warning(kind):
    assert guards(kind=kind, evidence=True, sev1=False, ai_act=True) == []


def test_both_guards_are_shown_evidence_first():
    assert guards(kind="rollback", evidence=False, sev1=False, ai_act=True) == [NO_EVIDENCE, AI_ACT]


# --- timeline entries ------------------------------------------------------------------------------------

def test_a_request_goes_on_the_timeline_with_its_note_and_each_warning_acknowledged():
    _, event = Firebreak.request(PROMPT_ROLLBACK, incident_id=1, by="UALICE", at=AT, note="bad prompt v42",
                                 warnings=[NO_EVIDENCE, AI_ACT])
    entry = event.timeline_entry()
    assert (entry.at, entry.author, entry.kind) == (AT, "UALICE", "firebreak")
    assert entry.text == ("Requested firebreak prompt-rollback (rollback · support-prompt): bad prompt v42"
                          f"\nWarning shown and acknowledged: {NO_EVIDENCE}"
                          f"\nWarning shown and acknowledged: {AI_ACT}")


def test_a_request_without_note_or_warnings_is_one_line():
    _, event = Firebreak.request(RANKER_OFF, incident_id=1, by="UALICE", at=AT)
    assert event.timeline_entry().text == "Requested firebreak ranker-off (kill-switch · ranker)"


def test_a_retry_says_it_is_a_retry():
    firebreak = pulled()
    firebreak.failed(at=AT, answer="HTTP 503", by="firehouse")
    entry = firebreak.retry(by="UBOB", at=LATER, note="again").timeline_entry()
    assert (entry.at, entry.author, entry.text) == (
        LATER, "UBOB", "Retrying firebreak ranker-off (kill-switch · ranker): again")


def test_executed_failed_and_lifted_entries_quote_the_executor():
    firebreak = pulled()
    failed = firebreak.failed(at=AT, answer="HTTP 503: unavailable", by="firehouse").timeline_entry()
    firebreak.retry(by="UALICE", at=AT)
    executed = firebreak.executed(at=AT, answer="flag off (HTTP 200)", by="firehouse").timeline_entry()
    lifted = firebreak.lift(by="UBOB", at=LATER, answer="flag on (HTTP 200)").timeline_entry()
    assert failed.text == "Firebreak ranker-off (kill-switch · ranker) FAILED; executor: HTTP 503: unavailable"
    assert executed.text == "Firebreak ranker-off (kill-switch · ranker) in force; executor: flag off (HTTP 200)"
    assert lifted.text == "Lifted firebreak ranker-off (kill-switch · ranker); executor: flag on (HTTP 200)"
    assert {failed.kind, executed.kind, lifted.kind} == {"firebreak"}
    assert (failed.author, lifted.author, lifted.at) == ("firehouse", "UBOB", LATER)


def test_a_lift_with_a_note_adds_it():
    firebreak = in_force_one()
    entry = firebreak.lift(by="UBOB", at=LATER, answer="flag on", note="fixed upstream").timeline_entry()
    assert entry.text == "Lifted firebreak ranker-off (kill-switch · ranker); executor: flag on: fixed upstream"
