"""Every request's log lines say what it is: the verb, the user, and Slack's id for the request.

A global Bolt middleware binds them before any listener runs, in a context that lives as long as the
request's dispatch; the listener's thread and the background work it hands over inherit them (see
`firehouse.logs`), and the use case adds the incident once it knows it.
"""

from __future__ import annotations

import contextvars
import functools
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest

from firehouse.logs import note

_WORD = re.compile(r"[a-z][a-z0-9_-]{0,39}")
REQUEST_ID_HEADERS = ("x-slack-request-id", "x-slack-req-id")


def register(app: App) -> None:
    app.use(bind_request)
    # Bolt runs the listener after the middleware chain has returned, so the fields cannot be bound around
    # `next()`; instead each dispatch runs in a context of its own, and the fields die with it.
    app.dispatch = _in_own_context(app.dispatch)


def bind_request(req: BoltRequest, next: Callable[[], Any]) -> Any:  # noqa: A002 (Bolt names it `next`)
    """Bind this request's fields (clearing any other) for the rest of its dispatch."""
    body = req.body if isinstance(req.body, dict) else {}
    note(incident=None, verb=verb_of(body), user=user_of(body), request_id=request_id_of(body, req.headers))
    return next()


def _in_own_context(dispatch: Callable[[BoltRequest], Any]) -> Callable[[BoltRequest], Any]:
    @functools.wraps(dispatch)
    def dispatch_in_own_context(req: BoltRequest) -> Any:
        return contextvars.copy_context().run(dispatch, req)

    return dispatch_in_own_context


def verb_of(body: dict) -> str | None:
    """The `/incident` subcommand, the button's action, the form's callback or the event's type."""
    if "command" in body:
        first = str(body.get("text") or "").strip().split(maxsplit=1)
        match = _WORD.match(first[0].lower()) if first else None
        return match[0] if match else "incident"
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        return str(actions[0].get("action_id") or "") or None
    for holder in (body.get("view"), body):
        if isinstance(holder, dict) and holder.get("callback_id"):
            return str(holder["callback_id"])
    event = body.get("event")
    return str(event.get("type")) if isinstance(event, dict) and event.get("type") else None


def user_of(body: dict) -> str | None:
    user = body.get("user_id") or body.get("user")
    if isinstance(user, dict):
        user = user.get("id")
    event = body.get("event")
    if not user and isinstance(event, dict):
        user = event.get("user")
        user = user.get("id") if isinstance(user, dict) else user
    return str(user) if user else None


def request_id_of(body: dict, headers: dict) -> str | None:
    """A request id header if Slack sent one; else the event's id, or the trigger id of a command or action."""
    for name in REQUEST_ID_HEADERS:
        values = headers.get(name)
        if values:
            return str(values[0])
    found = body.get("event_id") or body.get("trigger_id")
    return str(found) if found else None
