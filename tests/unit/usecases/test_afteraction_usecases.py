"""The after-action use cases over a real store and the in-memory outbound: follow-ups and who may change
them, fixtures from snapshots, postmortem versions, closing, and the daily reminders, on a clock the test
moves."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from unit.usecases.fakes import ALICE, BOB, CAROL, DANA, GONE, ROBOT, START, FakeTraces

from firehouse.commands.afteraction import AddAction, Close, NoFixture, PostmortemNote
from firehouse.commands.evidence import Freeze
from firehouse.commands.incidents import ChangeCause, Resolve
from firehouse.comms.templates import TemplateCatalogue
from firehouse.domain.afteraction import ActionState, FollowUp
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident, NotLocked
from firehouse.domain.permissions import Action, ANYONE, CAPTAIN, NotAllowed, Policy
from firehouse.errors import DomainError, InvalidChange
from firehouse.store import UnitOfWork
from firehouse.usecases.afteraction import NOTE_KIND, AfterAction
from firehouse.usecases.effects import FollowUpReminder, LockNudge
from firehouse.usecases.evidence import Evidence

DAY, HOUR, US = timedelta(days=1), timedelta(hours=1), timedelta(microseconds=1)
TODAY = START.date()  # Monday 2 March 2026
POSTMORTEM_MISSING = "a published postmortem (`/incident postmortem`, then Publish)"
FIXTURE_MISSING = "an eval fixture (`/incident fixture`), or why it cannot be one (`/incident fixture none <reason>`)"


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def only_the_captain_may(action: str) -> Policy:
    return Policy(rules={**{a: frozenset({ANYONE}) for a in Action}, action: frozenset({CAPTAIN})})


@pytest.fixture
def make_after(make_service):
    """AfterAction over a service whose settings differ from the test's by the keywords given."""
    def make(**changes) -> AfterAction:
        return AfterAction(service=make_service(**changes), templates=TemplateCatalogue.with_override(None))
    return make


@pytest.fixture
def after(service) -> AfterAction:
    return AfterAction(service=service, templates=TemplateCatalogue.with_override(None))


@pytest.fixture
def evidence(service) -> Evidence:
    return Evidence(service=service, traces=FakeTraces())


def stored(engine, incident_id: int):
    """The incident, its timeline, actions, fixtures and postmortem versions as the database has them."""
    with UnitOfWork(engine) as uow:
        return (uow.incidents.get(incident_id), uow.incidents.timeline(incident_id), uow.afteraction.actions(incident_id),
                uow.afteraction.fixtures(incident_id), uow.afteraction.postmortems(incident_id))


def resolve(service, incident: Incident) -> Incident:
    return service.resolve(Resolve("rolled the prompt back"), channel=incident.channel_id, by=ALICE).incident


def owned_action(after: AfterAction, incident: Incident, *, owner: str = BOB, due: date = TODAY) -> FollowUp:
    action, _ = after.add_action(AddAction("Add a rival-brand eval", kind="prevent", owner=owner, due=due),
                                 channel=incident.channel_id, by=ALICE)
    return action


def lock(after: AfterAction, incident: Incident) -> None:
    """Publish a postmortem and say why there is no fixture: with no unowned action, that is the lock."""
    after.draft_postmortem(channel=incident.channel_id, by=ALICE)
    after.publish_postmortem(incident_id=incident.id, by=ALICE)
    after.no_fixture(NoFixture("the failure needs a live tool call"), channel=incident.channel_id, by=ALICE)


def section(text: str, heading: str) -> str:
    """A postmortem section's body: from its heading to the next one of the same level."""
    start = text.index(f"\n## {heading}") + 1
    end = text.find("\n## ", start)
    return text[start:end if end != -1 else None]


# --- follow-up actions ----------------------------------------------------------------------------------------

