"""Convert every incident into a lock: follow-up actions, eval fixtures, the postmortem, and closing.

Follow-ups outlive the war room: overdue ones are reminded to their owner at most once a day, closed
incidents too; a resolved incident that is not locked yet nudges its captain once a day. A drafted postmortem
is followed in the war room by the chart of each signal the incident watched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from firehouse.commands.afteraction import AddAction, Close, NoFixture, PostmortemNote
from firehouse.comms.postmortem import RenderedPostmortem, render_postmortem
from firehouse.comms.templates import TemplateCatalogue
from firehouse.domain.afteraction import (
    NOTE_SECTIONS,
    REMIND_EVERY,
    Fixture,
    FollowUp,
    PostmortemVersion,
    missing_for_lock,
)
from firehouse.domain.classes import Catalog
from firehouse.domain.events import FIREHOUSE, Event
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.permissions import Action
from firehouse.domain.signals import Reading
from firehouse.errors import DomainError, InvalidChange, echo
from firehouse.store import UnitOfWork
from firehouse.usecases.effects import FollowUpReminder, LockNudge
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.pipeline import Decision, Outcome, Target, action_no, by_id, change, postmortem, rule, war_room
from firehouse.usecases.ports import Post
from firehouse.usecases.signals import Signals

log = logging.getLogger(__name__)

NOTE_KIND = "pm-note"  # the timeline kind of a postmortem note: `<section>: <text>`


@dataclass(frozen=True)
class FixtureDraft:
    """What the fixture form starts from: the latest snapshot's evidence."""

    incident_id: int
    snapshot_id: int | None
    system_prompt: str
    input: str
    bad_output: str
    expected: str


