"""Nothing lost, nothing doubled: the status board across kill -9, rate limits and server errors."""

import collections
import time

from botprocess import BotProcess

from warroom import ALICE, Room

CONFIG = """stakeholder_channel = "{stakeholders}"
[cadence]
sev1 = "4s"
sev2 = "1h"
sev3 = "1h"
[status_board]
first_hour = ["1h"]
"""


def bot_in(fake, workdir) -> BotProcess:
    """A bot on the database in `workdir`; `with` starts it and stops it."""
    return BotProcess(fake=fake, workdir=workdir, config=CONFIG.format(stakeholders=fake.stakeholders))


def declare(fake, bot, title: str) -> Room:
    url = fake.new_response_url()
    bot.command(f"declare {title}", user=ALICE, channel=fake.general, response_url=url)
    channel = fake.wait_for(lambda: fake.responses(url))[0]["text"].split("<#")[1].split(">")[0]
    return Room(fake, bot, channel)


def reminders(fake, room: Room) -> list[dict]:
    return [m for m in fake.messages(room.id) if "no update came by" in m["text"]]


def board_posts(fake, channel: str, about: str = "") -> list[str]:
    """The outbox keys of the board's posts in `channel` (whose text mentions `about`)."""
    return [m["metadata"]["event_payload"]["outbox_key"] for m in fake.messages(channel)
            if m.get("metadata") and about in m["text"]]


def test_a_restart_sends_what_was_missed_once_and_keeps_the_rhythm(fake, tmp_path):
    with bot_in(fake, tmp_path) as first:
        room = declare(fake, first, "sev1 output Claims bot approves everything")
        fake.wait_for(lambda: reminders(fake, room), timeout=10)
        first.kill()
    before = len(reminders(fake, room))
    time.sleep(10)  # two and a half cycles with nobody minding the board
    assert len(reminders(fake, room)) == before

    with bot_in(fake, tmp_path):
        fake.wait_for(lambda: len(reminders(fake, room)) > before, timeout=5)
        time.sleep(1.5)
        assert len(reminders(fake, room)) == before + 1, "one catch-up, not one per missed cycle"
        fake.wait_for(lambda: len(reminders(fake, room)) > before + 1, timeout=8)  # and the rhythm goes on
        ids = board_posts(fake, room.id) + board_posts(fake, fake.stakeholders, about="Claims bot")
        assert len(ids) == len(set(ids))


def test_rate_limits_and_server_errors_delay_posts_but_never_double_them(fake, tmp_path):
    with bot_in(fake, tmp_path) as bot:
        room = declare(fake, bot, "sev1 output Summaries invert medical advice")
        fake.inject("chat.postMessage", status=429, retry_after=1, count=2)
        fake.inject("chat.postMessage", status=500, count=2)
        fake.wait_for(lambda: len(reminders(fake, room)) >= 3, timeout=25)
        statuses = collections.Counter(c.status for c in fake.calls("chat.postMessage"))
        assert statuses[429] >= 2 and statuses[500] >= 2
        for channel in (room.id, fake.stakeholders):
            ids = board_posts(fake, channel, about="" if channel == room.id else "Summaries invert")
            assert len(ids) == len(set(ids)), f"a post arrived twice in {channel}"
        fake.wait_for(lambda: len([m for m in fake.messages(fake.stakeholders)
                                   if "No new information" in m["text"] and "Summaries invert" in m["text"]]) >= 3)


def test_a_post_in_flight_when_the_bot_dies_is_not_sent_again(fake, tmp_path):
    with bot_in(fake, tmp_path) as bot:
        room = declare(fake, bot, "sev2 output Tutor bot grades everything A")
        fake.set_latency("chat.postMessage", 2.0)
        try:
            bot.command("update Grading disabled; teachers told", user=ALICE, channel=room.id)
            time.sleep(1.0)  # the war-room post is on its way to Slack, which takes 2 s to answer
            bot.kill()
        finally:
            time.sleep(2.5)
            fake.set_latency("chat.postMessage", 0)
    assert len([m for m in fake.messages(room.id) if "Grading disabled" in m["text"]]) == 1

    with bot_in(fake, tmp_path):
        fake.wait_for(lambda: [m for m in fake.messages(fake.stakeholders) if "Grading disabled" in m["text"]])
        time.sleep(1)
        assert len([m for m in fake.messages(room.id) if "Grading disabled" in m["text"]]) == 1
        assert len([m for m in fake.messages(fake.stakeholders) if "Grading disabled" in m["text"]]) == 1
