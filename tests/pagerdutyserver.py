"""A stand-in for PagerDuty's Events API v2 on 127.0.0.1, for the paging tests (PagerDuty has no local server).

It checks every body against PagerDuty's published contract, kept as `fixtures/pagerduty-events-v2.schema.json`
(its `$comment` names the source), and answers as PagerDuty does:

    POST /v2/enqueue          valid: 202 {"status": "success", "message": "Event processed", "dedup_key": …}
    POST /v2/change/enqueue   valid: 202 {"status": "success", "message": "Change event processed"}
    either, invalid           400 {"status": "invalid event", "message": "Event object is invalid", "errors": […]}
    either, not JSON          400 {"status": "Unrecognized object", "message": "Event object format is unrecognized",
                                   "errors": ["JSON parse error"]}

A test queues answers on demand (`answer_next(429)`, `answer_next(503)`, `answer_next(400, errors=[…])`): each
queued answer is given to one request, in order, whatever its body. Every request is kept, with the problems the
schema found in it, so a test can say that even a refused or throttled event was well formed.

Test modules take the `pagerduty` fixture with `from pagerdutyserver import pagerduty  # noqa: F401`: a fresh
server per test, stopped after it.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import localserver
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from localserver import LocalServer, Reply, Request

SCHEMA_PATH = Path(__file__).parent / "fixtures" / "pagerduty-events-v2.schema.json"
ENDPOINTS = {"/v2/enqueue": "send_event", "/v2/change/enqueue": "change_event"}
ROUTING_KEY_LENGTH = "Length of 'routing_key' is incorrect (should be 32 characters)"  # PagerDuty's own words
QUEUED_BODIES = {
    429: {"status": "throttle event", "message": "Requests for this service are arriving too quickly"},
    500: {"status": "error", "message": "Internal server error"},
    503: {"status": "error", "message": "Service unavailable"},
}

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    """PagerDuty takes ISO 8601; a moment without its offset would be read in an unknown zone, so it is refused."""
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def validators() -> dict[str, Draft202012Validator]:
    """One validator per endpoint, each for its own part of the schema file."""
    schema = json.loads(SCHEMA_PATH.read_text())
    Draft202012Validator.check_schema(schema)
    return {path: Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": schema["$defs"]}, format_checker=FORMATS)
            for path, name in ENDPOINTS.items()}


def problems(validator: Draft202012Validator, event: Any) -> list[str]:
    """Each schema error as PagerDuty words its own: where, then what."""
    found = []
    for error in sorted(validator.iter_errors(event), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(part) for part in error.absolute_path)
        found.append(f"{where}: {error.message}" if where else error.message)
    return found


class Received(localserver.Received):
    """One request as the stand-in got it, what PagerDuty's schema said of it, and the status it answered."""

    @property
    def event(self) -> Any:
        return self.json


@dataclass
class _Queued:
    status: int
    body: dict = field(default_factory=dict)


class PagerDutyServer(LocalServer):
    """PagerDuty's Events API v2 on a free 127.0.0.1 port: `url` is the base a pager's `url` is set to."""

    name = "the PagerDuty stand-in"

    def __init__(self) -> None:
        self.validators = validators()
        self._lock = threading.Lock()
        self._queued: deque[_Queued] = deque()
        self._received: list[Received] = []

    def answer(self, request: Request) -> Reply:
        if request.method not in ("GET", "POST"):
            return Reply(501)
        status, answer = self.judge(request.method, request.path, request.headers, request.body)
        return Reply(status, json.dumps(answer).encode(), "application/json")

    def answer_next(self, status: int, *, errors: list[str] | None = None) -> None:
        """Give the next request (after any queued before) `status` instead of judging it. A 400 carries
        PagerDuty's invalid-event body with `errors` (by default its words for a routing key of the wrong length)."""
        if status == 400:
            body = {"status": "invalid event", "message": "Event object is invalid",
                    "errors": errors if errors is not None else [ROUTING_KEY_LENGTH]}
        else:
            body = QUEUED_BODIES.get(status, {"status": "error", "message": f"HTTP {status}"})
        with self._lock:
            self._queued.append(_Queued(status, body))

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def events(self, path: str = "/v2/enqueue") -> list[Any]:
        """The bodies PagerDuty would have taken on `path` (answered 202), in order."""
        return [request.event for request in self.received if request.path == path and request.status == 202]

    def judge(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        """What PagerDuty answers to this request; the request is kept either way."""
        found: list[str] = []
        event: Any = None
        if method != "POST" or path not in ENDPOINTS:
            status, answer = 404, {"status": "not found", "message": f"no {method} {path} here"}
        else:
            try:
                event = json.loads(body)
            except ValueError:
                found = ["JSON parse error"]
            if not headers.get("content-type", "").startswith("application/json"):
                found.append("Content-Type must be application/json")
            if not found:
                found = problems(self.validators[path], event)
            status, answer = self._answer(path, event, found)
        with self._lock:
            queued = self._queued.popleft() if self._queued else None
            if queued:
                status, answer = queued.status, queued.body
            self._received.append(Received(method, path, headers, body, tuple(found), status))
        return status, answer

    @staticmethod
    def _answer(path: str, event: Any, found: list[str]) -> tuple[int, dict]:
        if found == ["JSON parse error"] or not isinstance(event, dict):
            return 400, {"status": "Unrecognized object", "message": "Event object format is unrecognized",
                         "errors": ["JSON parse error"]}
        if found:
            return 400, {"status": "invalid event", "message": "Event object is invalid", "errors": found}
        if path == "/v2/change/enqueue":
            return 202, {"status": "success", "message": "Change event processed"}
        # A trigger without a dedup_key gets one made up, as PagerDuty does, and the answer names it.
        return 202, {"status": "success", "message": "Event processed",
                     "dedup_key": event.get("dedup_key") or uuid.uuid4().hex}


@pytest.fixture
def pagerduty() -> Iterator[PagerDutyServer]:
    """A fresh PagerDuty stand-in for one test."""
    with PagerDutyServer() as server:
        yield server