def test_an_action_is_stored_with_its_owner_and_due_date_and_told_to_the_war_room(after, declared, engine,
                                                                                     outbound):
    outbound.publications.clear()
    action, outcome = after.add_action(AddAction(" Add a rival-brand eval ", kind="detect", owner=BOB, due=TODAY + DAY),
                                       channel=declared.channel_id, by=ALICE)
    _, timeline, actions, _, _ = stored(engine, declared.id)
    assert actions == [action] and action.id is not None
    assert (action.text, action.kind, action.owner, action.due, action.created_at) == (
        "Add a rival-brand eval", "detect", BOB, TODAY + DAY, START)
    assert (timeline[-1].kind, timeline[-1].text) == (
        "action", f"Follow-up (detect): Add a rival-brand eval, owner <@{BOB}>, due 2026-03-03")
    assert [p.events for p in outbound.publications] == [tuple(outcome.events)]


@pytest.mark.parametrize("owner, refusal", [(ROBOT, "is a bot"), (GONE, "is deactivated"),
                                            ("UNOBODY", "I can't find <@UNOBODY>")])
def test_an_action_owned_by_a_bot_a_deactivated_or_an_unknown_user_is_refused(after, declared, engine, owner,
                                                                               refusal):
    with pytest.raises(DomainError, match=refusal):
        after.add_action(AddAction("Add an eval", owner=owner, due=TODAY), channel=declared.channel_id, by=ALICE)
    assert stored(engine, declared.id)[2] == []


def test_adding_an_action_needs_the_follow_up_permission(make_after, declared, engine):
    after = make_after(policy=only_the_captain_may("follow_up"))
    with pytest.raises(NotAllowed, match="may add or change follow-up actions"):
        after.add_action(AddAction("Add an eval", owner=BOB, due=TODAY), channel=declared.channel_id, by=BOB)
    assert stored(engine, declared.id)[2] == []
    after.add_action(AddAction("Add an eval", owner=BOB, due=TODAY), channel=declared.channel_id, by=ALICE)
    assert len(stored(engine, declared.id)[2]) == 1


def test_an_owner_may_mark_their_own_action_done_or_move_its_date_without_the_permission(make_after, declared,
                                                                                         engine, clock):
    after = make_after(policy=only_the_captain_may("follow_up"))
    action = owned_action(after, declared, owner=BOB)
    clock.advance(HOUR)
    moved = after.move_due(action_id=action.id, by=BOB, due=TODAY + 7 * DAY)
    done = after.complete(action_id=action.id, by=BOB)
    [kept] = stored(engine, declared.id)[2]
    assert (moved.due, done.state, done.done_by, done.done_at) == (TODAY + 7 * DAY, ActionState.DONE, BOB,
                                                                    START + HOUR)
    assert kept == done


def test_someone_else_without_the_permission_may_not_change_an_action(make_after, declared, engine):
    after = make_after(policy=only_the_captain_may("follow_up"))
    action = owned_action(after, declared, owner=BOB)
    with pytest.raises(NotAllowed):
        after.complete(action_id=action.id, by=CAROL)
    with pytest.raises(NotAllowed):
        after.move_due(action_id=action.id, by=CAROL, due=TODAY + DAY)
    assert stored(engine, declared.id)[2] == [action]


def test_an_owner_may_not_give_their_action_away_without_the_permission(make_after, declared, engine):
    after = make_after(policy=only_the_captain_may("follow_up"))
    action = owned_action(after, declared, owner=BOB)
    with pytest.raises(NotAllowed):
        after.reassign(action_id=action.id, by=BOB, owner=CAROL)
    assert after.reassign(action_id=action.id, by=ALICE, owner=CAROL).owner == CAROL
    assert stored(engine, declared.id)[2][0].owner == CAROL


def test_an_action_cannot_be_reassigned_to_a_bot(after, declared):
    action = owned_action(after, declared)
    with pytest.raises(DomainError, match="is a bot"):
        after.reassign(action_id=action.id, by=ALICE, owner=ROBOT)


