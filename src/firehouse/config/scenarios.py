"""Drill scenarios: TOML files in `drills/`, shadowed file by file by a deployment's folder (FIREHOUSE_DRILLS).

They are read when someone asks for them (`/incident drill`, `firehouse drills check`), not at start-up: a
scenario edited today is the one run today, and a file that does not parse is named with its problem and
line while the other scenarios still run.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from firehouse.config import shape
from firehouse.config.file import duration_at
from firehouse.config.integrations import named
from firehouse.config.signals import MAX_LABEL, number_of, reading_of
from firehouse.domain.classes import Catalog
from firehouse.domain.drills import DRY_RUN, LIVE, MAX_ALARM, MAX_INJECT, Inject, Scenario, check_script
from firehouse.domain.model import MAX_TITLE
from firehouse.domain.scripted import ScriptedSignal
from firehouse.domain.severity import Severity

SUFFIX = ".toml"
REQUIRED = ("title", "summary", "alarm", "class", "severity", "why")
OPTIONAL = ("cause", "time_limit", "firebreaks", "pagers", "injects", "signals")
SIGNAL_KEYS = ("label", "unit", "worse", "threshold", "values")
MAX_SUMMARY = 300
MAX_WHY = 1000
MAX_TIME_LIMIT = timedelta(hours=8)
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")  # a scenario is named by its file: `drills/<name>.toml`


def default_folder() -> Path:
    """The shipped scenarios: inside the installed package, or at the top of a source checkout."""
    packaged = Path(str(resources.files("firehouse"))) / "drills"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[3] / "drills"


@dataclass(frozen=True)
class Scenarios:
    """Every scenario found, by name, and each file that could not be read, by name, with why."""

    found: dict[str, Scenario] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)


def load(override: Path | None, *, catalog: Catalog) -> Scenarios:
    """The shipped scenarios, each replaced by a file of the same name in `override`, and `override`'s own."""
    paths: dict[str, Path] = {}
    for folder in (default_folder(), override):
        if folder is not None and folder.is_dir():
            paths.update({path.stem: path for path in sorted(folder.glob(f"*{SUFFIX}"))})
    scenarios = Scenarios(paths=paths)
    for name, path in sorted(paths.items()):
        try:
            scenarios.found[name] = read(path, catalog=catalog)
        except ValueError as err:
            scenarios.problems[name] = f"{path.name}: {err}"
    return scenarios


def read(path: Path, *, catalog: Catalog) -> Scenario:
    """One scenario file; ValueError names what is wrong (for a syntax error, the line and column)."""
    if not NAME.match(path.stem):
        raise ValueError("a scenario's file name is 1-40 characters of a-z, 0-9 and '-', then .toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"not valid TOML: {err}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"cannot be read ({err.__class__.__name__})") from None
    return scenario(path.stem, data, catalog=catalog)


