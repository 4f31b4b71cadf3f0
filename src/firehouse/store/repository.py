"""Loads and saves incidents and their timelines, mapping rows to domain objects."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from firehouse.domain.afteraction import ActionState, Fixture, FollowUp, PostmortemVersion
from firehouse.domain.drills import DrillRun, Readiness, Scenario
from firehouse.domain.events import Event, TimelineEntry
from firehouse.domain.firebreaks import Firebreak, State
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.notices import Notice, NoticeStatus
from firehouse.domain.severity import Severity
from firehouse.domain.snapshots import Snapshot
from firehouse.store.tables import (
    DrillRow,
    FirebreakRow,
    FixtureRow,
    FollowUpRow,
    IncidentRow,
    NoticeRow,
    PostmortemRow,
    ProcessedEvent,
    SnapshotRow,
    TimelineEntryRow,
)

OPEN_STATUSES = [s.value for s in Status if s.is_open]


def as_utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class IncidentRepository:
    """Incidents and timelines inside one session; the unit of work commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, incident: Incident, events: Iterable[Event]) -> Incident:
        """Store a new incident with the timeline entries of its events; sets `incident.id`."""
        row = IncidentRow(**_row_fields(incident))
        self._session.add(row)
        self._session.flush()
        incident.id = row.id
        self.record(incident, events)
        return incident

    def save(self, incident: Incident, events: Iterable[Event]) -> None:
        """Write back a changed incident and append its events to the timeline."""
        row = self._session.get(IncidentRow, incident.id)
        for name, value in _row_fields(incident).items():
            if getattr(row, name) != value:  # setting through SQLModel is costly, and most fields stay put
                setattr(row, name, value)
        self.record(incident, events)

    def record(self, incident: Incident, events: Iterable[Event]) -> None:
        """Append the timeline entries of `events`."""
        for event in events:
            entry = event.timeline_entry()
            self._session.add(
                TimelineEntryRow(incident_id=incident.id, at=entry.at, author=entry.author, kind=entry.kind,
                                 text=entry.text)
            )

    def by_channel(self, channel_id: str) -> Incident | None:
        row = self._session.exec(select(IncidentRow).where(IncidentRow.channel_id == channel_id)).first()
        return _to_incident(row) if row else None

    def get(self, incident_id: int) -> Incident | None:
        row = self._session.get(IncidentRow, incident_id)
        return _to_incident(row) if row else None

    def open_incidents(self) -> list[Incident]:
        """Open incidents, most severe first, then oldest first."""
        rows = self._session.exec(
            select(IncidentRow)
            .where(col(IncidentRow.status).in_(OPEN_STATUSES))
            .order_by(col(IncidentRow.severity), col(IncidentRow.declared_at), col(IncidentRow.id))
        )
        return [_to_incident(row) for row in rows]

    def declared_since(self, moment: datetime) -> list[Incident]:
        """Incidents declared since `moment` that are not closed: the ones the scheduler may still owe."""
        rows = self._session.exec(
            select(IncidentRow)
            .where(col(IncidentRow.declared_at) >= moment, IncidentRow.status != Status.CLOSED.value)
            .order_by(col(IncidentRow.id))
        )
        return [_to_incident(row) for row in rows]

    def timeline(self, incident_id: int) -> list[TimelineEntry]:
        """Every entry, oldest first."""
        rows = self._session.exec(
            select(TimelineEntryRow)
            .where(TimelineEntryRow.incident_id == incident_id)
            .order_by(col(TimelineEntryRow.at), col(TimelineEntryRow.id))
        )
        return [TimelineEntry(as_utc(r.at), r.author, r.kind, r.text) for r in rows]

    def add_notice(self, notice: Notice) -> Notice:
        row = NoticeRow(**_notice_fields(notice))
        self._session.add(row)
        self._session.flush()
        notice.id = row.id
        return notice

    def save_notice(self, notice: Notice) -> None:
        row = self._session.get(NoticeRow, notice.id)
        for name, value in _notice_fields(notice).items():
            setattr(row, name, value)

    def notice(self, notice_id: int) -> Notice | None:
        row = self._session.get(NoticeRow, notice_id)
        if row is None:
            return None
        fields = {name: getattr(row, name) for name in _NOTICE_FIELDS}
        for name in ("created_at", "approved_at", "sent_at"):
            fields[name] = as_utc(fields[name]) if fields[name] else None
        return Notice(id=row.id, status=NoticeStatus(row.status), **fields)

    # --- evidence and containment -------------------------------------------------------------------

    def add_snapshot(self, snapshot: Snapshot) -> Snapshot:
        """Store a snapshot; it is never updated afterwards. Sets `snapshot.id`."""
        row = SnapshotRow(**{name: copy.deepcopy(getattr(snapshot, name)) for name in _SNAPSHOT_FIELDS})
        self._session.add(row)
        self._session.flush()
        snapshot.id = row.id
        return snapshot

    def snapshots(self, incident_id: int) -> list[Snapshot]:
        """The incident's snapshots, oldest first."""
        rows = self._session.exec(select(SnapshotRow).where(SnapshotRow.incident_id == incident_id)
                                  .order_by(col(SnapshotRow.id)))
        return [Snapshot(id=r.id, **{**{name: copy.deepcopy(getattr(r, name)) for name in _SNAPSHOT_FIELDS},
                                     "taken_at": as_utc(r.taken_at)}) for r in rows]

    def has_snapshot(self, incident_id: int) -> bool:
        return self._session.exec(select(SnapshotRow.id).where(SnapshotRow.incident_id == incident_id)).first() \
            is not None

    def add_firebreak(self, firebreak: Firebreak) -> Firebreak:
        row = FirebreakRow(**_firebreak_fields(firebreak))
        self._session.add(row)
        self._session.flush()
        firebreak.id = row.id
        return firebreak

    def save_firebreak(self, firebreak: Firebreak) -> None:
        row = self._session.get(FirebreakRow, firebreak.id)
        for name, value in _firebreak_fields(firebreak).items():
            setattr(row, name, value)

    def firebreaks(self, incident_id: int) -> list[Firebreak]:
        """The incident's firebreaks, oldest first."""
        rows = self._session.exec(select(FirebreakRow).where(FirebreakRow.incident_id == incident_id)
                                  .order_by(col(FirebreakRow.id)))
        return [_to_firebreak(r) for r in rows]

    def requested_firebreaks(self) -> list[Firebreak]:
        """Pulls that were requested but never answered: a restart came in between."""
        rows = self._session.exec(select(FirebreakRow).where(FirebreakRow.state == State.REQUESTED.value)
                                  .order_by(col(FirebreakRow.id)))
        return [_to_firebreak(r) for r in rows]

    # --- the after-action lock -----------------------------------------------------------------------

    def add_action(self, action: FollowUp) -> FollowUp:
        row = FollowUpRow(**_action_fields(action))
        self._session.add(row)
        self._session.flush()
        action.id = row.id
        return action

    def save_action(self, action: FollowUp) -> None:
        row = self._session.get(FollowUpRow, action.id)
        for name, value in _action_fields(action).items():
            setattr(row, name, value)

    def action(self, action_id: int) -> FollowUp | None:
        row = self._session.get(FollowUpRow, action_id)
        return _to_action(row) if row else None

    def actions(self, incident_id: int) -> list[FollowUp]:
        rows = self._session.exec(select(FollowUpRow).where(FollowUpRow.incident_id == incident_id)
                                  .order_by(col(FollowUpRow.id)))
        return [_to_action(r) for r in rows]

    def open_actions(self) -> list[FollowUp]:
        """Every open follow-up action of every real incident, closed ones too: follow-ups outlive the war room.
        A drill's are practice, listed in its war room and never reminded."""
        rows = self._session.exec(select(FollowUpRow)
                                  .join(IncidentRow, col(IncidentRow.id) == col(FollowUpRow.incident_id))
                                  .where(FollowUpRow.state == ActionState.OPEN.value, col(IncidentRow.drill).is_(False))
                                  .order_by(col(FollowUpRow.id)))
        return [_to_action(r) for r in rows]

    def add_fixture(self, fixture: Fixture) -> Fixture:
        row = FixtureRow(**{name: copy.deepcopy(getattr(fixture, name)) for name in _FIXTURE_FIELDS},
                         meta=dict(fixture.metadata))
        self._session.add(row)
        self._session.flush()
        fixture.id = row.id
        return fixture

    def fixtures(self, incident_id: int | None = None, *, since: datetime | None = None,
                 class_id: str | None = None) -> list[Fixture]:
        """Fixtures, oldest first: one incident's, or all of the real incidents (a drill's are practice and never
        reach the regression gate), created since `since`, of incidents of `class_id`."""
        query = select(FixtureRow).order_by(col(FixtureRow.id))
        if incident_id is not None:
            query = query.where(FixtureRow.incident_id == incident_id)
        else:
            query = query.join(IncidentRow, col(IncidentRow.id) == col(FixtureRow.incident_id)).where(
                col(IncidentRow.drill).is_(False))
            if class_id is not None:
                query = query.where(IncidentRow.class_id == class_id)
        if since is not None:
            query = query.where(col(FixtureRow.created_at) >= since)
        return [Fixture(id=r.id, metadata=dict(r.meta),
                        **{**{n: copy.deepcopy(getattr(r, n)) for n in _FIXTURE_FIELDS},
                           "created_at": as_utc(r.created_at)}) for r in self._session.exec(query)]

    def add_postmortem(self, postmortem: PostmortemVersion) -> PostmortemVersion:
        row = PostmortemRow(**_postmortem_fields(postmortem), fingerprint=postmortem.fingerprint)
        self._session.add(row)
        self._session.flush()
        postmortem.id = row.id
        return postmortem

    def save_postmortem(self, postmortem: PostmortemVersion) -> None:
        """Stamp a draft as published; its text never changes."""
        row = self._session.get(PostmortemRow, postmortem.id)
        row.published_by, row.published_at = postmortem.published_by, postmortem.published_at

    def postmortems(self, incident_id: int) -> list[PostmortemVersion]:
        """Every drafted version, oldest first."""
        rows = self._session.exec(select(PostmortemRow).where(PostmortemRow.incident_id == incident_id)
                                  .order_by(col(PostmortemRow.version)))
        return [PostmortemVersion(id=r.id, **{**_postmortem_fields(r), "drafted_at": as_utc(r.drafted_at),
                                              "published_at": as_utc(r.published_at) if r.published_at else None})
                for r in rows]

    def resolved_unlocked(self) -> list[Incident]:
        """Resolved incidents not yet closed, oldest first: the ones whose lesson is not locked in."""
        rows = self._session.exec(select(IncidentRow).where(IncidentRow.status == Status.RESOLVED.value)
                                  .order_by(col(IncidentRow.resolved_at), col(IncidentRow.id)))
        return [_to_incident(row) for row in rows]

    def notices(self, incident_id: int) -> list[Notice]:
        rows = self._session.exec(select(NoticeRow.id).where(NoticeRow.incident_id == incident_id)
                                  .order_by(col(NoticeRow.id)))
        return [self.notice(row_id) for row_id in rows]

    # --- drills ----------------------------------------------------------------------------------------

    def add_drill(self, run: DrillRun) -> DrillRun:
        row = DrillRow(**_drill_fields(run))
        self._session.add(row)
        self._session.flush()
        run.id = row.id
        return run

    def save_drill(self, run: DrillRun) -> None:
        row = self._session.get(DrillRow, run.id)
        for name, value in _drill_fields(run).items():
            setattr(row, name, value)

    def end_drill(self, run: DrillRun) -> bool:
        """Write an ended run, unless another process ended it first: one conditional update, so a person's
        `drill end` and the time limit (or two replicas) never both score it. False when it was ended already."""
        ended = self._session.execute(
            update(DrillRow).where(col(DrillRow.id) == run.id, col(DrillRow.ended_at).is_(None))
            .values(ended_by=run.ended_by, ended_at=run.ended_at, report=run.report.to_json() if run.report else None))
        return ended.rowcount == 1

    def drill(self, incident_id: int) -> DrillRun | None:
        """The run of the drill that `incident_id` is, or None for a real incident."""
        row = self._session.exec(select(DrillRow).where(DrillRow.incident_id == incident_id)).first()
        return _to_drill(row) if row else None

    def drills(self, *, scenario: str | None = None, ended: bool | None = None) -> list[DrillRun]:
        """Runs, oldest first: of one scenario, and only those that ended (or only those still running)."""
        query = select(DrillRow).order_by(col(DrillRow.started_at), col(DrillRow.id))
        if scenario is not None:
            query = query.where(DrillRow.scenario == scenario)
        if ended is not None:
            query = query.where(col(DrillRow.ended_at).is_not(None) if ended else col(DrillRow.ended_at).is_(None))
        return [_to_drill(row) for row in self._session.exec(query)]

    def first_delivery(self, event_id: str, *, at: datetime) -> bool:
        """Remember a Slack event id; False when it was seen before (a retry)."""
        try:
            with self._session.begin_nested():
                self._session.add(ProcessedEvent(event_id=event_id, received_at=at))
        except IntegrityError:
            return False
        return True

    # --- the numbers ---------------------------------------------------------------------------------

    def declared_between(self, since: datetime | None, until: datetime) -> list[Incident]:
        """Incidents declared from `since` (from the first one when None) until before `until`, drills left out,
        oldest first."""
        rows = self._session.exec(select(IncidentRow).where(*_declared_between(since, until))
                                  .order_by(col(IncidentRow.declared_at), col(IncidentRow.id)))
        return [_to_incident(row) for row in rows]

    def first_entries(self, kind: str, *, since: datetime | None, until: datetime) -> dict[int, datetime]:
        """The moment of the first timeline entry of `kind` of each incident `declared_between` those times, by
        incident id (those with none are left out): one query, however many incidents."""
        rows = self._session.exec(
            select(TimelineEntryRow.incident_id, func.min(TimelineEntryRow.at))
            .join(IncidentRow, col(IncidentRow.id) == col(TimelineEntryRow.incident_id))
            .where(TimelineEntryRow.kind == kind, *_declared_between(since, until))
            .group_by(col(TimelineEntryRow.incident_id)))
        return {incident_id: as_utc(at) for incident_id, at in rows}

    def reports_sent(self, *, since: datetime | None, until: datetime) -> dict[int, dict[str, datetime]]:
        """When each regulatory report of the incidents `declared_between` those times was first marked sent: a
        legal notice with a regime and a stage, by incident id and deadline key (`<regime>:<stage>`). One query."""
        rows = self._session.exec(
            select(NoticeRow.incident_id, NoticeRow.regime, NoticeRow.stage, func.min(NoticeRow.sent_at))
            .join(IncidentRow, col(IncidentRow.id) == col(NoticeRow.incident_id))
            .where(NoticeRow.lane == "legal", NoticeRow.status == NoticeStatus.SENT.value,
                   col(NoticeRow.regime).is_not(None), col(NoticeRow.stage).is_not(None),
                   col(NoticeRow.sent_at).is_not(None), *_declared_between(since, until))
            .group_by(col(NoticeRow.incident_id), col(NoticeRow.regime), col(NoticeRow.stage)))
        sent: dict[int, dict[str, datetime]] = {}
        for incident_id, regime, stage, at in rows:
            sent.setdefault(incident_id, {})[f"{regime}:{stage}"] = as_utc(at)
        return sent


