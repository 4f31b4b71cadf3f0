"""The tables. They stay out of the domain: each repository maps its rows to domain objects (`mapping.py`)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import uuid4

from sqlalchemy import JSON, Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def _utc_column(nullable: bool = True) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable)


def _moment() -> Field:
    return Field(default=None, sa_column=_utc_column())


class IncidentRow(SQLModel, table=True):
    """One incident and the war room it lives in."""

    __tablename__ = "incident"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=150)
    description: str = Field(default="", sa_type=Text)
    severity: int
    class_id: str = Field(max_length=40)
    private: bool = False
    drill: bool = Field(default=False, index=True)  # a practice incident: never counted in the numbers
    status: str = Field(max_length=20, index=True)
    captain: str = Field(max_length=40)
    declared_by: str = Field(max_length=40)
    declared_at: datetime = Field(sa_column=_utc_column(nullable=False))
    captain_at: datetime | None = _moment()  # when a person took the captain role; None while provisional
    channel_id: str = Field(max_length=40, unique=True, index=True)
    channel_name: str = Field(max_length=80)
    cause: str | None = Field(default=None, max_length=40)
    roles: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # role → user id
    reached_users: bool | None = None
    detected_at: datetime | None = _moment()
    aware_at: datetime | None = _moment()
    classified_at: datetime | None = _moment()
    contained_at: datetime | None = _moment()
    resolved_at: datetime | None = _moment()
    summary: str = Field(default="", sa_type=Text)
    notice_sent_at: datetime | None = _moment()
    notice_waiver: str = Field(default="", sa_type=Text)
    next_update_due: datetime | None = _moment()  # the status board's source of truth
    last_update_at: datetime | None = _moment()
    update_prompted: bool = False
    snoozed_until: datetime | None = _moment()
    missed_updates: int = 0
    checklist_step: int = 0
    facts: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    not_reportable: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reported: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reminded: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    no_fixture_reason: str = Field(default="", sa_type=Text)
    closed_at: datetime | None = _moment()
    lock_waiver: str = Field(default="", sa_type=Text)
    lock_nudged_at: datetime | None = _moment()


class TimelineEntryRow(SQLModel, table=True):
    """One line of an incident's timeline; never updated, only appended."""

    __tablename__ = "timeline_entry"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    at: datetime = Field(sa_column=_utc_column(nullable=False))
    author: str = Field(max_length=40)
    kind: str = Field(max_length=20)
    text: str = Field(sa_type=Text)


class ProcessedEvent(SQLModel, table=True):
    """Slack event ids already handled, so a retried delivery does nothing twice."""

    __tablename__ = "processed_event"

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = Field(sa_column=_utc_column(nullable=False))


class NoticeRow(SQLModel, table=True):
    """A drafted notice; `approved_text` is the exact text someone with authority approved."""

    __tablename__ = "notice"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    lane: str = Field(max_length=20)
    template: str = Field(max_length=80)
    title: str = Field(max_length=200)
    text: str = Field(sa_type=Text)
    regime: str | None = Field(default=None, max_length=20)
    stage: str | None = Field(default=None, max_length=20)
    status: str = Field(max_length=20)
    created_by: str = Field(max_length=40)
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    approved_by: str | None = Field(default=None, max_length=40)
    approved_at: datetime | None = _moment()
    approved_text: str | None = Field(default=None, sa_type=Text)
    sent_by: str | None = Field(default=None, max_length=40)
    sent_at: datetime | None = _moment()
    message_ts: str | None = Field(default=None, max_length=40)
    approved_as: str | None = Field(default=None, max_length=20)  # a product notice: the public status approved


