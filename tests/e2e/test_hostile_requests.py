"""The edge holds against what anyone who can reach the port may send: each request gets a 4xx, never a 500,
Slack sees no call because of it, and the bot's log holds no traceback."""

from __future__ import annotations

import socket
import time
import urllib.parse

import pytest
from botprocess import SIGNING_SECRET
from slackreq import post, sign, slash_command_body

from warroom import ALICE

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
BROKEN_JSON = '{"type": "event_callback", "event": {'


def declare_body(fake) -> str:
    return slash_command_body(text="declare sev1 hostile request", user_id=ALICE, channel_id=fake.general,
                              response_url=fake.new_response_url())


def raw(port: int, head: str, body: bytes = b"") -> tuple[int, bytes]:
    """Send `head` (request line and headers) and `body` over a plain socket; the status and what came back."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        sock.shutdown(socket.SHUT_WR) if not body else None
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and b"Content-Length" not in answer.split(b"\r\n\r\n")[0]:
                break
    return int(answer.split(b" ", 2)[1]), answer


def signed(body: str, *, content_type: str, url: str) -> int:
    return post(url, body, secret=SIGNING_SECRET, content_type=content_type).status


def unsigned(body: str, *, content_type: str, url: str) -> int:
    return post(url, body, secret="not-the-secret", content_type=content_type).status


NASTY = {
    # nobody's signature
    "unsigned form": lambda fake, url: post(url, declare_body(fake), secret="", content_type=FORM,
                                            signature="").status,
    "badly signed form": lambda fake, url: unsigned(declare_body(fake), content_type=FORM, url=url),
    "stale timestamp, right secret": lambda fake, url: post(
        url, declare_body(fake), secret=SIGNING_SECRET, content_type=FORM, timestamp=int(time.time()) - 600).status,
    "timestamp from the future": lambda fake, url: post(
        url, declare_body(fake), secret=SIGNING_SECRET, content_type=FORM, timestamp=int(time.time()) + 600).status,
    "timestamp `abc`": lambda fake, url: _with_timestamp(url, declare_body(fake), "abc"),
    "timestamp `-1`": lambda fake, url: _with_timestamp(url, declare_body(fake), "-1"),
    "signature without `v0=`": lambda fake, url: post(url, declare_body(fake), secret=SIGNING_SECRET,
                                                      content_type=FORM, signature="deadbeef").status,
    "unparseable JSON, unsigned": lambda fake, url: unsigned(BROKEN_JSON, content_type=JSON, url=url),
    "JSON array, unsigned": lambda fake, url: unsigned("[1, 2, 3]", content_type=JSON, url=url),
    "bad payload, unsigned": lambda fake, url: unsigned("payload={not json", content_type=FORM, url=url),
    # signed with the right secret, but not a Slack request
    "unparseable JSON, signed": lambda fake, url: signed(BROKEN_JSON, content_type=JSON, url=url),
    "JSON array, signed": lambda fake, url: signed("[1, 2, 3]", content_type=JSON, url=url),
    "JSON string, signed": lambda fake, url: signed('"event_callback"', content_type=JSON, url=url),
    "JSON object without a type, signed": lambda fake, url: signed('{"event": {}}', content_type=JSON, url=url),
    "bad payload, signed": lambda fake, url: signed("payload={not json", content_type=FORM, url=url),
    "payload that is a JSON array, signed": lambda fake, url: signed("payload=%5B1%5D", content_type=FORM, url=url),
    "form without the fields, signed": lambda fake, url: signed("a=1&b=2", content_type=FORM, url=url),
    "command without a user, signed": lambda fake, url: signed(
        urllib.parse.urlencode({"command": "/incident", "text": "declare sev1 x", "channel_id": fake.general}),
        content_type=FORM, url=url),
    "empty body, signed": lambda fake, url: signed("", content_type=FORM, url=url),
    "event that is a string, signed": lambda fake, url: signed('{"type": "event_callback", "event": "x"}',
                                                               content_type=JSON, url=url),
    "actions that are a string, signed": lambda fake, url: signed(
        "payload=" + urllib.parse.quote('{"type": "block_actions", "user": "x", "actions": "y"}'),
        content_type=FORM, url=url),
    "view that is a number, signed": lambda fake, url: signed(
        "payload=" + urllib.parse.quote('{"type": "view_submission", "view": 3}'), content_type=FORM, url=url),
}

EXPECTED = {name: 400 if name.endswith(", signed") else 401 for name in NASTY}


def _with_timestamp(url: str, body: str, timestamp: str) -> int:
    return post(url, body, secret=SIGNING_SECRET, content_type=FORM,
                headers={"X-Slack-Request-Timestamp": timestamp},
                signature=sign(SIGNING_SECRET, body, int(time.time()))).status


@pytest.mark.parametrize("name", list(NASTY))
def test_a_hostile_request_is_refused_with_a_4xx_and_changes_nothing(fake, bot, untouched, name):
    assert NASTY[name](fake, bot.url) == EXPECTED[name]


def test_a_body_over_the_limit_is_refused_from_its_length_without_being_read(bot, untouched):
    head = (f"POST /slack/events HTTP/1.1\nHost: 127.0.0.1\nContent-Type: {FORM}\n"
            f"X-Slack-Request-Timestamp: {int(time.time())}\nX-Slack-Signature: v0=00\n"
            f"Content-Length: {64 * 1024 * 1024}\n")
    status, _ = raw(bot.port, head, b"text=" + b"a" * 1024)  # 1 KiB of the promised 64 MiB, then we wait
    assert status == 413


def test_a_post_without_a_length_is_refused(bot, untouched):
    status, _ = raw(bot.port, "POST /slack/events HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n")
    assert status in (400, 411)


def test_a_bad_length_is_refused(bot, untouched):
    status, _ = raw(bot.port, "POST /slack/events HTTP/1.1\nHost: 127.0.0.1\nContent-Length: ten\n"
                              "Connection: close\n")
    assert status == 400


def test_a_body_just_under_the_limit_is_read_and_still_needs_a_signature(fake, bot, untouched):
    body = "text=" + "a" * (1024 * 1024 - 10)
    assert post(bot.url, body, secret="not-the-secret", content_type=FORM).status == 401


def test_a_correct_request_still_gets_through_the_edge(fake, bot):
    reply = bot.command("help", user=ALICE, channel=fake.general)
    assert reply.status == 200 and "/incident declare" in reply.text


def test_a_command_that_mentions_the_word_payload_is_still_a_command(fake, bot, declare):
    """Bolt's own form parsing takes any body containing "payload" for an interaction; the edge parses it."""
    room = declare("sev3 output Bot returns the wrong payload")
    assert room.run("log the payload was wrong").startswith("Logged to the timeline")
    assert any("the payload was wrong" in line for line in room.timeline())