def scenario(name: str, data: dict[str, Any], *, catalog: Catalog) -> Scenario:
    """A parsed scenario document, checked key by key."""
    shape.no_unknown(data, (*REQUIRED, *OPTIONAL), where="")
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise ValueError(f"{missing[0]} is missing (a scenario needs {', '.join(REQUIRED)})")
    class_id = _text(data, "class", 40)
    if class_id not in catalog.classes:
        raise ValueError(f"class must be one of {', '.join(catalog.classes)}, not {class_id!r}")
    severity = Severity.from_text(_text(data, "severity", 10))
    if severity is None:
        raise ValueError(f"severity must be sev1, sev2 or sev3, not {data['severity']!r}")
    cause = _text(data, "cause", 40) if "cause" in data else None
    if cause is not None and cause not in catalog.causes:
        raise ValueError(f"cause must be one of {', '.join(catalog.causes)}, not {cause!r}")
    firebreaks = data.get("firebreaks", DRY_RUN)
    if firebreaks not in (DRY_RUN, LIVE):
        raise ValueError(f"firebreaks must be \"{DRY_RUN}\" (nothing is really pulled) or \"{LIVE}\" (the"
                         f" configured executors run), not {firebreaks!r}")
    pagers = data.get("pagers", DRY_RUN)
    if pagers not in (DRY_RUN, LIVE):
        raise ValueError(f"pagers must be \"{DRY_RUN}\" (the war room is shown what would be paged) or \"{LIVE}\""
                         f" (the routing rules' pagers are paged, marked as a drill), not {pagers!r}")
    time_limit = duration_at(data.get("time_limit", "60m"), "time_limit")
    if time_limit > MAX_TIME_LIMIT:
        raise ValueError("time_limit is at most 8h: a drill is an hour's practice, not a shift")
    injects = _injects(data.get("injects", []))
    signals = _signals(data.get("signals", {}))
    check_script(injects=injects, time_limit=time_limit, signals=signals)
    return Scenario(name=name, title=_text(data, "title", MAX_TITLE), summary=_text(data, "summary", MAX_SUMMARY),
                    alarm=_text(data, "alarm", MAX_ALARM), class_id=class_id, severity=severity,
                    why=_text(data, "why", MAX_WHY), injects=injects, time_limit=time_limit, firebreaks=firebreaks,
                    cause=cause, signals=signals, pagers=pagers)


def _injects(value: Any) -> tuple[Inject, ...]:
    """`[[injects]]` tables, each `at = "5m"` (from the start) and `text = "…"`."""
    if not isinstance(value, list):
        raise ValueError("injects must be a list of [[injects]] tables")
    found = []
    for number, item in enumerate(value, start=1):
        where = f"injects[{number}]"
        item = shape.table(item, where)
        shape.no_unknown(item, ("at", "text"), where=f"{where}.")
        if "at" not in item or "text" not in item:
            raise ValueError(f"{where} needs at (like \"5m\") and text")
        found.append(Inject(at=duration_at(item["at"], f"{where}.at"), text=_text(item, "text", MAX_INJECT, where)))
    return tuple(found)


def _signals(value: Any) -> tuple[ScriptedSignal, ...]:
    """`[signals.<name>]` tables: a signal the drill's war room watches, its values scripted by minute and read
    against a threshold (`values = [[0, 0.09], [15, 0.02]]`: minute from the alarm, value)."""
    found = []
    for name, where, spec in named(value, "signals"):
        if "baseline" in spec:
            raise ValueError(f"{where}.baseline: a drill has no week-old data to compare with; give a threshold")
        shape.no_unknown(spec, SIGNAL_KEYS, where=f"{where}.")
        for key, what in (("threshold", "the value it is read against"), ("values", "[minute, value] pairs")):
            if key not in spec:
                raise ValueError(f"{where}.{key} is missing ({what})")
        unit, worse = reading_of(spec, where)
        found.append(ScriptedSignal(
            name=name, label=_text(spec, "label", MAX_LABEL, where) if "label" in spec else name,
            threshold=number_of(spec["threshold"], f"{where}.threshold"),
            values=_values(spec["values"], f"{where}.values"), unit=unit, worse=worse))
    return tuple(found)


def _values(value: Any, key: str) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, list):
        raise ValueError(f"{key} must be a list of [minute, value] pairs, like [[0, 0.09], [15, 0.02]]")
    pairs = []
    for number, pair in enumerate(value, start=1):
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError(f"{key}[{number}] must be a [minute, value] pair, not {pair!r}")
        pairs.append((number_of(pair[0], f"{key}[{number}]'s minute"), number_of(pair[1], f"{key}[{number}]'s value")))
    return tuple(pairs)


def _text(data: dict[str, Any], key: str, limit: int, where: str = "") -> str:
    name = f"{where}.{key}" if where else key
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string")
    if len(value.strip()) > limit:
        raise ValueError(f"{name} is {len(value.strip()):,} characters long; keep it to {limit:,}")
    return value.strip()
