"""`/incident`: parse before ack (so a usage error shows at once), ack, then run the row's handler in
the background and send its reply to the person who typed the command."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import Ack, App, Respond

from firehouse.bolt.handlers import Request, Services
from firehouse.bolt.listeners.replies import guarded, harmless
from firehouse.bolt.table import BY_WORDS, parse
from firehouse.bolt.work import Background
from firehouse.errors import DomainError, UsageError

Observer = Callable[[str, str], None]  # told (verb, outcome) per command: ok, usage_error, refused or failed


def register(app: App, services: Services, background: Background, *, on_command: Observer | None = None) -> None:
    observe = on_command or (lambda verb, outcome: None)

    @app.command("/incident")
    def incident(ack: Ack, command: dict, respond: Respond) -> None:
        verb = _verb(command.get("text") or "")
        try:
            parsed = parse(command.get("text") or "", catalog=services.incidents.catalog)
        except UsageError as err:
            ack(text=harmless(err.reply), response_type="ephemeral")
            observe(verb, "usage_error")
            return
        row = parsed.row
        request = Request(user=command["user_id"], channel=command["channel_id"],
                          trigger_id=command.get("trigger_id", ""), services=services)
        if row.instant:
            ack(text=row.handle(parsed.command, request).text, response_type="ephemeral")
            observe(verb, "usage_error" if verb == "unknown" else "ok")
            return
        if row.acks:
            ack(text=row.acks(parsed.command), response_type="ephemeral")
        else:
            ack()

        def work() -> None:
            outcome = "ok"

            def handle() -> object:
                nonlocal outcome
                try:
                    return row.handle(parsed.command, request)
                except Exception as err:
                    outcome = "usage_error" if isinstance(err, UsageError) else \
                        "refused" if isinstance(err, DomainError) else "failed"
                    raise

            reply = guarded(handle, form=row.usage(services.incidents.catalog))
            observe(verb, outcome)
            if reply:
                services.gateway.respond(respond, reply)

        background.run(work)


def _verb(text: str) -> str:
    """The subcommand typed, as a metric label: a known verb, "modal" for none, "unknown" for anything else."""
    word = text.strip().partition(" ")[0].lower()
    return (word or "modal") if word in BY_WORDS else "unknown"
