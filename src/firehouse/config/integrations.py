"""`[firebreaks.<name>]` and `[trace_sources.<name>]`: the other systems Firehouse acts on or reads from.

Secrets never sit in the file: each table names the environment variable that holds its secret, and the
value is read once at start-up (a missing one stops `firehouse serve` with one line).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from firehouse.config import shape
from firehouse.domain.firebreaks import KINDS, ROLLBACK_OF, Configured

EXECUTORS = {
    "unleash": {"required": ("url", "token_env", "feature", "environment"),
                "optional": ("project", "action", "timeout")},
    "webhook": {"required": ("url", "secret_env"), "optional": ("timeout",)},
}
COMMON = ("kind", "target", "executor", "rollback")
TRACE_KEYS = ("url", "header", "token_env", "timeout")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_URL = re.compile(r"^https?://[^\s]+$")
_ENV = re.compile(r"^[A-Z_][A-Z0-9_]*$")
DEFAULT_TIMEOUT = timedelta(seconds=10)


@dataclass(frozen=True)
class FirebreakSettings:
    """A configured firebreak and what its executor needs (the secret already read from the environment)."""

    configured: Configured
    url: str
    secret: str = field(repr=False)
    timeout: timedelta = DEFAULT_TIMEOUT
    project: str = "default"
    feature: str = ""
    environment: str = ""
    action: str = "off"  # unleash: what pulling does to the flag; lifting does the other


@dataclass(frozen=True)
class TraceSourceSettings:
    """Where `/incident snapshot trace=<id>` fetches a trace: a URL template with `{trace_id}`."""

    name: str
    url: str
    header: str | None = None
    token: str | None = field(default=None, repr=False)
    timeout: timedelta = timedelta(seconds=5)


def firebreaks(table: Any, *, secrets: Mapping[str, str] | None,
               duration: Any) -> dict[str, FirebreakSettings]:
    """Parse `[firebreaks.*]`; `secrets` is the environment (None: do not read secrets, for commands that
    never pull anything)."""
    found = {}
    for name, where, spec in named(table, "firebreaks"):
        executor = spec.get("executor")
        if executor not in EXECUTORS:
            raise ValueError(f"{where}.executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
        known = (*COMMON, *EXECUTORS[executor]["required"], *EXECUTORS[executor]["optional"])
        shape.no_unknown(spec, known, where=f"{where}.")
        missing = [k for k in ("kind", "target", *EXECUTORS[executor]["required"]) if not spec.get(k)]
        if missing:
            raise ValueError(f"{where} lacks {missing[0]} (a {executor} firebreak needs "
                             f"{', '.join(('kind', 'target', *EXECUTORS[executor]['required']))})")
        kind = text_of(spec["kind"], f"{where}.kind")
        if kind not in KINDS:
            raise ValueError(f"{where}.kind must be one of {', '.join(KINDS)}, not {kind!r}")
        rollback = spec.get("rollback")
        if rollback is not None and (kind != "rollback" or rollback not in ROLLBACK_OF):
            raise ValueError(f"{where}.rollback goes with kind = \"rollback\" and is one of {', '.join(ROLLBACK_OF)}")
        action = spec.get("action", "off")
        if action not in ("off", "on"):
            raise ValueError(f"{where}.action must be \"off\" (a kill switch) or \"on\" (a fallback flag)")
        secret_key = "token_env" if executor == "unleash" else "secret_env"
        secret = secret_of(spec[secret_key], f"{where}.{secret_key}", secrets)
        if executor == "webhook" and secrets is not None and not signing_secret(secret):
            raise ValueError(f"{where}.secret_env names {spec[secret_key]}, which must hold a Standard Webhooks"
                             " signing secret: whsec_ followed by base64")
        found[name] = FirebreakSettings(
            configured=Configured(name=name, kind=kind, target=text_of(spec["target"], f"{where}.target"),
                                  executor=executor, rollback_of=rollback),
            url=url_of(spec["url"], f"{where}.url"),
            secret=secret,
            timeout=duration(spec["timeout"], f"{where}.timeout") if "timeout" in spec else DEFAULT_TIMEOUT,
            project=text_of(spec.get("project", "default"), f"{where}.project"),
            feature=text_of(spec.get("feature", ""), f"{where}.feature", empty=executor != "unleash"),
            environment=text_of(spec.get("environment", ""), f"{where}.environment", empty=executor != "unleash"),
            action=action,
        )
    return found


def trace_sources(table: Any, *, secrets: Mapping[str, str] | None, duration: Any) -> dict[str, TraceSourceSettings]:
    found = {}
    for name, where, spec in named(table, "trace_sources"):
        shape.no_unknown(spec, TRACE_KEYS, where=f"{where}.")
        url = url_of(spec.get("url"), f"{where}.url")
        if "{trace_id}" not in url:
            raise ValueError(f"{where}.url must contain {{trace_id}}, where the trace id goes")
        header, token = header_and_token(spec, where, secrets)
        found[name] = TraceSourceSettings(
            name=name, url=url, header=header, token=token,
            timeout=duration(spec["timeout"], f"{where}.timeout") if "timeout" in spec else timedelta(seconds=5),
        )
    return found


def named(table: Any, section: str) -> Iterator[tuple[str, str, dict]]:
    """Each `[section.<name>]` table: its name (checked), where it stands (`section.name`) and its keys."""
    for name, spec in shape.table(table, section).items():
        where = f"{section}.{name}"
        name_of(name, where)
        yield name, where, shape.table(spec, where)


def header_and_token(spec: dict, where: str, secrets: Mapping[str, str] | None) -> tuple[str | None, str | None]:
    """An optional auth `header` and its value from the variable `token_env` names: both, or neither."""
    header = spec.get("header")
    if (header is None) != ("token_env" not in spec):
        raise ValueError(f"{where}: header and token_env go together (the header, and the variable holding its"
                         " value)")
    if header is None:
        return None, None
    return text_of(header, f"{where}.header"), secret_of(spec["token_env"], f"{where}.token_env", secrets)


def secret_of(variable: Any, key: str, secrets: Mapping[str, str] | None) -> str:
    if not isinstance(variable, str) or not _ENV.match(variable):
        raise ValueError(f"{key} must name an environment variable (like \"UNLEASH_ADMIN_TOKEN\"), not {variable!r}")
    if secrets is None:
        return ""
    value = secrets.get(variable, "").strip()
    if not value:
        raise ValueError(f"{key} names {variable}, which is not set in the environment")
    return value


def signing_secret(value: str) -> bool:
    try:
        return value.startswith("whsec_") and bool(base64.b64decode(value.removeprefix("whsec_"), validate=True))
    except ValueError:
        return False


def name_of(name: str, where: str) -> None:
    if not _NAME.match(name):
        raise ValueError(f"[{where}]: a name is 1-40 characters of a-z, 0-9, '_' and '-'")


def url_of(value: Any, key: str) -> str:
    if not isinstance(value, str) or not _URL.match(value):
        raise ValueError(f"{key} must be an http(s) URL, not {value!r}")
    return value


def text_of(value: Any, key: str, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not value.strip() and not empty):
        raise ValueError(f"{key} must be a non-empty string, not {value!r}")
    return value
