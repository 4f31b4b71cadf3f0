"""`firehouse events replay`: the kept events sent again, with the ids they were first sent with, to receivers that
were down for longer than the outbox kept trying (a day). A receiver drops an id it has seen, so sending too much
is harmless; sending out of order is not, so a receiver's replay stops at its first failure."""

from __future__ import annotations

import argparse
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from firehouse.cli.files import existing_store
from firehouse.config import config_path, load_settings
from firehouse.config.paging import Subscription
from firehouse.domain.notifications import Published
from firehouse.domain.times import parse_moment, stamp
from firehouse.errors import ConfigError
from firehouse.usecases.ports import Receivers


def add_parser(commands: argparse._SubParsersAction) -> None:
    events = commands.add_parser("events", help="the events [[events]] subscriptions hear of")
    actions = events.add_subparsers(dest="action", required=True)
    replay = actions.add_parser(
        "replay", help="send every event kept since TIME again, in order and with the ids they were first sent with"
                       " (receivers drop what they already have); exit 1 if a receiver failed")
    replay.add_argument("--since", required=True, metavar="TIME",
                        help="an ISO 8601 time (UTC unless it says otherwise) or <n>[smhd] ago, like"
                             " 2026-11-23T14:05Z or 6h ago")
    replay.add_argument("--subscription", metavar="NAME",
                        help="only this [[events]] subscription (default: each one, the types it wants)")
    replay.set_defaults(run=_replay, parser=replay)


@dataclass(frozen=True)
class Replayed:
    """What one subscription was sent: how many took, the first failure (the replay stops there), how many were
    left after it."""

    sent: int
    failed: int = 0
    reason: str = ""
    left: int = 0

    def __str__(self) -> str:
        line = f"sent {self.sent}, failed {self.failed}"
        if self.failed:
            line += f" ({self.reason})"
        if self.left:
            line += f"; {self.left} left unsent, to keep the order"
        return line


def replay(receivers: Receivers, subscription: Subscription, kept: Sequence[Published]) -> Replayed:
    """Send `kept` in order to `subscription`, as the outbox first sent them, until one fails."""
    for sent, published in enumerate(kept):
        answer = receivers.send(subscription, published)
        if not answer.ok:
            return Replayed(sent=sent, failed=1, reason=answer.text, left=len(kept) - sent - 1)
    return Replayed(sent=len(kept))


def _replay(args: argparse.Namespace) -> int:
    from firehouse.integrations.receivers import HttpReceivers
    from firehouse.store import UnitOfWork
    from firehouse.store.deliveries import DeliveryStore
    from firehouse.store.paging import notifications_since
    from firehouse.usecases.deliveries import privately

    try:
        since = parse_moment(args.since, now=datetime.now(UTC))
    except ValueError as err:
        args.parser.error(f"argument --since: {err}")
    settings = load_settings(os.environ, cwd=Path.cwd(), slack=False)
    names = [subscription.name for subscription in settings.events]
    if not names:
        raise ConfigError("no [[events]] subscription is configured: there is nowhere to replay to")
    if args.subscription is not None and args.subscription not in names:
        args.parser.error(f"argument --subscription: {args.subscription!r} is not a subscription here; use one of"
                          f" {', '.join(names)}")
    subscriptions = [subscription for subscription in signed(os.environ, cwd=Path.cwd())
                     if args.subscription in (None, subscription.name)]
    engine = existing_store(settings.database_url)
    try:
        with UnitOfWork(engine) as uow:
            kept = notifications_since(uow.session, since)
        private = DeliveryStore(engine).private_incidents({p.incident_id for p in kept})  # as they stand now
        kept = [privately(p) if p.incident_id in private else p for p in kept]
    finally:
        engine.dispose()
    if not kept:
        print(f"firehouse: nothing to replay: no events kept since {stamp(since)}")
        return 0
    print(f"firehouse: {len(kept)} event{'' if len(kept) == 1 else 's'} kept since {stamp(since)}", flush=True)
    failed = False
    with HttpReceivers() as receivers:
        for subscription in subscriptions:
            replayed = replay(receivers, subscription, [p for p in kept if subscription.wants(p.type)])
            failed = failed or bool(replayed.failed)
            print(f"{subscription.name}: {replayed}", flush=True)
    return 1 if failed else 0


def signed(environ: Mapping[str, str], *, cwd: Path) -> tuple[Subscription, ...]:
    """The `[[events]]` subscriptions with their signing secrets. Settings read without Slack leave every secret
    unread; a replay needs only these, so another integration's unset secret does not stop it."""
    from firehouse.config.file import duration_at
    from firehouse.config.paging import events

    path = config_path(environ, cwd)
    try:
        return events(tomllib.loads(path.read_text(encoding="utf-8")).get("events", []), secrets=environ,
                      duration=duration_at)
    except ValueError as err:  # an unset secret: load_settings has read the rest of the file already
        raise ConfigError(f"{path.name}: {err}") from None
