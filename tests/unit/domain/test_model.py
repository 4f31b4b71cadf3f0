"""The incident aggregate: what each change records, the status board's cycle and the legal lane."""

from datetime import UTC, datetime, timedelta

import pytest

from firehouse.domain.board import FIRST_HOUR
from firehouse.domain.classes import DEFAULT_CLASSES
from firehouse.domain.clocks import deadlines
from firehouse.domain.events import (
    FIREHOUSE, CauseChanged, ClassChanged, DeadlineReminded, DecidedNotReportable, FactRecorded, IncidentDeclared,
    Logged, MomentSet, RoleAssigned, SeverityChanged, StatusChanged, UpdateMissed, UpdatePosted,
)
from firehouse.domain.facts import FACTS, MAX_FACT
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import MAX_TEXT, MAX_TITLE, Incident
from firehouse.domain.severity import Severity
from firehouse.errors import InvalidChange

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
H = timedelta(hours=1)
US = timedelta(microseconds=1)


def declare(class_id="output", severity=Severity.SEV2, **extra) -> Incident:
    made, _ = Incident.declare(title="Refund bot promises refunds", severity=severity,
                               incident_class=DEFAULT_CLASSES[class_id], by="UALICE", at=T0, **extra)
    return made


# --- declaring ------------------------------------------------------------------------------------

def test_declaring_records_who_when_and_starts_the_awareness_clock_at_the_declaration():
    made, event = Incident.declare(title="  Refund bot promises refunds ", severity=Severity.SEV1,
                                   incident_class=DEFAULT_CLASSES["data"], by="UALICE", at=T0, captain="UBOB",
                                   description=" it told users refunds are automatic ", reached_users=True)
    assert (made.title, made.class_id, made.private, made.captain) == (
        "Refund bot promises refunds", "data", True, "UBOB")
    assert (made.declared_by, made.declared_at, made.aware_at, made.classified_at) == ("UALICE", T0, T0, None)
    assert made.description == "it told users refunds are automatic" and made.reached_users is True
    assert event == IncidentDeclared(at=T0, by="UALICE", title="Refund bot promises refunds",
                                     severity=Severity.SEV1, class_id="data", captain="UBOB")


def test_a_class_chosen_at_declaration_starts_the_classification_clock():
    assert declare(classified=True).classified_at == T0


def test_the_description_is_optional_but_has_a_limit():
    assert declare().description == ""
    with pytest.raises(InvalidChange, match="The description is 3,001 characters long; keep it to 3,000."):
        declare(description="x" * 3001)


@pytest.mark.parametrize(("title", "reply"), [
    (" ", "The title is empty."),
    ("x" * (MAX_TITLE + 1), "The title is 151 characters long; keep it to 150."),
])
def test_a_refused_title_says_what_was_wrong(title, reply):
    with pytest.raises(InvalidChange) as err:
        Incident.declare(title=title, severity=Severity.SEV2, incident_class=DEFAULT_CLASSES["output"],
                         by="U1", at=T0)
    assert str(err.value) == reply


def test_a_title_of_exactly_the_limit_fits():
    made, _ = Incident.declare(title="x" * MAX_TITLE, severity=Severity.SEV2,
                               incident_class=DEFAULT_CLASSES["output"], by="U1", at=T0)
    assert len(made.title) == MAX_TITLE


def test_the_proposed_severity_and_the_reason_for_overriding_it_travel_with_the_event():
    _, event = Incident.declare(title="t", severity=Severity.SEV1, incident_class=DEFAULT_CLASSES["output"],
                                by="U1", at=T0, proposed=Severity.SEV3, override_reason=" regulator asks ")
    assert (event.proposed, event.override_reason) == (Severity.SEV3, "regulator asks")


# --- changes and the events they leave ------------------------------------------------------------

def test_a_log_entry_keeps_who_when_and_its_kind():
    made = declare()
    assert made.log(text=" rolled back ", by="UBOB", at=T0 + MIN) == Logged(T0 + MIN, "UBOB", "rolled back")
    assert made.log(text="pinned", by="UBOB", at=T0, kind="pin").kind == "pin"
    with pytest.raises(InvalidChange, match="^The timeline entry is empty.$"):
        made.log(text="", by="UBOB", at=T0)


def test_a_timeline_entry_of_exactly_the_limit_fits():
    assert len(declare().log(text="x" * MAX_TEXT, by="U1", at=T0).text) == MAX_TEXT


