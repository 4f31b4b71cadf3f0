"""The composition root: builds the store, gateway, use cases, status board and Bolt app from settings."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor as JobExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackClientError
from sqlalchemy.engine import Engine

from firehouse.bolt.handlers import Services
from firehouse.bolt.listeners import register
from firehouse.bolt.work import Background
from firehouse.comms.templates import TemplateCatalogue
from firehouse.config import Settings
from firehouse.errors import ConfigError
from firehouse.integrations.executors import HttpExecutors
from firehouse.integrations.traces import HttpTraceSources
from firehouse.scheduler.board import StatusBoard
from firehouse.slack.gateway import SlackGateway, make_client
from firehouse.slack.outbound import SlackOutbound
from firehouse.slack.outbox import Outbox
from firehouse.store import make_engine
from firehouse.usecases.afteraction import AfterAction
from firehouse.usecases.containment import Containment
from firehouse.usecases.evidence import Evidence
from firehouse.usecases.incidents import IncidentService, utc_now
from firehouse.usecases.notices import NoticeDesk
from firehouse.usecases.ports import Executors, TraceSources
from firehouse.usecases.updates import Updates


@dataclass(frozen=True)
class Firehouse:
    """A wired-up Firehouse, ready to serve."""

    settings: Settings
    engine: Engine
    services: Services
    board: StatusBoard
    background: Background
    app: App

    def stop(self) -> None:
        self.board.stop()
        self.background.shutdown()


def build(settings: Settings, *, engine: Engine, gateway: SlackGateway, clock: Callable[[], datetime] = utc_now,
          executors: Executors | None = None, traces: TraceSources | None = None) -> tuple[Services, StatusBoard]:
    """The use cases and the status board over a store and a gateway (the real ones, or a test's)."""
    templates = TemplateCatalogue.with_override(settings.templates_dir)
    outbox = Outbox(engine=engine, gateway=gateway, clock=clock)
    outbound = SlackOutbound(gateway=gateway, outbox=outbox, settings=settings, templates=templates,
                             fan_out=ThreadPoolExecutor(settings.workers, thread_name_prefix="firehouse-slack"))
    incidents = IncidentService(engine=engine, outbound=outbound, settings=settings, clock=clock)
    scheduler = BackgroundScheduler(timezone=UTC, executors={"default": JobExecutor(8)})
    board = StatusBoard(service=incidents, outbound=outbound, outbox=outbox, scheduler=scheduler)
    services = Services(incidents=incidents, updates=Updates(incidents),
                        notices=NoticeDesk(service=incidents, templates=templates),
                        evidence=Evidence(service=incidents, traces=traces or HttpTraceSources()),
                        containment=Containment(service=incidents, executors=executors or HttpExecutors()),
                        afteraction=AfterAction(service=incidents, templates=templates), gateway=gateway)
    board.on_lead.append(lambda alone_at_start: services.containment.recover(everything=alone_at_start))
    board.follow(services.afteraction)
    return services, board


def bootstrap(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Firehouse:
    """Connect to the database and to Slack, and register every listener. Nothing runs until `board.start()`."""
    engine = make_engine(settings.database_url)
    client = make_client(token=settings.bot_token, base_url=settings.api_url)
    services, board = build(settings, engine=engine, gateway=SlackGateway(client), clock=clock)
    try:
        app = App(signing_secret=settings.signing_secret, client=client)
    except BoltError as err:
        raise ConfigError(f"Slack refused SLACK_BOT_TOKEN at {settings.api_url}: {err}") from None
    except (SlackClientError, OSError) as err:
        raise ConfigError(f"cannot reach Slack at {settings.api_url}: {err.__class__.__name__}") from None
    background = Background(settings.workers)
    register(app, services, background)
    return Firehouse(settings=settings, engine=engine, services=services, board=board, background=background,
                     app=app)
