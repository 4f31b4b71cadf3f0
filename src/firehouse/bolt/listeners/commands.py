"""`/incident`: parse before ack (so a usage error shows at once), ack, then run the row's handler in
the background and send its reply to the person who typed the command."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond

from firehouse.bolt.handlers import Request, Services
from firehouse.bolt.listeners.replies import guarded
from firehouse.bolt.table import parse
from firehouse.bolt.work import Background
from firehouse.errors import UsageError


def register(app: App, services: Services, background: Background) -> None:
    @app.command("/incident")
    def incident(ack: Ack, command: dict, respond: Respond) -> None:
        try:
            parsed = parse(command.get("text") or "", catalog=services.incidents.catalog)
        except UsageError as err:
            ack(text=err.reply, response_type="ephemeral")
            return
        row = parsed.row
        request = Request(user=command["user_id"], channel=command["channel_id"],
                          trigger_id=command.get("trigger_id", ""), services=services)
        if row.instant:
            ack(text=row.handle(parsed.command, request).text, response_type="ephemeral")
            return
        if row.acks:
            ack(text=row.acks(parsed.command), response_type="ephemeral")
        else:
            ack()

        def work() -> None:
            reply = guarded(lambda: row.handle(parsed.command, request), form=row.usage(services.incidents.catalog))
            if reply:
                respond(text=reply.text, blocks=reply.blocks or None, response_type="ephemeral")

        background.run(work)