class AfterAction:
    """Actions, fixtures, the postmortem and the lock of an incident."""

    def __init__(self, *, service: IncidentService, templates: TemplateCatalogue,
                 signals: Signals | None = None) -> None:
        self.service = service
        self.ctx = service.context
        self.templates = templates
        self.settings = service.settings
        self.signals = signals  # reads the watched signals for the charts under a drafted postmortem

    # --- follow-up actions -------------------------------------------------------------------------

    def add_action(self, command: AddAction, *, channel: str, by: str) -> tuple[FollowUp, Outcome]:
        text, kind, owner, due = command.text, command.kind, command.owner, command.due
        if owner:
            self.ctx.require_person(owner)

        def decide(uow: UnitOfWork, target: Target[None]) -> Decision[FollowUp]:
            action, event = FollowUp.add(text, incident_id=target.incident.id, kind=kind, by=by, at=self.ctx.clock(),
                                         owner=owner, due=due)
            uow.afteraction.add_action(action)
            return Decision([event], made=action)

        outcome = change(self.ctx, war_room(channel), by=by, needs=Action.FOLLOW_UP, decide=decide)
        return outcome.made, outcome

    def actions(self, *, channel: str) -> tuple[Incident, list[FollowUp]]:
        with self.ctx.unit_of_work() as uow:
            incident = war_room(channel)(uow).incident
            return incident, uow.afteraction.actions(incident.id)

    def action(self, action_id: int) -> FollowUp:
        return self.ctx.read(action_no(action_id)).record

    def complete(self, *, action_id: int, by: str) -> FollowUp:
        return self._change(action_id, by, lambda action, at: action.complete(by=by, at=at), owner_may=True)

    def reassign(self, *, action_id: int, by: str, owner: str) -> FollowUp:
        self.ctx.require_person(owner)
        return self._change(action_id, by, lambda action, at: action.reassign(owner, by=by, at=at))

    def change_action(self, *, action_id: int, by: str, owner: str | None, due: date | None) -> FollowUp | None:
        """The action form: a new owner (if it is one) and a due date; None when nothing changed."""
        changed = None
        if owner and self.action(action_id).owner != owner:
            changed = self.reassign(action_id=action_id, by=by, owner=owner)
        if due:
            changed = self.move_due(action_id=action_id, by=by, due=due)
        return changed

    def move_due(self, *, action_id: int, by: str, due: date) -> FollowUp:
        return self._change(action_id, by, lambda action, at: action.move_due(due, by=by, at=at), owner_may=True)

    def _change(self, action_id: int, by: str, act: Callable[[FollowUp, datetime], Event], *,
                owner_may: bool = False) -> FollowUp:
        """Change an action; its owner may always mark it done or move its date."""
        def decide(uow: UnitOfWork, target: Target[FollowUp]) -> Decision[FollowUp]:
            event = act(target.record, self.ctx.clock())
            uow.afteraction.save_action(target.record)
            return Decision([event], made=target.record)

        return change(self.ctx, action_no(action_id), by=by, decide=decide, needs=lambda target: (
            None if owner_may and target.record.owner == by else Action.FOLLOW_UP)).made

    # --- eval fixtures ------------------------------------------------------------------------------

    def fixture_draft(self, *, channel: str) -> FixtureDraft:
        """The fixture form's starting point, from the latest snapshot (superseded ones are skipped)."""
        with self.ctx.unit_of_work() as uow:
            incident = war_room(channel)(uow).incident
            snapshots = uow.evidence.snapshots(incident.id)
        superseded = {s.supersedes for s in snapshots}
        latest = next((s for s in reversed(snapshots) if s.id not in superseded), None)
        fields = latest.fields if latest else {}
        return FixtureDraft(incident.id, latest.id if latest else None, fields.get("system_prompt", ""),
                            fields.get("input", ""), fields.get("output", ""), fields.get("expected", ""))

    def add_fixture(self, *, incident_id: int, by: str, user_input: str, bad_output: str, system_prompt: str = "",
                    target: str = "", rubric: str = "", forbidden: Sequence[str] = (), tags: Sequence[str] = (),
                    snapshot_id: int | None = None) -> tuple[Fixture, Outcome]:
        """Store an eval fixture with what the release gate needs to know about where it came from."""
        def decide(uow: UnitOfWork, found: Target[None]) -> Decision[Fixture]:
            incident = found.incident
            snapshot = next((s for s in uow.evidence.snapshots(incident.id) if s.id == snapshot_id), None)
            messages = [{"role": "system", "content": system_prompt}] if system_prompt.strip() else []
            messages.append({"role": "user", "content": user_input})
            evidence = snapshot.fields if snapshot else {}
            metadata = {"incident": str(incident.id), "class": incident.class_id, "cause": incident.cause or "",
                        "model": evidence.get("model_version") or evidence.get("model", ""),
                        "prompt_version": evidence.get("prompt_version", ""), "severity": incident.severity.label}
            fixture = Fixture.write(incident_id=incident.id, input=messages, bad_output=bad_output, by=by,
                                    at=self.ctx.clock(), target=target, rubric=rubric, forbidden=forbidden,
                                    tags=tags, snapshot_id=snapshot.id if snapshot else None,
                                    metadata={k: v for k, v in metadata.items() if v})
            uow.afteraction.add_fixture(fixture)
            return Decision([fixture.event()], made=fixture)

        outcome = change(self.ctx, by_id(incident_id), by=by, needs=Action.FIXTURE, decide=decide)
        return outcome.made, outcome

    def no_fixture(self, command: NoFixture, *, channel: str, by: str) -> Outcome:
        """Record why this failure cannot be an eval fixture; it then counts towards the lock."""
        return change(self.ctx, war_room(channel), by=by, needs=Action.FIXTURE,
                      decide=rule(lambda incident: incident.explain_no_fixture(command.reason, by=by,
                                                                                                             at=self.ctx.clock())))

    # --- the postmortem -----------------------------------------------------------------------------

    def note(self, command: PostmortemNote, *, channel: str, by: str) -> Outcome:
        """Add to a section the postmortem cannot draw from the record (contributing factors, luck, …)."""
        section, text = command.section, command.text
        if section not in NOTE_SECTIONS:
            raise DomainError(f"`{echo(section, 20)}` is not a postmortem section: use one of {', '.join(NOTE_SECTIONS)}.")
        if not text.strip():
            raise InvalidChange("The note is empty; say what belongs in that section.")
        return change(self.ctx, war_room(channel), by=by, needs=Action.POSTMORTEM,
                      decide=rule(lambda incident: incident.log(
                                  text=f"{section}: {text}", by=by, at=self.ctx.clock(), kind=NOTE_KIND)))

    def draft_postmortem(self, *, channel: str, by: str) -> tuple[PostmortemVersion, list[str]]:
        """Render the postmortem from the record, keep the text as a version (the same text keeps its version),
        and post it in the war room as a file with a Publish button for exactly that version, then the chart of
        each signal the incident watched. Returns the version and what could not be shown."""
        incident = self.service.incident_in(channel)
        self.ctx.permissions.require(incident, Action.POSTMORTEM, by)
        rendered = self.render_postmortem(incident.id)

        def decide(uow: UnitOfWork, target: Target[None]) -> Decision[PostmortemVersion]:
            versions = uow.afteraction.postmortems(incident.id)
            if versions and versions[-1].text == rendered.text:
                return Decision([], made=versions[-1])
            return Decision([], made=uow.afteraction.add_postmortem(PostmortemVersion(
                incident_id=incident.id, version=len(versions) + 1, text=rendered.text, drafted_by=by,
                drafted_at=self.ctx.clock())))

        version = change(self.ctx, war_room(channel), by=by, needs=None, decide=decide).made
        problems = self.ctx.outbound.show_postmortem(incident, rendered, version=version, by=by)
        return version, problems + self._charts(incident, version=version)

    def _charts(self, incident: Incident, *, version: PostmortemVersion) -> list[str]:
        """The chart of each signal the incident watched (stopped ones too), under the draft. A signal that cannot
        be read is said among the problems and never stops the draft, which is already shown."""
        if self.signals is None:
            return []
        problems = []
        for reading in self.signals.tick(incident, active=False).readings.values():
            if not isinstance(reading, Reading):
                log.warning("postmortem chart of incident %s: %s", incident.id, reading.describe())
                problems.append(f"No chart of {echo(reading.describe(), 200)}")
                continue
            headline = reading.now(self.settings.watch.window).headline()
            problems += self.signals.show_chart(incident, reading,
                                                comment=f"For postmortem version {version.version}: {headline}")
        return problems

    def render_postmortem(self, incident_id: int) -> RenderedPostmortem:
        """The postmortem as the record gives it now (also what `firehouse export postmortem --draft` writes)."""
        with self.ctx.unit_of_work() as uow:
            return postmortem_of(uow, by_id(incident_id)(uow).incident, templates=self.templates,
                                 catalog=self.settings.catalog, now=self.ctx.clock())

    def publish_postmortem(self, *, incident_id: int, by: str, version: int | None = None
                           ) -> tuple[PostmortemVersion, Outcome]:
        """Publish a drafted version (the latest unless one is named): its exact text becomes the record."""
        def decide(uow: UnitOfWork, target: Target[PostmortemVersion | None]) -> Decision[PostmortemVersion]:
            chosen = target.record
            if chosen is None:
                raise DomainError("There is no draft to publish: draft it with `/incident postmortem` first.")
            event = chosen.publish(by=by, at=self.ctx.clock())
            uow.afteraction.save_postmortem(chosen)
            return Decision([event], made=chosen)

        outcome = change(self.ctx, postmortem(incident_id, version), by=by, needs=Action.PUBLISH_POSTMORTEM,
                         decide=decide)
        return outcome.made, outcome

    # --- the lock ---------------------------------------------------------------------------------------

    def missing(self, uow: UnitOfWork, incident: Incident) -> list[str]:
        return missing_for_lock(published=any(v.published_at for v in uow.afteraction.postmortems(incident.id)),
                                fixtures=len(uow.afteraction.fixtures(incident.id)),
                                no_fixture_reason=incident.no_fixture_reason,
                                actions=uow.afteraction.actions(incident.id))

    def lock_status(self, *, channel: str) -> tuple[Incident, list[str]]:
        with self.ctx.unit_of_work() as uow:
            incident = war_room(channel)(uow).incident
            return incident, self.missing(uow, incident)

    def close(self, command: Close, *, channel: str, by: str) -> Outcome:
        """Close a resolved incident when it is locked; a waiver (admins) closes it anyway, on the record."""
        waiver = command.waiver
        def decide(uow: UnitOfWork, target: Target[None]) -> Event:
            return target.incident.close(by=by, at=self.ctx.clock(), missing=self.missing(uow, target.incident),
                                         waiver=waiver)

        return change(self.ctx, war_room(channel), by=by, decide=decide,
                      needs=(Action.CLOSE, Action.WAIVE_LOCK) if waiver else Action.CLOSE)

    def unlocked(self) -> list[tuple[Incident, list[str]]]:
        """Resolved incidents still waiting for their lock, oldest first, with what each lacks."""
        with self.ctx.unit_of_work() as uow:
            found = [(incident, self.missing(uow, incident)) for incident in uow.incidents.resolved_unlocked()
                     if not incident.drill]  # a drill resolved for practice is closed when it ends
        return [(incident, missing) for incident, missing in found if missing]

    # --- reminders, run by the scheduler -------------------------------------------------------------

    def remind(self) -> int:
        """Remind owners of overdue actions (once a day each) and captains of unlocked incidents (once a day);
        returns how many posts that owed. Derived from the store, so a restart neither loses nor repeats one."""
        now = self.ctx.clock()
        with self.ctx.unit_of_work() as uow:
            overdue = [a.id for a in uow.afteraction.open_actions() if a.reminder_due(now)]
        quiet = dict(by=FIREHOUSE, needs=None, publish=False, tell=False)  # reminders change nothing to follow
        owed = [change(self.ctx, action_no(action_id), **quiet,
                       decide=lambda uow, target: self._remind_owner(uow, target, now)) for action_id in overdue]
        owed += [change(self.ctx, by_id(stale.id), **quiet,
                        decide=lambda uow, target: self._nudge_captain(uow, target, now))
                 for stale, _ in self.unlocked() if now - _last_nudge(stale, now) >= REMIND_EVERY]
        return sum(outcome.made for outcome in owed)

    @staticmethod
    def _remind_owner(uow: UnitOfWork, target: Target[FollowUp], now: datetime) -> Decision[int]:
        """Remind the owner of an overdue action, unless that was done meanwhile."""
        action, incident = target.record, target.incident
        if not action.reminder_due(now):
            return Decision([], made=0)
        action.reminded(now)
        uow.afteraction.save_action(action)
        return Decision([], [Post("follow-up", action.owner or incident.captain,
                                  FollowUpReminder(action, incident, days=(now.date() - action.due).days), now)],
                        made=1)

    def _nudge_captain(self, uow: UnitOfWork, target: Target[None], now: datetime) -> Decision[int]:
        """Nudge the captain of a resolved incident still not locked, as it is now (it may have been closed)."""
        incident = target.incident
        missing = self.missing(uow, incident) if incident.status is Status.RESOLVED else []
        if not missing or now - _last_nudge(incident, now) < REMIND_EVERY:
            return Decision([], made=0)
        incident.lock_nudged_at = now
        return Decision([], [Post("lock-nudge", incident.channel_id, LockNudge(incident, tuple(missing)), now)], made=1)

    def next_reminder(self) -> datetime | None:
        """When `remind` next has something to do."""
        now = self.ctx.clock()
        with self.ctx.unit_of_work() as uow:
            moments = [a.next_reminder(now) for a in uow.afteraction.open_actions()]
        moments += [(i.lock_nudged_at or i.resolved_at) + REMIND_EVERY for i, missing in self.unlocked()
                    if missing and (i.lock_nudged_at or i.resolved_at)]
        return min((m for m in moments if m), default=None)


