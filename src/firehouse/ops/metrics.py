"""Prometheus metrics an SRE watches, in a registry of each Firehouse's own (never the global default).

Two kinds. Counters and histograms move as things happen, through small hooks the composition root
hands to the edges: commands by verb and outcome, ack latency, Slack Web API calls and retries, and how
late each board post went out. Gauges about the store are read from the database at scrape time, so any
replica answers with the store's truth: the outbox's depth and oldest unsent post, open incidents by
severity and class, regulatory deadlines coming due, and the oldest notification still owed to a subscription.
"""

from __future__ import annotations

import logging
from collections import Counter as Tally
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from firehouse.store import UnitOfWork
from firehouse.store.deliveries import DeliveryStore
from firehouse.store.destinations import DestinationStore
from firehouse.store.tables import OutboxRow
from firehouse.usecases.deliveries import EVENTS, Answered

log = logging.getLogger(__name__)

OUTCOMES = ("ok", "usage_error", "refused", "failed")  # what became of a command
DEADLINE_HORIZON = timedelta(hours=24)  # "due soon" for regulatory deadlines
CLOCK_HORIZON = timedelta(days=45)  # resolved incidents this recent may still owe a regulator a report
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)  # Slack gives up at 3 s
LATENESS_BUCKETS = (0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)


