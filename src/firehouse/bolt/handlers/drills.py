"""Practice: the scenario picker, starting a drill (by command or the picker's Start button), ending it."""

from __future__ import annotations

from firehouse.bolt.handlers.request import Request
from firehouse.commands.drills import EndDrill, PickDrill, StartDrill
from firehouse.slack import blocks, drill_blocks
from firehouse.slack.gateway import Message


def drill(command: PickDrill | StartDrill | EndDrill, req: Request) -> Message:
    drills = req.services.drills
    match command:
        case StartDrill():
            return start_drill(command.scenario, req)
        case EndDrill():
            ended = drills.end(channel=req.channel, by=req.user)
            return blocks.with_problems(f"Drill ended: {ended.run.report.on_time} of"
                                        f" {len(ended.run.report.milestones)} milestones inside the flow. The report"
                                        " and its chart are in the channel.", ended.problems)
    scenarios = drills.scenarios()
    return drill_blocks.picker(scenarios.found, scenarios.problems)


def start_drill(value: str, req: Request) -> Message:
    """Start the scenario named `value` where it was asked for (the picker's channel, for its Start button)."""
    run, outcome = req.services.drills.start(StartDrill(value), channel=req.channel, by=req.user)
    return blocks.with_problems(drill_blocks.started(outcome.incident.channel_id, run), outcome.problems)
