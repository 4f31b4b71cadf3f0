"""The log: a level and a format an operator chooses, and in every line what it is about.

Where a line is about an incident, a command, a person or a Slack request, it says so: the edge (the
Bolt middleware, a scheduler job) binds those fields in context variables, a filter copies them onto
each record, and work handed to another thread takes the context along (`ContextPool`). Text lines
end in `incident=12 verb=sev user=U0123 request=…`; JSON lines carry them as keys. Idle, the log stays
quiet at INFO: the scheduler's "Running job …" every few seconds is only said at DEBUG.

Standard library only, so any layer may bind a field.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
FORMATS = ("text", "json")
FIELDS = ("incident", "verb", "user", "request_id")
# Libraries that talk at INFO about routine work, heard at DEBUG only: APScheduler says "Running job …" for
# the leader's 5-second round (some 34,000 lines a day idle), httpx one line per request to an integration.
CHATTY = ("apscheduler", "httpx")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_vars: dict[str, contextvars.ContextVar[Any]] = {name: contextvars.ContextVar(f"firehouse_{name}", default=None)
                                                  for name in FIELDS}
_UNSAFE = re.compile(r"[^\w.:@-]")


def note(**fields: Any) -> None:
    """Say what the current work is about (e.g. `note(incident=12)` once the incident is known), until the
    enclosing `bound` block or the thread's copied context ends."""
    for name, value in fields.items():
        _vars[name].set(value)


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """A fresh log context for one request or job: the given fields, the others cleared; restored after."""
    tokens = [(var, var.set(fields.get(name))) for name, var in _vars.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def current() -> dict[str, Any]:
    """The fields known here, without the unknown ones."""
    return {name: value for name, var in _vars.items() if (value := var.get()) is not None}


class ContextPool(ThreadPoolExecutor):
    """A thread pool whose work runs in a copy of the submitter's context, so its log lines keep the
    incident, verb, user and request of the request that handed it over."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


class ContextFilter(logging.Filter):
    """Copies the bound fields onto each record (as attributes named after them), for the formatters."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _vars.items():
            if not hasattr(record, name):
                setattr(record, name, var.get())
        return True


class TextFormatter(logging.Formatter):
    """The classic line, with the known fields appended as `key=value` (values cut to one safe word)."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        known = [f"{'request' if name == 'request_id' else name}={_UNSAFE.sub('', str(value))[:60]}"
                 for name in FIELDS if (value := getattr(record, name, None)) is not None]
        if not known:
            return line
        head, newline, rest = line.partition("\n")  # a traceback stays below the line it belongs to
        return f"{head} {' '.join(known)}{newline}{rest}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the known fields, and a traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({name: value for name in FIELDS if (value := getattr(record, name, None)) is not None})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class LogSettingError(ValueError):
    """A log level or format that is not one of the choices."""


def choose(*, level: str | None, fmt: str | None, environ: Mapping[str, str]) -> tuple[str, str]:
    """The level and format: a flag wins over `FIREHOUSE_LOG_LEVEL` / `FIREHOUSE_LOG_FORMAT`; info and text
    by default. LogSettingError names a bad value and the choices."""
    level = (level or environ.get("FIREHOUSE_LOG_LEVEL") or "info").strip().lower()
    fmt = (fmt or environ.get("FIREHOUSE_LOG_FORMAT") or "text").strip().lower()
    if level not in LEVELS:
        raise LogSettingError(f"FIREHOUSE_LOG_LEVEL must be one of {', '.join(LEVELS)}, not {level!r}")
    if fmt not in FORMATS:
        raise LogSettingError(f"FIREHOUSE_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return level, fmt


def configure(*, level: str = "info", fmt: str = "text", stream: Any = None) -> logging.Handler:
    """Send the root logger's records to `stream` (standard error) at `level`, as text or JSON lines, with
    the bound fields; the chatty libraries only at DEBUG. Replaces handlers an earlier call installed."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(LEVELS[level])
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "debug" else logging.WARNING)
    return handler
