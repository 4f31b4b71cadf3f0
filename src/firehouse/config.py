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

from firehouse.domain.severity import Severity
from firehouse.errors import ConfigError

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_CONFIG_FILE = "firehouse.toml"
DEFAULT_DATABASE_FILE = "firehouse.db"
DEFAULT_CADENCE = {Severity.SEV1: timedelta(minutes=15), Severity.SEV2: timedelta(minutes=30),
                   Severity.SEV3: timedelta(minutes=60)}

_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")
_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]{0,19}$")
_DURATION = re.compile(r"^(\d+)\s*(s|m|h)$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours"}
_TOP_LEVEL_KEYS = ("stakeholder_channel", "channel_prefix", "cadence")


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
    cadence: Mapping[Severity, timedelta] = field(default_factory=lambda: dict(DEFAULT_CADENCE))

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None


def parse_duration(text: str) -> timedelta:
    """`"30s"`, `"15m"` or `"1h"` → a timedelta."""
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if not match or int(match[1]) == 0:
        raise ValueError(f"{text!r} is not a duration like \"30s\", \"15m\" or \"1h\"")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def load_settings(environ: Mapping[str, str], *, cwd: Path) -> Settings:
    """Build the settings from `environ` and the TOML file it names (or `firehouse.toml` in `cwd`)."""
    bot_token = _required(environ, "SLACK_BOT_TOKEN", "xoxb-")
    signing_secret = _required(environ, "SLACK_SIGNING_SECRET")
    app_token = environ.get("SLACK_APP_TOKEN") or None
    if app_token and not app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
    api_url = environ.get("SLACK_API_URL") or DEFAULT_API_URL
    if not re.match(r"^https?://", api_url):
        raise ConfigError(f"SLACK_API_URL must be an http(s) URL, not {api_url!r}")
    database_url = environ.get("FIREHOUSE_DATABASE_URL") or f"sqlite:///{cwd / DEFAULT_DATABASE_FILE}"
    file_settings = _read_config_file(environ, cwd=cwd)
    return Settings(
        bot_token=bot_token,
        signing_secret=signing_secret,
        app_token=app_token,
        api_url=api_url if api_url.endswith("/") else api_url + "/",
        database_url=database_url,
        **file_settings,
    )


def _required(environ: Mapping[str, str], name: str, prefix: str = "") -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set; see the README's configuration section")
    if prefix and not value.startswith(prefix):
        raise ConfigError(f"{name} must start with {prefix}")
    return value


def _read_config_file(environ: Mapping[str, str], *, cwd: Path) -> dict[str, Any]:
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
        return _validate(data)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path.name}: not valid TOML: {err}") from None
    except ValueError as err:
        raise ConfigError(f"{path.name}: {err}") from None


def _validate(data: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(_TOP_LEVEL_KEYS))
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} (known keys: {', '.join(_TOP_LEVEL_KEYS)})")
    settings: dict[str, Any] = {}
    if "stakeholder_channel" in data:
        channel = data["stakeholder_channel"]
        if not isinstance(channel, str) or not _CHANNEL_ID.match(channel):
            raise ValueError(f"stakeholder_channel must be a channel id like \"C0123456789\", not {channel!r}")
        settings["stakeholder_channel"] = channel
    if "channel_prefix" in data:
        prefix = data["channel_prefix"]
        if not isinstance(prefix, str) or not _PREFIX.match(prefix):
            raise ValueError(
                f"channel_prefix must be 1-20 characters of a-z, 0-9 and '-', starting with a letter or digit,"
                f" not {prefix!r}"
            )
        settings["channel_prefix"] = prefix
    if "cadence" in data:
        settings["cadence"] = _validate_cadence(data["cadence"])
    return settings


def _validate_cadence(table: Any) -> dict[Severity, timedelta]:
    if not isinstance(table, dict):
        raise ValueError("[cadence] must be a table such as sev1 = \"15m\"")
    cadence = dict(DEFAULT_CADENCE)
    for key, value in table.items():
        severity = Severity.from_text(key) if key.lower().startswith("sev") else None
        if severity is None:
            raise ValueError(f"unknown key cadence.{key} (known keys: sev1, sev2, sev3)")
        try:
            cadence[severity] = parse_duration(value)
        except ValueError as err:
            raise ValueError(f"cadence.{key}: {err}") from None
    return cadence
