"""`[alerts]`: who captains the investigations alerts open, the label rules that triage them, storm control.

The bearer token that switches alert intake on is a secret, so it comes from the environment
(`FIREHOUSE_ALERT_TOKEN`), never from the file; with it set, `[alerts] captain` is required.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from firehouse.config import shape
from firehouse.domain.alerts import Rule
from firehouse.domain.classes import Catalog
from firehouse.domain.severity import Severity

TOKEN_VARIABLE = "FIREHOUSE_ALERT_TOKEN"
KEYS = ("captain", "class", "severity", "storm_limit", "storm_window", "rules")
RULE_KEYS = ("match", "class", "severity", "captain")
MIN_TOKEN = 16  # characters: a guessable token would let anyone open war rooms
MAX_STORM_LIMIT = 1000
_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class AlertSettings:
    """Alert intake: on when `token` is set. Defaults for what no rule says: the catalogue's default class, SEV3."""

    token: str | None = field(default=None, repr=False)
    captain: str | None = None  # the default fire captain (provisional) of the investigations alerts open
    class_id: str | None = None  # None: the catalogue's default class
    severity: Severity = Severity.SEV3
    rules: tuple[Rule, ...] = ()
    storm_limit: int = 5  # war rooms alerts may open within `storm_window`; further groups share one
    storm_window: timedelta = timedelta(minutes=10)

    @property
    def enabled(self) -> bool:
        return self.token is not None


def alerts(table: Any, *, catalog: Catalog, duration: Callable[[Any, str], timedelta]) -> AlertSettings:
    """Parse `[alerts]`; ValueError names the first bad key."""
    table = shape.table(table, "alerts")
    shape.no_unknown(table, KEYS, where="alerts.")
    settings: dict[str, Any] = {}
    if "captain" in table:
        settings["captain"] = _user(table["captain"], "alerts.captain")
    if "class" in table:
        settings["class_id"] = _class(table["class"], "alerts.class", catalog)
    if "severity" in table:
        settings["severity"] = _severity(table["severity"], "alerts.severity")
    if "storm_limit" in table:
        limit = table["storm_limit"]
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_STORM_LIMIT:
            raise ValueError(f"alerts.storm_limit must be a whole number from 1 to {MAX_STORM_LIMIT}, not {limit!r}")
        settings["storm_limit"] = limit
    if "storm_window" in table:
        settings["storm_window"] = duration(table["storm_window"], "alerts.storm_window")
    if "rules" in table:
        rules = table["rules"]
        if not isinstance(rules, list):
            raise ValueError("alerts.rules must be a list of tables: [[alerts.rules]]")
        settings["rules"] = tuple(_rule(rule, f"alerts.rules[{n}]", catalog) for n, rule in enumerate(rules, 1))
    return AlertSettings(**settings)


def with_token(settings: AlertSettings, environ: Mapping[str, str], *,
               file_read: bool = True) -> tuple[AlertSettings, list[str]]:
    """The settings with the token from the environment, and what is wrong with the two together (a file that
    could not be read has said so already: its missing captain is not another problem)."""
    token = environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        return settings, []
    problems = []
    if len(token) < MIN_TOKEN:
        problems.append(f"{TOKEN_VARIABLE} must be at least {MIN_TOKEN} characters (e.g. `openssl rand -hex 32`)")
    if settings.captain is None and file_read:
        problems.append(f"{TOKEN_VARIABLE} is set, so [alerts] captain must name the default fire captain of the"
                        " investigations alerts open (a user id like \"U0123456789\")")
    return replace(settings, token=None if problems else token), problems


def _rule(spec: Any, where: str, catalog: Catalog) -> Rule:
    if not isinstance(spec, dict):
        raise ValueError(f"{where} must be a table with match and class, severity or captain")
    shape.no_unknown(spec, RULE_KEYS, where=f"{where}.")
    match = spec.get("match")
    if not isinstance(match, dict) or not match:
        raise ValueError(f"{where}.match must name at least one label: match = {{ ai_class = \"cost\" }}")
    for label, value in match.items():
        if not _LABEL.match(label) or not isinstance(value, str):
            raise ValueError(f"{where}.match: {label!r} = {value!r} is not a label name and a string value")
    if not {"class", "severity", "captain"} & set(spec):
        raise ValueError(f"{where} sets nothing: give it a class, a severity or a captain")
    return Rule(
        match=dict(match),
        class_id=_class(spec["class"], f"{where}.class", catalog) if "class" in spec else None,
        severity=_severity(spec["severity"], f"{where}.severity") if "severity" in spec else None,
        captain=_user(spec["captain"], f"{where}.captain") if "captain" in spec else None,
    )


def _user(value: Any, key: str) -> str:
    if not isinstance(value, str) or not _USER.match(value):
        raise ValueError(f"{key} must be a user id like \"U0123456789\", not {value!r}")
    return value


def _class(value: Any, key: str, catalog: Catalog) -> str:
    if not isinstance(value, str) or value not in catalog.classes:
        raise ValueError(f"{key} must be one of this deployment's classes ({', '.join(catalog.classes)}),"
                         f" not {value!r}")
    return value


def _severity(value: Any, key: str) -> Severity:
    severity = Severity.from_text(str(value)) if isinstance(value, str | int) and not isinstance(value, bool) else None
    if severity is None:
        raise ValueError(f"{key} must be sev1, sev2 or sev3, not {value!r}")
    return severity
