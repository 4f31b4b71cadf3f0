"""The edge tells a request Slack did not sign (401) from one it signed that is not a Slack request (400), whatever
bytes the body holds: a body that is not UTF-8 is still checked against its signature, never taken for forged
because slack_sdk's verifier cannot decode it, and nothing a signed body holds gets past the edge or to a 500."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import random
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from botprocess import SIGNING_SECRET
from slackreq import Reply, slash_command_body
from warroom import ALICE

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
NOT_SLACK = {"error": "not a Slack request"}
FORGED = {"error": "invalid request"}


def sign(body: bytes, timestamp: int | str, *, secret: str = SIGNING_SECRET) -> str:
    """Slack's v0 signature over the raw bytes of `body`."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return f"v0={digest}"


def send(url: str, body: bytes, *, content_type: str = FORM, timestamp: int | str | None = None,
         signature: str | None = None, headers: dict[str, str] | None = None) -> Reply:
    """POST `body` as it is, signed with the right secret unless `signature` says otherwise."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": content_type, "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": sign(body, timestamp) if signature is None else signature, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Reply(response.status, response.read().decode())
    except urllib.error.HTTPError as err:
        return Reply(err.code, err.read().decode())


def command(fake, text: str = "declare sev1 output Encoded edge") -> bytes:
    return slash_command_body(text=text, user_id=ALICE, channel_id=fake.general,
                              response_url=fake.new_response_url()).encode()


def multipart(fields: dict[str, str], boundary: str = "firehouse-boundary") -> bytes:
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


NOT_UTF8 = {  # each body with the content type it came with
    "a Latin-1 form": (b"command=/incident&user_id=U1&channel_id=C1&text=caf\xe9", FORM),
    "a gzip'd command": (None, FORM),  # built from a real command in the test
    "a UTF-16 JSON envelope": ('{"type": "event_callback", "event": {"type": "app_mention"}}'.encode("utf-16"), JSON),
    "random bytes": (bytes(random.Random(11).randrange(256) for _ in range(512)) + b"\xff", "application/octet-stream"),
    "a lone continuation byte in JSON": (b'{"type": "url_verification", "challenge": "\x80"}', JSON),
}


def not_utf8(fake, name: str) -> tuple[bytes, str]:
    body, content_type = NOT_UTF8[name]
    return (gzip.compress(command(fake)) if body is None else body), content_type


@pytest.mark.parametrize("name", list(NOT_UTF8))
def test_a_signed_body_that_is_not_utf8_is_not_a_slack_request(fake, bot, untouched, name):
    body, content_type = not_utf8(fake, name)
    with pytest.raises(UnicodeDecodeError):
        body.decode()
    reply = send(bot.url, body, content_type=content_type)
    assert (reply.status, reply.json()) == (400, NOT_SLACK)


def test_a_gzip_encoded_command_is_not_unpacked(fake, bot, untouched):
    body = gzip.compress(command(fake))
    reply = send(bot.url, body, headers={"Content-Encoding": "gzip"})
    assert (reply.status, reply.json()) == (400, NOT_SLACK)


@pytest.mark.parametrize("name", list(NOT_UTF8))
def test_a_body_that_is_not_utf8_with_a_wrong_signature_is_refused_as_forged(fake, bot, untouched, name):
    body, content_type = not_utf8(fake, name)
    forged = send(bot.url, body, content_type=content_type, signature=sign(body, int(time.time()), secret="guess"))
    tampered = send(bot.url, body + b"\xfe", content_type=content_type, signature=sign(body, int(time.time())))
    unsigned = send(bot.url, body, content_type=content_type, signature="")
    assert [(r.status, r.json()) for r in (forged, tampered, unsigned)] == [(401, FORGED)] * 3


@pytest.mark.parametrize("age", [-600, -301, 301, 600])
def test_a_body_that_is_not_utf8_signed_at_a_stale_time_is_refused_as_forged(fake, bot, untouched, age):
    body = b"text=\xff\xfe"
    reply = send(bot.url, body, timestamp=int(time.time()) + age)
    assert (reply.status, reply.json()) == (401, FORGED)


def test_a_stale_utf8_body_is_refused_as_forged_too(fake, bot, untouched):
    reply = send(bot.url, command(fake), timestamp=int(time.time()) - 400)
    assert (reply.status, reply.json()) == (401, FORGED)


ODD_HEADERS = {  # (timestamp, signature); None: a good one
    "a signature with a non-ASCII letter": (None, "v0=caf\u00e9"),
    "a timestamp of 5,000 digits": ("1" * 5000, None),
    "a timestamp with a sign": ("+" + str(int(time.time())), None),
}


@pytest.mark.parametrize("name", list(ODD_HEADERS))
def test_odd_signature_headers_are_refused_as_forged_whatever_the_body(fake, bot, untouched, name):
    timestamp, signature = ODD_HEADERS[name]
    for body in (command(fake), b"text=\xff"):
        reply = send(bot.url, body, timestamp=timestamp, signature=signature)
        assert (reply.status, reply.json()) == (401, FORGED), body


NOT_SLACK_BODIES = {  # signed with the right secret; none of them is a form or JSON that Slack sends
    "JSON null": (b"null", JSON),
    "a JSON object with a numeric type": (b'{"type": 1, "event": {}}', JSON),
    "XML": (b'<?xml version="1.0"?><command>/incident declare sev1 x</command>', "application/xml"),
    "random text that is UTF-8": ("".join(chr(random.Random(5).randrange(1, 0xD7FF)) for _ in range(300)).encode(),
                                  FORM),
    "a NUL byte in JSON": (b'{"type": "url_verification", "challenge": "a\x00b"}', JSON),
    "payload that is JSON null": (b"payload=null", FORM),
    "payload that is a JSON string": (b"payload=%22block_actions%22", FORM),
    "payload without a type": (b"payload=" + urllib.parse.quote('{"actions": []}').encode(), FORM),
    "a multipart form": (multipart({"command": "/incident", "text": "help"}), "multipart/form-data; boundary=x"),
}


@pytest.mark.parametrize("name", list(NOT_SLACK_BODIES))
def test_a_signed_body_that_is_no_slack_request_gets_400(fake, bot, untouched, name):
    body, content_type = NOT_SLACK_BODIES[name]
    reply = send(bot.url, body, content_type=content_type)
    assert (reply.status, reply.json()) == (400, NOT_SLACK)


@pytest.mark.parametrize(("name", "content_type"), [
    ("multipart", "multipart/form-data; boundary=firehouse-boundary"),
    ("XML", "application/xml"),
    ("plain text", "text/plain"),
])
def test_a_real_command_under_a_content_type_slack_never_sends_it_with_gets_400(fake, bot, untouched, name,
                                                                                content_type):
    reply = send(bot.url, command(fake), content_type=content_type)
    assert (reply.status, reply.json()) == (400, NOT_SLACK)


@pytest.mark.parametrize(("name", "text"), [
    ("a raw NUL byte", "declare sev1 output Null\x00byte"),
    ("raw UTF-8 that Slack would have escaped", "declare sev1 output Caf\u00e9 bot"),
    ("a raw newline", "declare sev1 output Two\nlines"),
])
def test_a_command_form_with_characters_slack_escapes_left_raw_gets_400(fake, bot, untouched, name, text):
    body = command(fake, "PLACEHOLDER").replace(b"PLACEHOLDER", text.encode())
    reply = send(bot.url, body)
    assert (reply.status, reply.json()) == (400, NOT_SLACK)


def test_after_all_that_the_bot_still_answers_a_real_command_and_logged_no_traceback(fake, bot):
    reply = bot.command("help", user=ALICE, channel=fake.general)
    assert reply.status == 200 and "/incident declare" in reply.text
    assert bot.process.poll() is None
    assert "Traceback" not in bot.log()

