"""Test doubles for the use cases: a clock a test moves, and the Outbound port kept in memory.

`FakeOutbound` remembers what the use cases asked of Slack and told it, and answers as a test says:
`name_taken` channel names, people who are bots or gone, private channels, refusals. What it is told
to `owe` it records in the caller's transaction through the real outbox table, so a test can check
what a decision left in the database; it never sends anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from firehouse.config.integrations import FirebreakSettings, TraceSourceSettings
from firehouse.config.signals import MetricSourceSettings
from firehouse.domain.classes import IncidentClass
from firehouse.domain.events import Event, TimelineEntry
from firehouse.domain.firebreaks import Configured
from firehouse.domain.model import Incident
from firehouse.domain.notices import Notice
from firehouse.domain.notifications import Published
from firehouse.domain.pages import PageRequest
from firehouse.domain.signals import Series, Signal
from firehouse.errors import PartnerFailure, SlackFailure
from firehouse.slack.gateway import Message
from firehouse.slack.outbox import Outbox
from firehouse.store import UnitOfWork
from firehouse.store.tables import OutboxRow
from firehouse.usecases.ports import Channel, ExecutorAnswer, FirebreakOrder, PartnerAnswer, Person, Post

ALICE, BOB, CAROL, DANA, ROBOT, GONE = "UALICE", "UBOB", "UCAROL", "UDANA", "UROBOT", "UGONE"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning; every test's clock starts here
STAKEHOLDERS = "C0STAKEHOLDERS"  # the stakeholder channel the use-case tests configure


class SteppedClock:
    """Time as a parameter: it stands still until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return self.now


PEOPLE = (
    Person(ALICE, "alice", is_bot=False, deleted=False),
    Person(BOB, "bob", is_bot=False, deleted=False),
    Person(CAROL, "carol", is_bot=False, deleted=False),
    Person(DANA, "dana", is_bot=False, deleted=False),
    Person(ROBOT, "robot", is_bot=True, deleted=False),
    Person(GONE, "gone", is_bot=False, deleted=True),
)


@dataclass(frozen=True)
class Briefing:
    """One `brief` call: the new war room's incident, its class, who was invited, and the routing rules applied."""

    incident: Incident
    incident_class: IncidentClass
    invite: tuple[str, ...]
    routes: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Publication:
    """One `publish` call: the incident as it was saved and the events handed over."""

    incident: Incident
    events: tuple[Event, ...]


