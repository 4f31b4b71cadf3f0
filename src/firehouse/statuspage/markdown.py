"""The published text as the public page shows it: a small, safe part of Markdown.

Everything is escaped first; only then are a few forms given meaning, so nothing a notice says can become
markup of its own: paragraphs (blank lines) and line breaks, `**bold**`, headings (`#`, `##`, … shown one
size, smaller than the incident's own title) and `- ` list items. Anything else shows as the text it is.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
HEADING = re.compile(r"#{1,6}\s+(.+)")
ITEM = re.compile(r"[-*]\s+(.*)")


def markdown_html(text: str) -> Markup:
    """`text` (a published body, exactly as approved) as HTML of the safe subset."""
    blocks = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n").strip())
    return Markup("\n").join(_block(block) for block in blocks if block.strip())


def _block(block: str) -> Markup:
    """One block: its headings, its lists and its paragraphs (lines joined by line breaks), in order."""
    parts: list[Markup] = []
    lines: list[Markup] = []
    items: list[Markup] = []

    def close() -> None:
        if lines:
            parts.append(Markup("<p>{}</p>").format(Markup("<br>\n").join(lines)))
            lines.clear()
        if items:
            parts.append(Markup("<ul>{}</ul>").format(Markup("").join(Markup("<li>{}</li>").format(i) for i in items)))
            items.clear()

    for line in block.split("\n"):
        stripped = line.strip()
        if heading := HEADING.fullmatch(stripped):
            close()
            parts.append(Markup('<h4 class="heading">{}</h4>').format(_inline(heading.group(1).rstrip("# "))))
        elif item := ITEM.fullmatch(stripped):
            if lines:
                close()
            items.append(_inline(item.group(1)))
        elif stripped:
            if items:
                close()
            lines.append(_inline(stripped))
    close()
    return Markup("\n").join(parts)


def _inline(text: str) -> Markup:
    """A line's text escaped, with `**bold**` made strong (the asterisks cannot come from escaping)."""
    return Markup(BOLD.sub(r"<strong>\1</strong>", str(escape(text))))
