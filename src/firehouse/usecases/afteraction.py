"""Convert every incident into a lock: follow-up actions, eval fixtures, the postmortem, and closing.

Follow-ups outlive the war room: overdue ones are reminded to their owner at most once a day, closed
incidents too; a resolved incident that is not locked yet nudges its captain once a day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from firehouse.comms.postmortem import RenderedPostmortem, render_postmortem
from firehouse.comms.templates import TemplateCatalogue
from firehouse.domain.classes import Catalog
from firehouse.domain.afteraction import (
    NOTE_SECTIONS,
    REMIND_EVERY,
    Fixture,
    FollowUp,
    PostmortemVersion,
    missing_for_lock,
)
from firehouse.domain.events import Event
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.errors import DomainError, InvalidChange, echo
from firehouse.store import UnitOfWork
from firehouse.usecases.effects import FollowUpReminder, LockNudge
from firehouse.usecases.incidents import IncidentService, Outcome, in_war_room
from firehouse.usecases.ports import Post

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

    def __init__(self, *, service: IncidentService, templates: TemplateCatalogue) -> None:
        self.service = service
        self.templates = templates
        self.settings = service.settings

    # --- follow-up actions -------------------------------------------------------------------------

    def add_action(self, *, channel: str, by: str, text: str, kind: str = "prevent", owner: str | None = None,
                   due: date | None = None) -> tuple[FollowUp, Outcome]:
        if owner:
            self.service.require_person(owner)
        with self.service.unit_of_work() as uow:
            incident = in_war_room(uow, channel)
            self.service.require(incident, "follow_up", by)
            action, event = FollowUp.add(text, incident_id=incident.id, kind=kind, by=by, at=self.service.clock(),
                                         owner=owner, due=due)
            uow.afteraction.add_action(action)
            uow.incidents.record(incident, [event])
            uow.commit()
        return action, self._published(incident, [event])

    def actions(self, *, channel: str) -> tuple[Incident, list[FollowUp]]:
        with self.service.unit_of_work() as uow:
            incident = in_war_room(uow, channel)
            return incident, uow.afteraction.actions(incident.id)

    def complete(self, *, action_id: int, by: str) -> FollowUp:
        return self._change(action_id, by, lambda action, at: action.complete(by=by, at=at), owner_may=True)

    def reassign(self, *, action_id: int, by: str, owner: str) -> FollowUp:
        self.service.require_person(owner)
        return self._change(action_id, by, lambda action, at: action.reassign(owner, by=by, at=at))

    def move_due(self, *, action_id: int, by: str, due: date) -> FollowUp:
        return self._change(action_id, by, lambda action, at: action.move_due(due, by=by, at=at), owner_may=True)

    def _change(self, action_id: int, by: str, change, *, owner_may: bool = False) -> FollowUp:
        """Change an action; its owner may always mark it done or move its date."""
        with self.service.unit_of_work() as uow:
            action = uow.afteraction.action(action_id)
            if action is None:
                raise DomainError(f"Action #{action_id} does not exist.")
            incident = uow.incidents.get(action.incident_id)
            if not (owner_may and action.owner == by):
                self.service.require(incident, "follow_up", by)
            event = change(action, self.service.clock())
            uow.afteraction.save_action(action)
            uow.incidents.record(incident, [event])
            uow.commit()
        self._published(incident, [event])
        return action

    # --- eval fixtures ------------------------------------------------------------------------------

    def fixture_draft(self, *, channel: str) -> FixtureDraft:
        """The fixture form's starting point, from the latest snapshot (superseded ones are skipped)."""
        with self.service.unit_of_work() as uow:
            incident = in_war_room(uow, channel)
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
        with self.service.unit_of_work() as uow:
            incident = uow.incidents.get(incident_id)
            if incident is None:
                raise DomainError(f"Incident #{incident_id} does not exist.")
            self.service.require(incident, "fixture", by)
            snapshot = next((s for s in uow.evidence.snapshots(incident.id) if s.id == snapshot_id), None)
            messages = [{"role": "system", "content": system_prompt}] if system_prompt.strip() else []
            messages.append({"role": "user", "content": user_input})
            evidence = snapshot.fields if snapshot else {}
            metadata = {"incident": str(incident.id), "class": incident.class_id, "cause": incident.cause or "",
                        "model": evidence.get("model_version") or evidence.get("model", ""),
                        "prompt_version": evidence.get("prompt_version", ""), "severity": incident.severity.label}
            fixture = Fixture.write(incident_id=incident.id, input=messages, bad_output=bad_output, by=by,
                                    at=self.service.clock(), target=target, rubric=rubric, forbidden=forbidden,
                                    tags=tags, snapshot_id=snapshot.id if snapshot else None,
                                    metadata={k: v for k, v in metadata.items() if v})
            uow.afteraction.add_fixture(fixture)
            event = fixture.event()
            uow.incidents.record(incident, [event])
            uow.commit()
        return fixture, self._published(incident, [event])

    def no_fixture(self, *, channel: str, by: str, reason: str) -> Outcome:
        """Record why this failure cannot be an eval fixture; it then counts towards the lock."""
        return self.service.change(channel, by, needs="fixture",
                                   decide=lambda incident: incident.explain_no_fixture(reason, by=by,
                                                                                       at=self.service.clock()))

    # --- the postmortem -----------------------------------------------------------------------------

    def note(self, *, channel: str, by: str, section: str, text: str) -> Outcome:
        """Add to a section the postmortem cannot draw from the record (contributing factors, luck, …)."""
        if section not in NOTE_SECTIONS:
            raise DomainError(f"`{echo(section, 20)}` is not a postmortem section: use one of {', '.join(NOTE_SECTIONS)}.")
        if not text.strip():
            raise InvalidChange("The note is empty; say what belongs in that section.")
        return self.service.change(channel, by, needs="postmortem", decide=lambda incident: incident.log(
            text=f"{section}: {text}", by=by, at=self.service.clock(), kind=NOTE_KIND))

    def draft_postmortem(self, *, channel: str, by: str) -> tuple[PostmortemVersion, list[str]]:
        """Render the postmortem from the record, keep the text as a version (the same text keeps its version),
        and post it in the war room as a file with a Publish button for exactly that version."""
        incident = self.service.incident_in(channel)
        self.service.require(incident, "postmortem", by)
        rendered = self.render_postmortem(incident.id)
        with self.service.unit_of_work() as uow:
            versions = uow.afteraction.postmortems(incident.id)
            if versions and versions[-1].text == rendered.text:
                version = versions[-1]
            else:
                version = uow.afteraction.add_postmortem(PostmortemVersion(
                    incident_id=incident.id, version=len(versions) + 1, text=rendered.text, drafted_by=by,
                    drafted_at=self.service.clock()))
                uow.commit()
        return version, self.service.outbound.show_postmortem(incident, rendered, version=version, by=by)

    def render_postmortem(self, incident_id: int) -> RenderedPostmortem:
        """The postmortem as the record gives it now (also what `firehouse export postmortem --draft` writes)."""
        with self.service.unit_of_work() as uow:
            incident = uow.incidents.get(incident_id)
            if incident is None:
                raise DomainError(f"Incident #{incident_id} does not exist.")
            return postmortem_of(uow, incident, templates=self.templates, catalog=self.settings.catalog,
                                 now=self.service.clock())

    def publish_postmortem(self, *, incident_id: int, by: str, version: int | None = None
                           ) -> tuple[PostmortemVersion, Outcome]:
        """Publish a drafted version (the latest unless one is named): its exact text becomes the record."""
        with self.service.unit_of_work() as uow:
            incident = uow.incidents.get(incident_id)
            if incident is None:
                raise DomainError(f"Incident #{incident_id} does not exist.")
            self.service.require(incident, "publish_postmortem", by)
            versions = uow.afteraction.postmortems(incident.id)
            chosen = next((v for v in versions if v.version == version), None) if version else (
                versions[-1] if versions else None)
            if chosen is None:
                raise DomainError("There is no draft to publish: draft it with `/incident postmortem` first.")
            event = chosen.publish(by=by, at=self.service.clock())
            uow.afteraction.save_postmortem(chosen)
            uow.incidents.record(incident, [event])
            uow.commit()
        return chosen, self._published(incident, [event])

    # --- the lock ---------------------------------------------------------------------------------------

    def missing(self, uow: UnitOfWork, incident: Incident) -> list[str]:
        return missing_for_lock(published=any(v.published_at for v in uow.afteraction.postmortems(incident.id)),
                                fixtures=len(uow.afteraction.fixtures(incident.id)),
                                no_fixture_reason=incident.no_fixture_reason,
                                actions=uow.afteraction.actions(incident.id))

    def lock_status(self, *, channel: str) -> tuple[Incident, list[str]]:
        with self.service.unit_of_work() as uow:
            incident = in_war_room(uow, channel)
            return incident, self.missing(uow, incident)

    def close(self, *, channel: str, by: str, waiver: str = "") -> Outcome:
        """Close a resolved incident when it is locked; a waiver (admins) closes it anyway, on the record."""
        def decide(incident: Incident) -> Event:
            with self.service.unit_of_work() as uow:
                missing = self.missing(uow, incident)
            return incident.close(by=by, at=self.service.clock(), missing=missing, waiver=waiver)

        return self.service.change(channel, by, needs=("close", "waive_lock") if waiver else "close", decide=decide)

    def unlocked(self) -> list[tuple[Incident, list[str]]]:
        """Resolved incidents still waiting for their lock, oldest first, with what each lacks."""
        with self.service.unit_of_work() as uow:
            found = [(incident, self.missing(uow, incident)) for incident in uow.incidents.resolved_unlocked()
                     if not incident.drill]  # a drill resolved for practice is closed when it ends
        return [(incident, missing) for incident, missing in found if missing]

    # --- reminders, run by the scheduler -------------------------------------------------------------

    def remind(self) -> int:
        """Remind owners of overdue actions (once a day each) and captains of unlocked incidents (once a day);
        returns how many posts that owed. Derived from the store, so a restart neither loses nor repeats one."""
        now = self.service.clock()
        sent = 0
        with self.service.unit_of_work() as uow:
            overdue = [a for a in uow.afteraction.open_actions() if a.reminder_due(now)]
            for action in overdue:
                incident = uow.incidents.get(action.incident_id)
                action.reminded(now)
                uow.afteraction.save_action(action)
                owed = self.service.outbound.owe(uow, incident, [Post(
                    "follow-up", action.owner or incident.captain,
                    FollowUpReminder(action, incident, days=(now.date() - action.due).days), now)])
                uow.commit()
                self.service.outbound.deliver(owed)
                sent += 1
        for stale, _ in self.unlocked():
            with self.service.unit_of_work() as uow:
                incident = uow.incidents.get(stale.id)  # as it is now: it may have been closed meanwhile
                missing = self.missing(uow, incident) if incident.status is Status.RESOLVED else []
                last = incident.lock_nudged_at or incident.resolved_at
                if not missing or last is None or now - last < REMIND_EVERY:
                    continue
                incident.lock_nudged_at = now
                uow.incidents.save(incident, [])
                owed = self.service.outbound.owe(uow, incident, [
                    Post("lock-nudge", incident.channel_id, LockNudge(incident, tuple(missing)), now)])
                uow.commit()
            self.service.outbound.deliver(owed)
            sent += 1
        return sent

    def next_reminder(self) -> datetime | None:
        """When `remind` next has something to do."""
        now = self.service.clock()
        with self.service.unit_of_work() as uow:
            moments = [a.next_reminder(now) for a in uow.afteraction.open_actions()]
        moments += [(i.lock_nudged_at or i.resolved_at) + REMIND_EVERY for i, missing in self.unlocked()
                    if missing and (i.lock_nudged_at or i.resolved_at)]
        return min((m for m in moments if m), default=None)

    # --- helpers ----------------------------------------------------------------------------------------

    def _published(self, incident: Incident, events: list[Event]) -> Outcome:
        self.service.notify_saved(incident)
        return Outcome(incident, events, self.service.outbound.publish(incident, events))


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
                             actions=uow.afteraction.actions(incident.id), fixtures=uow.afteraction.fixtures(incident.id))