def test_a_severity_change_records_both_severities_and_the_reason():
    made = declare()
    event = made.change_severity(Severity.SEV1, by="UBOB", at=T0 + MIN, reason=" refunds are irreversible ")
    assert event == SeverityChanged(T0 + MIN, "UBOB", Severity.SEV2, Severity.SEV1, "refunds are irreversible")
    assert made.severity is Severity.SEV1
    assert made.change_severity(Severity.SEV3, by="UBOB", at=T0).reason == ""
    with pytest.raises(InvalidChange, match="^The reason is 3,001 characters long"):
        made.change_severity(Severity.SEV2, by="UBOB", at=T0, reason="x" * 3001)


def test_raising_the_severity_is_an_escalation_and_lowering_it_is_not():
    made = declare(severity=Severity.SEV2)
    assert made.severity_action(Severity.SEV1) == "escalate"
    assert made.severity_action(Severity.SEV3) == "deescalate"


def test_asking_for_the_current_severity_is_not_treated_as_lowering_it():
    made = declare(severity=Severity.SEV2)
    assert made.severity_action(Severity.SEV2) == "escalate"  # so the reply is "already SEV2", not "only the captain"
    with pytest.raises(InvalidChange, match="^The incident is already SEV2.$"):
        made.change_severity(Severity.SEV2, by="UBOB", at=T0)


def test_a_class_change_records_both_classes():
    made = declare()
    event = made.change_class(DEFAULT_CLASSES["action"], by="UBOB", at=T0 + MIN)
    assert event == ClassChanged(T0 + MIN, "UBOB", "output", "action")
    assert made.class_id == "action" and not made.private
    with pytest.raises(InvalidChange, match="^The class is already action.$"):
        made.change_class(DEFAULT_CLASSES["action"], by="UBOB", at=T0)


def test_a_cause_change_records_the_cause_it_replaced():
    made = declare()
    assert made.change_cause("prompt", by="UBOB", at=T0 + MIN) == CauseChanged(T0 + MIN, "UBOB", None, "prompt")
    assert made.change_cause("model", by="UBOB", at=T0 + 2 * MIN) == CauseChanged(T0 + 2 * MIN, "UBOB", "prompt",
                                                                                   "model")
    assert made.cause == "model"
    with pytest.raises(InvalidChange, match="^The suspected cause is already model.$"):
        made.change_cause("model", by="UBOB", at=T0)


def test_assigning_a_role_records_who_gave_it_and_who_held_it_before():
    made = declare()
    assert made.assign_role("legal", "ULAW", by="UALICE", at=T0 + MIN) == RoleAssigned(
        T0 + MIN, "UALICE", "legal", "ULAW", None)
    with pytest.raises(InvalidChange, match="^<@ULAW> is already legal.$"):
        made.assign_role("legal", "ULAW", by="UALICE", at=T0)


def test_a_status_change_records_who_moved_it_and_when():
    made = declare()
    event = made.change_status(Status.IDENTIFIED, by="UBOB", at=T0 + 5 * MIN)
    assert event == StatusChanged(T0 + 5 * MIN, "UBOB", Status.INVESTIGATING, Status.IDENTIFIED)


def test_moving_to_resolved_goes_through_resolve_and_keeps_who_and_when():
    made = declare()
    event = made.change_status(Status.RESOLVED, by="UBOB", at=T0 + H)
    assert event == StatusChanged(T0 + H, "UBOB", Status.INVESTIGATING, Status.RESOLVED)
    assert made.resolved_at == T0 + H


def test_resolving_keeps_an_earlier_summary_when_none_is_given():
    made = declare()
    made.resolve(by="UBOB", at=T0 + H, summary="rolled back prompt v42")
    made.change_status(Status.INVESTIGATING, by="UBOB", at=T0 + 2 * H)
    event = made.resolve(by="UBOB", at=T0 + 3 * H)
    assert event.summary == "" and made.summary == "rolled back prompt v42"


def test_a_summary_has_a_limit():
    with pytest.raises(InvalidChange, match="^The summary is 3,001 characters long"):
        declare().resolve(by="UBOB", at=T0, summary="x" * 3001)