def test_changing_an_action_that_does_not_exist_is_refused(after, declared):
    with pytest.raises(DomainError, match="Action #99 does not exist"):
        after.complete(action_id=99, by=ALICE)


def test_every_change_to_an_action_is_on_the_timeline(after, declared, engine):
    action = owned_action(after, declared)
    after.reassign(action_id=action.id, by=ALICE, owner=CAROL)
    after.move_due(action_id=action.id, by=CAROL, due=TODAY + 3 * DAY)
    after.complete(action_id=action.id, by=CAROL)
    lines = [e.text for e in stored(engine, declared.id)[1] if e.kind == "action"][1:]
    assert lines == [f"Action #{action.id}: now owned by <@{CAROL}>", f"Action #{action.id}: due 2026-03-05",
                     f"Action #{action.id}: done"]


# --- eval fixtures -----------------------------------------------------------------------------------------

def test_the_fixture_form_starts_from_the_latest_snapshot_that_was_not_superseded(after, evidence, declared):
    first, _ = evidence.snapshot(Freeze.of({"input": "Which phone?", "output": "Buy a Rival X"}),
                                 channel=declared.channel_id, by=ALICE)
    correction, _ = evidence.snapshot(Freeze.of({
        "input": "Which phone should I buy?", "output": "Buy a Rival X", "system_prompt": "You are Acme's assistant",
        "expected": "An Acme phone", "supersedes": str(first.id)}), channel=declared.channel_id, by=ALICE)
    draft = after.fixture_draft(channel=declared.channel_id)
    assert (draft.incident_id, draft.snapshot_id) == (declared.id, correction.id)
    assert (draft.system_prompt, draft.input, draft.bad_output, draft.expected) == (
        "You are Acme's assistant", "Which phone should I buy?", "Buy a Rival X", "An Acme phone")


def test_the_fixture_form_is_empty_without_a_snapshot(after, declared):
    draft = after.fixture_draft(channel=declared.channel_id)
    assert (draft.snapshot_id, draft.system_prompt, draft.input, draft.bad_output, draft.expected) == (
        None, "", "", "", "")


def test_a_fixture_keeps_the_system_prompt_as_a_system_message_and_the_snapshots_provenance(
        after, evidence, service, declared, engine):
    service.change_cause(ChangeCause("prompt"), channel=declared.channel_id, by=ALICE)
    snapshot, _ = evidence.snapshot(Freeze.of({
        "model": "gpt-4o", "model_version": "gpt-4o-2024-08-06", "prompt_version": "v42", "input": "Which phone?"}), channel=declared.channel_id, by=ALICE)
    fixture, _ = after.add_fixture(incident_id=declared.id, by=BOB, user_input="Which phone?",
                                   bad_output="Buy a Rival X", system_prompt="You are Acme's assistant",
                                   target="An Acme phone", forbidden=["Rival X"], tags=["brand"],
                                   snapshot_id=snapshot.id)
    [kept] = stored(engine, declared.id)[3]
    assert kept == fixture
    assert kept.input == [{"role": "system", "content": "You are Acme's assistant"},
                          {"role": "user", "content": "Which phone?"}]
    assert kept.metadata == {"incident": str(declared.id), "class": "output", "cause": "prompt",
                             "model": "gpt-4o-2024-08-06", "prompt_version": "v42", "severity": "SEV2"}
    assert (kept.snapshot_id, kept.created_by, kept.forbidden, kept.tags) == (snapshot.id, BOB, ["Rival X"], ["brand"])


def test_a_fixture_names_the_model_when_the_snapshot_has_no_model_version_and_leaves_out_what_is_unknown(
        after, evidence, declared, engine):
    snapshot, _ = evidence.snapshot(Freeze.of({"model": "gpt-4o"}), channel=declared.channel_id, by=ALICE)
    fixture, _ = after.add_fixture(incident_id=declared.id, by=BOB, user_input="Which phone?",
                                   bad_output="Buy a Rival X", system_prompt="   ", rubric="Never names a rival",
                                   snapshot_id=snapshot.id)
    assert fixture.input == [{"role": "user", "content": "Which phone?"}]
    assert fixture.metadata == {"incident": str(declared.id), "class": "output", "model": "gpt-4o",
                                "severity": "SEV2"}