class Metrics:
    """The metrics of one Firehouse. The hooks (`command`, `slack_call`, …) are what the edges call."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.commands = Counter("firehouse_commands", "/incident commands, by verb and outcome",
                                ["verb", "outcome"], registry=r)
        self.acks = Histogram("firehouse_ack_seconds", "Time from a Slack request to its ack, by kind of request",
                              ["kind"], buckets=ACK_BUCKETS, registry=r)
        self.slack_calls = Counter("firehouse_slack_calls", "Slack Web API calls after retries, by method and"
                                   " outcome (ok, error, rate_limited, unreachable)", ["method", "outcome"],
                                   registry=r)
        self.slack_retries = Counter("firehouse_slack_retries", "Slack Web API retries, by method and reason"
                                     " (rate_limited: a 429; server_error: a 5xx; connection)", ["method", "reason"],
                                     registry=r)
        self.post_lateness = Histogram("firehouse_board_post_lateness_seconds", "How long after it was due a"
                                       " board post reached Slack, by kind", ["kind"], buckets=LATENESS_BUCKETS,
                                       registry=r)
        self.posts_given_up = Counter("firehouse_slack_posts_given_up", "Posts owed to Slack and given up, by reason:"
                                      " superseded (a later post of the same kind said it), a refusal for good"
                                      " (msg_too_long, invalid_blocks, …), or the last error of a post still owed"
                                      " a day after it was due", ["reason"], registry=r)
        self.leader = Gauge("firehouse_scheduler_leader", "1 when this replica leads the scheduler", registry=r)
        self.alert_deliveries = Counter("firehouse_alert_deliveries", "Alert webhook deliveries, by source and what"
                                        " the intake answered (accepted, unauthorized, invalid, too_large,"
                                        " unavailable)", ["source", "outcome"], registry=r)
        self.alert_outcomes = Counter("firehouse_alert_outcomes", "Alert deliveries processed, by source and"
                                      " outcome (opened, attached, storm, ignored; failed: tried again later)",
                                      ["source", "outcome"], registry=r)
        self.signal_queries = Counter("firehouse_signal_queries", "Range queries of live signals sent to metric"
                                      " sources, by source and outcome (ok, failed: down or slow; refused: the"
                                      " query itself)", ["source", "outcome"], registry=r)
        self.pages = Counter("firehouse_pages", "Pages sent to pagers, by pager, action (trigger, resolve, change)"
                             " and outcome (sent; retrying: failed, tried again; failed: refused; given_up: still"
                             " failing after a day)", ["pager", "action", "outcome"], registry=r)
        self.event_deliveries = Counter("firehouse_event_deliveries", "Notifications sent to [[events]]"
                                        " subscriptions, by subscription and outcome (sent, retrying, given_up)",
                                        ["subscription", "outcome"], registry=r)
        self.status_updates = Counter("firehouse_status_updates", "Status updates sent to Atlassian Statuspage, by"
                                      " outcome (sent, retrying, failed, given_up)", ["outcome"], registry=r)
        self.pager_webhooks = Counter("firehouse_pagerduty_webhooks", "PagerDuty webhooks received, by outcome"
                                      " (recorded, duplicate, unknown, ignored, unauthorized, stale, invalid,"
                                      " too_large, unavailable)", ["outcome"], registry=r)

    # --- hooks for the edges ---------------------------------------------------------------------

    def command(self, verb: str, outcome: str) -> None:
        self.commands.labels(verb=verb, outcome=outcome).inc()

    def ack(self, kind: str, seconds: float) -> None:
        self.acks.labels(kind=kind).observe(seconds)

    def slack_call(self, method: str, outcome: str) -> None:
        self.slack_calls.labels(method=method, outcome=outcome).inc()

    def slack_retry(self, method: str, reason: str) -> None:
        self.slack_retries.labels(method=method, reason=reason).inc()

    def signal_query(self, source: str, outcome: str) -> None:
        self.signal_queries.labels(source=source, outcome=outcome).inc()

    def alert_delivery(self, source: str, outcome: str) -> None:
        self.alert_deliveries.labels(source=source, outcome=outcome).inc()

    def alert_outcome(self, source: str, outcome: str) -> None:
        self.alert_outcomes.labels(source=source or "unknown", outcome=outcome).inc()

    def delivered(self, answered: Answered) -> None:
        kind, _, name = answered.destination.partition(":")
        if kind == "pager":
            self.pages.labels(pager=name, action=answered.body.get("action", ""), outcome=answered.outcome).inc()
        elif kind == "status":
            self.status_updates.labels(outcome=answered.outcome).inc()
        else:
            self.event_deliveries.labels(subscription=name, outcome=answered.outcome).inc()

    def pager_webhook(self, outcome: str) -> None:
        self.pager_webhooks.labels(outcome=outcome).inc()

    def post_given_up(self, reason: str) -> None:
        self.posts_given_up.labels(reason=reason).inc()

    def post_sent(self, kind: str, due: datetime, sent: datetime) -> None:
        due = due if due.tzinfo else due.replace(tzinfo=UTC)  # read back from SQLite: naive UTC
        self.post_lateness.labels(kind=kind).observe(max((sent - due).total_seconds(), 0.0))

    # --- wiring and exposition ----------------------------------------------------------------

    def watch(self, *, engine: Engine, regimes: Mapping[str, tuple[str, ...]], clock: Callable[[], datetime],
              leading: Callable[[], bool]) -> None:
        """Read the store at scrape time, and whether this replica leads."""
        self.leader.set_function(lambda: float(leading()))
        self.registry.register(StoreCollector(engine=engine, regimes=regimes, clock=clock))

    def watch_http(self, server: str, depth: Callable[[], int]) -> None:
        """Read at scrape time how many requests the HTTP server `server` has waiting for a worker thread."""
        if "http_queue" not in vars(self):  # made on the first server: Socket Mode without probes serves no HTTP
            self.http_queue = Gauge("firehouse_http_queue_depth", "Requests waiting for a worker thread, by HTTP"
                                    " server (slack: the main port; probes: --health-port)", ["server"],
                                    registry=self.registry)
        self.http_queue.labels(server=server).set_function(lambda: float(depth()))

    def exposition(self) -> tuple[bytes, str]:
        """The text format a Prometheus scrape reads, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class StoreCollector(Collector):
    """Gauges read from the database when Prometheus scrapes; a store that does not answer leaves them out."""

    def __init__(self, *, engine: Engine, regimes: Mapping[str, tuple[str, ...]],
                 clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.regimes = regimes
        self.clock = clock

    def describe(self) -> list[Metric]:
        return []  # the families depend on the data; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        now = self.clock()
        try:
            depth, oldest = outbox_state(self.engine, now)
            blocked = Tally(row.reason for row in DestinationStore(self.engine).blocked().values())
            undelivered = DeliveryStore(self.engine).oldest_undelivered(EVENTS)
            incidents, soon, overdue = self._incidents(now)
        except Exception as err:  # a scrape must not fail because the database is away; /readyz says so
            log.warning("metrics: the database did not answer: %s", err.__class__.__name__)
            return
        yield GaugeMetricFamily("firehouse_outbox_depth", "Posts owed to Slack and not yet confirmed sent",
                                value=depth)
        yield GaugeMetricFamily("firehouse_outbox_oldest_unsent_seconds", "How long the oldest unsent post has"
                                " been due (0 when none)", value=oldest)
        yield GaugeMetricFamily("firehouse_events_oldest_undelivered_seconds", "How long ago the oldest"
                                " notification still owed to a subscription was recorded (0 when none)",
                                value=max((now - undelivered).total_seconds(), 0.0) if undelivered else 0.0)
        unpostable = GaugeMetricFamily("firehouse_slack_destinations_unpostable", "Channels Slack takes no posts in"
                                       " until a person acts (posts owed there wait), by Slack's reason; the bot's"
                                       " own token or account counts as one", labels=["reason"])
        for reason, count in sorted(blocked.items()):
            unpostable.add_metric([reason], count)
        yield unpostable
        open_incidents = GaugeMetricFamily("firehouse_open_incidents", "Open incidents, by severity and class",
                                           labels=["severity", "class"])
        for (severity, class_id), count in sorted(incidents.items()):
            open_incidents.add_metric([severity, class_id], count)
        yield open_incidents
        due = GaugeMetricFamily("firehouse_regulatory_deadlines_due_soon", "Regulatory reports owed within the"
                                " next 24 hours, by regime", labels=["regime"])
        late = GaugeMetricFamily("firehouse_regulatory_deadlines_overdue", "Regulatory reports owed and past"
                                 " their deadline, by regime", labels=["regime"])
        for regime in self.regimes:
            due.add_metric([regime], soon[regime])
            late.add_metric([regime], overdue[regime])
        yield due
        yield late

    def _incidents(self, now: datetime) -> tuple[Tally, Tally, Tally]:
        with UnitOfWork(self.engine) as uow:
            found = {i.id: i for i in (*uow.incidents.open_incidents(),
                                       *uow.incidents.declared_since(now - CLOCK_HORIZON))}
        by_kind: Tally = Tally()
        soon: Tally = Tally()
        overdue: Tally = Tally()
        for incident in found.values():
            if incident.status.is_open and not incident.drill:  # practice stays out of the numbers
                by_kind[(f"sev{int(incident.severity)}", incident.class_id)] += 1
            for deadline in incident.open_deadlines(self.regimes):
                if deadline.due < now:
                    overdue[deadline.regime] += 1
                elif deadline.due <= now + DEADLINE_HORIZON:
                    soon[deadline.regime] += 1
        return by_kind, soon, overdue


def outbox_state(engine: Engine, now: datetime) -> tuple[int, float]:
    """How many posts are owed (neither confirmed sent nor given up), and how many seconds the oldest has been
    due."""
    with Session(engine) as session:
        depth, oldest = session.exec(
            select(func.count(), func.min(col(OutboxRow.due_at))).where(col(OutboxRow.sent_at).is_(None),
                                                                        col(OutboxRow.given_up_at).is_(None))
        ).one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return depth, max((now - oldest).total_seconds(), 0.0) if oldest else 0.0
