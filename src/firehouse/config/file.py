"""The TOML settings file: every key validated, so a bad value stops start-up with one clear line."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from firehouse.config import alerts, integrations, paging, shape
from firehouse.config import signals as signal_config
from firehouse.config import statuspage as status_config
from firehouse.config.evidence import evidence as evidence_settings
from firehouse.domain.board import FIRST_HOUR, Cadence
from firehouse.domain.classes import DEFAULT_CAUSES, DEFAULT_CLASSES, LANES, Catalog, IncidentClass
from firehouse.domain.clocks import REGIMES
from firehouse.domain.lifecycle import Status
from firehouse.domain.permissions import ADMINS, ANYONE, CAPTAIN, DEFAULT_RULES, Action, Policy
from firehouse.domain.severity import Severity

DEFAULT_CADENCE = {Severity.SEV1: timedelta(minutes=15), Severity.SEV2: timedelta(minutes=30),
                   Severity.SEV3: timedelta(minutes=60)}
TOP_LEVEL_KEYS = ("stakeholder_channel", "channel_prefix", "cadence", "status_board", "classes", "causes", "roles",
                  "admins", "permissions", "regimes", "regime_classes", "workers", "snapshot_max_bytes",
                  "firebreaks", "trace_sources", "outbox_retention", "alerts", "metric_sources", "signals", "watch",
                  "pagers", "routing", "events", "status_page", "evidence")
MAX_SNAPSHOT = 16_000_000
MAX_WORKERS = 256
DEFAULT_OUTBOX_RETENTION = timedelta(days=30)
BOARD_KEYS = ("missed_before_escalation", "escalate_to", "snooze", "first_hour")


@dataclass(frozen=True)
class BoardSettings:
    """How the status board nags: when it escalates, to whom, and how long a snooze lasts."""

    missed_before_escalation: int = 2
    escalate_to: str | None = None  # a user group id; by default the comms and scribe role holders
    snooze: timedelta = timedelta(minutes=5)
    first_hour: tuple[timedelta, ...] = FIRST_HOUR  # when the first-hour checklist goes to the captain

_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")
_ADMIN_ID = re.compile(r"^[UWS][A-Z0-9]{6,}$")
_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]{0,19}$")
_ID = re.compile(r"^[a-z][a-z0-9-]{0,29}$")
_DURATION = re.compile(r"^(\d+)\s*(s|m|h|d)$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: Any) -> timedelta:
    """`"30s"`, `"15m"`, `"1h"` or `"30d"` → a timedelta."""
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if not match or int(match[1]) == 0:
        raise ValueError(f"{text!r} is not a duration like \"30s\", \"15m\", \"1h\" or \"30d\"")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def duration_at(value: Any, key: str) -> timedelta:
    """`parse_duration`, with the key named in the error."""
    try:
        return parse_duration(value)
    except ValueError as err:
        raise ValueError(f"{key}: {err}") from None


def validate(data: dict[str, Any], *, secrets: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The Settings fields a parsed TOML document sets; ValueError names the first bad key. `secrets` is the
    environment the firebreaks' and trace sources' secrets are read from (None: not read)."""
    shape.no_unknown(data, TOP_LEVEL_KEYS, where="")
    settings: dict[str, Any] = {}
    if "stakeholder_channel" in data:
        settings["stakeholder_channel"] = _matching(data["stakeholder_channel"], _CHANNEL_ID, "stakeholder_channel",
                                                    'a channel id like "C0123456789"')
    if "channel_prefix" in data:
        settings["channel_prefix"] = _matching(
            data["channel_prefix"], _PREFIX, "channel_prefix",
            "1-20 characters of a-z, 0-9 and '-', starting with a letter or digit")
    if "workers" in data:
        workers = data["workers"]
        if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
            raise ValueError(f"workers must be a whole number from 1 to {MAX_WORKERS}, not {workers!r}")
        settings["workers"] = workers
    if "snapshot_max_bytes" in data:
        cap = data["snapshot_max_bytes"]
        if isinstance(cap, bool) or not isinstance(cap, int) or not 1000 <= cap <= MAX_SNAPSHOT:
            raise ValueError(f"snapshot_max_bytes must be a whole number from 1000 to {MAX_SNAPSHOT}, not {cap!r}")
        settings["snapshot_max_bytes"] = cap
    if "firebreaks" in data:
        settings["firebreaks"] = integrations.firebreaks(data["firebreaks"], secrets=secrets, duration=duration_at)
    if "trace_sources" in data:
        settings["trace_sources"] = integrations.trace_sources(data["trace_sources"], secrets=secrets,
                                                               duration=duration_at)
    if "metric_sources" in data:
        settings["metric_sources"] = signal_config.metric_sources(data["metric_sources"], secrets=secrets,
                                                                  duration=duration_at)
    if "signals" in data:
        settings["signals"] = signal_config.signals(data["signals"], sources=settings.get("metric_sources", {}),
                                                    duration=duration_at)
    if "watch" in data:
        settings["watch"] = signal_config.watch(data["watch"], duration=duration_at)
    if "pagers" in data:
        settings["pagers"] = paging.pagers(data["pagers"], secrets=secrets, duration=duration_at)
    if "events" in data:
        settings["events"] = paging.events(data["events"], secrets=secrets, duration=duration_at)
    if "outbox_retention" in data:
        settings["outbox_retention"] = duration_at(data["outbox_retention"], "outbox_retention")
    if "cadence" in data:
        settings["cadence"] = _cadence(data["cadence"])
    if "status_board" in data:
        settings["board"] = _board(data["status_board"])
    catalog = Catalog(
        classes=_classes(data.get("classes", {})),
        causes=_causes(data.get("causes", {})),
        roles=_roles(data.get("roles", list(Catalog().roles))),
    )
    settings["catalog"] = catalog
    settings["admins"] = tuple(_matching(a, _ADMIN_ID, "admins", "a user id (U…) or user group id (S…)")
                               for a in _list(data.get("admins", []), "admins"))
    settings["policy"] = _policy(data.get("permissions", {}), catalog.roles)
    settings["regimes"] = _regimes(data.get("regimes", []), data.get("regime_classes", {}), catalog)
    if "routing" in data:
        settings["routing"] = paging.routing(data["routing"], pagers=settings.get("pagers", {}), catalog=catalog)
    if "alerts" in data:
        settings["alerts"] = alerts.alerts(data["alerts"], catalog=catalog, duration=duration_at)
    if "evidence" in data:
        settings["evidence"] = evidence_settings(data["evidence"], duration=duration_at)
    if "status_page" in data:
        settings["status_page"] = status_config.status_page(data["status_page"], catalog=catalog, secrets=secrets,
                                                            duration=duration_at)
    return settings


