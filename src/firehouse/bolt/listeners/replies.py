"""How listeners answer one person: errors turned into replies, private messages, and buttons."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from slack_bolt import Ack, App

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


def on_button(app: App, *, gateway: SlackGateway, background: Background, action_id: str | re.Pattern,
              handle: Callable[[str, str, dict], Message | None]) -> None:
    """Listen for a button: ack at once, then in the background run `handle(user, value, body)` and tell
    the person its reply (or what went wrong) privately."""

    @app.action(action_id)
    def pressed(ack: Ack, body: dict, action: dict) -> None:
        ack()
        user = body["user"]["id"]

        def work() -> None:
            reply = guarded(lambda: handle(user, action.get("value", ""), body))
            if reply:
                tell(gateway, user=user, channel=body.get("channel", {}).get("id"), message=reply)

        background.run(work)


def tell(gateway: SlackGateway, *, user: str, channel: str | None, message: Message) -> None:
    """Tell one person something privately: ephemeral where they were, else a direct message."""
    if channel:
        try:
            gateway.post_ephemeral(channel, user, message)
            return
        except SlackFailure:
            pass  # the bot is not in that channel: fall back to a direct message
    gateway.post(user, message)
