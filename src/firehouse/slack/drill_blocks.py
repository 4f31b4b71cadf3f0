"""Block Kit for drills: the scenario picker, the alarm and the injects, and the readiness report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from slack_sdk.models.blocks import ButtonElement, ContextBlock, MarkdownTextObject, SectionBlock

from firehouse.comms.mrkdwn import escape
from firehouse.domain.drills import DRY_RUN, DrillRun, Readiness, Scenario, compared, phase_ends
from firehouse.domain.times import duration, span, stamp
from firehouse.slack.gateway import Message
from firehouse.slack.limits import MESSAGE_BLOCKS, capped, pack, shorten

START_ACTION = "drill_start"
MAX_PICKED = 20  # scenarios in the picker: each takes two blocks, inside a message's 50


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def picker(scenarios: Mapping[str, Scenario], problems: Mapping[str, str]) -> Message:
    """Bare `/incident drill`: each scenario with what it is about and a Start button; broken files named."""
    if not scenarios and not problems:
        return Message(text="There are no drill scenarios. Add TOML files to `drills/` (see the README's Practice"
                            " section).")
    blocks: list = [_section("*Start a drill*: a practice incident with the real flow, marked DRILL everywhere."
                             " Nothing reaches stakeholders, customers or regulators.")]
    for name, scenario in list(scenarios.items())[:MAX_PICKED]:
        firebreaks = "dry-run firebreaks" if scenario.firebreaks == DRY_RUN else "*live* firebreaks"
        blocks.append(SectionBlock(
            text=MarkdownTextObject(text=f"*{escape(scenario.title)}* (`{name}`)\n{escape(scenario.summary)}\n"
                                         f"_{span(scenario.time_limit)}, {len(scenario.injects)} injects,"
                                         f" {firebreaks}_"),
            accessory=ButtonElement(text="Start", action_id=f"{START_ACTION}:{name}", value=name)))
    if len(scenarios) > MAX_PICKED:
        blocks.append(_context(f"…and {len(scenarios) - MAX_PICKED} more: `/incident drill <scenario>`."))
    if problems:
        blocks.append(_context(":warning: Cannot run: " + "; ".join(escape(p) for p in problems.values())))
    return Message(text=f"{len(scenarios)} drill scenarios: `/incident drill <scenario>` starts one",
                   blocks=capped(blocks, limit=MESSAGE_BLOCKS))


def inject(*, offset: timedelta, text: str, alarm: bool) -> Message:
    """The alarm that opens a drill, or an inject, as the world says it."""
    if alarm:
        heading = (":bell: *The alarm* (the first signal: the clock runs from now). Name a fire captain with"
                   " `/incident captain @user`; the facilitator only keeps the place.")
    else:
        heading = f":speech_balloon: *Inject at +{span(offset)}*"
    return Message(text=f"{'Alarm' if alarm else 'Inject'}: {escape(shorten(text, 200))}",
                   blocks=[_section(heading), _section(escape(text))])


def started(incident_channel: str, run: DrillRun) -> str:
    """The facilitator's reply once the drill's war room is open."""
    return (f"Drill <#{incident_channel}> is open: *{escape(run.scenario.title)}*, {span(run.scenario.time_limit)}."
            " You are its facilitator: invite the team, let them find the captain role, and end it with"
            " `/incident drill end` (it ends by itself at its time limit). The score is posted there.")


def report(run: DrillRun, *, previous: DrillRun | None) -> Message:
    """The readiness report against the 60-minute flow."""
    readiness: Readiness = run.report
    how = "its time limit passed" if readiness.timed_out else f"ended by <@{run.ended_by}>"
    lines = [f":checkered_flag: *DRILL report: {escape(run.scenario.title)}* (scenario `{run.scenario.name}`)",
             f"Ran {duration(run.started_at, run.ended_at)} from {stamp(run.started_at)}; {how}."
             f" *{readiness.on_time} of {len(readiness.milestones)}* milestones inside the 60-minute flow.", "",
             "*Milestones* (each by the end of its phase)"]
    for m in readiness.milestones:
        mark = ":white_check_mark:" if m.on_time else ":x:"
        when = span(m.after) if m.after is not None else "never"
        note = f", {escape(m.note)}" if m.note else ""
        lines.append(f"{mark} {m.label}: *{when}* (by {span(m.target)}){note}")
    verdict = ":white_check_mark:" if readiness.right_severity else ":x:"
    lines += ["", f"{verdict} *Severity*: chose {readiness.severity.label}; the scenario's is"
                  f" {readiness.expected_severity.label}. {escape(readiness.why)}",
              f"*Class*: chose `{readiness.class_id}`; the scenario's is `{readiness.expected_class}`."]
    if readiness.missed:
        lines += ["", "*First-hour checklist items missed* (done after their checkpoint, or never)",
                  *(f"• {escape(item)}" for item in readiness.missed)]
    else:
        lines += ["", "*First-hour checklist*: every item done before its checkpoint."]
    if previous and previous.report:
        lines += ["", f"*Against the run of {stamp(previous.started_at)}*",
                  *(f"• {line}" for line in compared(readiness, previous.report))]
    else:
        lines += ["", "_The first run of this scenario: the next one is compared with it._"]
    lines += ["", "History: `firehouse report drills`."]
    return Message(text=f"DRILL report: {readiness.on_time} of {len(readiness.milestones)} milestones on time",
                   blocks=[_section(chunk) for chunk in pack(lines)])


def flow(offsets: Sequence[timedelta]) -> str:
    """The phases of the flow in minutes: `0-10 / 10-20 / 20-40 / 40-60`."""
    ends = [int(end.total_seconds() // 60) for end in phase_ends(offsets)]
    return " / ".join(f"{start}-{end}" for start, end in zip([0, *ends], ends, strict=False) if end > start)
