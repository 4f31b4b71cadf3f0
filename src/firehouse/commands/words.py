"""Reading the words every parser shares: one @-mention, a choice from a list, bounded text, `key=value` runs."""

from __future__ import annotations

import re
from collections.abc import Iterable

from firehouse.comms.mrkdwn import escape
from firehouse.errors import UsageError

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>$")


def mention(rest: str, *, form: str) -> str:
    """The user id of one @-mention, as Slack sends it (`<@U123>` or `<@U123|name>`)."""
    match = MENTION.match(rest)
    if not match:
        shown = f" `{escape(rest[:40])}` is not someone I can find." if rest else ""
        raise UsageError(f"Name one person with an @-mention.{shown}", form=form)
    return match[1]


def choice(word: str, choices: Iterable[str], *, what: str, form: str) -> str:
    if word not in choices:
        raise UsageError(not_one_of(word, what, choices), form=form)
    return word


def not_one_of(word: str, what: str, choices: Iterable[str]) -> str:
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


def runs(rest: str, starts: list[re.Match]) -> list[tuple[re.Match, str]]:
    """Each `key=` start with its value: the text up to the next start, so values need no quoting."""
    return [(match, rest[match.end(): following.start() if following else len(rest)].strip())
            for match, following in zip(starts, [*starts[1:], None], strict=True)]
