"""Serving the Bolt app: HTTP through waitress behind a hardened edge, or Socket Mode when an app token is set.

The edge stands in front of Bolt at /slack/events and decides, in this order, before anything parses a
body: too big (413, refused from its Content-Length, never read), not signed by Slack (401: Slack's v0
signature, a timestamp within five minutes, over the body's bytes whatever they hold), signed but not a Slack
request (400: not UTF-8, or not a form or JSON of the shapes Slack sends). Only then does Bolt see it, so a
stranger can neither fill the log with tracebacks nor reach a listener. Beside it:
`/healthz`, `/readyz` and `/metrics` (in Socket Mode on `--health-port`), and what other systems send, each
when it is on and none of it Slack-signed: alert intake at `/alerts/*` (its own bearer token) and PagerDuty's
webhooks at `/pagerduty` (PagerDuty's own signature). In Socket Mode those two share `--alerts-port`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import NamedTuple
from urllib.parse import parse_qsl

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.context import BoltContext
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context
from slack_sdk.signature import SignatureVerifier
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server

from firehouse.intake.app import PREFIX as ALERTS_PREFIX
from firehouse.intake.pagerduty import PATH as PAGERDUTY_PATH
from firehouse.ops.health import Health
from firehouse.ops.metrics import Metrics

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
MAX_BODY = 1024 * 1024  # Slack's requests are a few kilobytes; a modal's state stays far below this
FRESH = 60 * 5  # seconds a signature's timestamp stays good, either side of now (as slack_sdk's verifier has it)
FORM = "application/x-www-form-urlencoded"
# The main port's threads. An ack is quick (the work after it runs in Firehouse's own pool, bolt.work.Background),
# so these threads mostly wait: on the socket, or on Bolt's listener pool for the ack. 24 gives a burst of 20
# slash commands (a team typing at once when something breaks) a thread each, with room beside them for Slack's
# events, the probes and a scrape. A waiting thread costs its stack and no CPU, and the CPU work is bounded by
# the GIL however many there are, so 24 asks no more of a 2-core machine than 8 did.
SLACK_THREADS = 24
DRAIN = 5.0  # seconds in-flight requests get to finish once serving stops
OBJECT_FIELDS = ("event", "team", "user", "channel", "enterprise", "container", "view", "message", "state")
LIST_FIELDS = ("actions", "authorizations")
ACK_KINDS = {"slash_commands": "command", "interactive": "interaction", "events_api": "event"}

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def probes(*, health: Health, metrics: Metrics) -> WSGIApp:
    """/healthz (the process serves), /readyz (it can do its job) and /metrics; 404 for anything else."""

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == HEALTH_PATH:
            return _answer(start_response, 200, b"ok\n", "text/plain; charset=utf-8")
        if path == READY_PATH:
            readiness = health.readiness()
            return _answer(start_response, 200 if readiness.ready else 503, readiness.body(), "application/json")
        if path == METRICS_PATH:
            body, content_type = metrics.exposition()
            return _answer(start_response, 200, body, content_type)
        return _answer(start_response, 404, b"not found\n", "text/plain; charset=utf-8")

    return application


def wsgi_app(app: App, *, signing_secret: str, health: Health, metrics: Metrics,
             alerts: WSGIApp | None = None, pagerduty: WSGIApp | None = None) -> WSGIApp:
    """Slack's requests at /slack/events through the edge, and the probes (and alert intake and PagerDuty's
    webhooks, when on) beside them. The edge hands Bolt the body it parsed: Bolt's own form parsing takes any
    body that merely contains the word "payload" for an interaction, so `/incident log the payload was wrong`
    would be lost."""
    verifier = SignatureVerifier(signing_secret)
    probe = probes(health=health, metrics=metrics)

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") in (HEALTH_PATH, READY_PATH, METRICS_PATH):
            return probe(environ, start_response)
        if alerts and (environ.get("PATH_INFO") or "").startswith(ALERTS_PREFIX):
            return alerts(environ, start_response)
        if pagerduty and environ.get("PATH_INFO") == PAGERDUTY_PATH:  # signed by PagerDuty, not Slack
            return pagerduty(environ, start_response)
        if environ.get("PATH_INFO") != EVENTS_PATH or environ.get("REQUEST_METHOD") != "POST":
            return _answer(start_response, 404, b"not found\n", "text/plain; charset=utf-8")
        admitted = _admit(environ, verifier)
        if isinstance(admitted, Refused):
            return _answer(start_response, admitted.status, json.dumps({"error": admitted.reason}).encode(),
                           "application/json")
        raw, parsed, kind = admitted
        started = time.monotonic()
        try:
            request = BoltRequest(body=raw, query=environ.get("QUERY_STRING") or "", headers=_headers(environ))
            request.body, request.context = parsed, build_context(BoltContext({}), parsed)  # ours, not Bolt's guess
            response = app.dispatch(request)
        except Exception as err:  # Bolt choked on a signed request the checks let through: say so in one line
            log.warning("a signed request Bolt could not handle: %s", err.__class__.__name__)
            return _answer(start_response, 400, b'{"error": "not a Slack request"}', "application/json")
        metrics.ack(kind, time.monotonic() - started)
        body = (response.body or "").encode()
        start_response(f"{response.status} {HTTPStatus(response.status).phrase}",
                       [(name, value) for name, values in response.headers.items() for value in values
                        if name.lower() != "content-length"] + [("Content-Length", str(len(body)))])
        return [body]

    return application


class Refused(NamedTuple):
    """What the edge answers a request it does not let through."""

    status: int
    reason: str


def _admit(environ: dict, verifier: SignatureVerifier) -> Refused | tuple[str, dict, str]:
    """Why the edge refuses a request, else (its body, parsed, and what kind of request it is)."""
    length = environ.get("CONTENT_LENGTH") or ""
    if not length:
        return Refused(411, "Content-Length required")
    if not (length.isascii() and length.isdigit()):
        return Refused(400, "invalid Content-Length")
    if int(length) > MAX_BODY:
        return Refused(413, f"body over {MAX_BODY} bytes")
    body = environ["wsgi.input"].read(int(length))
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or ""
    signature = environ.get("HTTP_X_SLACK_SIGNATURE") or ""
    try:
        text: str | None = body.decode()
    except UnicodeDecodeError:
        text = None
    if text is None:  # slack_sdk's verifier decodes the body as UTF-8, so these bytes are checked here
        signed = signed_by_slack(body, timestamp=timestamp, signature=signature, secret=verifier.signing_secret,
                                 now=time.time())
    else:
        signed = _well_formed(timestamp, signature) and verifier.is_valid(text, timestamp, signature)
    if not signed:
        return Refused(401, "invalid request")
    parsed = None if text is None else _parse(text, environ.get("CONTENT_TYPE") or "")
    return Refused(400, "not a Slack request") if parsed is None else (text, *parsed)


def signed_by_slack(body: bytes, *, timestamp: str, signature: str, secret: str, now: float) -> bool:
    """Whether `signature` is Slack's v0 signature of `body`'s bytes at `timestamp`, within FRESH of `now`: the
    check slack_sdk's SignatureVerifier makes, for a body it cannot read because it is not UTF-8."""
    if not _well_formed(timestamp, signature) or abs(now - int(timestamp)) > FRESH:
        return False
    digest = hmac.new(secret.encode(), b"v0:%s:%s" % (timestamp.encode(), body), hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"v0={digest}".encode(), signature.encode())