class OutboxRow(SQLModel, table=True):
    """A post the status board owes Slack: recorded before it is sent, marked sent once Slack confirms."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    # The post's identity in Slack (its message metadata), unique across databases: a row id is not.
    key: str = Field(default_factory=lambda: uuid4().hex, max_length=32, unique=True, index=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    kind: str = Field(max_length=20)  # prompt, reminder, update, silence, checklist
    channel: str = Field(max_length=40)
    text: str = Field(sa_type=Text)
    blocks: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    due_at: datetime = Field(sa_column=_utc_column(nullable=False))  # when it should have gone out
    claimed_until: datetime | None = _moment()  # a sender holds the row until then
    attempted_at: datetime | None = _moment()  # set before each send: unconfirmed after a crash
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), index=True))
    ts: str | None = Field(default=None, max_length=40)
    attempts: int = 0
    error: str = Field(default="", max_length=200)  # why the last send failed; why it was given up
    recorded_at: datetime | None = _moment()  # when it was owed (None: recorded by a release before 0010)
    next_at: datetime | None = _moment()  # Slack refused it for a moment: not tried, nor its channel's next, before
    given_up_at: datetime | None = _moment()  # never to be sent: Slack refused it for good, or a later post
    superseded_by: int | None = None  # the later post of the same kind that says it now (an outbox id)


class DestinationRow(SQLModel, table=True):
    """A channel Slack takes no posts for until a person acts (archived, Firehouse removed from a private
    channel, deleted), or `*`: the bot's own token or account. Posts owed there wait; one is tried again at
    `probe_at`. The row goes when Slack takes posts there again, or when nothing will be owed there again (an
    archived war room replaced by a new one, or its incident's resolved)."""

    __tablename__ = "blocked_destination"

    channel: str = Field(primary_key=True, max_length=40)
    reason: str = Field(max_length=200)  # Slack's error code
    since: datetime = Field(sa_column=_utc_column(nullable=False))
    probe_at: datetime | None = _moment()  # when one owed post is tried again (None: only when a person acts)
    probes: int = 0
    told_at: datetime | None = _moment()  # when the people who can act were told
    moving_until: datetime | None = _moment()  # someone is opening the new war room until then


class SnapshotRow(SQLModel, table=True):
    """Frozen evidence; never updated. `fingerprint` is the SHA-256 of its canonical JSON."""

    __tablename__ = "snapshot"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    taken_by: str = Field(max_length=40)
    taken_at: datetime = Field(sa_column=_utc_column(nullable=False))
    fields: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    supersedes: int | None = Field(default=None, foreign_key="snapshot.id")
    trace_raw: str | None = Field(default=None, sa_type=Text)  # the trace source's JSON, verbatim
    trace_source: str | None = Field(default=None, max_length=40)
    cut: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    fingerprint: str = Field(max_length=64, index=True)


class FirebreakRow(SQLModel, table=True):
    """A firebreak pulled (or recorded by hand) in an incident, and what became of it."""

    __tablename__ = "firebreak"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    name: str | None = Field(default=None, max_length=40)  # the configured firebreak; None when recorded by hand
    kind: str = Field(max_length=20)
    target: str = Field(max_length=200)
    executor: str = Field(max_length=20)
    note: str = Field(default="", sa_type=Text)
    state: str = Field(max_length=20, index=True)  # requested, executed, failed, lifted
    requested_by: str = Field(max_length=40)
    requested_at: datetime = Field(sa_column=_utc_column(nullable=False))
    executed_at: datetime | None = _moment()
    answer: str = Field(default="", sa_type=Text)
    attempts: int = 0
    lifted_by: str | None = Field(default=None, max_length=40)
    lifted_at: datetime | None = _moment()


class FollowUpRow(SQLModel, table=True):
    """A follow-up action; it outlives the war room."""

    __tablename__ = "follow_up"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    text: str = Field(sa_type=Text)
    kind: str = Field(max_length=20)
    owner: str | None = Field(default=None, max_length=40)
    due: date | None = None
    state: str = Field(max_length=20, index=True)  # open, done
    created_by: str = Field(max_length=40)
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    done_by: str | None = Field(default=None, max_length=40)
    done_at: datetime | None = _moment()
    reminded_at: datetime | None = _moment()  # overdue reminders go at most once a day


class FixtureRow(SQLModel, table=True):
    """An eval fixture: the failing input, the bad output, and what should have happened."""

    __tablename__ = "fixture"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    input: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # chat messages
    bad_output: str = Field(sa_type=Text)
    target: str = Field(default="", sa_type=Text)
    rubric: str = Field(default="", sa_type=Text)
    forbidden: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    tags: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    snapshot_id: int | None = Field(default=None, foreign_key="snapshot.id")
    meta: dict = Field(default_factory=dict, sa_column=Column("metadata", JSON, nullable=False))
    created_by: str = Field(max_length=40)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))


