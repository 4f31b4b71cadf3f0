"""The status page's own port: every document rendered once per change and served from memory.

People look at a status page exactly when something is wrong, often when the database is part of it. So a
request never touches the database nor renders anything: it is a lookup in an immutable snapshot of bytes.
A thread asks `version()` every few seconds (a cheap query) and loads and renders the page only when the
answer changed, or the UTC day did (the window of past incidents moves on). When loading fails, the last good
snapshot stays up as it was — its "Last updated" says how old it is — and the log says so once, and once
again when it recovers.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import NamedTuple

from firehouse.domain.statuspage import PublicPage
from firehouse.server import HttpServer
from firehouse.statuspage.render import CONTENT_SECURITY_POLICY, JSON, PATHS, documents

log = logging.getLogger(__name__)

METHODS = ("GET", "HEAD")
TEXT = "text/plain; charset=utf-8"
CACHE = "public, max-age=30"  # short: a reader sees a new update within half a minute, a burst hits memory
THREADS = 16  # each request is a dictionary lookup, so threads only wait on slow readers' sockets
CONNECTIONS = 1000  # readers connected at once (each an open socket: the process's file limit must allow it)
IDLE_SECONDS = 30  # an idle reader's connection is closed after this; the page tells caches to keep it 30 s
REASONS = {200: "OK", 304: "Not Modified", 404: "Not Found", 405: "Method Not Allowed",
           503: "Service Unavailable"}
SECURITY = [("Content-Security-Policy", CONTENT_SECURITY_POLICY), ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer")]

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class Answer(NamedTuple):
    """One rendered document as served: its bytes, their type and their strong ETag."""

    body: bytes
    content_type: str
    etag: str


def snapshot(page: PublicPage) -> Mapping[str, Answer]:
    """Every document of `page`, rendered, each with the ETag of its bytes; read-only."""
    return MappingProxyType({path: Answer(doc.body, doc.content_type,
                                          f'"{hashlib.sha256(doc.body).hexdigest()[:32]}"')
                             for path, doc in documents(page).items()})


class StatusSite:
    """The public page, rendered per change from `load()`, served by `wsgi`; `version()` says when it changed."""

    def __init__(self, load: Callable[[], PublicPage], version: Callable[[], object], *, poll: float = 5.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._load, self._version, self._poll, self._clock = load, version, poll, clock
        self._snapshot: Mapping[str, Answer] | None = None
        self._seen: tuple[object, date] | None = None  # the version and UTC day the snapshot was rendered at
        self._failing = False
        self._lock = threading.Lock()  # one refresh at a time (the poll and an explicit refresh)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        """Whether a good snapshot exists (until then every answer is 503)."""
        return self._snapshot is not None

    def refresh(self) -> bool:
        """Load and render now; False (the last good snapshot kept) when the version or the page cannot be had."""
        return self._update(force=True)

    def check(self) -> bool:
        """One poll: load and render only when the version or the UTC day changed (or nothing good was had yet);
        False when the version or the page cannot be had."""
        return self._update(force=False)

    def start(self) -> None:
        """Poll in a daemon thread: first at once, then every `poll` seconds, until `stop()`."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="firehouse-status-page", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self._poll + 5)
            self._thread = None

    def _run(self) -> None:
        while True:
            self.check()
            if self._stopping.wait(self._poll):
                return

    def _update(self, *, force: bool) -> bool:
        with self._lock:
            try:
                seen = (self._version(), self._clock().astimezone(UTC).date())
                if force or self._snapshot is None or seen != self._seen:
                    self._snapshot, self._seen = snapshot(self._load()), seen
            except Exception as err:  # the database is down, exactly when people look: keep the last good page
                if not self._failing:
                    log.warning("the status page cannot be loaded (%s: %s); serving the last good page, if any",
                                err.__class__.__name__, str(err).partition("\n")[0][:200])
                self._failing = True
                return False
            if self._failing:
                log.info("the status page loads again")
            self._failing = False
            return True

    def wsgi(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """GET and HEAD of the rendered documents; the query string is ignored; no cookies, ever."""
        path, method = environ.get("PATH_INFO") or "/", environ.get("REQUEST_METHOD") or "GET"
        if path not in PATHS:
            return _answer(start_response, method, 404, b"not found\n")
        if method not in METHODS:
            return _answer(start_response, method, 405, b"method not allowed\n", [("Allow", ", ".join(METHODS))])
        current = self._snapshot  # read once: a refresh swaps it whole, never mid-request
        if current is None:
            return _answer(start_response, method, 503, b"the status page is starting; try again shortly\n",
                           [("Retry-After", str(max(1, math.ceil(self._poll))))], cache="no-store")
        answer = current[path]
        headers = [("ETag", answer.etag)] + ([("Access-Control-Allow-Origin", "*")]
                                             if answer.content_type == JSON else [])
        if _matches(environ.get("HTTP_IF_NONE_MATCH"), answer.etag):
            return _answer(start_response, method, 304, b"", headers)
        return _answer(start_response, method, 200, answer.body, headers, content_type=answer.content_type)


def serve_status_page(site: StatusSite, *, host: str, port: int, stopping: threading.Event) -> threading.Thread:
    """Serve `site` on a port of its own with waitress, from a daemon thread, until `stopping` is set."""
    # People open a status page all at once when something is wrong, and browsers keep their connections open:
    # waitress's default of 100 connections would leave the rest waiting until an idle one is dropped (120 s).
    server = HttpServer(site.wsgi, host=host, port=port, threads=THREADS, connection_limit=CONNECTIONS,
                        channel_timeout=IDLE_SECONDS)
    log.info("firehouse status page on http://%s:%s/", host, server.port)
    thread = threading.Thread(target=server.run, args=(stopping,), name="firehouse-status-http", daemon=True)
    thread.start()
    return thread


def _matches(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match's weak comparison (RFC 9110): any listed tag, weak or not, or `*`."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _answer(start_response: Callable, method: str, status: int, body: bytes, extra: list | None = None, *,
            content_type: str = TEXT, cache: str = CACHE) -> list[bytes]:
    """Every answer carries the security headers; a 304 has no body, a HEAD the length of the GET's."""
    headers = [("Cache-Control", cache), *SECURITY, *(extra or [])]
    if status != 304:
        headers += [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    start_response(f"{status} {REASONS[status]}", headers)
    return [] if method == "HEAD" or status == 304 else [body]