def test_a_waiver_reason_has_a_limit_too():
    made = declare(severity=Severity.SEV1, reached_users=True)
    with pytest.raises(InvalidChange, match="^The waiver reason is 3,001 characters long"):
        made.resolve(by="UBOB", at=T0, waiver="x" * 3001)
    with pytest.raises(InvalidChange) as err:
        made.resolve(by="UBOB", at=T0)
    assert str(err.value) == (
        "This SEV1 incident reached users, so a product-lane notice must be published or marked sent before it can be"
        " resolved. Draft one with `/incident comms product`, or waive it with"
        " `/incident resolve [summary] --waive-notice <reason>`.")


def test_detection_may_be_the_moment_of_the_declaration_itself():
    made = declare()
    assert made.set_moment("detected", T0, by="UBOB", at=T0 + MIN) == MomentSet(T0 + MIN, "UBOB", "detected", T0)
    assert made.detected_at == T0


def test_detection_after_the_declaration_is_refused_with_the_reason():
    with pytest.raises(InvalidChange) as err:
        declare().set_moment("detected", T0 + US, by="UBOB", at=T0)
    assert str(err.value) == "Detection can't be after the declaration; it is when the first signal came in."


def test_awareness_may_be_set_to_before_the_declaration():
    made = declare()
    made.set_moment("aware", T0 - 3 * H, by="UBOB", at=T0)
    assert made.moments() == {"detected": None, "declared": T0, "aware": T0 - 3 * H, "classified": None,
                              "contained": None, "resolved": None}


def test_every_moment_is_listed_in_the_order_they_usually_happen():
    made = declare()
    made.set_moment("detected", T0 - H, by="U1", at=T0)
    made.change_class(DEFAULT_CLASSES["action"], by="U1", at=T0 + MIN)
    made.change_status(Status.CONTAINED, by="U1", at=T0 + 20 * MIN)
    made.resolve(by="U1", at=T0 + H)
    assert list(made.moments().items()) == [
        ("detected", T0 - H), ("declared", T0), ("aware", T0), ("classified", T0 + MIN),
        ("contained", T0 + 20 * MIN), ("resolved", T0 + H)]


# --- the status board ------------------------------------------------------------------------------

def on_the_board(interval=15 * MIN) -> Incident:
    made = declare()
    made.retime(old=None, new=interval, now=T0)
    return made


def test_missed_updates_are_counted_in_a_row():
    made = on_the_board()
    first = made.update_missed(interval=15 * MIN, now=T0 + 15 * MIN, by=FIREHOUSE)
    second = made.update_missed(interval=15 * MIN, now=T0 + 30 * MIN, by=FIREHOUSE)
    assert first == UpdateMissed(T0 + 15 * MIN, FIREHOUSE, T0 + 15 * MIN, 1, T0 + 30 * MIN)
    assert second == UpdateMissed(T0 + 30 * MIN, FIREHOUSE, T0 + 30 * MIN, 2, T0 + 45 * MIN)
    assert made.missed_updates == 2


def test_a_missed_update_starts_a_fresh_cycle_with_a_fresh_prompt():
    made = on_the_board()
    made.prompted()
    made.snooze(T0 + 13 * MIN)
    made.update_missed(interval=15 * MIN, now=T0 + 15 * MIN, by=FIREHOUSE)
    assert (made.update_prompted, made.snoozed_until) == (False, None)


def test_prompting_and_snoozing_are_remembered_until_the_cycle_ends():
    made = on_the_board()
    made.prompted()
    assert made.update_prompted is True
    made.snooze(T0 + 12 * MIN)
    assert (made.update_prompted, made.snoozed_until) == (False, T0 + 12 * MIN)


def test_an_update_records_its_text_and_when_the_next_one_is_due():
    made = on_the_board()
    made.prompted()
    posted = made.post_update("  rolled back prompt v42 ", by="UBOB", at=T0 + 10 * MIN, interval=15 * MIN)
    assert posted == UpdatePosted(T0 + 10 * MIN, "UBOB", "rolled back prompt v42", T0 + 25 * MIN)
    assert made.update_prompted is False
    with pytest.raises(InvalidChange, match="^The update is empty.$"):
        made.post_update(" ", by="UBOB", at=T0, interval=15 * MIN)


def test_an_update_on_a_resolved_incident_schedules_nothing():
    made = declare()
    made.resolve(by="UBOB", at=T0 + H)
    posted = made.post_update("all clear", by="UBOB", at=T0 + 2 * H, interval=None)
    assert posted.next_due is None and made.next_update_due is None


