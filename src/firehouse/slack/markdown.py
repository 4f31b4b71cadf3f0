"""Notices are written in standard Markdown (for status pages and regulators); Slack shows mrkdwn.

Only what the templates use is translated: headings, bold, italics, strikethrough, bullets and links.
Text inside backticks is left alone. User values arrive already escaped, so nothing here can create a
mention or a link from them.
"""

from __future__ import annotations

import re

_CODE = re.compile(r"(`[^`\n]*`)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.MULTILINE)
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_ITALIC = re.compile(r"(?<![*\w])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![*\w])")
_STRIKE = re.compile(r"~~(.+?)~~")
_BULLET = re.compile(r"^(\s*)[-*+]\s+", re.MULTILINE)
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
_BOLD_MARK = "\x00"  # stands in for mrkdwn's `*` while italics are translated


def to_mrkdwn(markdown: str) -> str:
    """The same text in Slack's mrkdwn."""
    parts = _CODE.split(markdown)
    return "".join(part if part.startswith("`") else _translate(part) for part in parts)


def _translate(text: str) -> str:
    text = _HEADING.sub(lambda m: f"{_BOLD_MARK}{m[1]}{_BOLD_MARK}", text)
    text = _BOLD.sub(lambda m: f"{_BOLD_MARK}{m[1] or m[2]}{_BOLD_MARK}", text)
    text = _BULLET.sub(lambda m: f"{m[1]}• ", text)
    text = _ITALIC.sub(r"_\1_", text)
    text = _STRIKE.sub(r"~\1~", text)
    text = _LINK.sub(r"<\2|\1>", text)
    return text.replace(_BOLD_MARK, "*")
