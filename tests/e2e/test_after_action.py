"""The after-action lock end to end: postmortem → publish → actions → fixture → close, the refusal while
unlocked, and an overdue follow-up reminded once a day across a restart."""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from botprocess import firehouse_command
from warroom import ALICE, BOB, CAROL, Room, in_room, press, shown, told
from slackreq import view_submission


@pytest.fixture
def resolved(declare):
    def make(title: str = "sev2 output Support bot invents a refund policy") -> Room:
        room = declare(title)
        room.run("snapshot input=Can I get a refund after 90 days? output=Yes, we refund 200% any time."
                 " model=gpt-4o-2024-08-06 prompt_version=v42")
        room.run("resolve rolled the prompt back to v41")
        return room
    return make


def database(bot) -> sqlite3.Connection:
    return sqlite3.connect(bot.workdir / "firehouse.db")


def test_close_is_refused_until_the_incident_is_locked_and_says_what_is_missing(fake, bot, resolved):
    room = resolved()
    room.run(f"action prevent add a refund-policy eval to the release gate <@{BOB}>")
    reply = room.run("close")
    assert "Not locked yet, so not closed" in reply
    assert "a published postmortem" in reply and "an eval fixture" in reply and "an owner and a due date" in reply
    assert "resolved" in shown(fake, room, "summary")
    assert "1 resolved, not locked yet" in shown(fake, room, "list")


def test_postmortem_publish_actions_fixture_and_close(fake, bot, resolved):
    room = resolved()
    room.run("postmortem note lucky a support agent noticed within minutes")
    assert "Drafted the postmortem" in room.run("postmortem")
    [draft] = fake.wait_for(lambda: fake.files(room.id))
    assert draft["name"].endswith(".md") and "a support agent noticed within minutes" in draft["content"]
    summary = fake.wait_for(lambda: [m for m in fake.messages(room.id) if "Postmortem draft, version 1, for" in m["text"]])[0]
    version = next(e["value"] for b in summary["blocks"] if b["type"] == "actions" for e in b["elements"])
    press(bot, fake, room, "postmortem_publish", version)
    published = told(fake, room, "Published postmortem version 1")
    assert "sha256 `" in published
    assert "Postmortem version 1 is already published" in room.run("postmortem publish")
    exported = subprocess.run([*firehouse_command(), "export", "postmortem", version.split(":")[0]],
                              env=bot.environment(), cwd=bot.workdir, capture_output=True, text=True, timeout=60)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == draft["content"]  # the published version, verbatim
    assert "version 1, published" in exported.stderr

    due = (datetime.now(UTC).date() + timedelta(days=14)).isoformat()
    assert "Added follow-up action #" in room.run(f"action detect alert on refund amounts over 100% <@{BOB}> due {due}")
    assert "needs an owner and a due date" in room.run("action process review refund prompts weekly")
    actions = shown(fake, room, "actions")
    assert "alert on refund amounts" in actions and "no owner" in actions

    # the fixture form comes prefilled from the snapshot, and saves
    views = len(fake.views)
    assert bot.command("fixture", user=ALICE, channel=room.id).status == 200  # a form opens; no reply
    form = fake.wait_for(lambda: fake.views[views:])[0]["view"]
    assert form["callback_id"] == "fixture_form"
    prefill = {b["block_id"]: b["element"].get("initial_value") for b in form["blocks"] if b["type"] == "input"}
    assert prefill["input"] == "Can I get a refund after 90 days?"
    assert prefill["bad_output"] == "Yes, we refund 200% any time."
    values = {key: {"value": {"type": "plain_text_input", "value": value}} for key, value in {
        "system_prompt": "", "input": prefill["input"], "bad_output": prefill["bad_output"],
        "target": "Refunds are possible within 30 days.", "rubric": "", "forbidden": "200%\nany time",
        "tags": "refunds, nearby-variant"}.items()}
    assert bot.interact(view_submission(user_id=ALICE, view=form, values=values)).body == ""
    assert "Saved eval fixture #" in told(fake, room, "Saved eval fixture")

    assert "Not locked yet" in room.run("close")  # one action still has no owner
    with database(bot) as db:
        (open_id,) = db.execute("SELECT id FROM follow_up WHERE owner IS NULL").fetchone()
    press(bot, fake, room, f"follow_up_done:{open_id}", str(open_id))
    assert f"Action #{open_id} is done." in told(fake, room, f"Action #{open_id} is done")
    reply = room.run("close")
    assert reply.startswith("Done: Closed: locked by postmortem, fixture and owned actions")
    assert fake.wait_for(lambda: in_room(fake, room, "closed the incident: its lesson is locked in"))
    closed = f"SEV2 · output · Fire captain: <@{ALICE}> · closed"
    assert fake.wait_for(lambda: fake.channels[room.id].topic == closed)  # no longer "resolved"
    assert "A closed incident can't move to investigating." in room.run("status investigating")


def test_only_an_admin_may_close_without_the_lock_and_the_waiver_is_recorded(fake, bot, resolved):
    room = resolved("sev3 output Bot is rude to a tester")
    assert "Only" in room.run("close --waive-lock a tester's typo, nothing to learn", user=BOB)
    assert "Usage: `/incident close" in room.run("close --waive-lock")
    assert "Only a Firehouse admin" in room.run("close --waive-lock a tester's typo, nothing to learn")


def test_an_overdue_follow_up_reminds_its_owner_once_a_day_across_a_restart(fake, bot, resolved):
    room = resolved("sev2 output Bot quotes old prices")
    due = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    room.run(f"action refresh the price table nightly <@{CAROL}> due {due}")
    with database(bot) as db:  # three days pass
        db.execute("UPDATE follow_up SET due = ? WHERE text = 'refresh the price table nightly'",
                   ((datetime.now(UTC).date() - timedelta(days=2)).isoformat(),))
    room.run("log the price table owner is on leave")  # any change makes the leader look again

    def reminders() -> list[dict]:
        return [m for m in fake.messages(CAROL) if "refresh the price table nightly" in m["text"]]

    assert "2 days overdue" in fake.wait_for(reminders, timeout=20)[0]["text"]
    bot.stop()
    bot.start()
    room.run("log back after the restart")
    with database(bot) as db:
        (reminded,) = db.execute("SELECT reminded_at FROM follow_up WHERE owner = ?", (CAROL,)).fetchone()
    assert reminded is not None
    fake.wait_for(lambda: "back after the restart" in " ".join(room.timeline()))
    assert len(reminders()) == 1  # not again the same day, restart or not
