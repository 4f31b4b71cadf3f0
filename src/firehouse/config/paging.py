"""`[pagers.<name>]`, `[[routing]]` and `[[events]]`: who is paged, who is pulled in, and which other systems
hear of every change. Secrets are named by environment variable, as for firebreaks."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from firehouse.config import shape
from firehouse.config.integrations import named, secret_of, signing_secret, text_of, url_of
from firehouse.domain.classes import Catalog
from firehouse.domain.notifications import EVENT_TYPES
from firehouse.domain.routing import MATCH_KEYS, Rule

PAGER_KINDS = {
    "pagerduty": {"required": ("routing_key_env",), "optional": ("url", "webhook_secret_env", "change_events")},
    "alertmanager": {"required": ("url",), "optional": ()},
    "webhook": {"required": ("url", "secret_env"), "optional": ()},
}
PAGERDUTY_URL = "https://events.pagerduty.com"
ROUTING_KEYS = ("name", "match", "invite", "announce", "page")
EVENTS_KEYS = ("name", "url", "secret_env", "types", "private", "timeout")
DEFAULT_TIMEOUT = timedelta(seconds=10)
MAX_RULE_NAME = 60  # as the incident remembers it
_PERSON_OR_GROUP = re.compile(r"^[UWS][A-Z0-9]{6,}$")
_CHANNEL = re.compile(r"^[CG][A-Z0-9]{6,}$")
_TYPE_PATTERN = re.compile(r"^[a-z_*]+(\.[a-z_*]+)?$")


@dataclass(frozen=True)
class PagerSettings:
    """A pager and how to reach it; `secret` is PagerDuty's routing key or the webhook's signing secret."""

    name: str
    kind: str
    url: str
    secret: str = field(default="", repr=False)
    webhook_secret: str = field(default="", repr=False)  # PagerDuty's v3 webhook signing secret
    # where PagerDuty's routing key was read from, for `firehouse doctor` to name: not part of the setting's value
    routing_key_env: str = field(default="", compare=False)
    change_events: bool = False
    timeout: timedelta = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class Subscription:
    """An `[[events]]` receiver: the event types it wants (patterns like `incident.*`), signed with `secret`."""

    name: str
    url: str
    secret: str = field(repr=False)
    types: tuple[str, ...] = ("*",)
    private: bool = False  # whether private incidents' titles and texts may be sent
    timeout: timedelta = DEFAULT_TIMEOUT

    def wants(self, event_type: str) -> bool:
        return any(fnmatch.fnmatchcase(event_type, pattern) for pattern in self.types)


def pagers(table: Any, *, secrets: Mapping[str, str] | None, duration: Any) -> dict[str, PagerSettings]:
    found = {}
    for name, where, spec in named(table, "pagers"):
        kind = spec.get("kind")
        if kind not in PAGER_KINDS:
            raise ValueError(f"{where}.kind must be one of {', '.join(PAGER_KINDS)}, not {kind!r}")
        shape.no_unknown(spec, ("kind", "timeout", *PAGER_KINDS[kind]["required"], *PAGER_KINDS[kind]["optional"]),
                         where=f"{where}.")
        missing = [key for key in PAGER_KINDS[kind]["required"] if key not in spec]
        if missing:
            raise ValueError(f"{where} lacks {missing[0]} (a {kind} pager needs "
                             f"{', '.join(PAGER_KINDS[kind]['required'])})")
        secret = webhook_secret = ""
        if kind == "pagerduty":
            secret = secret_of(spec["routing_key_env"], f"{where}.routing_key_env", secrets)
            if "webhook_secret_env" in spec:
                webhook_secret = secret_of(spec["webhook_secret_env"], f"{where}.webhook_secret_env", secrets)
        elif kind == "webhook":
            secret = secret_of(spec["secret_env"], f"{where}.secret_env", secrets)
            if secrets is not None and not signing_secret(secret):
                raise ValueError(f"{where}.secret_env names {spec['secret_env']}, which must hold a Standard"
                                 " Webhooks signing secret: whsec_ followed by base64")
        change_events = spec.get("change_events", False)
        if not isinstance(change_events, bool):
            raise ValueError(f"{where}.change_events must be true or false")
        found[name] = PagerSettings(
            name=name, kind=kind, url=url_of(spec.get("url", PAGERDUTY_URL), f"{where}.url").rstrip("/"),
            secret=secret, webhook_secret=webhook_secret, change_events=change_events,
            routing_key_env=spec.get("routing_key_env", ""),
            timeout=duration(spec["timeout"], f"{where}.timeout") if "timeout" in spec else DEFAULT_TIMEOUT)
    return found


def routing(rules: Any, *, pagers: Mapping[str, PagerSettings], catalog: Catalog) -> tuple[Rule, ...]:
    """`[[routing]]`: each rule checked against the pagers, classes and causes it names."""
    found: list[Rule] = []
    for number, where, spec in listed(rules, "routing", ROUTING_KEYS):
        name = text_of(spec.get("name", f"rule {number}"), f"{where}.name")
        if len(name) > MAX_RULE_NAME:
            raise ValueError(f"{where}.name is at most {MAX_RULE_NAME} characters")
        if any(rule.name == name for rule in found):
            raise ValueError(f"{where}.name {name!r} is already another rule's")
        match = shape.table(spec.get("match", {}), f"{where}.match")
        shape.no_unknown(match, MATCH_KEYS, where=f"{where}.match.")
        wanted = {key: _names(match[key], f"{where}.match.{key}") for key in MATCH_KEYS if key in match}
        known = {"class": catalog.classes, "severity": ("sev1", "sev2", "sev3"), "cause": catalog.causes}
        for key, values in wanted.items():
            wanted[key] = tuple(value.lower() if key == "severity" else value for value in values)
            unknown = [value for value in wanted[key] if value not in known[key]]
            if unknown:
                raise ValueError(f"{where}.match.{key}: {unknown[0]!r} is not one of {', '.join(known[key])}")
        rule = Rule(name=name, match=wanted, key="" if "name" in spec else _content_key(spec),
                    invite=_ids(spec.get("invite", []), _PERSON_OR_GROUP, f"{where}.invite",
                                "a user id (U…) or user group id (S…)"),
                    announce=_ids(spec.get("announce", []), _CHANNEL, f"{where}.announce",
                                  'a channel id like "C0123456789"'),
                    page=_names(spec.get("page", []), f"{where}.page", empty=True))
        for pager in rule.page:
            if pager not in pagers:
                raise ValueError(f"{where}.page names {pager!r}, which is not one of the [pagers] "
                                 f"({', '.join(pagers) or 'none configured'})")
        if not (rule.invite or rule.announce or rule.page):
            raise ValueError(f"{where} does nothing: give it invite, announce or page")
        found.append(rule)
    return tuple(found)


def events(subscriptions: Any, *, secrets: Mapping[str, str] | None, duration: Any) -> tuple[Subscription, ...]:
    """`[[events]]`: each subscription's receiver, secret and the event types it wants."""
    found: list[Subscription] = []
    for _, where, spec in listed(subscriptions, "events", EVENTS_KEYS):
        for key in ("name", "url", "secret_env"):
            if key not in spec:
                raise ValueError(f"{where} lacks {key} (a subscription needs name, url and secret_env)")
        name = text_of(spec["name"], f"{where}.name")
        if not re.match(r"^[a-z0-9][a-z0-9_-]{0,39}$", name):
            raise ValueError(f"{where}.name: a name is 1-40 characters of a-z, 0-9, '_' and '-'")
        if any(other.name == name for other in found):
            raise ValueError(f"{where}.name {name!r} is already another subscription's")
        secret = secret_of(spec["secret_env"], f"{where}.secret_env", secrets)
        if secrets is not None and not signing_secret(secret):
            raise ValueError(f"{where}.secret_env names {spec['secret_env']}, which must hold a Standard Webhooks"
                             " signing secret: whsec_ followed by base64")
        types = _names(spec.get("types", ["*"]), f"{where}.types")
        for pattern in types:
            if not _TYPE_PATTERN.match(pattern) or not any(fnmatch.fnmatchcase(t, pattern) for t in EVENT_TYPES):
                raise ValueError(f"{where}.types: {pattern!r} is not an event type or a pattern of them, with * for any"
                                 " part (like incident.*, firebreak.pulled or *)")
        private = spec.get("private", False)
        if not isinstance(private, bool):
            raise ValueError(f"{where}.private must be true or false")
        found.append(Subscription(
            name=name, url=url_of(spec["url"], f"{where}.url"), secret=secret, types=types, private=private,
            timeout=duration(spec["timeout"], f"{where}.timeout") if "timeout" in spec else DEFAULT_TIMEOUT))
    return tuple(found)


