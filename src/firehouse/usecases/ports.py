"""What the use cases need from the outside world, stated as a protocol the outbound side implements.

The use cases never import Slack code: they hand events and effects to an `Outbound`, which the
composition root wires to Slack (`firehouse.slack.outbound`) and tests to a fake.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from firehouse.comms.evidence_pack import Payload
from firehouse.config.integrations import FirebreakSettings, TraceSourceSettings
from firehouse.config.paging import PagerSettings, Subscription
from firehouse.config.signals import MetricSourceSettings
from firehouse.config.statuspage import StatuspageSettings
from firehouse.domain.afteraction import PostmortemVersion
from firehouse.domain.classes import IncidentClass
from firehouse.domain.drills import DrillRun
from firehouse.domain.events import Event, TimelineEntry
from firehouse.domain.firebreaks import Firebreak
from firehouse.domain.model import Incident
from firehouse.domain.notices import Notice
from firehouse.domain.notifications import Published
from firehouse.domain.pages import PageRequest
from firehouse.domain.routing import Routed
from firehouse.domain.signals import Reading, Series
from firehouse.domain.statuspage import StatusUpdate
from firehouse.errors import PartnerFailure

if TYPE_CHECKING:
    from firehouse.comms.postmortem import RenderedPostmortem
    from firehouse.store import UnitOfWork
    from firehouse.usecases.effects import Effect


@dataclass(frozen=True)
class Channel:
    id: str
    name: str


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    is_bot: bool
    deleted: bool


@dataclass(frozen=True)
class Post:
    """One message owed to a channel, recorded with the decision that owes it; `due_at` measures lateness."""

    kind: str
    channel: str
    effect: Effect
    due_at: datetime


@dataclass(frozen=True)
class FirebreakOrder:
    """What an executor is asked to do, and the context a receiving system may want."""

    action: str  # "pull" or "lift"
    idempotency_key: str  # the same for a retry of the same attempt, so a receiver can drop a repeat
    firebreak_id: int
    name: str
    kind: str
    target: str
    by: str
    note: str
    incident_id: int
    incident_title: str
    severity: str
    class_id: str
    war_room: str


@dataclass(frozen=True)
class ExecutorAnswer:
    """Whether the executor did it, and what it said (shown to people and kept on the timeline)."""

    done: bool
    text: str


class Executors(Protocol):
    """Carries out firebreaks; never raises for a partner's failure, it answers `done=False` instead."""

    def run(self, settings: FirebreakSettings, order: FirebreakOrder) -> ExecutorAnswer: ...


class TraceSources(Protocol):
    def fetch(self, source: TraceSourceSettings, trace_id: str) -> str:
        """The trace's JSON text; PartnerFailure when the source is down, slow, says 404 or sends no JSON."""


class MetricSources(Protocol):
    def range(self, source: MetricSourceSettings, query: str, *, start: datetime, end: datetime,
              step: timedelta) -> list[Series]:
        """The query's series over [start, end] at `step`; MetricFailure when the source is down, slow, or
        refuses the query (its reason is short enough for one line of an update)."""


@dataclass(frozen=True)
class PartnerAnswer:
    """How a pager or an event receiver answered: taken (`ok`), worth trying again later (`retry`: no answer,
    429, 5xx), or refused for good; `text` is one line for people (PagerDuty's own message on a 400)."""

    ok: bool
    text: str
    retry: bool = False
    reference: str | None = None  # what the partner calls what it took (Statuspage's incident id)
    link: str | None = None  # where people see it
    gone: bool = False  # what the request updated no longer exists there (an incident deleted in Statuspage)


class Pagers(Protocol):
    """Sends pages; never raises for a partner's failure, it answers instead."""

    def send(self, pager: PagerSettings, request: PageRequest) -> PartnerAnswer: ...


class Receivers(Protocol):
    """Delivers a notification to an `[[events]]` subscription as a signed CloudEvent; never raises for a
    receiver's failure, it answers instead."""

    def send(self, subscription: Subscription, published: Published) -> PartnerAnswer: ...


class StatusPages(Protocol):
    """Publishes a status update to Atlassian Statuspage: opens its incident (`incident` None) or updates the one it
    answered before; never raises for Statuspage's failure, it answers instead (with the incident's id and link in
    `reference` and `link` when taken)."""

    def send(self, page: StatuspageSettings, update: StatusUpdate, *, incident: str | None,
             components: dict[str, str]) -> PartnerAnswer: ...


@dataclass(frozen=True)
class Stamp:
    """A time-stamping authority's answer: its DER `TimeStampResp`, and its certificates in PEM."""

    response: bytes
    chain: bytes


class StampFailure(PartnerFailure):
    """The time-stamping authority did not answer, refused, or answered something that is not a valid stamp of the
    data; the message says which, in one line."""


@dataclass(frozen=True)
class Bagged:
    """A bag written: where, its payload's size and file count (Payload-Oxum), and whether it was timestamped (and
    why not, when a time-stamping authority was asked and failed)."""

    directory: Path
    octets: int
    files: int
    timestamped: bool
    stamp_problem: str | None = None