def test_a_severity_change_mid_cycle_shrinks_the_cycle_to_the_new_cadence():
    made = on_the_board(30 * MIN)  # SEV2, due at 02:30
    made.change_severity(Severity.SEV1, by="UBOB", at=T0 + 5 * MIN)
    made.retime(old=30 * MIN, new=15 * MIN, now=T0 + 5 * MIN)
    assert made.next_update_due == T0 + 15 * MIN


def test_a_change_that_keeps_the_cadence_keeps_the_cycle_and_its_prompt():
    made = on_the_board()
    made.prompted()
    made.retime(old=15 * MIN, new=15 * MIN, now=T0 + 11 * MIN)
    assert (made.next_update_due, made.update_prompted) == (T0 + 15 * MIN, True)


def test_a_board_that_never_started_starts_a_full_cycle_from_now():
    made = declare()
    made.retime(old=15 * MIN, new=30 * MIN, now=T0 + 7 * MIN)
    assert made.next_update_due == T0 + 37 * MIN


def test_first_hour_checkpoints_are_counted_with_the_offsets_given():
    made = declare()
    made.checklist_passed(T0 + 6 * MIN, (5 * MIN, 30 * MIN))
    assert made.checklist_step == 1  # the default offsets would say none has passed
    made.checklist_passed(T0, FIRST_HOUR)
    assert made.checklist_step == 1  # never goes back


# --- facts ----------------------------------------------------------------------------------------

def test_recorded_facts_are_stripped_kept_and_each_leaves_an_event():
    made = declare()
    events = made.record_facts({"feature": " search ", "affected_users": "about 40"}, by="UBOB", at=T0 + MIN)
    assert events == [FactRecorded(T0 + MIN, "UBOB", "feature", "search"),
                      FactRecorded(T0 + MIN, "UBOB", "affected_users", "about 40")]
    assert made.facts == {"feature": "search", "affected_users": "about 40"}


def test_an_empty_value_clears_a_fact():
    made = declare()
    made.record_facts({"feature": "search", "workaround": "use the FAQ"}, by="UBOB", at=T0)
    events = made.record_facts({"feature": " "}, by="UBOB", at=T0 + MIN)
    assert events == [FactRecorded(T0 + MIN, "UBOB", "feature", "")]
    assert made.facts == {"workaround": "use the FAQ"}
    assert made.record_facts({"records": ""}, by="UBOB", at=T0) == [FactRecorded(T0, "UBOB", "records", "")]


def test_an_unknown_fact_is_refused_by_name_with_the_list_of_known_ones():
    made = declare()
    with pytest.raises(InvalidChange) as err:
        made.record_facts({"feature": "search", "zeta": "1", "alpha": "2"}, by="UBOB", at=T0)
    assert str(err.value) == f"`alpha` is not a fact I know. Facts: {', '.join(FACTS)}."
    assert made.facts == {}  # nothing recorded when one key is wrong


def test_a_fact_of_exactly_the_limit_fits_and_one_more_character_does_not():
    made = declare()
    made.record_facts({"measures": "x" * MAX_FACT}, by="UBOB", at=T0)
    with pytest.raises(InvalidChange, match="^The fact measures is 1,001 characters long; keep it to 1,000.$"):
        made.record_facts({"measures": "x" * (MAX_FACT + 1)}, by="UBOB", at=T0)


def test_a_fact_that_sets_a_deadline_must_be_one_of_its_words():
    made = declare()
    made.record_facts({"ai_act_case": "death"}, by="UBOB", at=T0)
    assert made.facts["ai_act_case"] == "death"
    with pytest.raises(InvalidChange) as err:
        made.record_facts({"ai_act_case": "x" * 50}, by="UBOB", at=T0)
    assert str(err.value) == (f"ai_act_case is one of standard, widespread, critical_infrastructure, death,"
                              f" not `{'x' * 40}`.")
    made.record_facts({"ai_act_case": ""}, by="UBOB", at=T0)  # clearing is always allowed
    assert "ai_act_case" not in made.facts


# --- regulatory clocks on the incident ------------------------------------------------------------

GDPR = {"gdpr": ("data",)}
EVERYTHING = {"gdpr": ("data",), "eu_ai_act": ("data",), "nis2": ("data",), "dora": ("data",)}


def test_clocks_count_from_awareness_not_from_the_declaration():
    made = declare("data")
    made.set_moment("aware", T0 - 5 * H, by="ULAW", at=T0)
    (gdpr,) = made.deadlines(GDPR)
    assert (gdpr.start, gdpr.due) == (T0 - 5 * H, T0 + 67 * H)


