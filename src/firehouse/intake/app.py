"""`POST /alerts/alertmanager` and `POST /alerts/grafana`: the intake's HTTP edge.

In this order, before anything is stored: a path it knows (404), POST (405), the bearer token compared in
constant time (401), a Content-Length within 1 MiB (411, 413, refused unread), JSON (400), a delivery it can
take (400, naming the problem). Then the delivery is stored and the answer is 202: processing happens
later, off the request path, so the sender never waits on Slack. Nothing here is signed by Slack: the
token is the intake's own check.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterable
from http import HTTPStatus

from firehouse.intake.parse import BadDelivery, parse
from firehouse.usecases.alerts import AlertIntake

log = logging.getLogger(__name__)

PATHS = {"/alerts/alertmanager": "alertmanager", "/alerts/grafana": "grafana"}
PREFIX = "/alerts/"
MAX_BODY = 1024 * 1024  # Alertmanager's largest groups stay far below this

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def alerts_app(*, intake: AlertIntake, token: str, wake: Callable[[], object],
               on_delivery: Callable[[str, str], object] = lambda source, outcome: None) -> WSGIApp:
    """The WSGI app for /alerts/*; `wake` starts processing, `on_delivery` is told (source, outcome) per request."""
    expected = token.encode()

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        source = PATHS.get(environ.get("PATH_INFO") or "")
        if source is None:
            return answer(start_response, 404, {"error": "not found; alerts go to " + " or ".join(PATHS)})
        if environ.get("REQUEST_METHOD") != "POST":
            return answer(start_response, 405, {"error": "use POST"}, [("Allow", "POST")])
        refused = _refusal(environ, expected)
        if refused:
            on_delivery(source, refused[0])
            return answer(start_response, refused[1], {"error": refused[2]}, refused[3])
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        try:
            group = parse(source, json.loads(body))
        except (ValueError, UnicodeDecodeError, RecursionError) as err:  # BadDelivery, or not JSON (or too deep)
            on_delivery(source, "invalid")
            problem = str(err) if isinstance(err, BadDelivery) else f"the body is not JSON: {err}"
            return answer(start_response, 400, {"error": problem})
        try:
            delivery = intake.receive(group)
        except Exception as err:  # the store is away: the sender retries a 5xx, so nothing is lost
            log.warning("an alert delivery from %s could not be stored: %s", source, err.__class__.__name__)
            on_delivery(source, "unavailable")
            return answer(start_response, 503, {"error": "the delivery could not be stored; send it again"})
        wake()
        on_delivery(source, "accepted")
        return answer(start_response, 202, {"accepted": delivery, "alerts": len(group.alerts)})

    return application


def _refusal(environ: dict, expected: bytes) -> tuple[str, int, str, list[tuple[str, str]]] | None:
    """Why a request is refused before its body is read: (outcome, status, reason, headers), else None."""
    scheme, _, given = (environ.get("HTTP_AUTHORIZATION") or "").partition(" ")
    # WSGI hands header values over as latin-1 strings: back to the bytes that were sent.
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode("latin-1"), expected):
        return "unauthorized", 401, "a bearer token is required (Authorization: Bearer <FIREHOUSE_ALERT_TOKEN>)", \
            [("WWW-Authenticate", 'Bearer realm="firehouse alerts"')]
    refused = length_refusal(environ)
    if refused:
        return "too_large" if refused[0] == 413 else "invalid", *refused, []
    return None


def length_refusal(environ: dict) -> tuple[int, str] | None:
    """Why a body is refused from its Content-Length alone, so unread: (status, reason), else None."""
    length = environ.get("CONTENT_LENGTH") or ""
    if not length:
        return 411, "Content-Length required"
    if not (length.isascii() and length.isdigit()):
        return 400, "invalid Content-Length"
    if int(length) > MAX_BODY:
        return 413, f"body over {MAX_BODY} bytes"
    return None


def answer(start_response: Callable, status: int, body: dict,
           headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    """A JSON answer with its length."""
    data = json.dumps(body).encode() + b"\n"
    start_response(f"{status} {HTTPStatus(status).phrase}", [
        ("Content-Type", "application/json"), ("Content-Length", str(len(data))), *(headers or [])])
    return [data]
