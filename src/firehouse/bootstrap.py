"""The composition root: builds the store, gateway, service, status board and Bolt app from settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackClientError
from sqlalchemy.engine import Engine

from firehouse.comms.templates import TemplateCatalogue
from firehouse.config import Settings
from firehouse.errors import ConfigError
from firehouse.notice_desk import NoticeDesk
from firehouse.outbox import Outbox
from firehouse.service import IncidentService, utc_now
from firehouse.slack.gateway import SlackGateway, make_client
from firehouse.slack.listeners import register
from firehouse.statusboard import StatusBoard
from firehouse.store import make_engine


@dataclass(frozen=True)
class Firehouse:
    """A wired-up Firehouse, ready to serve."""

    settings: Settings
    engine: Engine
    service: IncidentService
    board: StatusBoard
    app: App


def bootstrap(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Firehouse:
    """Connect to the database and to Slack, and register every listener. Nothing runs until `board.start()`."""
    engine = make_engine(settings.database_url)
    client = make_client(token=settings.bot_token, base_url=settings.api_url)
    gateway = SlackGateway(client)
    outbox = Outbox(engine=engine, gateway=gateway, clock=clock)
    service = IncidentService(engine=engine, gateway=gateway, outbox=outbox, settings=settings, clock=clock)
    scheduler = BackgroundScheduler(timezone=UTC, executors={"default": ThreadPoolExecutor(8)})
    templates = TemplateCatalogue.with_override(settings.templates_dir)
    board = StatusBoard(service=service, outbox=outbox, scheduler=scheduler, templates=templates)
    desk = NoticeDesk(service=service, templates=templates)
    try:
        app = App(signing_secret=settings.signing_secret, client=client)
    except BoltError as err:
        raise ConfigError(f"Slack refused SLACK_BOT_TOKEN at {settings.api_url}: {err}") from None
    except (SlackClientError, OSError) as err:
        raise ConfigError(f"cannot reach Slack at {settings.api_url}: {err.__class__.__name__}") from None
    register(app, service, board, desk)
    return Firehouse(settings=settings, engine=engine, service=service, board=board, app=app)
