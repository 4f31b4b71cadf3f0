"""The limits on what people type, and the check every free-text field goes through."""

from __future__ import annotations

from firehouse.errors import InvalidChange

MAX_TITLE = 150  # a Slack header block's limit, so the title always fits whole
MAX_TEXT = 3000  # a Slack section block's limit, so a timeline entry is never cut
MAX_DESCRIPTION = 3000


def check_text(text: str, *, what: str, limit: int) -> str:
    """Strip `text` and refuse it when empty or longer than `limit`."""
    text = text.strip()
    if not text:
        raise InvalidChange(f"The {what} is empty.")
    if len(text) > limit:
        raise InvalidChange(f"The {what} is {len(text):,} characters long; keep it to {limit:,}.")
    return text


def optional_text(text: str, *, what: str, limit: int) -> str:
    return check_text(text, what=what, limit=limit) if text.strip() else ""