def _regimes(enabled: Any, classes: Any, catalog: Catalog) -> dict[str, tuple[str, ...]]:
    """The enabled regimes and the classes each covers (its defaults unless `[regime_classes]` says)."""
    enabled = _list(enabled, "regimes")
    unknown = [r for r in enabled if r not in REGIMES]
    if unknown:
        raise ValueError(f"regimes may list {', '.join(REGIMES)}, not {unknown[0]!r}")
    classes = shape.table(classes, "regime_classes")
    shape.no_unknown(classes, enabled, where="regime_classes.")
    regimes = {}
    for regime in enabled:
        covered = tuple(_list(classes.get(regime, list(REGIMES[regime].classes)), f"regime_classes.{regime}"))
        stray = [c for c in covered if c not in catalog.classes and c not in REGIMES[regime].classes]
        if stray:
            raise ValueError(f"regime_classes.{regime} names {stray[0]!r}, which is not a class")
        regimes[regime] = tuple(c for c in covered if c in catalog.classes)
    return regimes


def _matching(value: Any, pattern: re.Pattern, key: str, shape: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise ValueError(f"{key} must be {shape}, not {value!r}")
    return value


def _list(value: Any, key: str) -> list:
    if not isinstance(value, list):
        raise ValueError(f"{key} must be a list")
    return value


def _cadence(table: Any) -> Cadence:
    """`sev1 = "15m"` per severity, and optionally `[cadence.<status>]` tables that override it."""
    by_severity = dict(DEFAULT_CADENCE)
    by_status: dict[Status, dict[Severity, timedelta]] = {}
    open_statuses = [s.value for s in Status if s.is_open]
    for key, value in shape.table(table, "cadence").items():
        if key in open_statuses:
            by_status[Status(key)] = _intervals(shape.table(value, f"cadence.{key}"), f"cadence.{key}")
        else:
            by_severity.update(_intervals({key: value}, "cadence", extra=open_statuses))
    return Cadence(by_severity, by_status)


def _intervals(table: dict, where: str, extra: list[str] = ()) -> dict[Severity, timedelta]:
    intervals = {}
    for key, value in table.items():
        severity = Severity.from_text(key) if key.lower().startswith("sev") else None
        if severity is None:
            raise ValueError(f"unknown key {where}.{key} (known keys: {', '.join(['sev1', 'sev2', 'sev3', *extra])})")
        intervals[severity] = duration_at(value, f"{where}.{key}")
    return intervals


def _board(table: Any) -> BoardSettings:
    table = shape.table(table, "status_board")
    shape.no_unknown(table, BOARD_KEYS, where="status_board.")
    missed = table.get("missed_before_escalation", 2)
    if not isinstance(missed, int) or isinstance(missed, bool) or missed < 1:
        raise ValueError(f"status_board.missed_before_escalation must be a whole number of at least 1, not {missed!r}")
    escalate_to = table.get("escalate_to")
    if escalate_to is not None:
        _matching(escalate_to, re.compile(r"^S[A-Z0-9]{6,}$"), "status_board.escalate_to", "a user group id (S…)")
    snooze = duration_at(table.get("snooze", "5m"), "status_board.snooze")
    first_hour = FIRST_HOUR
    if "first_hour" in table:
        first_hour = tuple(duration_at(d, "status_board.first_hour")
                           for d in _list(table["first_hour"], "status_board.first_hour"))
        if list(first_hour) != sorted(set(first_hour)):
            raise ValueError("status_board.first_hour must be increasing, like [\"10m\", \"20m\", \"40m\", \"60m\"]")
    return BoardSettings(missed, escalate_to, snooze, first_hour)


def _classes(table: Any) -> dict[str, IncidentClass]:
    """Defaults, then `[classes.<id>]` adds or adjusts a class and `<id> = false` removes one."""
    classes = dict(DEFAULT_CLASSES)
    for class_id, spec in shape.table(table, "classes").items():
        _matching(class_id, _ID, "a class id", "lowercase letters, digits and '-'")
        if spec is False:
            classes.pop(class_id, None)
            continue
        spec = shape.table(spec, f"classes.{class_id}")
        shape.no_unknown(spec, ("description", "lanes", "private"), where=f"classes.{class_id}.")
        base = classes.get(class_id)
        if base is None and "description" not in spec:
            raise ValueError(f"classes.{class_id} is new, so it needs a description")
        lanes = tuple(_list(spec.get("lanes", list(base.lanes) if base else ["internal"]), f"classes.{class_id}.lanes"))
        if not set(lanes) <= set(LANES):
            raise ValueError(f"classes.{class_id}.lanes may hold {', '.join(LANES)}, not {list(lanes)}")
        private = spec.get("private", base.private if base else False)
        if not isinstance(private, bool):
            raise ValueError(f"classes.{class_id}.private must be true or false")
        description = spec.get("description", base.description if base else "")
        classes[class_id] = IncidentClass(class_id, str(description), lanes, private)
    if not classes:
        raise ValueError("[classes] removes every class; keep at least one")
    return classes


def _causes(table: Any) -> dict[str, str]:
    """Defaults, then `<id> = "description"` adds or adjusts a cause and `<id> = false` removes one."""
    causes = dict(DEFAULT_CAUSES)
    for cause, description in shape.table(table, "causes").items():
        _matching(cause, _ID, "a cause id", "lowercase letters, digits and '-'")
        if description is False:
            causes.pop(cause, None)
        elif isinstance(description, str) and description.strip():
            causes[cause] = description.strip()
        else:
            raise ValueError(f"causes.{cause} must be a description, or false to remove it")
    if not causes:
        raise ValueError("[causes] removes every cause; keep at least one")
    return causes


def _roles(value: Any) -> tuple[str, ...]:
    roles = tuple(_matching(r, _ID, "each role", "lowercase letters, digits and '-'") for r in _list(value, "roles"))
    reserved = {ANYONE, CAPTAIN, ADMINS} & set(roles)
    if reserved:
        raise ValueError(f"roles: {sorted(reserved)[0]!r} is reserved; the fire captain is not a role")
    return roles


def _policy(table: Any, roles: tuple[str, ...]) -> Policy:
    """Defaults (less any role [roles] removed), then `<action> = [who, …]` for each configured action."""
    allowed = (ANYONE, CAPTAIN, ADMINS, *roles)
    rules = {action: frozenset(w for w in who if w in allowed) for action, who in DEFAULT_RULES.items()}
    for action, who in shape.table(table, "permissions").items():
        if action not in set(Action):  # a string is a member by value; `in Action` refuses strings before 3.12
            raise ValueError(f"unknown key permissions.{action} (known keys: {', '.join(Action)})")
        who = _list(who, f"permissions.{action}")
        unknown = [w for w in who if w not in allowed]
        if unknown or not who:
            raise ValueError(f"permissions.{action} may list {', '.join(allowed)}, not {who}")
        rules[Action(action)] = frozenset(who)
    for action, who in rules.items():
        if not who:
            removed = sorted(DEFAULT_RULES[action])[0]
            raise ValueError(f"roles removes {removed!r}, who may {action.says}; set permissions.{action}")
    return Policy(rules)
