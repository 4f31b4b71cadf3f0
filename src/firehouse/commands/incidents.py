"""Declaring, listing and help, and the changes to an incident's people, severity, class, cause and status."""

from __future__ import annotations

import re
from dataclasses import dataclass

from firehouse.commands.grammar import ANYWHERE, WAR_ROOM, Grammar, nothing
from firehouse.commands.words import choice, limited, mention, not_one_of, text
from firehouse.comms.mrkdwn import escape
from firehouse.domain.classes import Catalog
from firehouse.domain.lifecycle import SETTABLE, Status
from firehouse.domain.model import MAX_TEXT, MAX_TITLE
from firehouse.domain.severity import Severity
from firehouse.errors import UsageError

WAIVE_FLAG = "--waive-notice"
# "sev4" or "sev-1" is a typo for a severity; "severe" starts a title.
_SEVERITY_LIKE = re.compile(r"^sev[\d\W_]*$", re.IGNORECASE)


@dataclass(frozen=True)
class OpenDeclareModal:
    """Bare `/incident`: open the declare modal."""


MODAL = Grammar("", "/incident", "open the declare modal", ANYWHERE, nothing(OpenDeclareModal))


@dataclass(frozen=True)
class Declare:
    """Declare an incident from the command line."""

    title: str
    severity: Severity = Severity.SEV3
    class_id: str | None = None

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> Declare:
        words = rest.split()
        severity = Severity.SEV3
        if words and _SEVERITY_LIKE.match(words[0]):
            parsed = Severity.from_text(words[0])
            if parsed is None:
                raise UsageError(f"`{escape(words[0][:20])}` is not a severity: use sev1, sev2 or sev3.", form=form)
            severity = parsed
            words = words[1:]
        class_id = None
        if words and words[0].lower() in catalog.classes:
            class_id = words[0].lower()
            words = words[1:]
        title = text(" ".join(words), what="title", limit=MAX_TITLE, form=form)
        return cls(title=title, severity=severity, class_id=class_id)


DECLARE = Grammar("declare", "/incident declare [sev1|sev2|sev3] [class] <title>",
                  "declare an incident and open its war room", ANYWHERE, Declare.parse)


@dataclass(frozen=True)
class ShowHelp:
    """Show the grammar, after `problem` when the text did not parse as a subcommand."""

    problem: str | None = None


HELP = Grammar("help", "/incident help", "this list", ANYWHERE, nothing(ShowHelp))


@dataclass(frozen=True)
class ListIncidents:
    """List the open incidents."""


LIST = Grammar("list", "/incident list", "open incidents, with links to their war rooms", ANYWHERE,
               nothing(ListIncidents))


@dataclass(frozen=True)
class HandOver:
    user_id: str

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> HandOver:
        return cls(mention(rest, form=form))


CAPTAIN = Grammar("captain", "/incident captain @user", "hand over the fire captain role", WAR_ROOM, HandOver.parse)


@dataclass(frozen=True)
class AssignRole:
    role: str
    user_id: str

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> AssignRole:
        role, _, who = rest.partition(" ")
        return cls(choice(role.lower(), catalog.roles, what="role", form=form), mention(who.strip(), form=form))


ROLE = Grammar("role", "/incident role <{roles}> @user", "assign a role", WAR_ROOM, AssignRole.parse)


@dataclass(frozen=True)
class ShowRoles:
    pass


ROLES = Grammar("roles", "/incident roles", "who holds which role", WAR_ROOM, nothing(ShowRoles))


@dataclass(frozen=True)
class ChangeSeverity:
    severity: Severity
    reason: str = ""

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> ChangeSeverity:
        level, _, reason = rest.partition(" ")
        severity = Severity.from_text(level)
        if severity is None:
            raise UsageError(not_one_of(level, "severity", ("1", "2", "3")), form=form)
        return cls(severity, limited(reason.strip(), what="reason", limit=MAX_TEXT, form=form))


SEV = Grammar("sev", "/incident sev <1|2|3> [reason]",
              "change the severity (lowering it needs the captain or an admin)", WAR_ROOM, ChangeSeverity.parse)


@dataclass(frozen=True)
class ChangeClass:
    class_id: str

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> ChangeClass:
        return cls(choice(rest.lower(), catalog.classes, what="class", form=form))


CLASS = Grammar("class", "/incident class <{classes}>", "reclassify the incident", WAR_ROOM, ChangeClass.parse)


@dataclass(frozen=True)
class ChangeCause:
    cause: str

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> ChangeCause:
        return cls(choice(rest.lower(), catalog.causes, what="cause", form=form))


CAUSE = Grammar("cause", "/incident cause <{causes}>", "the suspected cause", WAR_ROOM, ChangeCause.parse)


@dataclass(frozen=True)
class ChangeStatus:
    status: Status
    confirmed: bool = False  # the person saw the watched signals still outside their baseline, and moves anyway

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> ChangeStatus:
        return cls(Status(choice(rest.lower(), SETTABLE, what="status", form=form)))


STATUS = Grammar("status", "/incident status <{statuses}>", "move through the lifecycle (leaving resolved reopens it)",
                 WAR_ROOM, ChangeStatus.parse)


@dataclass(frozen=True)
class Resolve:
    summary: str = ""
    waiver: str = ""
    confirmed: bool = False  # as for ChangeStatus

    @classmethod
    def parse(cls, rest: str, catalog: Catalog, form: str) -> Resolve:
        summary, flag, waiver = rest.partition(WAIVE_FLAG)
        if flag and not waiver.strip():
            raise UsageError("Say why no customer notice is needed after `--waive-notice`.", form=form)
        return cls(limited(summary.strip(), what="summary", limit=MAX_TEXT, form=form),
                   limited(waiver.strip(), what="reason", limit=MAX_TEXT, form=form))


RESOLVE = Grammar("resolve", f"/incident resolve [summary] [{WAIVE_FLAG} <reason>]",
                  "resolve, with a summary; a waiver where a customer notice is owed", WAR_ROOM, Resolve.parse)
