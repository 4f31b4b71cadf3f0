"""Only Slack may talk to Firehouse: bad or stale signatures are rejected with 401."""

import time

from slackreq import post, slash_command_body

from warroom import ALICE


def command_body(fake) -> str:
    return slash_command_body(text="declare sev1 forged incident", user_id=ALICE, channel_id=fake.general,
                              response_url=fake.new_response_url())


def test_forged_signature_is_rejected(fake, bot):
    body = command_body(fake)
    reply = post(bot.url, body, secret="not-the-secret", content_type="application/x-www-form-urlencoded")
    assert reply.status == 401


def test_missing_signature_is_rejected(fake, bot):
    reply = post(bot.url, command_body(fake), secret="", content_type="application/x-www-form-urlencoded",
                 signature="")
    assert reply.status == 401


def test_stale_timestamp_is_rejected_even_when_signed_with_the_right_secret(fake, bot):
    from botprocess import SIGNING_SECRET

    body = command_body(fake)
    reply = post(bot.url, body, secret=SIGNING_SECRET, content_type="application/x-www-form-urlencoded",
                 timestamp=int(time.time()) - 10 * 60)
    assert reply.status == 401


def test_a_body_changed_after_signing_is_rejected(fake, bot):
    from botprocess import SIGNING_SECRET
    from slackreq import sign

    body = command_body(fake)
    now = int(time.time())
    tampered = body.replace("sev1", "sev3")
    reply = post(bot.url, tampered, secret=SIGNING_SECRET, content_type="application/x-www-form-urlencoded",
                 timestamp=now, signature=sign(SIGNING_SECRET, body, now))
    assert reply.status == 401


def test_nothing_was_declared_by_rejected_requests(fake, bot):
    test_forged_signature_is_rejected(fake, bot)
    assert not [c for c in fake.calls("conversations.create") if "forged" in c.args.get("name", "")]
