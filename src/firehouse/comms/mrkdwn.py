"""Escaping user text for Slack mrkdwn, so echoed text can never ping a channel."""

from __future__ import annotations

import re

# A user mention as Slack sends it with should_escape: <@U123> or <@U123|name>.
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
# A user group's mention or a channel's link, as Firehouse writes them from its settings: <!subteam^S123>, <#C123>.
_REFERENCE = re.compile(r"<(?:!subteam\^S[A-Z0-9]+|#[CG][A-Z0-9]+)>")


def escape(text: str) -> str:
    """Escape `&`, `<` and `>`: broadcasts, group pings and links in user text become plain text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_keeping_users(text: str) -> str:
    """Like `escape`, but a mention of one person (`<@U123>`) still works; `<!channel>` never does."""
    parts: list[str] = []
    last = 0
    for match in _USER_MENTION.finditer(text):
        parts.append(escape(text[last:match.start()]))
        parts.append(f"<@{match[1]}>")
        last = match.end()
    parts.append(escape(text[last:]))
    return "".join(parts)


def escape_keeping_references(text: str) -> str:
    """Like `escape_keeping_users`, and a user group's mention and a channel's link work too: only for lines
    Firehouse writes from its settings (a routing rule's), never for what a person or another system wrote."""
    parts: list[str] = []
    last = 0
    for match in _REFERENCE.finditer(text):
        parts.append(escape_keeping_users(text[last:match.start()]))
        parts.append(match[0])
        last = match.end()
    parts.append(escape_keeping_users(text[last:]))
    return "".join(parts)
