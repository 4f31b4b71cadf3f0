"""A stand-in for Atlassian Statuspage's REST API v1 on 127.0.0.1, for the status-page tests (Statuspage has no local
server). It keeps one page, its components (ids given when it is made) and the incidents opened on it, and holds
every request to Statuspage's documented contract:

- Statuspage's OpenAPI reference (developer.statuspage.io, "Statuspage API" 1.0.0): `POST /pages/{page_id}/incidents`
  answers 201 and `PATCH /pages/{page_id}/incidents/{incident_id}` 200 with the Incident; the body is wrapped in
  `{"incident": {…}}`; `name` is required on create (at most 255 characters), `body` at most 25,000; `status` is
  investigating, identified, monitoring or resolved for a realtime incident; `impact_override` none, minor, major or
  critical (its `maintenance` belongs to scheduled maintenances, which Firehouse never opens); `components` maps a
  component id to operational, under_maintenance, degraded_performance, partial_outage or major_outage;
  `deliver_notifications` is a boolean, true unless sent; errors are 401 "Could not authenticate", 404 "The
  requested resource could not be found.", 422 "Unprocessable entity"; 420 or 429 mean the rate limit.
- Its authentication page (doers.statuspage.io/api/authentication): `Authorization: OAuth <key>`, "OAuth and not
  Oauth"; its reference's "Sending Data": the Content-Type must match the body.
- Atlassian's "Upcoming rate limiting changes to Statuspage REST API" (community.atlassian.com): 420 was to become
  429 (the reference still names both), and an unpaginated components list is limited to one a minute.
- The error body's shape, `{"error": "Could not authenticate"}`, as integrations that called the live API record it.

    GET   /v1/pages/{page_id}                          200 the page
    GET   /v1/pages/{page_id}/components               200 its components as they stand
    POST  /v1/pages/{page_id}/incidents                201 the incident, its first update, its components' states
    PATCH /v1/pages/{page_id}/incidents/{incident_id}  200 the incident, changed; a body is a new incident update
    no or another key                                  401 {"error": "Could not authenticate"}
    another page, unknown incident or path             404 {"error": "The requested resource could not be found."}
    not JSON, or no {"incident": …} wrapper            400 {"error": "param is missing or the value is empty: incident"}
    a value outside the contract                       422 {"error": "<each problem, as Rails validations word them>"}

The 400 and 422 texts are the stand-in's, in the style of Statuspage's Rails validations: the reference documents the
statuses, not their words. Query strings are not seen (the local server drops them), so pagination is not checked.

A test queues answers on demand (`answer_next(429)`, `answer_next(422, error=…)`, `answer_next(201, body={})`):
each is given to one request, in order, whatever it was, and nothing it asked is applied. Every request is kept with
the problems found in it, so a test can say that even a refused or throttled request was well formed.

Test modules take the `statuspage` fixture with `from statuspageserver import statuspage  # noqa: F401`: a fresh
server per test, stopped after it.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import uuid
from collections import deque
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from localserver import LocalServer, Received, Reply, Request

PAGE_ID = "gytm4qzbx9t6"  # ids in the shape of Statuspage's reference examples
API_KEY = "89a229ce1a8dbcf9ff30430fbe35eb4c0426574bca932061892cefd2138aa4b1"
COMPONENTS = {"8kbf7d35c070": "Refund agent", "vtnh60py4yd7": "Support chat"}

STATUSES = ("investigating", "identified", "monitoring", "resolved")
IMPACTS = ("none", "minor", "major", "critical")
COMPONENT_STATES = ("operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage")
IMPACT_OF_STATE = {"major_outage": "critical", "partial_outage": "major", "degraded_performance": "minor"}
MAX_NAME, MAX_BODY = 255, 25_000

UNAUTHENTICATED = {"error": "Could not authenticate"}
NOT_FOUND = {"error": "The requested resource could not be found."}
NO_WRAPPER = {"error": "param is missing or the value is empty: incident"}
QUEUED_BODIES = {
    401: UNAUTHENTICATED,
    403: {"error": "You are not authorized to access this resource."},
    404: NOT_FOUND,
    420: {"error": "Rate limit exceeded"},
    422: {"error": "Unprocessable entity"},
    429: {"error": "Rate limit exceeded"},
    500: {"error": "Internal server error"},
    503: {"error": "Service unavailable"},
}
ROUTES = [
    ("GET", re.compile(r"/v1/pages/(?P<page>[^/]+)"), "page"),
    ("GET", re.compile(r"/v1/pages/(?P<page>[^/]+)/components"), "components_list"),
    ("POST", re.compile(r"/v1/pages/(?P<page>[^/]+)/incidents"), "create"),
    ("PATCH", re.compile(r"/v1/pages/(?P<page>[^/]+)/incidents/(?P<incident>[^/]+)"), "update"),
]


class StatuspageServer(LocalServer):
    """Statuspage's API on a free 127.0.0.1 port: `url` is what a page's `url` is set to."""

    name = "the Statuspage stand-in"

    def __init__(self, *, page_id: str = PAGE_ID, api_key: str = API_KEY,
                 components: Mapping[str, str] = COMPONENTS) -> None:
        self.page_id, self.api_key = page_id, api_key
        now = _now()
        self._components = {cid: {"id": cid, "page_id": page_id, "group_id": None, "name": name,
                                  "description": None, "position": n, "status": "operational", "showcase": True,
                                  "only_show_if_degraded": False, "group": False, "created_at": now,
                                  "updated_at": now}
                            for n, (cid, name) in enumerate(components.items(), start=1)}
        self._incidents: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._queued: deque[tuple[int, dict]] = deque()
        self._received: list[Received] = []

    # --- what tests use ----------------------------------------------------------------------------------------

    def answer_next(self, status: int, *, error: str | None = None, body: dict | None = None) -> None:
        """Give the next request (after any queued before) `status` instead of judging it, with Statuspage's error
        body for it (`error` for its words) or `body` as given."""
        if body is None:
            body = {"error": error} if error is not None else QUEUED_BODIES.get(status, {"error": f"HTTP {status}"})
        with self._lock:
            self._queued.append((status, body))

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    @property
    def incidents(self) -> dict[str, dict[str, Any]]:
        """Each incident as Statuspage would show it now, by id."""
        with self._lock:
            return {iid: self._shown(incident) for iid, incident in self._incidents.items()}

    @property
    def components(self) -> dict[str, dict[str, Any]]:
        """Each component as it stands now, by id."""
        with self._lock:
            return copy.deepcopy(self._components)

    # --- serving -------------------------------------------------------------------------------------------------

    def answer(self, request: Request) -> Reply:
        status, answer = self.judge(request)
        return Reply(status, json.dumps(answer).encode(), "application/json")

    def judge(self, request: Request) -> tuple[int, Any]:
        """What Statuspage answers to `request`; the request is kept either way. One request at a time, as the
        page's state is read to judge it and changed to answer it."""
        with self._lock:
            status, answer, found = self._judged(request)
            self._received.append(Received(request.method, request.path, request.headers, request.body,
                                           tuple(found), status))
        return status, answer

    def _judged(self, request: Request) -> tuple[int, Any, list[str]]:
        route, params = _route(request.method, request.path)
        fields: dict[str, Any] | None = {}
        if request.headers.get("authorization") != f"OAuth {self.api_key}":
            status, answer, found = 401, UNAUTHENTICATED, ["Authorization must be 'OAuth <the API key>'"]
        elif route is None or params.get("page") != self.page_id:
            status, answer, found = 404, NOT_FOUND, [f"no {request.method} {request.path} here"]
        elif route in ("create", "update"):
            fields, found = _incident_fields(request)
            gone = route == "update" and params["incident"] not in self._incidents
            if gone:
                found.append(f"no incident {params['incident']} on page {self.page_id}")
            if fields is not None:
                found += self._problems(fields, create=route == "create")
            status, answer = _refusal(found, unreadable=fields is None, gone=gone)
        else:
            status, answer, found = 200, None, []
        if self._queued:
            status, answer = self._queued.popleft()
        elif answer is None:  # well formed, and no answer queued over it: Statuspage does what it was asked
            status, answer = self._apply(route, params, fields or {})
        return status, answer, found

    def _problems(self, fields: dict[str, Any], *, create: bool) -> list[str]:
        found = []
        name = fields.get("name")
        if create and not name:
            found.append("Name can't be blank")
        if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME):
            found.append(f"Name is too long (maximum is {MAX_NAME} characters)")
        body = fields.get("body")
        if body is not None and (not isinstance(body, str) or len(body) > MAX_BODY):
            found.append(f"Body is too long (maximum is {MAX_BODY} characters)")
        if "status" in fields and fields["status"] not in STATUSES:
            found.append(f"Status {fields['status']!r} is not included in the list ({', '.join(STATUSES)})")
        if "impact_override" in fields and fields["impact_override"] not in IMPACTS:
            found.append(f"Impact override {fields['impact_override']!r} is not included in the list"
                         f" ({', '.join(IMPACTS)})")
        if "deliver_notifications" in fields and not isinstance(fields["deliver_notifications"], bool):
            found.append("Deliver notifications must be true or false")
        ids = fields.get("component_ids", [])
        states = fields.get("components", {})
        if not isinstance(ids, list) or not isinstance(states, dict):
            found.append("component_ids must be a list of ids and components a map of id to state")
            return found
        unknown = sorted({str(cid) for cid in [*ids, *states] if cid not in self._components})
        if unknown:
            found.append(f"Components {', '.join(unknown)} could not be found on page {self.page_id}")
        for cid, state in states.items():
            if state not in COMPONENT_STATES:
                found.append(f"Component {cid}'s status {state!r} is not included in the list"
                             f" ({', '.join(COMPONENT_STATES)})")
        return found

    def _apply(self, route: str | None, params: dict[str, str], fields: dict[str, Any]) -> tuple[int, Any]:
        """Do what a well-formed request asks, under the lock; its answer in Statuspage's shape."""
        now = _now()
        if route == "page":
            return 200, {"id": self.page_id, "name": "Acme", "subdomain": "acme", "url": "https://status.acme.test",
                         "time_zone": "UTC", "created_at": now, "updated_at": now}
        if route == "components_list":
            return 200, sorted(copy.deepcopy(list(self._components.values())), key=lambda c: c["position"])
        if route == "create":
            iid = uuid.uuid4().hex[:12]
            incident = {"id": iid, "page_id": self.page_id, "name": fields["name"], "status": "investigating",
                        "impact_override": None, "shortlink": f"https://stspg.io/{uuid.uuid4().hex[:9]}",
                        "created_at": now, "updated_at": now, "monitoring_at": None, "resolved_at": None,
                        "incident_updates": [], "component_ids": []}
            self._incidents[iid] = incident
            status = 201
        else:
            incident = self._incidents[params["incident"]]
            status = 200
        self._change(incident, fields, now)
        return status, self._shown(incident)

    def _change(self, incident: dict[str, Any], fields: dict[str, Any], now: str) -> None:
        for key in ("name", "status", "impact_override"):
            if key in fields:
                incident[key] = fields[key]
        if "component_ids" in fields:
            incident["component_ids"] = list(dict.fromkeys(fields["component_ids"]))
        for cid, state in fields.get("components", {}).items():
            self._components[cid].update(status=state, updated_at=now)
        if fields.get("status") == "monitoring" and not incident["monitoring_at"]:
            incident["monitoring_at"] = now
        if fields.get("status") == "resolved":
            incident["resolved_at"] = now
        if "body" in fields:
            affected = [{"code": cid, "name": self._components[cid]["name"],
                         "new_status": self._components[cid]["status"]} for cid in fields.get("components", {})]
            incident["incident_updates"].insert(0, {
                "id": uuid.uuid4().hex[:12], "incident_id": incident["id"], "status": incident["status"],
                "body": fields["body"], "created_at": now, "updated_at": now, "display_at": now,
                "deliver_notifications": fields.get("deliver_notifications", True),
                "affected_components": affected})
        incident["updated_at"] = now

    def _shown(self, incident: dict[str, Any]) -> dict[str, Any]:
        """The incident in Statuspage's shape: its impact the override, else its components' worst state's."""
        shown = {key: value for key, value in incident.items() if key != "component_ids"}
        shown["components"] = [copy.deepcopy(self._components[cid]) for cid in incident["component_ids"]]
        worst = max((IMPACTS.index(IMPACT_OF_STATE.get(c["status"], "none")) for c in shown["components"]),
                    default=0)
        shown["impact"] = incident["impact_override"] or IMPACTS[worst]
        return copy.deepcopy(shown)


