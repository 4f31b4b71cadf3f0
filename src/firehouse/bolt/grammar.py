"""The `/incident` grammar: text in, a small command dataclass out, or a UsageError with the right form.

`parse` is total: any text gives a command or a UsageError, never another exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from firehouse.domain.classes import Catalog
from firehouse.domain.clocks import REGIMES
from firehouse.domain.facts import FACTS, MAX_FACT
from firehouse.domain.lifecycle import SETTABLE, Status
from firehouse.domain.model import MAX_TEXT, MAX_TITLE
from firehouse.domain.severity import Severity
from firehouse.errors import UsageError
from firehouse.comms.mrkdwn import escape

WAIVE_FLAG = "--waive-notice"
LANES_WITH_NOTICES = ("product", "legal")
STAGES = ("initial", "intermediate", "final")
_FACT_START = re.compile(r"(?:^|(?<=\s))([A-Za-z_]+)=")
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>$")
# "sev4" or "sev-1" is a typo for a severity; "severe" starts a title.
_SEVERITY_LIKE = re.compile(r"^sev[\d\W_]*$", re.IGNORECASE)


def forms(catalog: Catalog) -> dict[str, str]:
    """The right form of every subcommand, with this deployment's classes, causes and roles."""
    return {
        "declare": "/incident declare [sev1|sev2|sev3] [class] <title>",
        "help": "/incident help",
        "list": "/incident list",
        "captain": "/incident captain @user",
        "role": f"/incident role <{'|'.join(catalog.roles)}> @user",
        "roles": "/incident roles",
        "sev": "/incident sev <1|2|3> [reason]",
        "class": f"/incident class <{'|'.join(catalog.classes)}>",
        "cause": f"/incident cause <{'|'.join(catalog.causes)}>",
        "status": f"/incident status <{'|'.join(SETTABLE)}>",
        "resolve": f"/incident resolve [summary] [{WAIVE_FLAG} <reason>]",
        "detected": "/incident detected <ISO time | 30m ago>",
        "summary": "/incident summary",
        "update": "/incident update <text>",
        "fact": "/incident fact <key>=<value> …",
        "comms": "/incident comms <product|legal> [template] [regime] [initial|intermediate|final]",
        "clock": "/incident clock [<regime> not-reportable <reason>]",
        "aware": "/incident aware <ISO time | 30m ago>",
        "log": "/incident log <text>",
        "timeline": "/incident timeline",
    }


# Subcommands that only make sense inside a war room.
WAR_ROOM_ONLY = ("captain", "role", "roles", "sev", "class", "cause", "status", "resolve", "detected", "summary",
                 "update", "fact", "comms", "clock", "aware", "log", "timeline")


@dataclass(frozen=True)
class ShowHelp:
    """Show the grammar, after `problem` when the text did not parse as a subcommand."""

    problem: str | None = None


@dataclass(frozen=True)
class ListIncidents:
    """List the open incidents."""


@dataclass(frozen=True)
class OpenDeclareModal:
    """Bare `/incident`: open the declare modal."""


@dataclass(frozen=True)
class Declare:
    """Declare an incident from the command line."""

    title: str
    severity: Severity = Severity.SEV3
    class_id: str | None = None


@dataclass(frozen=True)
class HandOver:
    user_id: str


@dataclass(frozen=True)
class AssignRole:
    role: str
    user_id: str


@dataclass(frozen=True)
class ShowRoles:
    pass


@dataclass(frozen=True)
class ChangeSeverity:
    severity: Severity
    reason: str = ""


@dataclass(frozen=True)
class ChangeClass:
    class_id: str


@dataclass(frozen=True)
class ChangeCause:
    cause: str


@dataclass(frozen=True)
class ChangeStatus:
    status: Status


@dataclass(frozen=True)
class Resolve:
    summary: str = ""
    waiver: str = ""


@dataclass(frozen=True)
class SetDetected:
    """When the first signal came in; `when` is parsed against the clock by the service."""

    when: str


