"""The edge's own signature check over a body's bytes, and the HTTP server's queue as the gauge reads it."""

from __future__ import annotations

import hashlib
import hmac
import socket
import threading
import time

import pytest
from slack_sdk.signature import Clock, SignatureVerifier

from firehouse.ops.metrics import Metrics
from firehouse.server import FRESH, HttpServer, _parse, signed_by_slack

SECRET = "test-signing-secret"
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
STAMP = str(NOW)


def sign(body: bytes, timestamp: str = STAMP, secret: str = SECRET) -> str:
    return "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()


def signed(body: bytes, *, timestamp: str = STAMP, signature: str | None = None, now: float = NOW) -> bool:
    return signed_by_slack(body, timestamp=timestamp, signature=sign(body) if signature is None else signature,
                           secret=SECRET, now=now)


class FixedClock(Clock):
    def now(self) -> float:
        return NOW


@pytest.mark.parametrize("body", [b"text=caf\xe9", b"\x1f\x8b\x08\x00gzip", "{}".encode("utf-16"), b"\xff" * 64, b""])
def test_a_body_that_is_not_utf8_is_signed_when_its_bytes_are(body):
    assert signed(body)


def test_a_wrong_secret_a_changed_byte_or_a_changed_timestamp_is_not_signed():
    body = b"text=\xff\xfe"
    assert not signed(body, signature=sign(body, secret="guess"))
    assert not signed(body + b"\x00", signature=sign(body))
    assert not signed(body, timestamp=str(NOW - 1), signature=sign(body))


@pytest.mark.parametrize(("age", "fresh"), [(0, True), (FRESH, True), (-FRESH, True), (FRESH + 1, False),
                                            (-FRESH - 1, False), (86_400, False)])
def test_the_timestamp_is_good_for_five_minutes_either_side_of_now(age, fresh):
    timestamp = str(NOW - age)
    assert signed(b"\xff", timestamp=timestamp, signature=sign(b"\xff", timestamp)) is fresh


@pytest.mark.parametrize("body", [b"command=%2Fincident&text=help", b'{"type": "event_callback"}', b""])
@pytest.mark.parametrize("age", [0, FRESH, FRESH + 1])
@pytest.mark.parametrize("secret", [SECRET, "guess"])
def test_over_utf8_it_agrees_with_slack_sdks_verifier(body, age, secret):
    timestamp = str(NOW - age)
    signature = sign(body, timestamp, secret)
    verifier = SignatureVerifier(SECRET, clock=FixedClock())
    assert signed(body, timestamp=timestamp, signature=signature) is verifier.is_valid(body, timestamp, signature)


@pytest.mark.parametrize(("timestamp", "signature"), [
    ("", None), ("abc", None), ("-1", None), ("+" + STAMP, None), (" " + STAMP, None), ("1" * 5000, None),
    ("\u0661" * 10, None),  # Arabic-Indic digits are digits to str.isdigit, not to Slack
    (STAMP, ""), (STAMP, "v0=caf\u00e9"), (STAMP, "deadbeef"), (STAMP, "v0="),
])
def test_headers_that_cannot_be_slacks_are_not_signed_and_raise_nothing(timestamp, signature):
    body = b"\xff"
    assert not signed(body, timestamp=timestamp, signature=sign(body, timestamp) if signature is None else signature)


def test_the_queue_depth_counts_requests_waiting_for_a_thread_and_the_gauge_reads_it():
    release, serving = threading.Event(), threading.Semaphore(0)

    def slow(environ, start_response):
        serving.release()
        release.wait(10)
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]

    server, stopping = HttpServer(slow, host="127.0.0.1", port=0, threads=1), threading.Event()
    metrics = Metrics()
    metrics.watch_http("test", server.queue_depth)
    loop = threading.Thread(target=server.run, args=(stopping,))
    loop.start()
    connections = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(3)]
    try:
        for connection in connections:
            connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert serving.acquire(timeout=10)  # the one thread is busy with the first
        assert wait_for(lambda: server.queue_depth() == 2)
        assert 'firehouse_http_queue_depth{server="test"} 2.0' in metrics.exposition()[0].decode()
        release.set()
        for connection in connections:
            assert connection.recv(64).startswith(b"HTTP/1.1 200")
        assert server.queue_depth() == 0
    finally:
        release.set()
        for connection in connections:
            connection.close()
        stopping.set()
        loop.join(10)


def wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


@pytest.mark.parametrize("body", ['{"type": "x", "a": ' + "[" * 100_000 + "]" * 100_000 + "}",
                                  "payload=" + "%5B" * 100_000])
def test_a_signed_body_nested_deeper_than_json_can_read_is_not_a_slack_request(body):
    content_type = "application/json" if body.startswith("{") else "application/x-www-form-urlencoded"
    assert _parse(body, content_type) is None