def _route(method: str, path: str) -> tuple[str | None, dict[str, str]]:
    path = path.removesuffix(".json")  # Statuspage takes either
    for verb, pattern, name in ROUTES:
        if verb == method and (match := pattern.fullmatch(path)):
            return name, match.groupdict()
    return None, {}


def _incident_fields(request: Request) -> tuple[dict[str, Any] | None, list[str]]:
    """The `incident` object of a JSON body, or None, and the problems with how it was sent."""
    found = []
    if not request.headers.get("content-type", "").startswith("application/json"):
        found.append("Content-Type must be application/json for a JSON body")
    try:
        body = json.loads(request.body)
    except ValueError:
        return None, [*found, "the body is not JSON"]
    if not isinstance(body, dict) or not isinstance(body.get("incident"), dict):
        return None, [*found, "the body must be wrapped as {\"incident\": {…}}"]
    return body["incident"], found


def _refusal(found: list[str], *, unreadable: bool, gone: bool) -> tuple[int, Any]:
    """Statuspage's refusal of an incident request with these problems, or (0, None) when there are none."""
    if unreadable or any(problem.startswith("Content-Type") for problem in found):
        return 400, NO_WRAPPER  # a body Statuspage cannot read as JSON has no `incident` for it
    if gone:
        return 404, NOT_FOUND
    if found:
        return 422, {"error": "; ".join(found)}
    return 0, None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.fixture
def statuspage() -> Iterator[StatuspageServer]:
    """A fresh Statuspage stand-in for one test: page PAGE_ID, key API_KEY, the COMPONENTS, all operational."""
    with StatuspageServer() as server:
        yield server
