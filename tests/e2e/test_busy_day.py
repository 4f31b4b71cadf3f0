"""A busy day: a flapping alert declares the same title again and again, and people paste long text full of
`&` and `<`. Every declare gets a war room, and every message arrives whole, within Slack's limits."""

from __future__ import annotations

import re

from warroom import ALICE

from firehouse.slack.limits import CUT_NOTE, problems

TITLE = "Checkout bot quotes wrong prices"
LONG = ("Prices & <totals> were wrong " * 200)[:3000]  # 3,000 characters typed; many more once escaped


def test_twelve_declares_of_one_title_on_one_day_all_get_a_war_room(fake, declare):
    rooms = [declare(TITLE) for _ in range(12)]

    names = [room.channel.name for room in rooms]
    assert len(set(names)) == 12
    base = names[0]
    assert names[1:10] == [f"{base}-{n}" for n in range(2, 11)]
    assert all(re.fullmatch(rf"{base}-[0-9a-f]{{6}}", name) for name in names[10:])
    assert all(len(name) <= 80 for name in names)
    for room in rooms:  # each one briefed, like any other war room
        assert fake.messages(room.id)


def posted_within_limits(fake, channel: str) -> list[dict]:
    messages = fake.messages(channel)
    for message in messages:
        assert problems(message.get("blocks") or []) == [], message["text"][:80]
        assert CUT_NOTE not in str(message.get("blocks"))
    return messages


def test_the_longest_reason_summary_and_description_arrive_whole_and_within_limits(fake, declare):
    room = declare(f"sev3 Long texts {LONG[:60]}")
    room.run(f"sev 2 {LONG}")
    room.run(f"resolve {LONG}")
    summary = room.run("summary")

    in_room = fake.wait_for(lambda: len(fake.messages(room.id)) >= 3 and fake.messages(room.id))
    posted_within_limits(fake, room.id)
    posted_within_limits(fake, fake.stakeholders)
    resolved = [m for m in in_room if "resolved the incident" in m["text"]]
    assert resolved
    shown = "".join(b["text"]["text"] for b in resolved[0]["blocks"])
    assert LONG.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in shown
    assert "Time to captain" in summary


def test_a_reply_that_holds_long_text_reaches_the_person(fake, declare):
    room = declare("Long facts")
    reply = room.run(f"log {LONG}")
    assert reply.startswith("Logged to the timeline") and "&amp;" in reply and "<totals>" not in reply
    assert any(ALICE in str(m) for m in fake.messages(room.id))