def _declared_between(since: datetime | None, until: datetime) -> list:
    """The conditions on `incident` of the numbers: declared in [since, until), and not a drill."""
    conditions = [col(IncidentRow.drill).is_(False), col(IncidentRow.declared_at) < until]
    if since is not None:
        conditions.append(col(IncidentRow.declared_at) >= since)
    return conditions


_MOMENTS = ("declared_at", "captain_at", "detected_at", "aware_at", "classified_at", "contained_at", "resolved_at",
            "notice_sent_at", "next_update_due", "last_update_at", "snoozed_until", "closed_at", "lock_nudged_at")
_PLAIN = ("title", "description", "class_id", "private", "drill", "captain", "declared_by", "channel_id",
          "channel_name", "cause", "reached_users", "summary", "notice_waiver", "update_prompted", "missed_updates",
          "checklist_step", "no_fixture_reason", "lock_waiver")


_JSON = ("roles", "facts", "not_reportable", "reported", "reminded")


def _row_fields(incident: Incident) -> dict:
    fields = {name: getattr(incident, name) for name in (*_PLAIN, *_MOMENTS)}
    return {**fields, "severity": int(incident.severity), "status": incident.status.value,
            **{name: copy.deepcopy(getattr(incident, name)) for name in _JSON}}


def _to_incident(row: IncidentRow) -> Incident:
    moments = {name: getattr(row, name) for name in _MOMENTS}
    return Incident(
        id=row.id,
        severity=Severity(row.severity),
        status=Status(row.status),
        **{name: copy.deepcopy(getattr(row, name)) for name in _JSON},
        **{name: getattr(row, name) for name in _PLAIN},
        **{name: as_utc(value) if value else None for name, value in moments.items()},
    )


