"""`[metric_sources.<name>]`, `[signals.<name>]` and `[watch]`: the live signals a war room verifies against.

A query is never run here: Prometheus may be down at start-up, and `firehouse doctor` runs each one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from firehouse.config import shape
from firehouse.config.integrations import header_and_token, named, text_of, url_of
from firehouse.domain.signals import DEFAULT_TOLERANCE, UNITS, WORSE, Signal, WatchWhen

SOURCE_KINDS = ("prometheus",)
SOURCE_KEYS = ("kind", "url", "header", "token_env", "timeout", "default")
SIGNAL_KEYS = ("source", "query", "label", "unit", "worse", "baseline", "threshold", "tolerance", "watch")
WATCH_WHEN_KEYS = ("classes", "firebreaks", "alerts")
WATCH_KEYS = ("verify_after", "window", "settle")
MAX_QUERY = 4000
MAX_LABEL = 60
_BASELINE = re.compile(r"^\d+[smhd]$")


@dataclass(frozen=True)
class MetricSourceSettings:
    """A Prometheus-compatible HTTP API (`/api/v1/query_range`) and how to reach it."""

    name: str
    url: str  # the base URL, without /api/v1
    kind: str = "prometheus"
    header: str | None = None
    token: str | None = field(default=None, repr=False)
    timeout: timedelta = timedelta(seconds=5)
    default: bool = False  # the one an alert's expression is read from when no source's URL matches it


@dataclass(frozen=True)
class WatchSettings:
    """When a firebreak is verified, over what window values are averaged, and how long monitoring must stay
    within baseline before the captain hears it settled."""

    verify_after: timedelta = timedelta(minutes=10)
    window: timedelta = timedelta(minutes=5)
    settle: timedelta = timedelta(minutes=30)


Duration = Callable[[Any, str], timedelta]


def metric_sources(table: Any, *, secrets: Mapping[str, str] | None,
                   duration: Duration) -> dict[str, MetricSourceSettings]:
    found = {}
    for name, where, spec in named(table, "metric_sources"):
        shape.no_unknown(spec, SOURCE_KEYS, where=f"{where}.")
        kind = spec.get("kind", "prometheus")
        if kind not in SOURCE_KINDS:
            raise ValueError(f"{where}.kind must be {', '.join(SOURCE_KINDS)}, not {kind!r}")
        header, token = header_and_token(spec, where, secrets)
        default = spec.get("default", False)
        if not isinstance(default, bool):
            raise ValueError(f"{where}.default must be true or false")
        found[name] = MetricSourceSettings(
            name=name, url=url_of(spec.get("url"), f"{where}.url").rstrip("/"), kind=kind,
            header=header, token=token,
            timeout=duration(spec["timeout"], f"{where}.timeout") if "timeout" in spec else timedelta(seconds=5),
            default=default)
    defaults = [n for n, s in found.items() if s.default]
    if len(defaults) > 1:
        raise ValueError(f"metric_sources: only one may be the default, not {' and '.join(defaults)}")
    return found


def signals(table: Any, *, sources: Mapping[str, MetricSourceSettings], duration: Duration) -> dict[str, Signal]:
    found = {}
    for name, where, spec in named(table, "signals"):
        shape.no_unknown(spec, SIGNAL_KEYS, where=f"{where}.")
        source = spec.get("source")
        if source is None:
            if len(sources) != 1:
                raise ValueError(f"{where}.source must name a metric source ({_known(sources)})")
            source = next(iter(sources))
        if source not in sources:
            raise ValueError(f"{where}.source names {source!r}, which is not a metric source ({_known(sources)})")
        query = text_of(spec.get("query"), f"{where}.query")
        if len(query) > MAX_QUERY:
            raise ValueError(f"{where}.query is longer than {MAX_QUERY} characters")
        label = text_of(spec.get("label", name), f"{where}.label").strip()
        if len(label) > MAX_LABEL:
            raise ValueError(f"{where}.label is longer than {MAX_LABEL} characters")
        unit, worse = reading_of(spec, where)
        if "baseline" in spec and "threshold" in spec:
            raise ValueError(f"{where} has both baseline and threshold; keep one")
        if "baseline" not in spec and "threshold" not in spec:
            raise ValueError(f"{where} needs a baseline (like \"7d\": the same window that long ago) or a threshold"
                             " (a value)")
        baseline = threshold = None
        if "baseline" in spec:
            if not isinstance(spec["baseline"], str) or not _BASELINE.match(spec["baseline"].strip()):
                raise ValueError(f"{where}.baseline must be a duration like \"7d\" or \"1h\", not {spec['baseline']!r}")
            baseline = duration(spec["baseline"], f"{where}.baseline")
        else:
            threshold = number_of(spec["threshold"], f"{where}.threshold")
        tolerance = number_of(spec.get("tolerance", DEFAULT_TOLERANCE), f"{where}.tolerance")
        if not 0 <= tolerance <= 10:
            raise ValueError(f"{where}.tolerance is a fraction (0.2 for 20 %), from 0 to 10, not {tolerance!r}")
        found[name] = Signal(name=name, query=query, label=label, source=source, unit=unit, worse=worse,
                             baseline=baseline, threshold=threshold, tolerance=tolerance,
                             watch=_watch_when(spec.get("watch", {}), f"{where}.watch"))
    return found


def watch(table: Any, *, duration: Duration) -> WatchSettings:
    table = shape.table(table, "watch")
    shape.no_unknown(table, WATCH_KEYS, where="watch.")
    defaults = WatchSettings()
    settings = WatchSettings(**{key: duration(table[key], f"watch.{key}") if key in table else getattr(defaults, key)
                                for key in WATCH_KEYS})
    if settings.verify_after < settings.window:
        raise ValueError("watch.verify_after must be at least watch.window, or the mean after a pull would include"
                         " minutes before it")
    return settings


def _watch_when(table: Any, where: str) -> WatchWhen:
    table = shape.table(table, where)
    shape.no_unknown(table, WATCH_WHEN_KEYS, where=f"{where}.")
    lists = {}
    for key in WATCH_WHEN_KEYS:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ValueError(f"{where}.{key} must be a list of names")
        lists[key] = tuple(value)
    return WatchWhen(**lists)


def number_of(value: Any, key: str) -> float:
    """A finite number (TOML also has nan and inf), or ValueError naming `key`."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key} must be a finite number, not {value!r}")
    return float(value)


def reading_of(spec: dict, where: str) -> tuple[str, str]:
    """A signal's `unit` and `worse`, defaults applied, or ValueError naming the key."""
    unit = spec.get("unit", "count")
    if unit not in UNITS:
        raise ValueError(f"{where}.unit must be one of {', '.join(UNITS)}, not {unit!r}")
    worse = spec.get("worse", "higher")
    if worse not in WORSE:
        raise ValueError(f"{where}.worse must be \"higher\" or \"lower\", not {worse!r}")
    return unit, worse


def _known(sources: Mapping[str, MetricSourceSettings]) -> str:
    return f"configured: {', '.join(sources)}" if sources else "none is configured in [metric_sources]"