def test_a_fixture_naming_another_incidents_snapshot_takes_nothing_from_it(after, evidence, service, declared):
    other = service.declare(title="Another", by=ALICE).incident
    foreign, _ = evidence.snapshot(Freeze.of({"model_version": "secret-model"}), channel=other.channel_id, by=ALICE)
    fixture, _ = after.add_fixture(incident_id=declared.id, by=BOB, user_input="Which phone?", bad_output="Rival",
                                   target="Acme", snapshot_id=foreign.id)
    assert fixture.snapshot_id is None and "model" not in fixture.metadata


def test_writing_a_fixture_is_on_the_timeline_and_needs_the_fixture_permission(make_after, declared, engine):
    after = make_after(policy=only_the_captain_may("fixture"))
    with pytest.raises(NotAllowed, match="may write eval fixtures"):
        after.add_fixture(incident_id=declared.id, by=BOB, user_input="Which phone?", bad_output="Rival",
                          target="Acme")
    fixture, _ = after.add_fixture(incident_id=declared.id, by=ALICE, user_input="Which phone?", bad_output="Rival",
                                   forbidden=["Rival", "Rival X"])
    _, timeline, _, fixtures, _ = stored(engine, declared.id)
    assert fixtures == [fixture]
    assert (timeline[-1].kind, timeline[-1].text) == (
        "fixture", f"Eval fixture #{fixture.id} written (2 forbidden strings)")


# --- the postmortem ----------------------------------------------------------------------------------------

def test_drafting_twice_with_nothing_changed_keeps_version_one(after, declared, engine, outbound):
    first, _ = after.draft_postmortem(channel=declared.channel_id, by=ALICE)
    again, _ = after.draft_postmortem(channel=declared.channel_id, by=BOB)
    assert (first.version, again.version, again.id) == (1, 1, first.id)
    assert again.drafted_by == ALICE
    assert [v.version for v in stored(engine, declared.id)[4]] == [1]
    assert [(i, v) for i, v, _ in outbound.postmortems_shown] == [(declared.id, 1), (declared.id, 1)]


def test_drafting_later_with_nothing_changed_in_the_record_keeps_version_one(after, declared, engine, clock):
    after.draft_postmortem(channel=declared.channel_id, by=ALICE)
    clock.advance(HOUR)
    again, _ = after.draft_postmortem(channel=declared.channel_id, by=ALICE)
    assert again.version == 1


def test_a_note_makes_the_next_draft_a_new_version_with_the_note_in_its_section(after, declared, engine, outbound):
    first, _ = after.draft_postmortem(channel=declared.channel_id, by=ALICE)
    after.note(PostmortemNote("lucky", "the rival's shop was down that day"), channel=declared.channel_id, by=BOB)
    second, _ = after.draft_postmortem(channel=declared.channel_id, by=ALICE)
    versions = stored(engine, declared.id)[4]
    assert (first.version, second.version) == (1, 2)
    assert [(v.version, v.text) for v in versions] == [(1, first.text), (2, second.text)]
    assert outbound.postmortems_shown[-1] == (declared.id, 2, second.text)
    assert "the rival's shop was down that day" in section(second.text, "Where we got lucky")