class FakeOutbound:
    """`firehouse.usecases.ports.Outbound` in memory."""

    def __init__(self, *, clock: Callable[[], datetime], people: Iterable[Person] = PEOPLE) -> None:
        self.people = {person.id: person for person in people}
        self.name_taken = 0  # how many more `create_channel` calls answer name_taken
        self.create_error: str | None = None  # any other error `create_channel` answers with
        self.private_channels: set[str] = set()
        self.usergroups: dict[str, frozenset[str]] = {}
        self.groups_expected: list[str] = []  # user groups a declaration read ahead
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.refusals: list[str] = []  # what `brief` and `publish` report Slack refused
        self.on_deliver: Callable[[Sequence[OutboxRow]], None] | None = None  # runs when `deliver` is called
        self.names_tried: list[str] = []
        self.created: list[tuple[Channel, bool]] = []  # (channel, private)
        self.briefings: list[Briefing] = []
        self.publications: list[Publication] = []
        self.owed: list[tuple[int, Post]] = []
        self.delivered: list[OutboxRow] = []
        self.timelines_shown: list[tuple[str, str, int]] = []  # (channel, user, entries)
        self.notices_shown: list[tuple[Notice, str]] = []
        self.postmortems_shown: list[tuple[int, int, str]] = []
        self.drill_charts: list[tuple[int, Any, Any]] = []  # (incident, run, the run before)
        self.forms_opened: list[tuple[str, Any]] = []  # (trigger id, view)
        self.forms_updated: list[tuple[str, Any, str | None]] = []  # (view id, view, hash)
        self.charts_shared: list[tuple[str, str, str, str]] = []  # (channel, filename, title, comment)
        self.signal_charts: list[tuple[int, Any, str]] = []  # (incident, reading, comment)
        self.files_shared: list[tuple[str, str, bytes, str]] = []  # (channel, filename, bytes, comment)
        self.share_error: str | None = None  # what Slack answers `share_chart` with, when it refuses
        self.members_of: dict[str, list[str]] = {}  # channel → who is in it
        self.invited: list[tuple[str, list[str]]] = []  # (channel, people)
        self.blocked: dict[str, str] = {}  # channel → why Slack takes no posts there
        self.owed_sent = 0  # how many times what was owed was sent again (`send_owed`)
        self.abandoned: list[tuple[str, str]] = []  # (channel, why) given up for good
        self.told_directly: list[tuple[str, Any]] = []  # (person, effect) told by direct message at once
        self._outbox = Outbox(engine=None, gateway=None, clock=clock)  # only its `add`: never sends

    # --- asking Slack -------------------------------------------------------------------------------

    def create_channel(self, name: str, *, private: bool) -> Channel:
        self.names_tried.append(name)
        if self.create_error:
            raise SlackFailure("conversations.create", self.create_error)
        if self.name_taken:
            self.name_taken -= 1
            raise SlackFailure("conversations.create", "name_taken")
        channel = Channel(f"C{len(self.created) + 1:07d}", name)
        self.created.append((channel, private))
        if private:
            self.private_channels.add(channel.id)
        return channel

    def person(self, user_id: str) -> Person | None:
        return self.people.get(user_id)

    def is_private(self, channel: str) -> bool:
        return channel in self.private_channels

    def usergroup_members(self, usergroup: str) -> frozenset[str]:
        return self.usergroups.get(usergroup, frozenset())

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        return self.messages.get((channel, ts))

    # --- telling Slack now ---------------------------------------------------------------------------

    def expect_groups(self, usergroups: Sequence[str]) -> None:
        self.groups_expected.extend(usergroups)

    def brief(self, incident: Incident, incident_class: IncidentClass, *, invite: Sequence[str],
              routes: Sequence[Any] = ()) -> list[str]:
        self.briefings.append(Briefing(incident, incident_class, tuple(invite), tuple(routes)))
        return list(self.refusals)

    def publish(self, incident: Incident, events: Sequence[Event]) -> list[str]:
        self.publications.append(Publication(incident, tuple(events)))
        return list(self.refusals)

    def show_timeline(self, incident: Incident, entries: Sequence[TimelineEntry], *, channel: str,
                      user: str) -> int:
        self.timelines_shown.append((channel, user, len(entries)))
        return 1

    def show_notice(self, notice: Notice, *, incident: Incident, missing: Sequence[str] = ()) -> str | None:
        self.notices_shown.append((notice, incident.channel_id))
        return None if notice.message_ts else f"{1_700_000_000 + len(self.notices_shown)}.000100"

    def show_postmortem(self, incident: Incident, rendered: Any, *, version: Any, by: str) -> list[str]:
        self.postmortems_shown.append((incident.id, version.version, rendered.text))
        return []

    def show_drill_chart(self, incident: Incident, *, run: Any, previous: Any) -> list[str]:
        self.drill_charts.append((incident.id, run, previous))
        return []

    def show_signal_chart(self, incident: Incident, reading: Any, *, firebreaks: Any, comment: str) -> list[str]:
        self.signal_charts.append((incident.id, reading, comment))
        return []

    def open_form(self, trigger_id: str, view: Any) -> None:
        self.forms_opened.append((trigger_id, view))

    def update_form(self, view_id: str, view: Any, *, hash: str | None = None) -> None:
        self.forms_updated.append((view_id, view, hash))

    def share_chart(self, channel: str, *, image: bytes, filename: str, title: str, comment: str) -> None:
        if self.share_error:
            raise SlackFailure("files.completeUploadExternal", self.share_error)
        self.charts_shared.append((channel, filename, title, comment))

    def share_file(self, channel: str, *, path: Any, filename: str, title: str, comment: str) -> None:
        if self.share_error:
            raise SlackFailure("files.completeUploadExternal", self.share_error)
        self.files_shared.append((channel, filename, path.read_bytes(), comment))

    # --- telling Slack through the outbox --------------------------------------------------------------

    def direct(self, people: Sequence[str], effect: Any) -> list[str]:
        self.told_directly += [(person, effect) for person in people]
        return []

    def members(self, channel: str) -> list[str]:
        return list(self.members_of.get(channel, []))

    def invite(self, channel: str, people: Sequence[str]) -> list[str]:
        self.invited.append((channel, list(people)))
        return []

    def block(self, channel: str, reason: str) -> bool:
        news = channel not in self.blocked
        self.blocked.setdefault(channel, reason)
        return news

    def abandon(self, channel: str, reason: str) -> int:
        self.abandoned.append((channel, reason))
        self.blocked.pop(channel, None)
        return 0

    def unblock(self, channel: str) -> bool:
        return self.blocked.pop(channel, None) is not None

    def send_owed(self, channel: str) -> int:
        self.owed_sent += 1
        return 0

    def owe(self, uow: UnitOfWork, incident: Incident, posts: Sequence[Post]) -> list[OutboxRow]:
        self.owed += [(incident.id, post) for post in posts]
        return self._outbox.add(uow.session, incident.id,
                                [(p.kind, p.channel, Message(text=f"{p.kind}: {type(p.effect).__name__}"), p.due_at)
                                 for p in posts])

    def deliver(self, owed: Sequence[OutboxRow]) -> int:
        if self.on_deliver:
            self.on_deliver(owed)
        self.delivered += owed
        return len(owed)

    # --- what the tests read ---------------------------------------------------------------------------

    @property
    def published_events(self) -> list[Event]:
        return [event for publication in self.publications for event in publication.events]


