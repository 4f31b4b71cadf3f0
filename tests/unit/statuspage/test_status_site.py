"""The status page's WSGI app, in-process: rendered once per change, served from memory, up when the store is not."""

from __future__ import annotations

import io
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from publicpages import NOW, acme, page, rebuilt

from firehouse.statuspage import render
from firehouse.statuspage.site import StatusSite


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    names: list[str] = field(default_factory=list)  # every header name, as many times as sent


def call(site: StatusSite, path: str = "/", *, method: str = "GET", **headers: str) -> Reply:
    """One request through the WSGI app, as a server would make it."""
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path.partition("?")[0], "QUERY_STRING": path.partition("?")[2],
               "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "http",
               **{f"HTTP_{name.upper()}": value for name, value in headers.items()}}
    started = {}

    def start_response(status, sent):
        started["status"], started["headers"] = status, sent

    body = b"".join(site.wsgi(environ, start_response))
    return Reply(int(started["status"].split()[0]), dict(started["headers"]), body,
                 [name for name, _ in started["headers"]])


class Store:
    """The page as the database holds it: a version that changes with it, and faults on demand."""

    def __init__(self, page_) -> None:
        self.page, self.version_, self.loads = page_, 1, 0
        self.down = False  # neither the version nor the page can be read
        self.slow = False  # the version query times out

    def load(self):
        if self.down:
            raise ConnectionError("could not connect to server")
        self.loads += 1
        return self.page

    def version(self):
        if self.down:
            raise ConnectionError("could not connect to server")
        if self.slow:
            raise TimeoutError("statement timeout")
        return self.version_

    def change(self, page_) -> None:
        self.page, self.version_ = page_, self.version_ + 1


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture
def store():
    return Store(acme())


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def site(store, clock):
    site = StatusSite(store.load, store.version, poll=0.05, clock=clock)
    assert site.refresh()
    return site


def test_every_document_is_served_with_its_type_and_the_security_headers(site):
    for path, document in render.documents(acme()).items():
        reply = call(site, path)
        assert (reply.status, reply.body) == (200, document.body)
        assert reply.headers["Content-Type"] == document.content_type
        assert reply.headers["Content-Length"] == str(len(document.body))
        assert reply.headers["Content-Security-Policy"] == render.CONTENT_SECURITY_POLICY
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["Referrer-Policy"] == "no-referrer"
        assert reply.headers["Cache-Control"] == "public, max-age=30"
        assert reply.headers["ETag"].startswith('"') and not reply.headers["ETag"].startswith('W/')
        assert ("Access-Control-Allow-Origin" in reply.headers) == path.startswith("/api/")
        assert "Set-Cookie" not in reply.names
    assert call(site, "/api/v2/summary.json").headers["Access-Control-Allow-Origin"] == "*"


def test_the_query_string_is_ignored(site):
    assert call(site, "/?utm_source=x&q=<script>").body == call(site, "/").body


def test_other_methods_are_refused_with_allow(site):
    for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH"):
        reply = call(site, "/", method=method)
        assert reply.status == 405 and reply.headers["Allow"] == "GET, HEAD"
        assert reply.headers["Content-Security-Policy"] == render.CONTENT_SECURITY_POLICY


def test_unknown_paths_are_not_found_including_slack_events(site):
    for path in ("/slack/events", "/healthz", "/api/v2/scheduled-maintenances.json", "/index.html", "/../etc"):
        for method in ("GET", "POST"):
            reply = call(site, path, method=method)
            assert reply.status == 404 and reply.headers["X-Content-Type-Options"] == "nosniff", (path, method)
            assert "Set-Cookie" not in reply.names


def test_head_gives_the_headers_and_length_of_get_without_a_body(site):
    for path in ("/", "/history.atom", "/api/v2/summary.json"):
        got, head = call(site, path), call(site, path, method="HEAD")
        assert head.status == 200 and head.body == b"" and head.headers == got.headers
        assert int(head.headers["Content-Length"]) == len(got.body) > 0