def test_notes_and_the_postmortems_own_entries_stay_out_of_its_timeline(after, declared, engine):
    after.note(PostmortemNote("well", "detection took two minutes"), channel=declared.channel_id, by=BOB)
    after.draft_postmortem(channel=declared.channel_id, by=ALICE)
    after.publish_postmortem(incident_id=declared.id, by=ALICE)
    kinds = [e.kind for e in stored(engine, declared.id)[1]]
    assert NOTE_KIND in kinds and "postmortem" in kinds  # they are on the incident's timeline …
    text = after.render_postmortem(declared.id).text
    timeline = section(text, "Timeline (UTC)")
    assert "_declared_ · Declared SEV2 output incident" in timeline  # … the declaration is in its timeline,
    assert "detection took two minutes" not in timeline and "_pm-note_" not in timeline  # … notes are not,
    assert "_postmortem_" not in timeline and "published (sha256" not in timeline  # … nor the publishing,
    assert "detection took two minutes" in section(text, "What went well")  # … the note is in its section


def test_a_note_keeps_a_colon_in_its_text(after, declared):
    after.note(PostmortemNote("technical", "temperature: 1.4, not 0.2"), channel=declared.channel_id, by=BOB)
    assert "temperature: 1.4, not 0.2" in section(after.render_postmortem(declared.id).text, "Contributing factors")


def test_a_blank_note_is_refused(after, declared, engine):
    with pytest.raises(InvalidChange):
        after.note(PostmortemNote("lucky", "   "), channel=declared.channel_id, by=BOB)
    assert NOTE_KIND not in [e.kind for e in stored(engine, declared.id)[1]]


def test_a_note_for_an_unknown_section_is_refused(after, declared):
    with pytest.raises(DomainError, match="`luck` is not a postmortem section"):
        after.note(PostmortemNote("luck", "we were lucky"), channel=declared.channel_id, by=BOB)


def test_only_the_captain_or_an_admin_may_publish_the_postmortem(after, declared, engine):
    after.draft_postmortem(channel=declared.channel_id, by=BOB)
    with pytest.raises(NotAllowed, match="may publish the postmortem"):
        after.publish_postmortem(incident_id=declared.id, by=BOB)
    assert stored(engine, declared.id)[4][0].published_at is None


def test_publishing_records_the_exact_drafted_text_and_its_fingerprint_on_the_timeline(after, declared, engine,
                                                                                        outbound, clock):
    drafted, _ = after.draft_postmortem(channel=declared.channel_id, by=BOB)
    clock.advance(HOUR)
    published, _ = after.publish_postmortem(incident_id=declared.id, by=ALICE)
    _, timeline, _, _, [kept] = stored(engine, declared.id)
    shown_text = outbound.postmortems_shown[-1][2]
    assert kept.text == drafted.text == shown_text
    assert (kept.published_by, kept.published_at) == (ALICE, START + HOUR)
    fingerprint = hashlib.sha256(shown_text.encode("utf-8")).hexdigest()
    assert (timeline[-1].at, timeline[-1].author, timeline[-1].kind, timeline[-1].text) == (
        START + HOUR, ALICE, "postmortem", f"Postmortem version 1 published (sha256 {fingerprint})")
    assert published.fingerprint == fingerprint


def test_publishing_an_earlier_version_by_number_publishes_that_text(after, declared, engine):
    first, _ = after.draft_postmortem(channel=declared.channel_id, by=ALICE)
    after.note(PostmortemNote("lucky", "nobody bought one"), channel=declared.channel_id, by=BOB)
    after.draft_postmortem(channel=declared.channel_id, by=ALICE)
    published, _ = after.publish_postmortem(incident_id=declared.id, by=ALICE, version=1)
    assert (published.version, published.text) == (1, first.text)
    assert [v.published_by for v in stored(engine, declared.id)[4]] == [ALICE, None]


def test_there_is_nothing_to_publish_before_a_draft(after, declared):
    with pytest.raises(DomainError, match="There is no draft to publish"):
        after.publish_postmortem(incident_id=declared.id, by=ALICE)


# --- the lock and closing -----------------------------------------------------------------------------------

