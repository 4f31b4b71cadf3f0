"""The command table: one row per `/incident` subcommand, the only list of them there is.

A row holds the subcommand's words, its usage form, a one-line description, where it may run, the
parser that makes its command dataclass, the handler that carries it out, and the permission its use
case checks. Parsing, usage errors, `/incident help` and the README's command reference (checked by a
test) all come from these rows. Adding a subcommand: a row here, a dataclass and parser in
`grammar.py`, a handler in `handlers.py`, and the domain rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from firehouse.bolt import grammar as g
from firehouse.bolt import handlers as h
from firehouse.comms.mrkdwn import escape
from firehouse.domain.classes import Catalog
from firehouse.domain.lifecycle import SETTABLE
from firehouse.slack.gateway import Message

ANYWHERE, WAR_ROOM = "anywhere", "war room"


def _show_help(command: g.ShowHelp, req: h.Request) -> Message:
    """The rows grouped by where they run, after the problem that brought the person here."""
    lines = [command.problem] if command.problem else []
    return Message(text="\n".join([*lines, *help_lines(req.services.incidents.catalog)]))


@dataclass(frozen=True)
class Row:
    """One subcommand. `form` may name `{roles}`, `{classes}`, `{causes}` and `{statuses}`, filled in from
    the deployment's catalogue; `permission` is the policy action its use case checks (None: anyone)."""

    words: str
    form: str
    about: str
    where: str
    parse: Callable[[str, Catalog, str], Any]
    handle: Callable[[Any, h.Request], Any]
    permission: str | None = None
    instant: bool = False  # answered in the ack itself: no I/O, nothing to wait for
    acks: Callable[[Any], str] | None = None  # what the ack says while the work runs

    def usage(self, catalog: Catalog) -> str:
        return self.form.format(roles="|".join(catalog.roles), classes="|".join(catalog.classes),
                                causes="|".join(catalog.causes), statuses="|".join(SETTABLE))


