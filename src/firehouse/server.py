"""Serving the Bolt app: HTTP through waitress, or Socket Mode when an app token is set."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import serve

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


def wsgi_app(app: App) -> Callable:
    """Slack's requests at /slack/events (signature-checked by Bolt), and a health check for load balancers."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        return slack(environ, start_response)

    return application


def serve_http(app: App, *, host: str, port: int, threads: int = 8) -> None:
    """Serve until interrupted, with waitress: a production WSGI server, not Bolt's development one."""
    log.info("firehouse listening on http://%s:%d%s", host, port, EVENTS_PATH)
    serve(wsgi_app(app), host=host, port=port, threads=threads, ident="firehouse")


def serve_socket_mode(app: App, *, app_token: str) -> None:
    """Connect out to Slack over Socket Mode: no public URL needed."""
    log.info("firehouse connecting to Slack in Socket Mode")
    SocketModeHandler(app, app_token).start()