def test_closing_an_unlocked_incident_is_refused_with_what_is_missing(after, service, declared, engine):
    resolve(service, declared)
    after.add_action(AddAction("Add an eval"), channel=declared.channel_id, by=ALICE)  # no owner, no due date
    with pytest.raises(NotLocked) as refused:
        after.close(Close(), channel=declared.channel_id, by=ALICE)
    [action] = stored(engine, declared.id)[2]
    unowned = f"an owner and a due date for every open action (#{action.id}: `/incident actions` to set them)"
    assert refused.value.missing == [POSTMORTEM_MISSING, FIXTURE_MISSING, unowned]
    assert after.lock_status(channel=declared.channel_id)[1] == refused.value.missing
    assert stored(engine, declared.id)[0].status is Status.RESOLVED


def test_a_locked_incident_closes_for_its_captain(after, service, declared, engine, clock):
    resolve(service, declared)
    owned_action(after, declared)
    lock(after, declared)
    assert after.lock_status(channel=declared.channel_id)[1] == []
    clock.advance(DAY)
    after.close(Close(), channel=declared.channel_id, by=ALICE)
    incident, timeline, *_ = stored(engine, declared.id)
    assert (incident.status, incident.closed_at, incident.lock_waiver) == (Status.CLOSED, START + DAY, "")
    assert (timeline[-1].kind, timeline[-1].text) == ("status",
                                                      "Closed: locked by postmortem, fixture and owned actions")


def test_a_fixture_counts_towards_the_lock_like_a_reason_for_having_none(after, service, declared):
    resolve(service, declared)
    after.add_fixture(incident_id=declared.id, by=ALICE, user_input="Which phone?", bad_output="Rival", target="Acme")
    assert after.lock_status(channel=declared.channel_id)[1] == [POSTMORTEM_MISSING]


def test_closing_with_a_waiver_needs_an_admin_not_just_the_captain(make_after, make_service, declared, engine):
    after = make_after(admins=(DANA,))
    resolve(make_service(), declared)
    with pytest.raises(NotAllowed, match="may close the incident without the lock"):
        after.close(Close("the feature was removed"), channel=declared.channel_id, by=ALICE)
    assert stored(engine, declared.id)[0].status is Status.RESOLVED
    after.close(Close("the feature was removed"), channel=declared.channel_id, by=DANA)
    incident, timeline, *_ = stored(engine, declared.id)
    assert (incident.status, incident.lock_waiver) == (Status.CLOSED, "the feature was removed")
    assert (timeline[-1].author, timeline[-1].text) == (DANA, "Closed; lock waived: the feature was removed")


def test_closing_an_incident_that_is_not_resolved_is_refused(after, declared):
    with pytest.raises(InvalidChange, match="resolve it first"):
        after.close(Close(), channel=declared.channel_id, by=ALICE)


def test_unlocked_lists_resolved_incidents_waiting_for_their_lock_oldest_resolution_first(
        after, service, declared, clock):
    later = service.declare(title="Bot leaks a discount code", by=ALICE).incident
    service.declare(title="Still burning", by=ALICE)
    resolve(service, later)
    clock.advance(HOUR)
    resolve(service, declared)
    assert [(i.id, missing) for i, missing in after.unlocked()] == [
        (later.id, [POSTMORTEM_MISSING, FIXTURE_MISSING]), (declared.id, [POSTMORTEM_MISSING, FIXTURE_MISSING])]


def test_a_closed_incident_is_no_longer_listed_as_unlocked(make_after, make_service, declared):
    after = make_after(admins=(DANA,))
    resolve(make_service(), declared)
    after.close(Close("the feature was removed"), channel=declared.channel_id, by=DANA)
    assert after.unlocked() == []


def test_a_locked_incident_waiting_to_be_closed_is_not_listed_as_unlocked(after, service, declared):
    resolve(service, declared)
    lock(after, declared)
    assert after.unlocked() == []


# --- reminders ---------------------------------------------------------------------------------------------------

def reminders(outbound) -> list[tuple[int, str, str, object]]:
    return [(incident_id, post.kind, post.channel, post.effect) for incident_id, post in outbound.owed]


