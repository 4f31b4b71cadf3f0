"""How listeners answer one person: errors turned into replies, private messages, and the one way every
button and every form is listened for."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from firehouse.bolt.handlers import Form, Request, Services
from firehouse.bolt.work import Background
from firehouse.errors import FirehouseError, NotAWarRoom, SlackFailure
from firehouse.slack.gateway import Message, SlackGateway

log = logging.getLogger(__name__)

SORRY = "Something went wrong on my side and nothing was changed. Try again in a moment."


def harmless(reply: str) -> str:
    """An error's reply with any broadcast (`<!channel>`, `<!here>`, `<!subteam^…>`) made plain text: a net
    under the escaping where user text is quoted (`errors.echo`), since Firehouse's own words never hold one."""
    return reply.replace("<!", "&lt;!")


def guarded(action: Callable[[], Message | None], *, form: str = "") -> Message | None:
    """Run `action`; a FirehouseError becomes its reply, anything else a plain apology (and a log line)."""
    try:
        return action()
    except NotAWarRoom as err:
        return Message(text=harmless(f"{err.reply} Use `{form}` in an incident's war room, or `/incident list` to"
                                     " find one."))
    except FirehouseError as err:
        return Message(text=harmless(err.reply))
    except Exception:
        log.exception("command failed")
        return Message(text=SORRY)


def on_button(app: App, *, services: Services, background: Background, action_id: str | re.Pattern,
              handle: Callable[[str, Request], Message | None]) -> None:
    """Listen for a button: ack at once, then in the background run `handle(value, request)` and tell the
    person its reply (or what went wrong) privately."""

    @app.action(action_id)
    def pressed(ack: Ack, body: dict, action: dict) -> None:
        ack()
        req = Request.of_button(body, services)

        def work() -> None:
            reply = guarded(lambda: handle(action.get("value", ""), req))
            if reply:
                tell(services.gateway, user=req.user, channel=body.get("channel", {}).get("id"), message=reply)

        background.run(work)


def on_form(app: App, *, services: Services, background: Background, callback_id: str, form: Form[Any]) -> None:
    """Listen for a form's submission: check it before the ack (what is wrong shows on the form's fields),
    ack, then in the background handle it and tell the person privately where `form.where` says."""

    @app.view(callback_id)
    def submitted(ack: Ack, body: dict, view: dict) -> None:
        value = form.read(view)
        if errors := form.check(value, services):
            ack(response_action="errors", errors=errors)
            return
        ack()
        req = Request.of_form(body, services)

        def work() -> None:
            reply = guarded(lambda: form.handle(value, req))
            tell(services.gateway, user=req.user, channel=_where(form, value, services), message=reply)

        background.run(work)


def _where(form: Form[Any], value: Any, services: Services) -> str | None:
    """Where to answer; when that cannot be found (the incident is gone, say), a direct message."""
    try:
        return form.where(value, services)
    except FirehouseError:
        return None


def tell(gateway: SlackGateway, *, user: str, channel: str | None, message: Message) -> None:
    """Tell one person something privately: ephemeral where they were, else a direct message."""
    if channel:
        try:
            gateway.post_ephemeral(channel, user, message)
            return
        except SlackFailure:
            pass  # the bot is not in that channel: fall back to a direct message
    gateway.post(user, message)