def test_dora_on_the_incident_counts_from_its_classification():
    made = declare("output")
    made.change_class(DEFAULT_CLASSES["data"], by="UBOB", at=T0 + H)
    initial = made.deadlines({"dora": ("data",)})[0]
    assert (initial.starts, initial.start, initial.due) == ("classified", T0 + H, T0 + 5 * H)


def test_the_incident_facts_choose_the_eu_ai_act_case():
    made = declare("data")
    made.record_facts({"ai_act_case": "death"}, by="ULAW", at=T0)
    (ai_act,) = made.deadlines({"eu_ai_act": ("data",)})
    assert ai_act.due == T0 + timedelta(days=10)


def test_the_incident_has_every_deadline_of_every_regime_covering_its_class_in_order():
    made = declare("data")
    expected = [d for regime in EVERYTHING for d in deadlines(regime, aware_at=T0, classified_at=None)]
    assert made.deadlines(EVERYTHING) == expected and len(expected) == 8


def test_a_reminder_is_due_at_the_exact_moment_of_its_point():
    made = declare("data")
    assert made.reminders_due(GDPR, T0 + 36 * H - US) == []
    assert made.reminders_due(GDPR, T0 + 36 * H) == [
        DeadlineReminded(T0 + 36 * H, FIREHOUSE, "gdpr:initial", 0.5, T0 + 72 * H)]


def test_each_reminder_point_is_sent_once_in_turn():
    made = declare("data")
    sent = [made.reminders_due(GDPR, T0 + hours * H) for hours in (36, 40, 54, 60, 64.8, 70, 72, 90)]
    assert [[r.point for r in batch] for batch in sent] == [[0.5], [], [0.75], [], [0.9], [], [1.0], []]
    assert made.next_reminder(GDPR) is None


def test_the_next_reminder_is_the_next_point_not_yet_sent():
    made = declare("data")
    assert made.next_reminder(GDPR) == T0 + 36 * H
    made.reminders_due(GDPR, T0 + 36 * H)
    made.reminders_due(GDPR, T0 + 54 * H)
    assert made.next_reminder(GDPR) == T0 + timedelta(hours=64.8)


def test_deadlines_reminded_together_are_each_reminded_once():
    made = declare("data")
    regimes = {"nis2": ("data",)}
    together = made.reminders_due(regimes, T0 + 36 * H)  # the early warning expired, the notification half-way
    assert [(r.key, r.point) for r in together] == [("nis2:initial", 1.0), ("nis2:intermediate", 0.5)]
    assert made.reminders_due(regimes, T0 + 36 * H) == []
    assert made.next_reminder(regimes) == T0 + 54 * H


def test_not_reportable_is_recorded_with_reason_who_and_when():
    made = declare("data")
    event = made.decide_not_reportable("gdpr", "  synthetic data only ", by="ULAW", at=T0 + H)
    assert event == DecidedNotReportable(T0 + H, "ULAW", "GDPR Art. 33", "synthetic data only")
    assert made.not_reportable == {"gdpr": {"reason": "synthetic data only", "by": "ULAW",
                                            "at": "2026-11-23T03:00:00+00:00"}}
    with pytest.raises(InvalidChange, match=r"^Not reportable under GDPR Art\. 33 was already recorded\.$"):
        made.decide_not_reportable("gdpr", "again", by="ULAW", at=T0)


def test_not_reportable_needs_a_reason():
    with pytest.raises(InvalidChange, match="^The reason is empty.$"):
        declare("data").decide_not_reportable("gdpr", " ", by="ULAW", at=T0)


def test_not_reportable_under_one_regime_leaves_the_others_running():
    made = declare("data")
    made.decide_not_reportable("gdpr", "no personal data", by="ULAW", at=T0)
    assert {d.regime for d in made.open_deadlines(EVERYTHING)} == {"eu_ai_act", "nis2", "dora"}


def test_a_reason_for_closing_without_the_lock_has_a_limit():
    made = declare()
    made.resolve(by="UBOB", at=T0 + H)
    with pytest.raises(InvalidChange, match="^The reason is 3,001 characters long; keep it to 3,000.$"):
        made.close(by="UBOB", at=T0 + 2 * H, missing=["a published postmortem"], waiver="x" * 3001)
    assert made.status is Status.RESOLVED
