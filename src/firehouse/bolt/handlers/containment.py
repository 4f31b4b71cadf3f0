"""Firebreaks: the board, pulling (by command or the Pull button), lifting, and recording one done by hand."""

from __future__ import annotations

from firehouse.bolt.handlers.request import Request
from firehouse.commands.containment import LiftFirebreak, PullFirebreak, RecordFirebreak, ShowFirebreaks
from firehouse.slack import blocks, firebreak_blocks
from firehouse.slack.firebreak_blocks import read_pull_value
from firehouse.slack.gateway import Message
from firehouse.usecases.containment import Unconfirmed


def firebreak(command: ShowFirebreaks | PullFirebreak | LiftFirebreak | RecordFirebreak, req: Request) -> Message:
    containment = req.services.containment
    match command:
        case ShowFirebreaks():
            board = containment.board(channel=req.channel)
            return firebreak_blocks.board(configured=board.configured, suggested=board.suggested,
                                          pulled=board.pulled, warnings=board.warnings, cause=board.incident.cause,
                                          evidence=board.evidence)
        case PullFirebreak():
            try:
                return _pull(command, req)
            except Unconfirmed as first:  # say the warnings; the buttons pull anyway or open the snapshot form
                return firebreak_blocks.warned(name=command.name, note=command.note, warnings=first.warnings)
        case LiftFirebreak():
            done, outcome = containment.lift(command, channel=req.channel, by=req.user)
        case RecordFirebreak():
            done, outcome = containment.record(command, channel=req.channel, by=req.user)
    return blocks.with_problems(firebreak_blocks.pulled(done).text, outcome.problems)


def pull_pressed(value: str, req: Request) -> Message:
    """Pull anyway, after the warnings."""
    name, note = read_pull_value(value)
    return _pull(PullFirebreak(name, note), req, confirmed=True)


def lift_pressed(value: str, req: Request) -> Message:
    done, outcome = req.services.containment.lift(LiftFirebreak(value), channel=req.channel, by=req.user)
    return blocks.with_problems(firebreak_blocks.pulled(done).text, outcome.problems)


def _pull(command: PullFirebreak, req: Request, *, confirmed: bool = False) -> Message:
    done, outcome = req.services.containment.pull(command, channel=req.channel, by=req.user, confirmed=confirmed)
    return blocks.with_problems(firebreak_blocks.pulled(done).text, outcome.problems)
