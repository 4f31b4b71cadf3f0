"""Firehouse's own status page on PostgreSQL: two Publish clicks at once make one update (the notice is locked), and
when the database goes down, exactly when people look, the page keeps serving the last good copy with its "last
updated" time."""

from __future__ import annotations

import re
import threading

import httpx
import pytest
from botprocess import BotProcess, free_port
from pgserver import outage, server_or_skip
from warroom import Room, in_room, press

CONFIG = """stakeholder_channel = "{stakeholders}"

[status_page.firehouse]
name = "Acme status"
url = "https://status.acme.test"
components = {{ output = "Assistant answers" }}
"""


@pytest.fixture(scope="module")
def database():
    """A PostgreSQL server of this module's own: its test stops it."""
    with server_or_skip() as url:
        yield url


@pytest.fixture(scope="module")
def status_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def bot(fake, database, status_port, tmp_path_factory):
    env = {"FIREHOUSE_DATABASE_URL": database, "FIREHOUSE_STATUS_PORT": str(status_port)}
    with BotProcess(fake=fake, workdir=tmp_path_factory.mktemp("firehouse"),
                    config=CONFIG.format(stakeholders=fake.stakeholders), env=env) as process:
        yield process


def refusal(text: str) -> bool:
    """A second Publish's answer: it saw the first's change, or lost the race to write it."""
    return "one notice is one status update" in text or "acted on this notice at the same moment" in text


def approved(fake, room: Room) -> int:
    number = int(re.search(r"#(\d+)", room.run("comms product"))[1])
    press(room.bot, fake, room, "notice_approve", str(number))
    fake.wait_for(lambda: any(e.get("action_id") == "notice_publish" for m in fake.messages(room.id)
                              if m["text"].startswith(f"Product notice #{number} (")
                              for b in m["blocks"] if b["type"] == "actions" for e in b["elements"]))
    return number


def test_two_clicks_at_once_publish_once_and_an_outage_keeps_the_last_good_page(fake, bot, declare, database,
                                                                                status_port):
    room = declare("sev2 output Assistant misquotes the refund policy")
    room.run("fact feature=the support assistant window_start=09:00 UTC")
    number = approved(fake, room)
    clicks = [threading.Thread(target=press, args=(bot, fake, room, "notice_publish", str(number))) for _ in range(4)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    fake.wait_for(lambda: in_room(fake, room, f"Product notice #{number} is on the status page"))
    refused = fake.wait_for(lambda: len(found := [e for e in fake.ephemerals(channel=room.id) if refusal(e["text"])])
                            == 3 and found)
    assert len(refused) == 3
    page = f"http://127.0.0.1:{status_port}"
    summary = fake.wait_for(lambda: (s := httpx.get(f"{page}/api/v2/summary.json").json())["incidents"] and s)
    (incident,) = summary["incidents"]
    assert len(incident["incident_updates"]) == 1  # four clicks, one update
    good = httpx.get(f"{page}/")
    assert "Incorrect answers from the support assistant" in good.text and "Last updated" in good.text

    bot_log = bot.log
    outage(database)
    fake.wait_for(lambda: "the status page cannot be loaded" in bot_log(), timeout=15)  # the poll has failed
    during = httpx.get(f"{page}/")
    assert during.status_code == 200 and during.text == good.text  # the last good page, its time included
    assert httpx.get(f"{page}/api/v2/summary.json").json() == summary
    assert httpx.get(f"{page}/", headers={"If-None-Match": good.headers["etag"]}).status_code == 304
    assert bot_log().count("the status page cannot be loaded") == 1  # said once, not at every poll

