"""The `/incident` grammar: text in, a small command dataclass out, or a UsageError with the right form.

`parse` is total: any text gives a command or a UsageError, never another exception.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from firehouse.domain.model import MAX_TEXT, MAX_TITLE
from firehouse.domain.severity import Severity
from firehouse.errors import UsageError
from firehouse.slack.mrkdwn import escape

FORMS = {
    "declare": "/incident declare [sev1|sev2|sev3] [class] <title>",
    "help": "/incident help",
    "list": "/incident list",
    "captain": "/incident captain @user",
    "log": "/incident log <text>",
    "timeline": "/incident timeline",
}

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
    """Hand the fire captain role to `user_id`."""

    user_id: str


@dataclass(frozen=True)
class Log:
    """Append a line to the timeline."""

    text: str


@dataclass(frozen=True)
class ShowTimeline:
    """Show the timeline, oldest first."""


Command = ShowHelp | ListIncidents | OpenDeclareModal | Declare | HandOver | Log | ShowTimeline


def parse(text: str, *, class_ids: Collection[str]) -> Command:
    """Turn the text after `/incident` into a command."""
    verb, _, rest = text.strip().partition(" ")
    verb, rest = verb.lower(), rest.strip()
    if not verb:
        return OpenDeclareModal()
    if verb == "help":
        return ShowHelp()
    if verb == "list":
        return ListIncidents()
    if verb == "timeline":
        return ShowTimeline()
    if verb == "declare":
        return _declare(rest, class_ids)
    if verb == "captain":
        return HandOver(_mention(rest, form=FORMS["captain"]))
    if verb == "log":
        return Log(_text(rest, what="timeline entry", limit=MAX_TEXT, form=FORMS["log"]))
    return ShowHelp(problem=f"I don't know `/incident {escape(verb[:40])}`.")


def _declare(rest: str, class_ids: Collection[str]) -> Declare:
    form = FORMS["declare"]
    words = rest.split()
    severity = Severity.SEV3
    if words and _SEVERITY_LIKE.match(words[0]):
        parsed = Severity.from_text(words[0])
        if parsed is None:
            raise UsageError(f"`{escape(words[0][:20])}` is not a severity: use sev1, sev2 or sev3.", form=form)
        severity = parsed
        words = words[1:]
    class_id = None
    if words and words[0].lower() in class_ids:
        class_id = words[0].lower()
        words = words[1:]
    title = _text(" ".join(words), what="title", limit=MAX_TITLE, form=form)
    return Declare(title=title, severity=severity, class_id=class_id)


def _mention(rest: str, *, form: str) -> str:
    match = _MENTION.match(rest)
    if not match:
        shown = f" `{escape(rest[:40])}` is not someone I can find." if rest else ""
        raise UsageError(f"Name one person with an @-mention.{shown}", form=form)
    return match[1]


def _text(text: str, *, what: str, limit: int, form: str) -> str:
    if not text:
        raise UsageError(f"The {what} is missing.", form=form)
    if len(text) > limit:
        raise UsageError(f"The {what} is {len(text):,} characters long; keep it to {limit:,}.", form=form)
    return text
