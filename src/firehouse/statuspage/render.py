"""Every document of the public status page, rendered from a `PublicPage` and from nothing else.

The page is the only input, so nothing the war room knows (its title, timeline, people) can reach the public:
what is shown is what was approved and published. Names and bodies are escaped everywhere — HTML and the
feed by Jinja2's autoescape, JSON by its encoder (with `<`, `>` and `&` written as escapes) — and a body's
Markdown is rendered only in its safe subset (`markdown.py`), never as HTML of its own.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from itertools import groupby
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from firehouse.domain.statuspage import INDICATOR_WORDS, PublicIncident, PublicPage
from firehouse.statuspage import api
from firehouse.statuspage.markdown import markdown_html

HTML = "text/html; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
JSON = "application/json; charset=utf-8"
STATE_WORDS = {"operational": "Operational", "under_maintenance": "Under maintenance",
               "degraded_performance": "Degraded performance", "partial_outage": "Partial outage",
               "major_outage": "Major outage"}
STATUS_WORDS = {"investigating": "Investigating", "identified": "Identified", "monitoring": "Monitoring",
                "resolved": "Resolved"}
API: dict[str, Callable[[PublicPage], dict[str, Any]]] = {
    "/api/v2/summary.json": api.summary, "/api/v2/status.json": api.status,
    "/api/v2/components.json": api.components, "/api/v2/incidents.json": api.incidents,
    "/api/v2/incidents/unresolved.json": api.unresolved}
PATHS = ("/", "/history.atom", *API)
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 cannot carry at all
STYLE = (files("firehouse.statuspage") / "templates" / "style.css").read_text(encoding="utf-8")
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode("ascii")
# Nothing may load, run, frame or submit anything, except the one stylesheet inline in the page, by its hash.
CONTENT_SECURITY_POLICY = (f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; frame-ancestors 'none'; "
                           "base-uri 'none'; form-action 'none'")


@dataclass(frozen=True)
class Document:
    """One document of the site: its bytes and their type."""

    body: bytes
    content_type: str


def documents(page: PublicPage) -> dict[str, Document]:
    """Every path the site serves, rendered: the page, its feed and the Status API."""
    rendered = {"/": Document(html(page), HTML), "/history.atom": Document(feed(page), ATOM)}
    rendered.update({path: Document(as_json(build(page)), JSON) for path, build in API.items()})
    return rendered


def html(page: PublicPage) -> bytes:
    """The page people read: overall status, components, open incidents with every update, past incidents."""
    return _environment().get_template("index.html.j2").render(page=page, style=Markup(STYLE), past=past(page)).encode()


def feed(page: PublicPage) -> bytes:
    """The history as Atom 1.0: one entry per published update, newest first, its body as plain text."""
    entries = sorted(({"id": _urn(page, "update", update.id), "at": update.at, "body": update.body,
                       "title": f"{incident.name} — {STATUS_WORDS.get(update.status, update.status)}",
                       "link": f"{page.url}#{incident.id}"}
                      for incident in page.incidents for update in incident.updates),
                     key=lambda entry: entry["at"], reverse=True)
    return _environment().get_template("history.atom.j2").render(
        page=page, entries=entries, feed_id=_urn(page, "feed", page.id),
        self_url=f"{page.url.rstrip('/')}/history.atom").encode()


def as_json(data: Mapping[str, Any]) -> bytes:
    """JSON as served: UTF-8, with `<`, `>` and `&` escaped so no text can read as markup where it is pasted."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


def past(page: PublicPage) -> list[tuple[str, list[PublicIncident]]]:
    """The resolved incidents grouped by the UTC day they were resolved, newest day first."""
    resolved = sorted((i for i in page.incidents if not i.open), key=_closed, reverse=True)
    return [(day, list(incidents)) for day, incidents in groupby(resolved, key=lambda i: _day(_closed(i)))]


def _closed(incident: PublicIncident) -> datetime:
    return _as_utc(incident.resolved_at or incident.updated_at)


def _urn(page: PublicPage, kind: str, name: str) -> str:
    """A stable Atom id: the same page id and name give the same URN, whatever the page's URL."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"firehouse-status:{page.id}:{kind}:{name}").urn


def _as_utc(at: datetime) -> datetime:
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def _utc(at: datetime) -> str:
    return _as_utc(at).strftime("%Y-%m-%d %H:%M UTC")


def _day(at: datetime) -> str:
    return f"{at:%B} {at.day}, {at:%Y}"


def _iso(at: datetime) -> str:
    """RFC 3339 in UTC, to the second: what `<time datetime>` and Atom's dates take."""
    return _as_utc(at).isoformat(timespec="seconds").replace("+00:00", "Z")



@cache
def _environment() -> Environment:
    """One environment for the page and the feed, autoescaping both (XML takes HTML's escapes)."""
    env = Environment(loader=PackageLoader("firehouse.statuspage", "templates"), autoescape=True,
                      undefined=StrictUndefined)
    env.filters.update(markdown=markdown_html, utc=_utc, iso=_iso, xml=lambda text: NOT_XML.sub("", str(text)))
    env.globals.update(state_words=STATE_WORDS, status_words=STATUS_WORDS, indicator_words=INDICATOR_WORDS)
    return env
