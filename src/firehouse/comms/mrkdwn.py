"""Escaping user text for Slack mrkdwn, so echoed text can never ping a channel."""

from __future__ import annotations

import re

# A user mention as Slack sends it with should_escape: <@U123> or <@U123|name>.
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")


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
