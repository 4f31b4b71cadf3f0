"""Settings, read once at start-up from the environment and an optional TOML file.

Everything is validated here so that a bad value stops `firehouse serve` with one clear line,
instead of surprising a responder at 2 a.m.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from firehouse.config.alerts import AlertSettings, with_token
from firehouse.config.file import DEFAULT_CADENCE, DEFAULT_OUTBOX_RETENTION, BoardSettings, parse_duration, validate
from firehouse.config.integrations import FirebreakSettings, TraceSourceSettings
from firehouse.config.paging import PagerSettings, Subscription
from firehouse.config.signals import MetricSourceSettings, WatchSettings
from firehouse.config.evidence import EvidenceSettings
from firehouse.config.statuspage import StatusPageSettings
from firehouse.domain.board import Cadence
from firehouse.domain.classes import Catalog
from firehouse.domain.permissions import Policy
from firehouse.domain.routing import Rule
from firehouse.domain.signals import Signal
from firehouse.errors import ConfigError

__all__ = ["Settings", "check_settings", "config_path", "database_url_of", "load_settings", "parse_duration"]

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_CONFIG_FILE = "firehouse.toml"
DEFAULT_DATABASE_FILE = "firehouse.db"


@dataclass(frozen=True)
class Settings:
    """Everything Firehouse needs to run, validated. Secrets are fields, never read again later."""

    bot_token: str
    signing_secret: str
    app_token: str | None = None
    api_url: str = DEFAULT_API_URL
    database_url: str = f"sqlite:///{DEFAULT_DATABASE_FILE}"
    stakeholder_channel: str | None = None
    channel_prefix: str = "inc"
    cadence: Cadence = field(default_factory=lambda: Cadence(dict(DEFAULT_CADENCE)))
    board: BoardSettings = field(default_factory=BoardSettings)
    catalog: Catalog = field(default_factory=Catalog)
    policy: Policy = field(default_factory=Policy)
    admins: tuple[str, ...] = ()  # user ids and user group ids whose members count as admins
    regimes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # enabled regime → classes it covers
    templates_dir: Path | None = None  # a deployment's own templates, shadowing the defaults file by file
    drills_dir: Path | None = None  # a deployment's own drill scenarios, shadowing the shipped ones file by file
    workers: int = 16  # threads for the work after an ack, and as many for Slack calls made at once
    snapshot_max_bytes: int = 1_000_000  # evidence kept per snapshot; longer fields and traces are cut
    firebreaks: Mapping[str, FirebreakSettings] = field(default_factory=dict)
    trace_sources: Mapping[str, TraceSourceSettings] = field(default_factory=dict)
    outbox_retention: timedelta = DEFAULT_OUTBOX_RETENTION  # sent posts are deleted after this; the timeline stays
    alerts: AlertSettings = field(default_factory=AlertSettings)  # alert intake: on with FIREHOUSE_ALERT_TOKEN
    metric_sources: Mapping[str, MetricSourceSettings] = field(default_factory=dict)
    signals: Mapping[str, Signal] = field(default_factory=dict)  # what a war room can watch, by name
    watch: WatchSettings = field(default_factory=WatchSettings)  # when firebreaks are verified, and how
    pagers: Mapping[str, PagerSettings] = field(default_factory=dict)
    routing: tuple[Rule, ...] = ()  # who is invited, announced to and paged, by class, severity and cause
    events: tuple[Subscription, ...] = ()  # the systems that hear of every change, signed
    status_page: StatusPageSettings = field(default_factory=StatusPageSettings)  # where product notices go public
    evidence: EvidenceSettings = field(default_factory=EvidenceSettings)  # the evidence pack's origin and its TSA

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None


def load_settings(environ: Mapping[str, str], *, cwd: Path, slack: bool = True) -> Settings:
    """Build the settings from `environ` and the TOML file it names (or `firehouse.toml` in `cwd`).

    Commands that never talk to Slack (`render`, `templates check`) pass `slack=False`. Every missing
    variable is named in the one line of the ConfigError.
    """
    settings, problems = _gather(environ, cwd=cwd, slack=slack)
    if problems:
        raise ConfigError(_one_line(problems))
    return settings


def check_settings(environ: Mapping[str, str], *, cwd: Path) -> tuple[Settings, list[str]]:
    """Every problem with the settings at once, for `firehouse doctor`, and the settings as far as they go:
    a value with a problem is left empty (or at its default), so the other checks can still run."""
    return _gather(environ, cwd=cwd, slack=True, every_secret=True)


def _gather(environ: Mapping[str, str], *, cwd: Path, slack: bool,
            every_secret: bool = False) -> tuple[Settings, list[str]]:
    """The settings, and each problem found on the way (`every_secret`: also every integration secret missing)."""
    problems: list[str] = []
    missing: list[str] = []
    bot_token = signing_secret = ""
    socket_mode = bool(environ.get("SLACK_APP_TOKEN", "").strip())
    if slack:
        bot_token = environ.get("SLACK_BOT_TOKEN", "").strip()
        if not bot_token:
            missing.append("SLACK_BOT_TOKEN")
        elif not bot_token.startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN must start with xoxb-")
            bot_token = ""
        # Socket Mode: Slack signs nothing it sends over the socket, so the secret is for HTTP mode only.
        signing_secret = environ.get("SLACK_SIGNING_SECRET", "").strip()
        if not signing_secret and not socket_mode:
            missing.append("SLACK_SIGNING_SECRET")
    if missing:
        problems.insert(0, f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set;"
                           " see the README's configuration section")
    app_token = environ.get("SLACK_APP_TOKEN", "").strip() or None
    if app_token and not app_token.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
        app_token = None
    api_url = environ.get("SLACK_API_URL") or DEFAULT_API_URL
    if not re.match(r"^https?://", api_url):
        problems.append(f"SLACK_API_URL must be an http(s) URL, not {api_url!r}")
        api_url = DEFAULT_API_URL
    database_url = database_url_of(environ.get("FIREHOUSE_DATABASE_URL") or f"sqlite:///{cwd / DEFAULT_DATABASE_FILE}")
    templates_dir = drills_dir = None
    try:
        templates_dir = _folder(environ, "FIREHOUSE_TEMPLATES", cwd)
    except ConfigError as err:
        problems.append(str(err))
    try:
        drills_dir = _folder(environ, "FIREHOUSE_DRILLS", cwd)
    except ConfigError as err:
        problems.append(str(err))
    secrets = environ if slack else None
    if every_secret:
        unset = _unset_secrets(environ, cwd=cwd)
        problems += unset
        secrets = None if unset else secrets  # read the rest of the file without them
    file_settings: dict[str, Any] = {}
    file_read = True
    try:
        file_settings = _read_config_file(environ, cwd=cwd, secrets=secrets)
    except ConfigError as err:
        problems.append(str(err))
        file_read = False
    if slack:  # the token switches intake on; commands that never serve leave it off
        file_settings["alerts"], unsafe = with_token(file_settings.get("alerts", AlertSettings()), environ,
                                                     file_read=file_read)
        problems += unsafe
    settings = Settings(
        bot_token=bot_token,
        signing_secret=signing_secret,
        app_token=app_token,
        api_url=api_url if api_url.endswith("/") else api_url + "/",
        database_url=database_url,
        templates_dir=templates_dir,
        drills_dir=drills_dir,
        **file_settings,
    )
    return settings, problems


def database_url_of(url: str) -> str:
    """FIREHOUSE_DATABASE_URL as SQLAlchemy takes it. `postgres://…` (Heroku's and many hosts' form) and a bare
    `postgresql://…` name PostgreSQL without a driver, and SQLAlchemy would reach for psycopg2, which Firehouse
    does not install: both mean the psycopg 3 driver of the `postgres` extra, `postgresql+psycopg://…`."""
    for bare in ("postgres://", "postgresql://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare):]
    return url


def _one_line(problems: list[str]) -> str:
    return problems[0] if len(problems) == 1 else "; ".join(problems)


def _folder(environ: Mapping[str, str], variable: str, cwd: Path) -> Path | None:
    """A folder the environment names (FIREHOUSE_TEMPLATES, FIREHOUSE_DRILLS), relative to `cwd` unless absolute."""
    if not environ.get(variable):
        return None
    folder = Path(environ[variable])
    folder = folder if folder.is_absolute() else cwd / folder
    if not folder.is_dir():
        raise ConfigError(f"{variable} names {environ[variable]}, which is not a folder")
    return folder


def config_path(environ: Mapping[str, str], cwd: Path) -> Path:
    named = environ.get("FIREHOUSE_CONFIG")
    path = Path(named) if named else cwd / DEFAULT_CONFIG_FILE
    return path if path.is_absolute() else cwd / path


def _unset_secrets(environ: Mapping[str, str], *, cwd: Path) -> list[str]:
    """Each firebreak's and trace source's secret variable that the environment lacks, one problem each."""
    path = config_path(environ, cwd)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return []  # the file's own problem is reported when it is read
    unset = []
    subscriptions = data.get("events")
    sections = ("firebreaks", "trace_sources", "metric_sources", "pagers", "status_page")
    for section, tables in (*((s, data.get(s)) for s in sections),
                            ("events", dict(enumerate(subscriptions, 1)) if isinstance(subscriptions, list) else {})):
        for name, spec in (tables.items() if isinstance(tables, dict) else ()):
            for key in ("token_env", "secret_env", "routing_key_env", "webhook_secret_env", "api_key_env"):
                variable = spec.get(key) if isinstance(spec, dict) else None
                if isinstance(variable, str) and variable and not environ.get(variable, "").strip():
                    where = f"{section}[{name}]" if isinstance(name, int) else f"{section}.{name}"
                    unset.append(f"{path.name}: {where}.{key} names {variable}, which is not set in the"
                                 " environment")
    return unset


def _read_config_file(environ: Mapping[str, str], *, cwd: Path, secrets: Mapping[str, str] | None) -> dict[str, Any]:
    named = environ.get("FIREHOUSE_CONFIG")
    path = config_path(environ, cwd)
    if not path.exists():
        if named:
            raise ConfigError(f"FIREHOUSE_CONFIG names {named}, which does not exist")
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return validate(data, secrets=secrets)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path.name}: not valid TOML: {err}") from None
    except ValueError as err:
        raise ConfigError(f"{path.name}: {err}") from None