def test_an_action_two_days_overdue_owes_one_direct_message_to_its_owner(after, declared, outbound, clock, engine):
    action = owned_action(after, declared, owner=BOB, due=TODAY)
    outbound.owed.clear()
    clock.set(START + 2 * DAY)
    assert after.remind() == 1
    [(incident_id, post)] = outbound.owed
    assert (incident_id, post.kind, post.channel, post.due_at) == (declared.id, "follow-up", BOB, START + 2 * DAY)
    assert isinstance(post.effect, FollowUpReminder)
    assert (post.effect.action.id, post.effect.incident.id, post.effect.days) == (action.id, declared.id, 2)
    assert len(outbound.delivered) == 1
    assert stored(engine, declared.id)[2][0].reminded_at == START + 2 * DAY


def test_an_action_is_not_reminded_on_its_due_day(after, declared, outbound, clock):
    owned_action(after, declared, due=TODAY)
    outbound.owed.clear()
    clock.set(midnight(TODAY + DAY) - US)
    assert after.remind() == 0 and outbound.owed == []
    clock.set(midnight(TODAY + DAY))
    assert after.remind() == 1


def test_an_overdue_action_is_reminded_once_a_day_not_on_every_round(after, declared, outbound, clock):
    owned_action(after, declared, due=TODAY)
    outbound.owed.clear()
    reminded = clock.set(START + 2 * DAY)
    after.remind()
    for later in (reminded + US, reminded + 8 * HOUR, reminded + DAY - US):
        clock.set(later)
        assert after.remind() == 0
    assert len(outbound.owed) == 1
    clock.set(reminded + DAY)
    assert after.remind() == 1
    assert [(kind, channel, effect.days) for _, kind, channel, effect in reminders(outbound)] == [
        ("follow-up", BOB, 2), ("follow-up", BOB, 3)]


def test_a_done_action_is_not_reminded(after, declared, outbound, clock):
    action = owned_action(after, declared, due=TODAY)
    after.complete(action_id=action.id, by=BOB)
    outbound.owed.clear()
    clock.set(START + 5 * DAY)
    assert after.remind() == 0 and outbound.owed == []


def test_moving_the_due_date_starts_the_reminders_over(after, declared, outbound, clock):
    action = owned_action(after, declared, due=TODAY)
    clock.set(START + 2 * DAY)  # Wednesday 09:00: reminded
    after.remind()
    after.move_due(action_id=action.id, by=BOB, due=TODAY + 2 * DAY)  # due Wednesday
    outbound.owed.clear()
    clock.set(midnight(TODAY + 3 * DAY))  # Thursday 00:00, fifteen hours after the last reminder
    assert after.remind() == 1
    [(_, kind, channel, effect)] = reminders(outbound)
    assert (kind, channel, effect.days, effect.action.due) == ("follow-up", BOB, 1, TODAY + 2 * DAY)


def test_a_closed_incidents_overdue_action_is_still_reminded(make_after, make_service, declared, outbound, clock,
                                                             engine):
    after = make_after(admins=(DANA,))
    owned_action(after, declared, owner=CAROL, due=TODAY + DAY)
    resolve(make_service(), declared)
    after.close(Close("the feature was removed"), channel=declared.channel_id, by=DANA)
    assert stored(engine, declared.id)[0].status is Status.CLOSED
    outbound.owed.clear()
    clock.set(START + 3 * DAY)
    assert after.remind() == 1
    assert [(i, kind, channel, effect.days) for i, kind, channel, effect in reminders(outbound)] == [
        (declared.id, "follow-up", CAROL, 2)]