_NOTICE_FIELDS = ("incident_id", "lane", "template", "title", "text", "regime", "stage", "created_by", "created_at",
                  "approved_by", "approved_at", "approved_text", "sent_by", "sent_at", "message_ts")


def _notice_fields(notice: Notice) -> dict:
    return {**{name: getattr(notice, name) for name in _NOTICE_FIELDS}, "status": notice.status.value}


_SNAPSHOT_FIELDS = ("incident_id", "taken_by", "taken_at", "fields", "supersedes", "trace_raw", "trace_source", "cut",
                    "fingerprint")
_FIREBREAK_FIELDS = ("incident_id", "name", "kind", "target", "executor", "note", "requested_by", "requested_at",
                     "executed_at", "answer", "attempts", "lifted_by", "lifted_at")


def _firebreak_fields(firebreak: Firebreak) -> dict:
    return {**{name: getattr(firebreak, name) for name in _FIREBREAK_FIELDS}, "state": firebreak.state.value}


def _to_firebreak(row: FirebreakRow) -> Firebreak:
    fields = {name: getattr(row, name) for name in _FIREBREAK_FIELDS}
    for name in ("requested_at", "executed_at", "lifted_at"):
        fields[name] = as_utc(fields[name]) if fields[name] else None
    return Firebreak(id=row.id, state=State(row.state), **fields)