class PostmortemRow(SQLModel, table=True):
    """A drafted postmortem, verbatim; publishing stamps it. A text that changes is a new version, never an update."""

    __tablename__ = "postmortem"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    version: int
    text: str = Field(sa_type=Text)
    fingerprint: str = Field(max_length=64)
    drafted_by: str = Field(max_length=40)
    drafted_at: datetime = Field(sa_column=_utc_column(nullable=False))
    published_by: str | None = Field(default=None, max_length=40)
    published_at: datetime | None = _moment()


class DrillRow(SQLModel, table=True):
    """A practice incident's run: the scenario as it was when the drill started, its injects, its report."""

    __tablename__ = "drill"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", unique=True, index=True)
    scenario: str = Field(max_length=60, index=True)  # the scenario's name: runs of one scenario compare
    script: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # the scenario, frozen
    started_by: str = Field(max_length=40)
    started_at: datetime = Field(sa_column=_utc_column(nullable=False))
    injects_sent: int = 0
    ended_by: str | None = Field(default=None, max_length=40)
    ended_at: datetime | None = _moment()
    report: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))  # the readiness report


class AlertDeliveryRow(SQLModel, table=True):
    """A webhook delivery from Alertmanager or Grafana, stored before it is acknowledged and processed after:
    one with no `processed_at` is still owed (a crash, or Slack down), and is processed again."""

    __tablename__ = "alert_delivery"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=20)  # alertmanager, grafana
    received_at: datetime = Field(sa_column=_utc_column(nullable=False))
    group: dict = Field(default_factory=dict, sa_column=Column("alert_group", JSON, nullable=False))  # as parsed
    processed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), index=True))
    outcome: str = Field(default="", max_length=20)  # opened, attached, storm, ignored
    incident_id: int | None = Field(default=None, foreign_key="incident.id")
    attempts: int = 0
    retry_at: datetime | None = _moment()  # after a failed attempt, not before this
    error: str = Field(default="", max_length=200)


class AlertRow(SQLModel, table=True):
    """An alert an open incident knows, by its source's fingerprint: how a repeat finds its war room."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("incident_id", "source", "fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    source: str = Field(max_length=20)
    fingerprint: str = Field(max_length=100, index=True)
    group_digest: str = Field(default="", max_length=64, index=True)  # SHA-256 of the group key; "" without one
    name: str = Field(max_length=200)
    status: str = Field(max_length=20)  # firing, resolved
    labels: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    starts_at: datetime = Field(sa_column=_utc_column(nullable=False))
    ends_at: datetime | None = _moment()
    first_seen_at: datetime = Field(sa_column=_utc_column(nullable=False))
    last_seen_at: datetime = Field(sa_column=_utc_column(nullable=False))


class AlertRoomRow(SQLModel, table=True):
    """A war room an alert opened: storm control counts them; `storm` marks the room a storm's groups join."""

    __tablename__ = "alert_room"

    incident_id: int = Field(foreign_key="incident.id", primary_key=True)
    opened_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    storm: bool = False


class WatchRow(SQLModel, table=True):
    """A war room watching a live signal. The signal's definition is kept as it was watched (`signal`), so an
    alert's own expression, or a signal since reconfigured, still reads as it did."""

    __tablename__ = "signal_watch"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    name: str = Field(max_length=60)
    signal: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    origin: str = Field(max_length=20)  # command, class, firebreak, alert, drill
    started_by: str = Field(max_length=40)
    started_at: datetime = Field(sa_column=_utc_column(nullable=False))
    stopped_by: str | None = Field(default=None, max_length=40)
    stopped_at: datetime | None = _moment()
    settled_at: datetime | None = _moment()  # when the captain heard every signal settled in monitoring
    settle_from: datetime | None = _moment()  # when the incident last moved into monitoring: settling starts


