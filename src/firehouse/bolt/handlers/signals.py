"""Live signals: the list with Watch buttons, watching one (its chart), stopping; and a status move the watched
signals argue against, confirmed with the Move anyway button."""

from __future__ import annotations

from firehouse.bolt.handlers.request import Request, changed
from firehouse.commands.incidents import ChangeStatus, Resolve
from firehouse.commands.signals import ShowSignals, StopWatching, WatchSignal
from firehouse.comms.mrkdwn import escape
from firehouse.domain.lifecycle import Status
from firehouse.domain.signals import Reading
from firehouse.slack import blocks, signal_blocks
from firehouse.slack.gateway import Message
from firehouse.usecases.incidents import StillOutside


def watch(command: ShowSignals | WatchSignal | StopWatching, req: Request) -> Message:
    signals = req.services.signals
    match command:
        case ShowSignals():
            board = signals.board(channel=req.channel)
            return signal_blocks.board(configured=board.configured, watched=board.watched)
        case StopWatching():
            return changed(signals.stop(command, channel=req.channel, by=req.user))
    outcome, reading = signals.watch(command, channel=req.channel, by=req.user)
    problems = list(outcome.problems)
    if isinstance(reading, Reading):
        problems += signals.show_chart(outcome.incident, reading)
    standing = reading.now(signals.settings.watch.window) if isinstance(reading, Reading) else reading
    said = "Watching" if outcome.events else "Already watching"
    return blocks.with_problems(f"{said} {escape(reading.signal.label)}: {escape(standing.headline())}.", problems)


def watch_pressed(value: str, req: Request) -> Message:
    return watch(WatchSignal(value), req)


def change_status(command: ChangeStatus, req: Request) -> Message:
    try:
        return changed(req.services.incidents.change_status(command, channel=req.channel, by=req.user))
    except StillOutside as still:
        return signal_blocks.still_outside(status=still.status, standings=still.standings)


def resolve(command: Resolve, req: Request) -> Message:
    try:
        return changed(req.services.incidents.resolve(command, channel=req.channel, by=req.user))
    except StillOutside as still:
        return signal_blocks.still_outside(status=still.status, standings=still.standings, summary=command.summary,
                                           waiver=command.waiver)


def move_pressed(value: str, req: Request) -> Message:
    """Move anyway, having seen the signals still outside their baseline."""
    status, summary, waiver = signal_blocks.read_move_value(value)
    if status is Status.RESOLVED:
        return resolve(Resolve(summary, waiver, confirmed=True), req)
    return change_status(ChangeStatus(status, confirmed=True), req)