def _well_formed(timestamp: str, signature: str) -> bool:
    """Headers that could be Slack's: a Unix time in at most 12 ASCII digits (int() refuses over 4,300 digits) and an
    ASCII signature (hmac.compare_digest raises on any other text)."""
    return (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12 and bool(signature)
            and signature.isascii())


def _parse(text: str, content_type: str) -> tuple[dict, str] | None:
    """A signed body as Bolt takes it, and what it is (command, interaction, event), or None when it is not
    one. JSON is recognised as Bolt recognises it (the content type, or a leading brace); otherwise it is a form
    only under a form's content type and when it is printable ASCII, as Slack percent-encodes everything else."""
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or text.startswith("{"):
        return (json.loads(text), "event") if _is_object(text) else None
    if media != FORM or not (text.isascii() and text.isprintable()):
        return None
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in form:
        return (json.loads(form["payload"]), "interaction") if _is_object(form["payload"]) else None
    if form.get("command") and form.get("user_id") and form.get("channel_id"):
        return form, "command"
    if form.get("ssl_check"):
        return form, "ssl_check"
    return None


def _headers(environ: dict) -> dict[str, str]:
    """The request's headers as Bolt reads them (lower-case names)."""
    headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    return headers


def _is_object(text: str) -> bool:
    """Whether `text` has the shape of everything Slack sends: a JSON object with a string `type`, whose
    parts Bolt reads into (`event`, `user`, `view`, `actions`, …) are objects, or lists of them."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than any Slack sends
        return False
    if not (isinstance(data, dict) and isinstance(data.get("type"), str)):
        return False
    objects = [data.get(key) for key in OBJECT_FIELDS]
    lists = [data.get(key) for key in LIST_FIELDS]
    return all(part is None or isinstance(part, dict) for part in objects) and all(
        part is None or (isinstance(part, list) and all(isinstance(item, dict) for item in part)) for part in lists)


def partner_app(alerts: WSGIApp | None, pagerduty: WSGIApp | None) -> WSGIApp | None:
    """Alert intake at /alerts/* and PagerDuty's webhooks at /pagerduty as one app, for the port they share in
    Socket Mode; None when neither is on."""
    if alerts is None and pagerduty is None:
        return None

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or ""
        if alerts and path.startswith(ALERTS_PREFIX):
            return alerts(environ, start_response)
        if pagerduty and path == PAGERDUTY_PATH:
            return pagerduty(environ, start_response)
        return _answer(start_response, 404, b"not found\n", "text/plain; charset=utf-8")

    return application


def _answer(start_response: Callable, status: int, body: bytes, content_type: str) -> list[bytes]:
    reasons = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 411: "Length Required",
               413: "Payload Too Large", 503: "Service Unavailable"}
    start_response(f"{status} {reasons[status]}", [("Content-Type", content_type),
                                                   ("Content-Length", str(len(body)))])
    return [body]


class HttpServer:
    """waitress, run until `stopping` is set; then it stops accepting, lets in-flight requests finish and
    their answers go out (up to DRAIN seconds), and closes."""

    def __init__(self, application: WSGIApp, *, host: str, port: int, threads: int = 8, **tuning: int) -> None:
        """`tuning`: more of waitress's settings, such as `connection_limit` and `channel_timeout`."""
        self._server = create_server(application, host=host, port=port, threads=threads, ident="firehouse",
                                     max_request_body_size=MAX_BODY + 1,  # waitress refuses bigger ones unread
                                     **tuning)
        self._map: dict = getattr(self._server, "map", None) or self._server._map
        # waitress warns "Task queue depth is N" for every request that arrives while no thread is idle: 1,566
        # lines in 45 s under 20 simultaneous commands. `queue_depth` tells the same at scrape time instead.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    @property
    def port(self) -> int:
        listeners = [d for d in self._map.values() if isinstance(d, BaseWSGIServer)]
        return listeners[0].effective_port

    def queue_depth(self) -> int:
        """Requests waiting for a worker thread: those queued beyond the idle threads about to take them (what
        waitress's queue warning counts)."""
        tasks = self._server.task_dispatcher
        with tasks.lock:
            idle = len(tasks.threads) - tasks.stop_count - tasks.active_count
            return max(len(tasks.queue) - idle, 0)

    def run(self, stopping: threading.Event) -> None:
        while not stopping.is_set():
            wasyncore.loop(timeout=0.2, map=self._map, count=1)
        self._drain()

    def _drain(self) -> None:
        for listener in [d for d in self._map.values() if isinstance(d, BaseWSGIServer)]:
            wasyncore.dispatcher.close(listener)  # stop accepting; the trigger stays, to flush answers
        deadline = time.monotonic() + DRAIN
        while time.monotonic() < deadline and any(
                channel.requests or channel.total_outbufs_len
                for channel in list(self._map.values()) if isinstance(channel, HTTPChannel)):
            wasyncore.loop(timeout=0.05, map=self._map, count=1)
        self._server.task_dispatcher.shutdown(timeout=1)
        wasyncore.close_all(self._map)


def serve_http(app: App, *, signing_secret: str, host: str, port: int, health: Health, metrics: Metrics,
               stopping: threading.Event, threads: int = SLACK_THREADS, alerts: WSGIApp | None = None,
               pagerduty: WSGIApp | None = None) -> None:
    """Serve until `stopping` is set, with waitress: a production WSGI server, not Bolt's development one."""
    server = HttpServer(wsgi_app(app, signing_secret=signing_secret, health=health, metrics=metrics, alerts=alerts,
                                 pagerduty=pagerduty), host=host, port=port, threads=threads)
    metrics.watch_http("slack", server.queue_depth)
    log.info("firehouse listening on http://%s:%s%s", host, server.port, EVENTS_PATH)
    server.run(stopping)


def serve_socket_mode(app: App, *, app_token: str, metrics: Metrics, stopping: threading.Event) -> None:
    """Connect out to Slack over Socket Mode (no public URL needed) until `stopping` is set."""
    log.info("firehouse connecting to Slack in Socket Mode")
    handler = _TimedSocketModeHandler(app, app_token, on_ack=metrics.ack)
    handler.connect()
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        handler.close()


def serve_probes(*, host: str, port: int, health: Health, metrics: Metrics,
                 stopping: threading.Event) -> threading.Thread:
    """The probes on a port of their own (Socket Mode has no HTTP server), served from a thread."""
    server = HttpServer(probes(health=health, metrics=metrics), host=host, port=port, threads=2)
    metrics.watch_http("probes", server.queue_depth)
    log.info("firehouse health checks on http://%s:%s%s", host, server.port, READY_PATH)
    thread = threading.Thread(target=server.run, args=(stopping,), name="firehouse-health")
    thread.start()
    return thread


def serve_alerts(intake: WSGIApp, *, host: str, port: int, stopping: threading.Event) -> threading.Thread:
    """What other systems send (alert intake, PagerDuty's webhooks: `partner_app`) on a port of its own, since
    Socket Mode has no HTTP server for it to sit beside; served from a thread."""
    server = HttpServer(intake, host=host, port=port, threads=4)
    log.info("firehouse intake for other systems on http://%s:%s (%s*, %s, each when on)", host, server.port,
             ALERTS_PREFIX, PAGERDUTY_PATH)
    thread = threading.Thread(target=server.run, args=(stopping,), name="firehouse-alert-intake")
    thread.start()
    return thread


class _TimedSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler, timing each envelope from arrival to its acknowledgement."""

    def __init__(self, app: App, app_token: str, *, on_ack: Callable[[str, float], None]) -> None:
        super().__init__(app, app_token)
        self.on_ack = on_ack

    def handle(self, client, req) -> None:  # type: ignore[no-untyped-def]
        started = time.monotonic()
        super().handle(client, req)
        self.on_ack(ACK_KINDS.get(req.type, "other"), time.monotonic() - started)