@dataclass(frozen=True)
class ShowSummary:
    pass


@dataclass(frozen=True)
class PostUpdate:
    text: str


@dataclass(frozen=True)
class RecordFacts:
    """Record facts; with none, show the recorded ones."""

    facts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DraftNotice:
    lane: str
    template: str | None = None
    regime: str | None = None
    stage: str | None = None


@dataclass(frozen=True)
class ShowClock:
    pass


@dataclass(frozen=True)
class NotReportable:
    regime: str
    reason: str


@dataclass(frozen=True)
class SetAware:
    when: str


@dataclass(frozen=True)
class Log:
    text: str


@dataclass(frozen=True)
class ShowTimeline:
    pass


Command = (
    ShowHelp | ListIncidents | OpenDeclareModal | Declare | HandOver | AssignRole | ShowRoles | ChangeSeverity
    | ChangeClass | ChangeCause | ChangeStatus | Resolve | SetDetected | ShowSummary | PostUpdate | RecordFacts
    | DraftNotice | ShowClock | NotReportable | SetAware | Log | ShowTimeline
)


# The subcommand each command comes from, so its errors can show the right form.
VERB_OF: dict[type, str] = {
    HandOver: "captain", AssignRole: "role", ShowRoles: "roles", ChangeSeverity: "sev", ChangeClass: "class",
    ChangeCause: "cause", ChangeStatus: "status", Resolve: "resolve", SetDetected: "detected",
    ShowSummary: "summary", PostUpdate: "update", RecordFacts: "fact", DraftNotice: "comms", ShowClock: "clock",
    NotReportable: "clock", SetAware: "aware", Log: "log", ShowTimeline: "timeline",
}


def form_of(command: Command, catalog: Catalog) -> str:
    """The right form of the subcommand `command` came from ("" for those that need none)."""
    return forms(catalog).get(VERB_OF.get(type(command), ""), "")


def parse(text: str, *, catalog: Catalog) -> Command:
    """Turn the text after `/incident` into a command."""
    verb, _, rest = text.strip().partition(" ")
    verb, rest = verb.lower(), rest.strip()
    form = forms(catalog).get(verb, "")
    simple = {"": OpenDeclareModal, "help": ShowHelp, "list": ListIncidents, "timeline": ShowTimeline,
              "roles": ShowRoles, "summary": ShowSummary}
    if verb in simple:
        return simple[verb]()
    if verb == "declare":
        return _declare(rest, catalog, form)
    if verb == "captain":
        return HandOver(_mention(rest, form=form))
    if verb == "role":
        role, _, who = rest.partition(" ")
        return AssignRole(_choice(role.lower(), catalog.roles, what="role", form=form),
                          _mention(who.strip(), form=form))
    if verb == "sev":
        level, _, reason = rest.partition(" ")
        severity = Severity.from_text(level)
        if severity is None:
            raise UsageError(_not_one_of(level, "severity", ("1", "2", "3")), form=form)
        return ChangeSeverity(severity, _limited(reason.strip(), what="reason", limit=MAX_TEXT, form=form))
    if verb == "class":
        return ChangeClass(_choice(rest.lower(), catalog.classes, what="class", form=form))
    if verb == "cause":
        return ChangeCause(_choice(rest.lower(), catalog.causes, what="cause", form=form))
    if verb == "status":
        return ChangeStatus(Status(_choice(rest.lower(), SETTABLE, what="status", form=form)))
    if verb == "resolve":
        return _resolve(rest, form)
    if verb == "detected":
        return SetDetected(_text(rest, what="time", limit=60, form=form))
    if verb == "update":
        return PostUpdate(_text(rest, what="update", limit=MAX_TEXT, form=form))
    if verb == "fact":
        return RecordFacts(_facts(rest, form))
    if verb == "comms":
        return _comms(rest, form)
    if verb == "clock":
        return _clock(rest, form)
    if verb == "aware":
        return SetAware(_text(rest, what="time", limit=60, form=form))
    if verb == "log":
        return Log(_text(rest, what="timeline entry", limit=MAX_TEXT, form=form))
    return ShowHelp(problem=f"I don't know `/incident {escape(verb[:40])}`.")