def test_a_matching_etag_answers_304_without_a_body(site):
    etag = call(site, "/").headers["ETag"]
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        reply = call(site, "/", if_none_match=sent)
        assert reply.status == 304 and reply.body == b"" and reply.headers["ETag"] == etag
        assert reply.headers["Cache-Control"] == "public, max-age=30" and "Content-Type" not in reply.headers
    assert call(site, "/", if_none_match='"stale"').status == 200
    assert call(site, "/history.atom").headers["ETag"] != etag


def test_it_renders_once_per_change_not_per_request(site, store):
    site.refresh()  # a forced refresh loads even when nothing changed
    loads = store.loads
    for _ in range(200):
        call(site, "/")
        call(site, "/api/v2/summary.json")
    assert store.loads == loads
    old = call(site, "/").headers["ETag"]
    store.change(rebuilt(acme(resolved=True), at=NOW + timedelta(minutes=1)))
    assert call(site, "/").headers["ETag"] == old  # not until it looks again
    site.check()
    site.check()  # the same version: nothing to do
    assert store.loads == loads + 1
    assert b"Response times are back to normal" in call(site, "/").body
    assert call(site, "/").headers["ETag"] != old


def test_a_new_utc_day_renders_again_though_the_version_did_not_change(site, store, clock):
    loads = store.loads
    clock.now = NOW + timedelta(hours=1)
    site.check()
    assert store.loads == loads
    clock.now = NOW.replace(hour=23, minute=59) + timedelta(minutes=2)
    site.check()
    assert store.loads == loads + 1


def test_the_last_good_page_stays_up_while_the_store_is_down_and_the_log_says_so_once(site, store, caplog):
    before = {path: call(site, path) for path in render.PATHS}
    store.down = True
    store.version_ += 1
    with caplog.at_level(logging.INFO, logger="firehouse.statuspage.site"):
        for _ in range(5):
            assert not site.check()
        assert not site.refresh()
        for path in render.PATHS:
            assert call(site, path) == before[path]  # unchanged: its "Last updated" says how old it is
        assert last_updated(call(site, "/")) == "2025-05-06 14:40 UTC"
        store.down = False
        store.change(rebuilt(acme(), at=NOW + timedelta(minutes=5)))
        assert site.check()
        assert site.check()
    said = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert [level for level, _ in said] == ["WARNING", "INFO"]
    assert "ConnectionError: could not connect to server" in said[0][1]
    assert last_updated(call(site, "/")) == "2025-05-06 14:45 UTC"


def test_a_failing_version_keeps_the_last_good_page_too(site, store):
    before = call(site, "/")
    store.slow = True
    assert not site.check() and not site.refresh()
    assert call(site, "/") == before
    store.slow = False
    assert site.check() and call(site, "/") == before


def test_before_the_first_good_load_it_answers_503_with_retry_after(store):
    store.down = True
    site = StatusSite(store.load, store.version, poll=2.5)
    assert not site.refresh() and not site.ready
    for method in ("GET", "HEAD"):
        reply = call(site, "/", method=method)
        assert reply.status == 503 and reply.headers["Retry-After"] == "3"
        assert reply.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert reply.headers["Content-Security-Policy"] == render.CONTENT_SECURITY_POLICY
    assert b"try again" in call(site, "/api/v2/status.json").body
    assert call(site, "/slack/events").status == 404
    store.down = False
    assert site.refresh() and call(site, "/").status == 200


def test_the_poll_renders_at_start_and_reacts_to_a_version_change(store, clock):
    site = StatusSite(store.load, store.version, poll=0.02, clock=clock)
    site.start()
    try:
        wait_for(lambda: site.ready)
        loads = store.loads
        time.sleep(0.2)  # some ten polls, the version unchanged
        assert store.loads == loads
        store.change(page())
        wait_for(lambda: b"All Systems Operational" in call(site, "/").body)
        assert store.loads == loads + 1
    finally:
        site.stop()
    assert "firehouse-status-page" not in [thread.name for thread in threading.enumerate()]


def last_updated(reply: Reply) -> str:
    return re.search(r"Last updated <time[^>]*>([^<]*)</time>", reply.body.decode()).group(1)


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
