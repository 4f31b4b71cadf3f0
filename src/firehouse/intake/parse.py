"""Alertmanager's webhook (version 4) and Grafana's (unified alerting, the same shape with a few more
fields) as domain objects. Everything is checked before anything is stored: BadDelivery names the first
problem, in words the sender's operator can act on."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from firehouse.domain.alerts import FIRING, RESOLVED, Alert, AlertGroup

ALERTMANAGER_VERSION = "4"
MAX_FINGERPRINT = 100
MAX_ALERTS = 1000
STATUSES = (FIRING, RESOLVED)


class BadDelivery(ValueError):
    """The body is not a delivery Firehouse can take; the message says why."""


def parse(source: str, data: Any) -> AlertGroup:
    """A webhook body (parsed JSON) from `source` ("alertmanager" or "grafana") as an AlertGroup."""
    form = "Alertmanager's webhook (version 4)" if source == "alertmanager" else "Grafana's webhook"
    if not isinstance(data, dict):
        raise BadDelivery(f"the body must be a JSON object: {form}")
    version = data.get("version")
    if source == "alertmanager" and version is not None and version != ALERTMANAGER_VERSION:
        raise BadDelivery(f"version must be \"{ALERTMANAGER_VERSION}\" ({form}), not {_shown(version)}")
    status = _status(data.get("status"), "status")
    alerts = data.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise BadDelivery("no alerts: the body needs an `alerts` list with at least one alert")
    if len(alerts) > MAX_ALERTS:
        raise BadDelivery(f"{len(alerts)} alerts in one delivery; at most {MAX_ALERTS}")
    return AlertGroup(
        source=source, status=status, group_key=_text(data.get("groupKey", ""), "groupKey"),
        alerts=tuple(_alert(alert, f"alerts[{n}]", default_status=status, grafana=source == "grafana")
                     for n, alert in enumerate(alerts)),
    )


def _alert(data: Any, where: str, *, default_status: str, grafana: bool) -> Alert:
    if not isinstance(data, dict):
        raise BadDelivery(f"{where} must be an object with labels, annotations, startsAt and status")
    labels = _strings(data.get("labels"), f"{where}.labels")
    if not labels:
        raise BadDelivery(f"{where} has no labels; every alert needs at least its alertname")
    annotations = _strings(data.get("annotations") or {}, f"{where}.annotations")
    fingerprint = _text(data.get("fingerprint", ""), f"{where}.fingerprint") or _fingerprint(labels)
    if len(fingerprint) > MAX_FINGERPRINT:
        raise BadDelivery(f"{where}.fingerprint is longer than {MAX_FINGERPRINT} characters")
    link = _text(data.get("generatorURL", ""), f"{where}.generatorURL")
    if grafana and not link:
        link = _text(data.get("panelURL") or data.get("dashboardURL") or "", f"{where}.panelURL")
    return Alert(
        status=_status(data.get("status", default_status), f"{where}.status"),
        labels=labels, annotations=annotations,
        starts_at=_moment(data.get("startsAt"), f"{where}.startsAt", required=True),
        ends_at=_moment(data.get("endsAt"), f"{where}.endsAt", required=False),
        fingerprint=fingerprint, generator_url=link,
    )


def _status(value: Any, key: str) -> str:
    if value not in STATUSES:
        raise BadDelivery(f"{key} must be \"firing\" or \"resolved\", not {_shown(value)}")
    return value


def _strings(value: Any, key: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadDelivery(f"{key} must be an object of names to strings")
    for name, text in value.items():
        if not isinstance(text, str):
            raise BadDelivery(f"{key}.{name} must be a string, not {_shown(text)}")
    return dict(value)


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise BadDelivery(f"{key} must be a string, not {_shown(value)}")
    return value


def _moment(value: Any, key: str, *, required: bool) -> datetime | None:
    """An RFC 3339 time with its offset, in UTC (as every moment Firehouse stores); Go's zero time (year 1,
    "no end yet") is none."""
    if value in (None, "") and not required:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is not None and moment.tzinfo is not None:
        if moment.year == 1 and not required:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:  # beyond what a datetime holds once in UTC, like 0001-01-01T00:00:00+02:00
            pass
    raise BadDelivery(f"{key} must be an RFC 3339 time like 2026-11-23T09:00:00Z, not {_shown(value)}")


def _fingerprint(labels: dict[str, str]) -> str:
    """For a sender that names none: the labels' SHA-256, so the same alert always gets the same one."""
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]


def _shown(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:59] + "…"
