"""The words of `/incident`: one small dataclass per command, and the parsers that make them.

Each parser takes the text after the subcommand's words, the deployment's catalogue and the right
form (for its UsageError); `table.py` ties each to its row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from firehouse.config.scenarios import NAME as SCENARIO_NAME
from firehouse.domain.classes import Catalog
from firehouse.domain.clocks import REGIMES
from firehouse.domain.afteraction import ACTION_KINDS, MAX_ACTION, NOTE_SECTIONS
from firehouse.domain.facts import FACTS, MAX_FACT
from firehouse.domain.firebreaks import KINDS as FIREBREAK_KINDS
from firehouse.domain.lifecycle import SETTABLE, Status
from firehouse.domain.model import MAX_TEXT, MAX_TITLE
from firehouse.domain.severity import Severity
from firehouse.errors import UsageError
from firehouse.comms.mrkdwn import escape

WAIVE_FLAG = "--waive-notice"
WAIVE_LOCK = "--waive-lock"
LANES_WITH_NOTICES = ("product", "legal")
STAGES = ("initial", "intermediate", "final")
_FACT_START = re.compile(r"(?:^|(?<=\s))([A-Za-z_]+)=")
_FIELD_START = re.compile(r"(?:^|(?<=\s))([A-Za-z][A-Za-z0-9_.-]{0,39})=")
_FIREBREAK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
MAX_EVIDENCE = 3000  # per field typed on the command line; longer evidence comes from a trace pull
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>$")
# "sev4" or "sev-1" is a typo for a severity; "severe" starts a title.
_SEVERITY_LIKE = re.compile(r"^sev[\d\W_]*$", re.IGNORECASE)
_WINDOW = re.compile(r"^([0-9]{1,4}) ?([dw])$", re.IGNORECASE)  # `/incident stats 30d`, `12w`
MAX_STATS_DAYS = 366
_WINDOWS = f"give days or weeks, like `7d`, `30d` or `12w`, from 1 day to {MAX_STATS_DAYS} days"


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
class ShowStats:
    """The numbers of the incidents declared within `window` before now; `shown` says it in words."""

    window: timedelta = timedelta(days=30)
    shown: str = "the last 30 days"


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


@dataclass(frozen=True)
class OpenSnapshotForm:
    """Bare `/incident snapshot`: the form for long evidence."""


@dataclass(frozen=True)
class Freeze:
    """Freeze `key=value` evidence (free keys; `trace=<id>` pulls a trace, `supersedes=<n>` corrects)."""

    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ShowSnapshots:
    pass


@dataclass(frozen=True)
class ShowFirebreaks:
    pass


@dataclass(frozen=True)
class PullFirebreak:
    name: str
    note: str = ""


@dataclass(frozen=True)
class LiftFirebreak:
    which: str  # a configured name, or a firebreak's number
    note: str = ""


@dataclass(frozen=True)
class RecordFirebreak:
    kind: str
    target: str
    note: str = ""


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


def stats(rest: str, catalog: Catalog, form: str) -> ShowStats:
    """`[<n>d | <n>w]`: a window of days or weeks before now, from a day to `MAX_STATS_DAYS`; 30 days when bare."""
    if not rest:
        return ShowStats()
    match = _WINDOW.match(rest)
    if not match:
        raise UsageError(f"`{escape(rest[:20])}` is not a window: {_WINDOWS}.", form=form)
    number, unit = int(match[1]), "week" if match[2].lower() == "w" else "day"
    days = number * 7 if unit == "week" else number
    if not 1 <= days <= MAX_STATS_DAYS:
        raise UsageError(f"A window of `{escape(rest)}` is {'empty' if not days else 'too long'}: {_WINDOWS}.",
                         form=form)
    return ShowStats(timedelta(days=days), f"the last {unit}" if number == 1 else f"the last {number} {unit}s")


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
        head = rest.split("=", 1)[0]
        if "=" not in rest:
            problem = ""
        elif not head.strip():
            problem = "A fact name is missing before `=`. "
        elif head != head.rstrip() and head.split()[-1].lower() in FACTS:
            problem = f"Write `{escape(head.split()[-1][:40])}=<value>` with no space before `=`. "
        else:
            problem = f"`{escape(head.split()[0][:40])}` is not a fact I know. "
        raise UsageError(f"{problem}Facts: {', '.join(FACTS)}.", form=form)
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
        if (word in REGIMES and regime) or (word in STAGES and stage):
            raise UsageError(f"Name one {'regime' if word in REGIMES else 'stage'}; `{escape(word)}` is a second.",
                             form=form)
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


def freeze(rest: str, catalog: Catalog, form: str) -> OpenSnapshotForm | Freeze:
    """`key=value …`: a value runs until the next ` key=`, so values may hold spaces; keys are free."""
    if not rest:
        return OpenSnapshotForm()
    if rest.startswith("="):
        raise UsageError("A field name is missing before `=`.", form=form)
    starts = list(_FIELD_START.finditer(rest))
    if not starts or starts[0].start() != 0:
        head = rest.split("=", 1)[0]
        if "=" in rest and head != head.rstrip() and len(head.split()) == 1:
            raise UsageError(f"Write `{escape(head.strip()[:40])}=<value>` with no space before `=`.", form=form)
        raise UsageError(f"Give evidence as `key=value`, like `model=gpt-4o-2024-08-06 output=…`;"
                         f" `{escape(rest.split()[0][:40])}` is not one.", form=form)
    fields: dict[str, str] = {}
    for match, following in zip(starts, [*starts[1:], None], strict=True):
        key = match[1].lower()
        value = rest[match.end(): following.start() if following else len(rest)].strip()
        if not value:
            raise UsageError(f"The field `{escape(key)}` is empty; leave it out or give it a value.", form=form)
        if key in fields:
            raise UsageError(f"The field `{escape(key)}` is given twice.", form=form)
        fields[key] = limited(value, what=f"field {key}", limit=MAX_EVIDENCE, form=form)
    return Freeze(tuple(fields.items()))


def firebreak(rest: str, catalog: Catalog, form: str) -> ShowFirebreaks | PullFirebreak | LiftFirebreak | RecordFirebreak:
    """Bare: the configured firebreaks; `<name> [note]` pulls, `lift <name|#n> [note]`, `record <kind> <target>`."""
    word, _, after = rest.partition(" ")
    after = after.strip()
    if not word:
        return ShowFirebreaks()
    if word.lower() == "record":
        kind, _, after = after.partition(" ")
        target, _, note = after.strip().partition(" ")
        kind = choice(kind.lower(), FIREBREAK_KINDS, what="firebreak kind", form=form)
        return RecordFirebreak(kind, text(target, what="target", limit=200, form=form),
                               limited(note.strip(), what="note", limit=MAX_TEXT, form=form))
    if word.lower() == "lift":
        which, _, note = after.partition(" ")
        return LiftFirebreak(text(which, what="firebreak to lift (its name or #number)", limit=40, form=form),
                             limited(note.strip(), what="note", limit=MAX_TEXT, form=form))
    if not _FIREBREAK_NAME.match(word):
        raise UsageError(f"`{escape(word[:40])}` is not a firebreak name.", form=form)
    return PullFirebreak(word.lower(), limited(after, what="note", limit=MAX_TEXT, form=form))


@dataclass(frozen=True)
class AddAction:
    text: str
    kind: str = "prevent"
    owner: str | None = None
    due: date | None = None


@dataclass(frozen=True)
class ShowActions:
    pass


@dataclass(frozen=True)
class OpenFixtureForm:
    pass


@dataclass(frozen=True)
class NoFixture:
    reason: str


@dataclass(frozen=True)
class DraftPostmortem:
    pass


@dataclass(frozen=True)
class PostmortemNote:
    section: str
    text: str


@dataclass(frozen=True)
class PublishPostmortem:
    pass


@dataclass(frozen=True)
class Close:
    waiver: str = ""


def add_action(rest: str, catalog: Catalog, form: str) -> AddAction:
    """`[kind] <text> [@owner] [due <YYYY-MM-DD>]`: the owner and the due date may come anywhere after the kind."""
    words = rest.split()
    kind = "prevent"
    if words and words[0].lower() in ACTION_KINDS:
        kind = words.pop(0).lower()
    owners = [w for w in words if _MENTION.match(w)]
    if len(owners) > 1:
        raise UsageError("Name one owner.", form=form)
    due = None
    for index, word in enumerate(words):
        if word.lower() == "due":
            if index + 1 >= len(words):
                raise UsageError("Give the due date after `due`, like `due 2026-12-01`.", form=form)
            try:
                due = date.fromisoformat(words[index + 1])
            except ValueError:
                raise UsageError(f"`{escape(words[index + 1][:20])}` is not a date like 2026-12-01.", form=form) from None
            del words[index: index + 2]
            break
    text_words = [w for w in words if w not in owners]
    return AddAction(text(" ".join(text_words), what="action", limit=MAX_ACTION, form=form), kind,
                     mention(owners[0], form=form) if owners else None, due)


def fixture(rest: str, catalog: Catalog, form: str) -> OpenFixtureForm | NoFixture:
    if not rest:
        return OpenFixtureForm()
    word, _, reason = rest.partition(" ")
    if word.lower() != "none":
        raise UsageError("Open the form with `/incident fixture`, or say why there can be none with"
                         " `/incident fixture none <reason>`.", form=form)
    return NoFixture(text(reason.strip(), what="reason", limit=MAX_TEXT, form=form))


def postmortem(rest: str, catalog: Catalog, form: str) -> DraftPostmortem | PostmortemNote | PublishPostmortem:
    word, _, after = rest.partition(" ")
    match word.lower():
        case "":
            return DraftPostmortem()
        case "publish":
            return PublishPostmortem()
        case "note":
            section, _, note = after.strip().partition(" ")
            return PostmortemNote(choice(section.lower(), NOTE_SECTIONS, what="section", form=form),
                                  text(note.strip(), what="note", limit=MAX_TEXT, form=form))
    raise UsageError(f"I don't know `{escape(word[:40])}` here.", form=form)


def close(rest: str, catalog: Catalog, form: str) -> Close:
    if not rest:
        return Close()
    flag, _, reason = rest.partition(" ")
    if flag != WAIVE_LOCK:
        raise UsageError(f"`/incident close` takes nothing, or `{WAIVE_LOCK} <reason>`.", form=form)
    return Close(text(reason.strip(), what="reason for closing without the lock", limit=MAX_TEXT, form=form))


@dataclass(frozen=True)
class PickDrill:
    """Bare `/incident drill`: the scenarios, each with a Start button."""


@dataclass(frozen=True)
class StartDrill:
    scenario: str


@dataclass(frozen=True)
class EndDrill:
    pass


def drill(rest: str, catalog: Catalog, form: str) -> PickDrill | StartDrill | EndDrill:
    """Alone, the picker; `end` scores the drill of this war room; a scenario's name starts it."""
    words = rest.lower().split()
    if not words:
        return PickDrill()
    if len(words) > 1:
        raise UsageError("Name one scenario, or `end`.", form=form)
    if words[0] == "end":
        return EndDrill()
    if not SCENARIO_NAME.match(words[0]):
        raise UsageError(f"`{escape(words[0][:40])}` is not a scenario name: `/incident drill` lists them.",
                         form=form)
    return StartDrill(words[0])


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
