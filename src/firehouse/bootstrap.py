"""The composition root: builds the store, gateway, use cases, status board and Bolt app from settings."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor as JobExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackClientError
from sqlalchemy.engine import Engine

from firehouse import logs
from firehouse.bolt.handlers import Services
from firehouse.bolt.listeners import register
from firehouse.bolt.work import Background
from firehouse.comms.templates import TemplateCatalogue
from firehouse.config import Settings
from firehouse.errors import ConfigError
from firehouse.intake import AlertWorker, alerts_app, pagerduty_app
from firehouse.intake.app import WSGIApp
from firehouse.integrations.bagging import BagItPacker
from firehouse.integrations.executors import HttpExecutors
from firehouse.integrations.metrics import PrometheusSources
from firehouse.integrations.pagers import HttpPagers
from firehouse.integrations.receivers import HttpReceivers
from firehouse.integrations.statuspage import HttpStatusPages
from firehouse.integrations.timestamps import HttpTimeStamps
from firehouse.integrations.traces import HttpTraceSources
from firehouse.ops.health import Health
from firehouse.ops.metrics import Metrics, outbox_state
from firehouse.scheduler.board import StatusBoard
from firehouse.server import SLACK_THREADS
from firehouse.slack.gateway import SlackGateway, make_client
from firehouse.slack.outbound import SlackOutbound
from firehouse.slack.outbox import Outbox
from firehouse.statuspage.site import StatusSite
from firehouse.store import make_engine
from firehouse.usecases.afteraction import AfterAction
from firehouse.usecases.alerts import AlertIntake
from firehouse.usecases.containment import Containment
from firehouse.usecases.deliveries import Deliveries
from firehouse.usecases.destinations import Destinations
from firehouse.usecases.drills import Drills
from firehouse.usecases.evidence import Evidence
from firehouse.usecases.evidence_pack import EvidencePacks
from firehouse.usecases.incidents import IncidentService, utc_now
from firehouse.usecases.notices import NoticeDesk
from firehouse.usecases.paging import Paging
from firehouse.usecases.ports import Executors, MetricSources, Pagers, Receivers, StatusPages, TraceSources
from firehouse.usecases.signals import Signals
from firehouse.usecases.stats import Stats
from firehouse.usecases.statuspage import StatusDesk
from firehouse.usecases.updates import Updates

SHUTDOWN_GRACE = 8.0  # seconds to finish in-flight work and settle the outbox: inside `docker stop`'s 10


@dataclass(frozen=True)
class Stopped:
    """How a stop went: whether everything in flight finished in time, and how many posts are still owed
    (the outbox sends them on the next start)."""

    finished: bool
    unsent: int | None


@dataclass(frozen=True)
class Firehouse:
    """A wired-up Firehouse, ready to serve."""

    settings: Settings
    engine: Engine
    services: Services
    board: StatusBoard
    background: Background
    app: App
    metrics: Metrics
    health: Health
    alerts: WSGIApp | None = None  # alert intake's edge, when FIREHOUSE_ALERT_TOKEN switches it on
    alert_worker: AlertWorker | None = None
    pagerduty: WSGIApp | None = None  # PagerDuty's webhooks, when a pager has a webhook secret
    status_site: StatusSite | None = None  # Firehouse's own public status page, when configured

    def stop(self, *, grace: float = SHUTDOWN_GRACE) -> Stopped:
        """Finish what is in flight and let the outbox settle, within `grace` seconds; then give up the lead."""
        settling = threading.Thread(target=self._settle, name="firehouse-stop", daemon=True)
        settling.start()
        settling.join(grace)
        self.board.leadership.release()
        try:
            unsent: int | None = outbox_state(self.engine, self.board.clock())[0]
        except Exception:  # the database went away: the next start finds out what is owed
            unsent = None
        return Stopped(finished=not settling.is_alive(), unsent=unsent)

    def _settle(self) -> None:
        if self.board.scheduler.running:
            self.board.scheduler.shutdown(wait=True)  # a board job running now finishes its posts
        self.background.shutdown()  # so does the work after each ack
        if self.alert_worker:
            self.alert_worker.stop()  # and the alert delivery in hand (the rest wait, stored, for the next start)
        self.services.paging.deliveries.stop()  # and the pages and events in flight (the rest wait, stored)
        if self.status_site:
            self.status_site.stop()
        self.board.outbox.sweep()  # a post that failed gets one more try
        self.board.outbox.confirm()  # and what Slack confirmed is written down
        self.board.outbox.close()  # and who is told of a channel refusing is told


def build(settings: Settings, *, engine: Engine, gateway: SlackGateway, clock: Callable[[], datetime] = utc_now,
          executors: Executors | None = None, traces: TraceSources | None = None,
          metrics: MetricSources | None = None, pagers: Pagers | None = None,
          receivers: Receivers | None = None, status_pages: StatusPages | None = None,
          tell_in: Executor | None = None) -> tuple[Services, StatusBoard]:
    """The use cases and the status board over a store and a gateway (the real ones, or a test's). `tell_in` runs
    what follows a destination refusing or taking posts again off the sender's thread (None: on it)."""
    templates = TemplateCatalogue.with_override(settings.templates_dir)
    outbox = Outbox(engine=engine, gateway=gateway, clock=clock, tell_in=tell_in)
    outbound = SlackOutbound(gateway=gateway, outbox=outbox, settings=settings, templates=templates,
                             fan_out=logs.ContextPool(settings.workers, thread_name_prefix="firehouse-slack"))
    incidents = IncidentService(engine=engine, outbound=outbound, settings=settings, clock=clock)
    scheduler = BackgroundScheduler(timezone=UTC, executors={"default": JobExecutor(8)})
    board = StatusBoard(service=incidents, outbox=outbox, scheduler=scheduler)
    signals = Signals(service=incidents, sources=metrics or PrometheusSources())
    deliveries = Deliveries(engine=engine, settings=settings, pagers=pagers or HttpPagers(),
                            receivers=receivers or HttpReceivers(), status_pages=status_pages or HttpStatusPages(),
                            clock=clock)
    notices = NoticeDesk(service=incidents, templates=templates)
    services = Services(incidents=incidents, updates=Updates(incidents, signals=signals), notices=notices,
                        evidence=Evidence(service=incidents, traces=traces or HttpTraceSources()),
                        containment=Containment(service=incidents, executors=executors or HttpExecutors()),
                        afteraction=AfterAction(service=incidents, templates=templates, signals=signals),
                        stats=Stats(engine=engine, settings=settings, clock=clock),
                        drills=Drills(service=incidents), signals=signals,
                        paging=Paging(service=incidents, deliveries=deliveries),
                        statuspage=StatusDesk(service=incidents, notices=notices, deliveries=deliveries),
                        packs=EvidencePacks(ctx=incidents.context, packer=BagItPacker(), stamps=HttpTimeStamps()),
                        destinations=Destinations(service=incidents, notices=notices), gateway=gateway)
    outbox.on_blocked.append(services.destinations.blocked)
    outbox.on_cleared.append(services.destinations.cleared)
    incidents.context.settled.append(services.destinations.settled)
    board.on_lead.append(lambda alone_at_start: services.containment.recover(everything=alone_at_start))
    board.follow(services.afteraction)
    board.practise(services.drills)
    board.verify(signals)
    board.page(services.paging)
    board.publish(services.statuspage)
    return services, board


def bootstrap(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Firehouse:
    """Connect to the database and to Slack, and register every listener. Nothing runs until `board.start()`."""
    engine = make_engine(settings.database_url)
    metrics = Metrics()
    client = make_client(token=settings.bot_token, base_url=settings.api_url, on_retry=metrics.slack_retry)
    services, board = build(settings, engine=engine, gateway=SlackGateway(client, on_call=metrics.slack_call),
                            clock=clock, tell_in=ThreadPoolExecutor(1, thread_name_prefix="firehouse-destinations"))
    try:
        # The HTTP edge (server.py) checks every request's signature before anything parses it, and hands Bolt
        # the parsed body, so Bolt does not check again; in Socket Mode Slack signs nothing.
        app = App(signing_secret=settings.signing_secret, client=client, request_verification_enabled=False,
                  # listeners keep the request's log fields; each acks and hands its work to the background, so a
                  # burst of acks needs as many as the HTTP server has threads, and no more CPU
                  listener_executor=logs.ContextPool(max_workers=SLACK_THREADS,
                                                     thread_name_prefix="firehouse-listener"))
    except BoltError as err:
        raise ConfigError(f"Slack refused SLACK_BOT_TOKEN at {settings.api_url}: {err}") from None
    except (SlackClientError, OSError) as err:
        raise ConfigError(f"cannot reach Slack at {settings.api_url}: {err.__class__.__name__}") from None
    background = Background(settings.workers)
    register(app, services, background, on_command=metrics.command)
    board.outbox.on_sent.append(metrics.post_sent)
    board.outbox.on_given_up.append(metrics.post_given_up)
    services.paging.deliveries.on_answer.append(metrics.delivered)
    services.paging.deliveries.start()
    services.signals.reader.on_query.append(metrics.signal_query)
    metrics.watch(engine=engine, regimes=settings.regimes, clock=clock, leading=lambda: board.leading)
    # App() ran auth.test: Slack answered at start-up
    health = Health(engine=engine, board=board, slack="ok", stakeholder_channel=settings.stakeholder_channel)
    intake = worker = None
    if settings.alerts.enabled:
        alerts = AlertIntake(service=services.incidents, bring=services.signals.for_alerts)
        alerts.on_outcome.append(metrics.alert_outcome)
        worker = AlertWorker(alerts.drain)
        board.on_lead.append(lambda alone_at_start: worker.wake())  # a restart's or a failure's leftovers
        intake = alerts_app(intake=alerts, token=settings.alerts.token, wake=worker.wake,
                            on_delivery=metrics.alert_delivery)
    secrets = [p.webhook_secret for p in settings.pagers.values() if p.kind == "pagerduty" and p.webhook_secret]
    pagerduty = pagerduty_app(secrets=lambda: secrets, receive=lambda hook: services.paging.acknowledged(
        event_id=hook.event_id, incident_key=hook.incident_key, state=hook.state, who=hook.who, at=hook.occurred_at),
        on_delivery=metrics.pager_webhook, clock=clock) if secrets else None
    site = None
    if settings.status_page.firehouse:  # rendered once now, again at each change (here or in another replica)
        site = StatusSite(services.statuspage.public_page, services.statuspage.public_version)
        services.statuspage.changed.append(site.refresh)
    return Firehouse(settings=settings, engine=engine, services=services, board=board, background=background,
                     app=app, metrics=metrics, health=health, alerts=intake, alert_worker=worker, pagerduty=pagerduty,
                     status_site=site)