class TimeStamps(Protocol):
    def stamp(self, url: str, data: bytes, *, timeout: float) -> Stamp:
        """An RFC 3161 time stamp over `data` (SHA-256) from the authority at `url`; StampFailure otherwise."""


class Packer(Protocol):
    """Writes evidence packs: a BagIt bag (RFC 8493) in a folder, and that folder as a ZIP file."""

    def write(self, directory: Path, payload: Iterable[Payload], *, info: dict[str, str],
              stamp: Callable[[bytes], Stamp] | None) -> Bagged:
        """Write `payload` under `directory/data/`, then the bag's tag files (`bag-info.txt` from `info`, SHA-256 and
        SHA-512 manifests and tag manifests); with `stamp`, time-stamp `tagmanifest-sha256.txt` and add
        `tagmanifest-sha256.txt.tsr` and `tsa-chain.pem` at the top (a StampFailure leaves the bag valid and says
        why in `stamp_problem`). `directory` must not exist or be empty."""

    def zip(self, directory: Path, out: Path) -> str:
        """Write the bag in `directory` to the ZIP file `out` (its folder at the top), as a stream; its SHA-256."""


class Outbound(Protocol):
    """Everything a use case asks of Slack or tells it. Failures to tell come back as problems (the
    change is recorded either way); failures to ask raise SlackFailure."""

    def create_channel(self, name: str, *, private: bool) -> Channel: ...

    def person(self, user_id: str) -> Person | None: ...

    def is_private(self, channel: str) -> bool: ...

    def usergroup_members(self, usergroup: str) -> frozenset[str]: ...

    def expect_groups(self, usergroups: Sequence[str]) -> None:
        """Start reading these user groups' members now: the briefing that follows invites them."""

    def message(self, channel: str, ts: str) -> dict[str, Any] | None: ...

    def brief(self, incident: Incident, incident_class: IncidentClass, *, invite: Sequence[str],
              routes: Sequence[Routed] = ()) -> list[str]:
        """Invite, set the topic, post the kickoff and announce to stakeholders (and where the routing rules
        say), all at once."""

    def publish(self, incident: Incident, events: Sequence[Event]) -> list[str]:
        """Tell the war room and the stakeholders what `events` changed."""

    def show_timeline(self, incident: Incident, entries: Sequence[TimelineEntry], *, channel: str,
                      user: str) -> int: ...

    def show_notice(self, notice: Notice, *, incident: Incident, missing: Sequence[str] = ()) -> str | None:
        """Post the notice (returns the new message's ts) or update the message already showing it."""

    def show_postmortem(self, incident: Incident, rendered: RenderedPostmortem, *, version: PostmortemVersion,
                        by: str) -> list[str]:
        """Post the postmortem draft in the war room as a file, with what is left to write and Publish."""

    def show_drill_chart(self, incident: Incident, *, run: DrillRun, previous: DrillRun | None) -> list[str]:
        """Upload the chart of a drill's readiness report to its war room, the run before in grey."""

    def show_signal_chart(self, incident: Incident, reading: Reading, *, firebreaks: Sequence[Firebreak],
                          comment: str) -> list[str]:
        """Upload a watched signal's chart to the war room, with a comment (its standing, or what was verified)."""

    def open_form(self, trigger_id: str, view: Any) -> None:
        """Open a form (a modal) for the person whose click or command brought `trigger_id`."""

    def update_form(self, view_id: str, view: Any, *, hash: str | None = None) -> None:
        """Re-render an open form; `hash` refuses the update when a newer one already happened."""

    def share_chart(self, channel: str, *, image: bytes, filename: str, title: str, comment: str) -> None:
        """Share a chart (a PNG) in a channel, with a comment."""

    def share_file(self, channel: str, *, path: Path, filename: str, title: str, comment: str) -> None:
        """Share a file from disk (an evidence pack's ZIP) in a channel, with a comment; SlackFailure if refused."""

    def direct(self, people: Sequence[str], effect: Any) -> list[str]:
        """Tell each person by direct message now (no incident to owe it with); returns the problems."""

    def members(self, channel: str) -> list[str]:
        """Everyone in a channel, an archived one too."""

    def invite(self, channel: str, people: Sequence[str]) -> list[str]:
        """Invite people (user ids) to a channel; returns the problems, as `publish` does."""

    def block(self, channel: str, reason: str) -> bool:
        """Record that Slack takes no posts in `channel` until a person acts (`reason`: Slack's error code): posts
        owed there wait. Whether it was news (then the people who can act are told, once)."""

    def abandon(self, channel: str, reason: str) -> int:
        """Nothing owed to `channel` will ever be sent: give those posts up, forget the channel; how many."""

    def unblock(self, channel: str) -> bool:
        """Slack takes posts in `channel` again; whether it had been recorded as taking none."""

    def send_owed(self, channel: str) -> int:
        """Send, in order, what is owed to `channel` now (it takes posts again, or a war room moved there)."""

    def owe(self, uow: UnitOfWork, incident: Incident, posts: Sequence[Post]) -> list[Any]:
        """Record `posts` in the caller's transaction, already claimed by this process."""

    def deliver(self, owed: Sequence[Any]) -> int:
        """Send what `owe` recorded, after the transaction committed."""