def test_an_unlocked_resolved_incident_is_nudged_a_day_after_it_was_resolved_and_then_once_a_day(
        after, service, declared, outbound, clock, engine):
    resolved_at = clock.advance(HOUR)
    resolve(service, declared)
    outbound.owed.clear()
    clock.set(resolved_at + DAY - US)
    assert after.remind() == 0 and outbound.owed == []
    clock.set(resolved_at + DAY)
    assert after.remind() == 1
    [(incident_id, kind, channel, effect)] = reminders(outbound)
    assert (incident_id, kind, channel) == (declared.id, "lock-nudge", declared.channel_id)
    assert isinstance(effect, LockNudge)
    assert (effect.incident.id, effect.missing) == (declared.id, (POSTMORTEM_MISSING, FIXTURE_MISSING))
    assert stored(engine, declared.id)[0].lock_nudged_at == resolved_at + DAY
    clock.set(resolved_at + 2 * DAY - US)
    assert after.remind() == 0
    clock.set(resolved_at + 2 * DAY)
    assert after.remind() == 1
    assert [kind for _, kind, _, _ in reminders(outbound)] == ["lock-nudge", "lock-nudge"]


def test_an_incident_closed_while_the_nudges_go_out_stays_closed_and_is_not_nudged(
        make_after, make_service, declared, outbound, clock, engine):
    after = make_after(admins=(DANA,))
    second = make_service().declare(title="Bot leaks a discount code", by=ALICE).incident
    resolve(make_service(), declared)
    resolve(make_service(), second)
    outbound.owed.clear()

    def close_the_second(rows) -> None:
        outbound.on_deliver = None  # once
        after.close(Close("the feature was removed"), channel=second.channel_id, by=DANA)

    outbound.on_deliver = close_the_second  # someone closes it while the first nudge is being sent
    clock.set(START + DAY)
    after.remind()
    assert [incident_id for incident_id, _, _, _ in reminders(outbound)] == [declared.id]
    assert stored(engine, second.id)[0].status is Status.CLOSED


def test_a_locked_resolved_incident_is_not_nudged(after, service, declared, outbound, clock):
    resolve(service, declared)
    lock(after, declared)
    outbound.owed.clear()
    clock.set(START + 3 * DAY)
    assert after.remind() == 0 and outbound.owed == []


def test_the_nudge_names_only_what_is_still_missing(after, service, declared, outbound, clock):
    resolve(service, declared)
    after.no_fixture(NoFixture("the failure needs a live tool call"), channel=declared.channel_id, by=ALICE)
    outbound.owed.clear()
    clock.set(START + DAY)
    after.remind()
    [(_, _, _, effect)] = reminders(outbound)
    assert effect.missing == (POSTMORTEM_MISSING,)


def test_the_next_reminder_is_the_earliest_of_actions_and_nudges(after, service, declared, clock):
    assert after.next_reminder() is None
    owned_action(after, declared, due=TODAY + 3 * DAY)
    assert after.next_reminder() == midnight(TODAY + 4 * DAY)
    resolved_at = clock.advance(HOUR)
    resolve(service, declared)
    assert after.next_reminder() == resolved_at + DAY
    clock.set(resolved_at + DAY)
    after.remind()  # nudged now: the next nudge is a day later, still before the action falls due
    assert after.next_reminder() == resolved_at + 2 * DAY
    lock(after, declared)  # no more nudges: only the action is left
    assert after.next_reminder() == midnight(TODAY + 4 * DAY)


def test_the_next_reminder_after_a_reminder_is_a_day_later(after, declared, clock):
    owned_action(after, declared, due=TODAY)
    reminded = clock.set(START + 2 * DAY)
    after.remind()
    assert after.next_reminder() == reminded + DAY


def test_no_reminder_is_next_when_every_action_is_done_and_the_incident_is_locked(after, service, declared):
    action = owned_action(after, declared)
    after.complete(action_id=action.id, by=BOB)
    resolve(service, declared)
    lock(after, declared)
    assert after.next_reminder() is None


def test_at_the_next_reminder_there_is_something_to_remind(after, service, declared, clock):
    owned_action(after, declared, due=TODAY + DAY)
    resolve(service, declared)
    for _ in range(4):
        moment = after.next_reminder()
        clock.set(moment - US)
        assert after.remind() == 0
        clock.set(moment)
        assert after.remind() >= 1