class FakeExecutors:
    """Firebreak executors that answer as a test says and remember every order."""

    def __init__(self, *, done: bool = True, text: str = "flag off (HTTP 200)") -> None:
        self.done, self.text = done, text
        self.orders: list[FirebreakOrder] = []

    def run(self, settings: FirebreakSettings, order: FirebreakOrder) -> ExecutorAnswer:
        self.orders.append(order)
        return ExecutorAnswer(self.done, self.text)


class FakePagers:
    """Pagers that answer as a test queues (`answers`, else accepted) and remember every request."""

    def __init__(self) -> None:
        self.answers: list[PartnerAnswer] = []
        self.sent: list[PageRequest] = []

    def send(self, pager: Any, request: PageRequest) -> PartnerAnswer:
        self.sent.append(request)
        return self.answers.pop(0) if self.answers else PartnerAnswer(True, f"{pager.kind} accepted")


class FakeReceivers:
    """Event receivers by subscription name: each answers `ok` unless it is in `failing`; every delivery kept."""

    def __init__(self) -> None:
        self.failing: set[str] = set()
        self.got: list[tuple[str, Published]] = []

    def send(self, subscription: Any, published: Published) -> PartnerAnswer:
        if subscription.name in self.failing:
            return PartnerAnswer(False, "HTTP 500", retry=True)
        self.got.append((subscription.name, published))
        return PartnerAnswer(True, "HTTP 204")


WINDOWED = re.compile(r"^\((?P<q>.+)\) or label_replace\(last_over_time\(\((?P=q)\)\[\d+s:\d+s\] offset (?P<s>\d+)s\)",
                      re.DOTALL)


