"""SIGTERM (a deploy, `docker stop`) drains: what is in flight reaches Slack, the outbox is written down,
the lead is given up, one line says so, and the process exits 0."""

from __future__ import annotations

import signal
import sqlite3
import time

import pytest
from botprocess import BotProcess

from warroom import ALICE


@pytest.fixture
def bot(fake, tmp_path):
    """A bot of each test's own: these tests stop it."""
    process = BotProcess(fake=fake, workdir=tmp_path, config=f'stakeholder_channel = "{fake.stakeholders}"\n')
    yield process.start()
    process.kill()
    fake.set_latency("chat.postMessage", 0)


def declare(fake, bot) -> str:
    url = fake.new_response_url()
    assert bot.command("declare sev2 output Draining war room", user=ALICE, channel=fake.general,
                       response_url=url).status == 200
    channel = fake.wait_for(lambda: fake.responses(url))[0]["text"].split("<#", 1)[1].split(">", 1)[0]
    fake.wait_for(lambda: fake.messages(channel))
    return channel


def unsent(bot) -> int:
    with sqlite3.connect(bot.workdir / "firehouse.db") as database:
        return database.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_with_a_post_in_flight_delivers_it_and_exits_0(fake, bot, signum):
    channel = declare(fake, bot)
    fake.set_latency("chat.postMessage", 2.0)
    url = fake.new_response_url()
    said = f"rolled back the prompt before {signum.name}"
    assert bot.command(f"update {said}", user=ALICE, channel=channel, response_url=url).status == 200
    time.sleep(0.5)  # the update's posts are on their way to a slow Slack
    bot.process.send_signal(signum)
    assert bot.process.wait(20) == 0
    posted = [m for m in fake.messages(fake.stakeholders) if said in m.get("text", "")]
    assert len(posted) == 1
    assert [m for m in fake.messages(channel) if said in m.get("text", "")]
    assert unsent(bot) == 0  # and Slack's confirmations were written down before the exit
    log = bot.log()
    stopped = [line for line in log.splitlines() if "firehouse stopped:" in line]
    assert len(stopped) == 1, log
    assert signum.name in stopped[0] and "in-flight work finished" in stopped[0]
    assert "0 posts owed" in stopped[0]
    assert "Traceback" not in log


def test_a_stopping_bot_takes_no_new_requests(fake, bot):
    bot.process.send_signal(signal.SIGTERM)
    assert bot.process.wait(20) == 0
    with pytest.raises(OSError):
        bot.command("help", user=ALICE, channel=fake.general)