class VerificationRow(SQLModel, table=True):
    """A firebreak's measured effect on one watched signal: what it was before, what it is after, the verdict."""

    __tablename__ = "verification"
    __table_args__ = (UniqueConstraint("firebreak_id", "signal"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    firebreak_id: int = Field(foreign_key="firebreak.id")
    signal: str = Field(max_length=60)
    due_at: datetime = Field(sa_column=_utc_column(nullable=False))
    done_at: datetime = Field(sa_column=_utc_column(nullable=False))
    verdict: str = Field(max_length=20)  # worked, better, no effect, worse, unknown
    text: str = Field(sa_type=Text)
    before: float | None = None
    after: float | None = None


class RouteRow(SQLModel, table=True):
    """A routing rule applied to an incident: each applies once."""

    __tablename__ = "route"

    incident_id: int = Field(foreign_key="incident.id", primary_key=True)
    rule: str = Field(max_length=60, primary_key=True)
    applied_at: datetime = Field(sa_column=_utc_column(nullable=False))


class PageRow(SQLModel, table=True):
    """One pager paged for one incident; its dedup key is the pager's handle on it (and PagerDuty's webhooks')."""

    __tablename__ = "page"
    __table_args__ = (UniqueConstraint("incident_id", "pager"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    pager: str = Field(max_length=40)
    dedup_key: str = Field(max_length=100, unique=True, index=True)
    paged_by: str = Field(max_length=80)  # a user id, or the routing rule
    paged_at: datetime = Field(sa_column=_utc_column(nullable=False))
    state: str = Field(max_length=20)  # paging, triggered, acknowledged, resolved, failed, shown
    message: str = Field(default="", sa_type=Text)
    acknowledged_by: str | None = Field(default=None, max_length=200)
    acknowledged_at: datetime | None = _moment()
    resolved_at: datetime | None = _moment()
    said: str = Field(default="", sa_type=Text)


class NotificationRow(SQLModel, table=True):
    """A change other systems hear of, kept as it is sent (CloudEvents id, type, data), for delivery and replay."""

    __tablename__ = "notification"

    seq: int | None = Field(default=None, primary_key=True)
    id: str = Field(max_length=36, unique=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    type: str = Field(max_length=40)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    drill: bool = False


class DeliveryRow(SQLModel, table=True):
    """Something owed to another system (a page, a notification for a subscription): recorded with the change that
    owes it, sent in order per incident and destination, retried with backoff, given up after a day."""

    __tablename__ = "delivery"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    destination: str = Field(max_length=60)  # pager:<name> or events:<name>
    body: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    next_at: datetime = Field(sa_column=_utc_column(nullable=False))
    attempts: int = 0
    claimed_until: datetime | None = _moment()
    done_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), index=True))
    given_up_at: datetime | None = _moment()
    said: str = Field(default="", sa_type=Text)  # the last answer


class StatusUpdateRow(SQLModel, table=True):
    """One update published (or being published) to the status pages, exactly as it went out; `public_id` is the
    incident's id on Firehouse's own page, shared by all its updates."""

    __tablename__ = "status_update"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    public_id: str = Field(max_length=24, index=True)
    title: str = Field(sa_type=Text)
    body: str = Field(sa_type=Text)
    fingerprint: str = Field(max_length=64)  # SHA-256 of the title, a blank line and the body, as published
    status: str = Field(max_length=20)  # investigating, identified, monitoring, resolved
    impact: str = Field(max_length=10)  # none, minor, major, critical
    class_id: str = Field(max_length=40)
    component_state: str = Field(max_length=30)
    requested_by: str = Field(max_length=40)
    requested_at: datetime = Field(sa_column=_utc_column(nullable=False))
    state: str = Field(max_length=20, index=True)  # publishing, published, failed
    said: str = Field(default="", sa_type=Text)
    published_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), index=True))
    statuspage_id: str | None = Field(default=None, max_length=64)
    statuspage_link: str | None = Field(default=None, sa_type=Text)
