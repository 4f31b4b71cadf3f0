"""War-room channel names: `<prefix>-<yyyymmdd>-<slug>`, within Slack's naming rules."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

MAX_CHANNEL_NAME = 80
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by hyphens; accents are folded, everything else dropped."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")


def war_room_name(*, prefix: str, declared_at: datetime, title: str, attempt: int = 0, token: str = "") -> str:
    """The channel name for a war room. After Slack said `name_taken`, `attempt` > 0 adds a number; once the
    numbers run out, a `token` (lowercase letters and digits, from the caller) makes the name unique."""
    head = f"{prefix}-{declared_at:%Y%m%d}"
    suffix = f"-{token}" if token else f"-{attempt + 1}" if attempt else ""
    room = MAX_CHANNEL_NAME - len(head) - len(suffix) - 1
    slug = slugify(title)[:room].rstrip("-") or "incident"
    return f"{head}-{slug}{suffix}"