def _declare(rest: str, catalog: Catalog, form: str) -> Declare:
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
    title = _text(" ".join(words), what="title", limit=MAX_TITLE, form=form)
    return Declare(title=title, severity=severity, class_id=class_id)


def _facts(rest: str, form: str) -> tuple[tuple[str, str], ...]:
    """`key=value …`, where a value runs until the next `<known key>=`: no quoting needed."""
    if not rest:
        return ()
    starts = [m for m in _FACT_START.finditer(rest) if m[1].lower() in FACTS]
    if not starts or starts[0].start() != 0:
        word = rest.split("=", 1)[0].split()[0] if "=" in rest else rest.split()[0]
        known = "" if "=" not in rest else f"`{escape(word[:40])}` is not a fact I know. "
        raise UsageError(f"{known}Facts: {', '.join(FACTS)}.", form=form)
    facts = []
    for match, following in zip(starts, [*starts[1:], None], strict=True):
        value = rest[match.end(): following.start() if following else len(rest)].strip()
        facts.append((match[1].lower(), _limited(value, what=f"fact {match[1]}", limit=MAX_FACT, form=form)))
    return tuple(facts)


def _comms(rest: str, form: str) -> DraftNotice:
    words = rest.lower().split()
    lane = _choice(words[0] if words else "", LANES_WITH_NOTICES, what="lane", form=form)
    template = regime = stage = None
    for word in words[1:]:
        if word in REGIMES:
            regime = word
        elif word in STAGES:
            stage = word
        elif template is None and re.fullmatch(r"[a-z0-9_-]{1,40}", word):
            template = word
        else:
            raise UsageError(f"I don't know what `{escape(word[:40])}` means here.", form=form)
    return DraftNotice(lane, template, regime, stage)


def _clock(rest: str, form: str) -> ShowClock | NotReportable:
    if not rest:
        return ShowClock()
    regime, _, rest = rest.partition(" ")
    decision, _, reason = rest.strip().partition(" ")
    regime = _choice(regime.lower(), REGIMES, what="regime", form=form)
    if decision.lower() != "not-reportable":
        raise UsageError("Record a decision as `not-reportable` followed by the reason.", form=form)
    return NotReportable(regime, _text(reason.strip(), what="reason", limit=MAX_TEXT, form=form))


def _resolve(rest: str, form: str) -> Resolve:
    summary, flag, waiver = rest.partition(WAIVE_FLAG)
    if flag and not waiver.strip():
        raise UsageError("Say why no customer notice is needed after `--waive-notice`.", form=form)
    return Resolve(_limited(summary.strip(), what="summary", limit=MAX_TEXT, form=form),
                   _limited(waiver.strip(), what="reason", limit=MAX_TEXT, form=form))


def _mention(rest: str, *, form: str) -> str:
    match = _MENTION.match(rest)
    if not match:
        shown = f" `{escape(rest[:40])}` is not someone I can find." if rest else ""
        raise UsageError(f"Name one person with an @-mention.{shown}", form=form)
    return match[1]


def _choice(word: str, choices, *, what: str, form: str) -> str:
    if word not in choices:
        raise UsageError(_not_one_of(word, what, choices), form=form)
    return word


def _not_one_of(word: str, what: str, choices) -> str:
    if not word:
        return f"Which {what}? One of: {', '.join(choices)}."
    return f"`{escape(word[:40])}` is not a {what}: use one of {', '.join(choices)}."


def _text(text: str, *, what: str, limit: int, form: str) -> str:
    if not text:
        raise UsageError(f"The {what} is missing.", form=form)
    return _limited(text, what=what, limit=limit, form=form)


def _limited(text: str, *, what: str, limit: int, form: str) -> str:
    if len(text) > limit:
        raise UsageError(f"The {what} is {len(text):,} characters long; keep it to {limit:,}.", form=form)
    return text