def _last_nudge(incident: Incident, now: datetime) -> datetime:
    """When the captain was last nudged to lock the incident, or it was resolved (`now` when neither is known)."""
    return incident.lock_nudged_at or incident.resolved_at or now


def postmortem_of(uow: UnitOfWork, incident: Incident, *, templates: TemplateCatalogue, catalog: Catalog,
                  now: datetime) -> RenderedPostmortem:
    """Render the postmortem from everything the store holds about the incident."""
    timeline = uow.incidents.timeline(incident.id)
    notes: dict[str, list[str]] = {}
    for entry in timeline:
        if entry.kind == NOTE_KIND:
            section, _, text = entry.text.partition(": ")
            notes.setdefault(section, []).append(text)
    # The postmortem's own notes and versions belong in their sections, not in the story of the incident.
    story = [e for e in timeline if e.kind not in (NOTE_KIND, "postmortem")]
    return render_postmortem(incident, templates=templates, catalog=catalog, now=now, notes=notes, timeline=story,
                             snapshots=uow.evidence.snapshots(incident.id),
                             firebreaks=uow.evidence.firebreaks(incident.id), notices=uow.notices.of(incident.id),
                             actions=uow.afteraction.actions(incident.id),
                             fixtures=uow.afteraction.fixtures(incident.id),
                             watches=uow.signals.watches(incident.id, active=False),
                             verifications=uow.signals.verifications(incident.id))