class FakeMetrics:
    """A metric source whose signals follow a test's functions of time: `values[query](moment)` gives the value
    of one unlabelled series (None: no point), `series[query]` maps label tuples to such functions. A windowed
    query (the signal and its baseline `offset`) answers both, the baseline's series marked as Prometheus would.
    `failure` is raised for every query; every query is remembered."""

    def __init__(self, values: dict[str, Any] | None = None, *, series: dict[str, Any] | None = None) -> None:
        self.values = values or {}
        self.series = series or {}
        self.failure: Exception | None = None
        self.asked: list[tuple[str, str, datetime, datetime]] = []

    def range(self, source: Any, query: str, *, start: datetime, end: datetime, step: timedelta) -> list[Series]:
        self.asked.append((source.name, query, start, end))
        if self.failure:
            raise self.failure
        moments = [start + step * i for i in range(int((end - start) / step) + 1)]
        windowed = WINDOWED.match(query)
        wanted = [(windowed["q"], timedelta(0), ()), (windowed["q"], timedelta(seconds=int(windowed["s"])),
                                                       (("firehouse_window", "baseline"),))] if windowed \
            else [(query, timedelta(0), ())]
        found = []
        for one, back, mark in wanted:
            functions = self.series.get(one) or ({(): self.values[one]} if one in self.values else {})
            for labels, value in functions.items():
                points = tuple((t, v) for t in moments if (v := value(t - back)) is not None)
                if points:
                    found.append(Series(tuple(labels) + mark, points))
        return found


class FakeTraces:
    """A trace source holding traces by id; an unknown id is a 404."""

    def __init__(self, traces: dict[str, str] | None = None) -> None:
        self.traces = traces or {}
        self.fetched: list[tuple[str, str]] = []

    def fetch(self, source: TraceSourceSettings, trace_id: str) -> str:
        self.fetched.append((source.name, trace_id))
        if trace_id not in self.traces:
            raise PartnerFailure(f"The trace source `{source.name}` has no trace `{trace_id}`; nothing was recorded.")
        return self.traces[trace_id]


PROM = MetricSourceSettings(name="prom", url="http://127.0.0.1:9")
FRAUD_RATE = Signal(name="fraud-flag-rate", query='sum(rate(refund_decisions_total{decision="fraud"}[5m]))'
                    ' / sum(rate(refund_decisions_total[5m]))', label="fraud-flag rate", source="prom",
                    unit="percent", threshold=0.03)
RANKER_OFF = FirebreakSettings(
    configured=Configured(name="ranker-off", kind="kill-switch", target="ranker", executor="unleash"),
    url="http://127.0.0.1:9", secret="token", feature="ranker", environment="production")
PROMPT_ROLLBACK = FirebreakSettings(
    configured=Configured(name="prompt-rollback", kind="rollback", target="support-prompt", executor="webhook",
                          rollback_of="prompt"),
    url="http://127.0.0.1:9/hook", secret="whsec_dGVzdA==")


def paging_over(service: Any, *, pagers: FakePagers | None = None, receivers: FakeReceivers | None = None) -> Any:
    """The Paging use case over `service`, its deliveries sent only when a test drains them."""
    from firehouse.usecases.deliveries import Deliveries
    from firehouse.usecases.paging import Paging

    deliveries = Deliveries(engine=service.engine, settings=service.settings, pagers=pagers or FakePagers(),
                            receivers=receivers or FakeReceivers(), clock=service.clock)
    return Paging(service=service, deliveries=deliveries)


class FakeStatusPages:
    """Statuspage as a test queues its answers (`answers`, else taken, opening incident `sp1`); every request kept
    as (incident it updates or None, the update, the component states)."""

    def __init__(self) -> None:
        self.answers: list[PartnerAnswer] = []
        self.sent: list[tuple[str | None, Any, dict[str, str]]] = []

    def send(self, page: Any, update: Any, *, incident: str | None, components: dict[str, str]) -> PartnerAnswer:
        self.sent.append((incident, update, components))
        if self.answers:
            return self.answers.pop(0)
        reference = incident or f"sp{sum(1 for sent in self.sent if sent[0] is None)}"
        return PartnerAnswer(True, f"Statuspage incident {reference} {update.status}", reference=reference,
                             link=f"https://stspg.io/{reference}")
