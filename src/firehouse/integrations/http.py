"""What the partner clients share: one pooled HTTP client each, Standard Webhooks' signature, and a partner's answer
cut to one line people can read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Self

import httpx
from standardwebhooks import Webhook

SHOWN = 200  # characters of a partner's answer kept for people to read


class Pooled:
    """One pooled HTTP client for every request to a kind of partner, closed with its owner (also as a context
    manager). Making a client costs a TLS context, a fifth of a second; `transport` is a test seam, as httpx
    intends, and nothing connects until the first request."""

    def __init__(self, *, transport: httpx.BaseTransport | None = None) -> None:
        self.client = httpx.Client(transport=transport)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def signed_headers(secret: str, *, msg_id: str, body: bytes, at: datetime) -> dict[str, str]:
    """Standard Webhooks' three headers for `body`: the id a receiver deduplicates by, the moment, the signature."""
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, at, body)}


def rfc3339(moment: datetime) -> str:
    """UTC with a Z, as CloudEvents' `time` and most receivers' parsers expect."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def shown(text: str, limit: int = SHOWN) -> str:
    """One line of at most `limit` characters: a partner's answer as people read it."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