_ACTION_FIELDS = ("incident_id", "text", "kind", "owner", "due", "created_by", "created_at", "done_by", "done_at",
                  "reminded_at")
_FIXTURE_FIELDS = ("incident_id", "input", "bad_output", "target", "rubric", "forbidden", "tags", "snapshot_id",
                   "created_by", "created_at")


def _action_fields(action: FollowUp) -> dict:
    return {**{name: getattr(action, name) for name in _ACTION_FIELDS}, "state": action.state.value}


def _to_action(row: FollowUpRow) -> FollowUp:
    fields = {name: getattr(row, name) for name in _ACTION_FIELDS}
    for name in ("created_at", "done_at", "reminded_at"):
        fields[name] = as_utc(fields[name]) if fields[name] else None
    return FollowUp(id=row.id, state=ActionState(row.state), **fields)


_POSTMORTEM_FIELDS = ("incident_id", "version", "text", "drafted_by", "drafted_at", "published_by", "published_at")


def _postmortem_fields(postmortem: PostmortemVersion | PostmortemRow) -> dict:
    return {name: getattr(postmortem, name) for name in _POSTMORTEM_FIELDS}


def _drill_fields(run: DrillRun) -> dict:
    return {"incident_id": run.incident_id, "scenario": run.scenario.name, "script": run.scenario.to_json(),
            "started_by": run.started_by, "started_at": run.started_at, "injects_sent": run.injects_sent,
            "ended_by": run.ended_by, "ended_at": run.ended_at,
            "report": run.report.to_json() if run.report else None}


def _to_drill(row: DrillRow) -> DrillRun:
    return DrillRun(id=row.id, incident_id=row.incident_id, scenario=Scenario.from_json(row.script),
                    started_by=row.started_by, started_at=as_utc(row.started_at), injects_sent=row.injects_sent,
                    ended_by=row.ended_by, ended_at=as_utc(row.ended_at) if row.ended_at else None,
                    report=Readiness.from_json(row.report) if row.report else None)