def listed(tables: Any, section: str, keys: tuple[str, ...]) -> Iterator[tuple[int, str, dict]]:
    """Each `[[section]]` table: its place in the file (from 1), where it stands (`section[N]`) and its keys."""
    if not isinstance(tables, list):
        raise ValueError(f"{section} must be a list of tables: [[{section}]]")
    for number, spec in enumerate(tables, start=1):
        where = f"{section}[{number}]"
        spec = shape.table(spec, where)
        shape.no_unknown(spec, keys, where=f"{where}.")
        yield number, where, spec


def _content_key(spec: dict) -> str:
    """An unnamed rule's key: what it matches and does, hashed (a rule that changes is a new rule)."""
    said = json.dumps({key: spec.get(key) for key in ("match", "invite", "announce", "page")}, sort_keys=True)
    return "rule:" + hashlib.sha256(said.encode()).hexdigest()[:16]


def _names(value: Any, key: str, *, empty: bool = False) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values) or (
            not values and not empty):
        raise ValueError(f"{key} must be a string or a list of strings")
    return tuple(dict.fromkeys(values))


def _ids(value: Any, pattern: re.Pattern, key: str, shape_of: str) -> tuple[str, ...]:
    values = _names(value, key, empty=True)
    for item in values:
        if not pattern.match(item):
            raise ValueError(f"{key}: {item!r} is not {shape_of}")
    return values