COMMANDS: tuple[Row, ...] = (
    Row("", "/incident", "open the declare modal", ANYWHERE, g.nothing(g.OpenDeclareModal), h.open_declare_modal),
    Row("declare", "/incident declare [sev1|sev2|sev3] [class] <title>", "declare an incident and open its war room",
        ANYWHERE, g.declare, h.declare, acks=lambda c: f"Opening a war room for *{escape(c.title)}*…"),
    Row("help", "/incident help", "this list", ANYWHERE, g.nothing(g.ShowHelp), _show_help, instant=True),
    Row("list", "/incident list", "open incidents, with links to their war rooms", ANYWHERE,
        g.nothing(g.ListIncidents), h.list_incidents),
    Row("stats", "/incident stats [30d]", "incident numbers over a window (`7d`, `12w`), with a weekly chart",
        ANYWHERE, g.stats, h.show_stats),
    Row("drill", "/incident drill [<scenario> | end]",
        "practise: start a drill (alone: pick a scenario); `end` scores it",
        ANYWHERE, g.drill, h.drill),
    Row("captain", "/incident captain @user", "hand over the fire captain role", WAR_ROOM, g.hand_over,
        h.hand_over, "hand_over"),
    Row("role", "/incident role <{roles}> @user", "assign a role", WAR_ROOM, g.assign_role, h.assign_role,
        "assign_role"),
    Row("roles", "/incident roles", "who holds which role", WAR_ROOM, g.nothing(g.ShowRoles), h.show_roles),
    Row("sev", "/incident sev <1|2|3> [reason]", "change the severity (lowering it needs the captain or an admin)",
        WAR_ROOM, g.change_severity, h.change_severity, "escalate"),
    Row("class", "/incident class <{classes}>", "reclassify the incident", WAR_ROOM, g.change_class,
        h.change_class, "change_class"),
    Row("cause", "/incident cause <{causes}>", "the suspected cause", WAR_ROOM, g.change_cause, h.change_cause,
        "change_cause"),
    Row("status", "/incident status <{statuses}>", "move through the lifecycle (leaving resolved reopens it)",
        WAR_ROOM, g.change_status, h.change_status, "status"),
    Row("resolve", f"/incident resolve [summary] [{g.WAIVE_FLAG} <reason>]",
        "resolve, with a summary; a waiver where a customer notice is owed", WAR_ROOM, g.resolve, h.resolve,
        "resolve"),
    Row("detected", "/incident detected <ISO time | 30m ago>", "when the first signal came in", WAR_ROOM,
        g.set_detected, h.set_detected, "set_times"),
    Row("summary", "/incident summary", "the recorded moments and time to captain, contain, resolve", WAR_ROOM,
        g.nothing(g.ShowSummary), h.show_summary),
    Row("update", "/incident update <text>", "a status update: the war room and the stakeholders get it",
        WAR_ROOM, g.post_update, h.post_update, "update"),
    Row("fact", "/incident fact <key>=<value> …", "record facts the notices need; alone, list them", WAR_ROOM,
        g.record_facts, h.record_facts, "facts"),
    Row("comms", "/incident comms <product|legal> [template] [regime] [initial|intermediate|final]",
        "draft a notice for a lane, for review and approval", WAR_ROOM, g.draft_notice, h.draft_notice,
        "draft_notice"),
    Row("clock", "/incident clock [<regime> not-reportable <reason>]",
        "the regulatory deadlines that apply; or record that a regime does not apply", WAR_ROOM, g.clock, h.clock,
        "not_reportable"),
    Row("aware", "/incident aware <ISO time | 30m ago>", "when the organisation became aware (starts most clocks)",
        WAR_ROOM, g.set_aware, h.set_aware, "set_times"),
    Row("log", "/incident log <text>", "add a line to the timeline", WAR_ROOM, g.log, h.log, "log"),
    Row("timeline", "/incident timeline", "the whole timeline, oldest first", WAR_ROOM, g.nothing(g.ShowTimeline),
        h.show_timeline),
    Row("snapshot", "/incident snapshot [<key>=<value> …]",
        "freeze evidence (`trace=<id>` pulls a trace; alone, the form for long fields)", WAR_ROOM, g.freeze,
        h.freeze, "snapshot"),
    Row("snapshots", "/incident snapshots", "what has been frozen, with fingerprints", WAR_ROOM,
        g.nothing(g.ShowSnapshots), h.show_snapshots),
    Row("firebreak", "/incident firebreak [<name> [note] | lift <name|#n> [note] | record <kind> <target> [note]]",
        "the configured firebreaks with Pull buttons; pull, lift, or record one done by hand", WAR_ROOM, g.firebreak,
        h.firebreak, "pull_firebreak"),
    Row("action", "/incident action [prevent|mitigate|detect|process] <text> [@owner] [due YYYY-MM-DD]",
        "a follow-up action; `/incident actions` lists them with buttons", WAR_ROOM, g.add_action, h.add_action,
        "follow_up"),
    Row("actions", "/incident actions", "the follow-up actions: done, owner, due date", WAR_ROOM,
        g.nothing(g.ShowActions), h.show_actions),
    Row("fixture", "/incident fixture [none <reason>]",
        "the eval-fixture form, prefilled from the latest snapshot; or why there can be none", WAR_ROOM, g.fixture,
        h.fixture, "fixture"),
    Row("postmortem", "/incident postmortem [note <section> <text> | publish]",
        "draft the postmortem as a file, add to a section, or publish it", WAR_ROOM, g.postmortem, h.postmortem,
        "postmortem"),
    Row("close", f"/incident close [{g.WAIVE_LOCK} <reason>]",
        "close a resolved incident once locked (postmortem, fixture, owned actions)", WAR_ROOM, g.close, h.close,
        "close"),
)
BY_WORDS: dict[str, Row] = {row.words: row for row in COMMANDS}


@dataclass(frozen=True)
class Parsed:
    """A command and the row it came from."""

    row: Row
    command: Any


def parse(text: str, *, catalog: Catalog) -> Parsed:
    """Turn the text after `/incident` into a command, or raise UsageError with the right form. Total:
    any text gives one or the other, never another exception."""
    verb, _, rest = text.strip().partition(" ")
    row = BY_WORDS.get(verb.lower())
    if row is None:
        return Parsed(BY_WORDS["help"], g.ShowHelp(problem=f"I don't know `/incident {escape(verb[:40])}`."))
    return Parsed(row, row.parse(rest.strip(), catalog, row.usage(catalog)))


def help_lines(catalog: Catalog) -> list[str]:
    """`/incident help`: the rows grouped by where they run, each with its description."""
    lines = []
    for where, heading in ((ANYWHERE, "*Firehouse commands*"), (WAR_ROOM, "*Inside a war room*")):
        lines.append(heading)
        lines += [f"`{row.usage(catalog)}`: {row.about}" for row in COMMANDS if row.where == where]
    return lines


def reference(catalog: Catalog) -> str:
    """The README's command reference, from the rows (a test keeps the README equal to it)."""
    lines = []
    for where, heading in ((ANYWHERE, []), (WAR_ROOM, ["-- inside a war room --"])):
        lines += heading
        for row in (r for r in COMMANDS if r.where == where):
            usage = row.usage(catalog)
            lines.append(f"{usage:<44}{row.about}" if len(usage) < 44 else f"{usage}\n{'':<44}{row.about}")
    return "\n".join(lines)

