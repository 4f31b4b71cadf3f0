"""Settings, read once at start-up from the environment and an optional TOML file.

Everything is validated here so that a bad value stops `firehouse serve` with one clear line,
instead of surprising a responder at 2 a.m.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from firehouse.config.integrations import FirebreakSettings, TraceSourceSettings
from firehouse.config.file import DEFAULT_CADENCE, BoardSettings, parse_duration, validate
from firehouse.domain.board import Cadence
from firehouse.domain.classes import Catalog
from firehouse.domain.permissions import Policy
from firehouse.errors import ConfigError

__all__ = ["Settings", "load_settings", "parse_duration"]

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
    workers: int = 16  # threads for the work after an ack, and as many for Slack calls made at once
    snapshot_max_bytes: int = 1_000_000  # evidence kept per snapshot; longer fields and traces are cut
    firebreaks: Mapping[str, FirebreakSettings] = field(default_factory=dict)
    trace_sources: Mapping[str, TraceSourceSettings] = field(default_factory=dict)

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None


def load_settings(environ: Mapping[str, str], *, cwd: Path, slack: bool = True) -> Settings:
    """Build the settings from `environ` and the TOML file it names (or `firehouse.toml` in `cwd`).

    Commands that never talk to Slack (`render`, `templates check`) pass `slack=False`.
    """
    bot_token = _required(environ, "SLACK_BOT_TOKEN", "xoxb-") if slack else ""
    signing_secret = _required(environ, "SLACK_SIGNING_SECRET") if slack else ""
    app_token = environ.get("SLACK_APP_TOKEN") or None
    if app_token and not app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
    api_url = environ.get("SLACK_API_URL") or DEFAULT_API_URL
    if not re.match(r"^https?://", api_url):
        raise ConfigError(f"SLACK_API_URL must be an http(s) URL, not {api_url!r}")
    database_url = environ.get("FIREHOUSE_DATABASE_URL") or f"sqlite:///{cwd / DEFAULT_DATABASE_FILE}"
    templates_dir = None
    if environ.get("FIREHOUSE_TEMPLATES"):
        templates_dir = Path(environ["FIREHOUSE_TEMPLATES"])
        templates_dir = templates_dir if templates_dir.is_absolute() else cwd / templates_dir
        if not templates_dir.is_dir():
            raise ConfigError(f"FIREHOUSE_TEMPLATES names {environ['FIREHOUSE_TEMPLATES']}, which is not a folder")
    file_settings = _read_config_file(environ, cwd=cwd, secrets=environ if slack else None)
    return Settings(
        bot_token=bot_token,
        signing_secret=signing_secret,
        app_token=app_token,
        api_url=api_url if api_url.endswith("/") else api_url + "/",
        database_url=database_url,
        templates_dir=templates_dir,
        **file_settings,
    )


def _required(environ: Mapping[str, str], name: str, prefix: str = "") -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set; see the README's configuration section")
    if prefix and not value.startswith(prefix):
        raise ConfigError(f"{name} must start with {prefix}")
    return value


def _read_config_file(environ: Mapping[str, str], *, cwd: Path, secrets: Mapping[str, str] | None) -> dict[str, Any]:
    named = environ.get("FIREHOUSE_CONFIG")
    path = Path(named) if named else cwd / DEFAULT_CONFIG_FILE
    if not path.is_absolute():
        path = cwd / path
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
