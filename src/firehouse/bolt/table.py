"""The command table: one row per `/incident` subcommand, the only list of them there is.

A row pairs a subcommand's grammar (its words, usage form, one-line description, where it may run and the
parser that makes its command dataclass, all beside the dataclass in `firehouse.commands`) with the handler
that carries it out and the permission its use case checks. Parsing, usage errors, `/incident help` and the
README's command reference (checked by a test) all come from these rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from firehouse.bolt.handlers.afteraction import add_action, close, fixture, postmortem, show_actions
from firehouse.bolt.handlers.containment import firebreak
from firehouse.bolt.handlers.drills import drill
from firehouse.bolt.handlers.evidence import build_evidence_pack, freeze, show_snapshots
from firehouse.bolt.handlers.incidents import (
    assign_role,
    change_cause,
    change_class,
    change_severity,
    declare,
    hand_over,
    list_incidents,
    log_entry,
    open_declare_modal,
    set_moment,
    show_roles,
    show_summary,
    show_timeline,
)
from firehouse.bolt.handlers.notices import clock, draft_notice, record_facts
from firehouse.bolt.handlers.paging import page, show_pages
from firehouse.bolt.handlers.request import Request
from firehouse.bolt.handlers.signals import change_status, resolve, watch
from firehouse.bolt.handlers.stats import show_stats
from firehouse.bolt.handlers.updates import post_update
from firehouse.commands import (
    afteraction,
    containment,
    drills,
    evidence,
    incidents,
    notices,
    paging,
    signals,
    stats,
    timeline,
)
from firehouse.commands.grammar import ANYWHERE, WAR_ROOM, Grammar, Parser
from firehouse.commands.incidents import ShowHelp
from firehouse.comms.mrkdwn import escape
from firehouse.domain.classes import Catalog
from firehouse.domain.permissions import Action
from firehouse.slack.gateway import Message


def _show_help(command: ShowHelp, req: Request) -> Message:
    """The rows grouped by where they run, after the problem that brought the person here."""
    lines = [command.problem] if command.problem else []
    return Message(text="\n".join([*lines, *help_lines(req.services.incidents.catalog)]))


@dataclass(frozen=True)
class Row:
    """One subcommand: its grammar, its handler, and the policy action its use case checks (None: anyone)."""

    grammar: Grammar
    handle: Callable[[Any, Request], Any]
    permission: Action | None = None
    instant: bool = False  # answered in the ack itself: no I/O, nothing to wait for
    acks: Callable[[Any], str] | None = None  # what the ack says while the work runs

    @property
    def words(self) -> str:
        return self.grammar.words

    @property
    def about(self) -> str:
        return self.grammar.about

    @property
    def where(self) -> str:
        return self.grammar.where

    @property
    def parse(self) -> Parser:
        return self.grammar.parse

    def usage(self, catalog: Catalog) -> str:
        return self.grammar.usage(catalog)


COMMANDS: tuple[Row, ...] = (
    Row(incidents.MODAL, open_declare_modal),
    Row(incidents.DECLARE, declare, acks=lambda c: f"Opening a war room for *{escape(c.title)}*…"),
    Row(incidents.HELP, _show_help, instant=True),
    Row(incidents.LIST, list_incidents),
    Row(stats.STATS, show_stats),
    Row(drills.DRILL, drill),
    Row(incidents.CAPTAIN, hand_over, Action.HAND_OVER),
    Row(incidents.ROLE, assign_role, Action.ASSIGN_ROLE),
    Row(incidents.ROLES, show_roles),
    Row(incidents.SEV, change_severity, Action.ESCALATE),
    Row(incidents.CLASS, change_class, Action.CHANGE_CLASS),
    Row(incidents.CAUSE, change_cause, Action.CHANGE_CAUSE),
    Row(incidents.STATUS, change_status, Action.STATUS),
    Row(incidents.RESOLVE, resolve, Action.RESOLVE),
    Row(timeline.DETECTED, set_moment, Action.SET_TIMES),
    Row(timeline.SUMMARY, show_summary),
    Row(timeline.UPDATE, post_update, Action.UPDATE),
    Row(notices.FACT, record_facts, Action.FACTS),
    Row(notices.COMMS, draft_notice, Action.DRAFT_NOTICE),
    Row(notices.CLOCK, clock, Action.NOT_REPORTABLE),
    Row(timeline.AWARE, set_moment, Action.SET_TIMES),
    Row(timeline.LOG, log_entry, Action.LOG),
    Row(timeline.TIMELINE, show_timeline),
    Row(evidence.SNAPSHOT, freeze, Action.SNAPSHOT),
    Row(evidence.SNAPSHOTS, show_snapshots),
    Row(evidence.EVIDENCE, build_evidence_pack, Action.EVIDENCE, acks=lambda c: "Building the evidence pack…"),
    Row(containment.FIREBREAK, firebreak, Action.PULL_FIREBREAK),
    Row(signals.WATCH, watch, Action.WATCH),
    Row(paging.PAGE, page, Action.PAGE),
    Row(paging.PAGES, show_pages),
    Row(afteraction.ACTION, add_action, Action.FOLLOW_UP),
    Row(afteraction.ACTIONS, show_actions),
    Row(afteraction.FIXTURE, fixture, Action.FIXTURE),
    Row(afteraction.POSTMORTEM, postmortem, Action.POSTMORTEM),
    Row(afteraction.CLOSE, close, Action.CLOSE),
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
        return Parsed(BY_WORDS["help"], ShowHelp(problem=f"I don't know `/incident {escape(verb[:40])}`."))
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
