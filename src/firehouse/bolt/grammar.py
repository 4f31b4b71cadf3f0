"""The words of `/incident`: one small dataclass per command, and the parsers that make them.

Each parser takes the text after the subcommand's words, the deployment's catalogue and the right
form (for its UsageError); `table.py` ties each to its row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
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


def nothing(command: type) -> Callable[[str, Catalog, str], object]:
    """A parser for a subcommand that takes no words (anything after it is ignored)."""
    return lambda rest, catalog, form: command()


def declare(rest: str, catalog: Catalog, form: str) -> Declare:
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
    return Declare(title=title, severity=severity, class_id=class_id)


def hand_over(rest: str, catalog: Catalog, form: str) -> HandOver:
    return HandOver(mention(rest, form=form))


def assign_role(rest: str, catalog: Catalog, form: str) -> AssignRole:
    role, _, who = rest.partition(" ")
    return AssignRole(choice(role.lower(), catalog.roles, what="role", form=form), mention(who.strip(), form=form))


def change_severity(rest: str, catalog: Catalog, form: str) -> ChangeSeverity:
    level, _, reason = rest.partition(" ")
    severity = Severity.from_text(level)
    if severity is None:
        raise UsageError(_not_one_of(level, "severity", ("1", "2", "3")), form=form)
    return ChangeSeverity(severity, limited(reason.strip(), what="reason", limit=MAX_TEXT, form=form))


def change_class(rest: str, catalog: Catalog, form: str) -> ChangeClass:
    return ChangeClass(choice(rest.lower(), catalog.classes, what="class", form=form))


def change_cause(rest: str, catalog: Catalog, form: str) -> ChangeCause:
    return ChangeCause(choice(rest.lower(), catalog.causes, what="cause", form=form))


def change_status(rest: str, catalog: Catalog, form: str) -> ChangeStatus:
    return ChangeStatus(Status(choice(rest.lower(), SETTABLE, what="status", form=form)))


def resolve(rest: str, catalog: Catalog, form: str) -> Resolve:
    summary, flag, waiver = rest.partition(WAIVE_FLAG)
    if flag and not waiver.strip():
        raise UsageError("Say why no customer notice is needed after `--waive-notice`.", form=form)
    return Resolve(limited(summary.strip(), what="summary", limit=MAX_TEXT, form=form),
                   limited(waiver.strip(), what="reason", limit=MAX_TEXT, form=form))


def set_detected(rest: str, catalog: Catalog, form: str) -> SetDetected:
    return SetDetected(text(rest, what="time", limit=60, form=form))


def set_aware(rest: str, catalog: Catalog, form: str) -> SetAware:
    return SetAware(text(rest, what="time", limit=60, form=form))


def post_update(rest: str, catalog: Catalog, form: str) -> PostUpdate:
    return PostUpdate(text(rest, what="update", limit=MAX_TEXT, form=form))


def log(rest: str, catalog: Catalog, form: str) -> Log:
    return Log(text(rest, what="timeline entry", limit=MAX_TEXT, form=form))


def record_facts(rest: str, catalog: Catalog, form: str) -> RecordFacts:
    """`key=value …`, where a value runs until the next `<known key>=`: no quoting needed."""
    if not rest:
        return RecordFacts()
    starts = [m for m in _FACT_START.finditer(rest) if m[1].lower() in FACTS]
    if not starts or starts[0].start() != 0:
        word = rest.split("=", 1)[0].split()[0] if "=" in rest else rest.split()[0]
        known = "" if "=" not in rest else f"`{escape(word[:40])}` is not a fact I know. "
        raise UsageError(f"{known}Facts: {', '.join(FACTS)}.", form=form)
    facts = []
    for match, following in zip(starts, [*starts[1:], None], strict=True):
        value = rest[match.end(): following.start() if following else len(rest)].strip()
        facts.append((match[1].lower(), limited(value, what=f"fact {match[1]}", limit=MAX_FACT, form=form)))
    return RecordFacts(tuple(facts))


def draft_notice(rest: str, catalog: Catalog, form: str) -> DraftNotice:
    words = rest.lower().split()
    lane = choice(words[0] if words else "", LANES_WITH_NOTICES, what="lane", form=form)
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


def clock(rest: str, catalog: Catalog, form: str) -> ShowClock | NotReportable:
    if not rest:
        return ShowClock()
    regime, _, rest = rest.partition(" ")
    decision, _, reason = rest.strip().partition(" ")
    regime = choice(regime.lower(), REGIMES, what="regime", form=form)
    if decision.lower() != "not-reportable":
        raise UsageError("Record a decision as `not-reportable` followed by the reason.", form=form)
    return NotReportable(regime, text(reason.strip(), what="reason", limit=MAX_TEXT, form=form))


# --- words -----------------------------------------------------------------------------------------


def mention(rest: str, *, form: str) -> str:
    """The user id of one @-mention, as Slack sends it (`<@U123>` or `<@U123|name>`)."""
    match = _MENTION.match(rest)
    if not match:
        shown = f" `{escape(rest[:40])}` is not someone I can find." if rest else ""
        raise UsageError(f"Name one person with an @-mention.{shown}", form=form)
    return match[1]


def choice(word: str, choices: Iterable[str], *, what: str, form: str) -> str:
    if word not in choices:
        raise UsageError(_not_one_of(word, what, choices), form=form)
    return word


def _not_one_of(word: str, what: str, choices: Iterable[str]) -> str:
    if not word:
        return f"Which {what}? One of: {', '.join(choices)}."
    return f"`{escape(word[:40])}` is not a {what}: use one of {', '.join(choices)}."


def text(value: str, *, what: str, limit: int, form: str) -> str:
    """Required text of at most `limit` characters."""
    if not value:
        raise UsageError(f"The {what} is missing.", form=form)
    return limited(value, what=what, limit=limit, form=form)


def limited(value: str, *, what: str, limit: int, form: str) -> str:
    if len(value) > limit:
        raise UsageError(f"The {what} is {len(value):,} characters long; keep it to {limit:,}.", form=form)
    return value
