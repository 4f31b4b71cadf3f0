"""The status board on a seconds-level cadence: prompts, updates, silence, rescheduling, restarts."""

import re
import time
from datetime import UTC, datetime, timedelta

from slackreq import view_submission

from warroom import ALICE, BOB, CAROL, Room, bot_fixture

# SEV1 every 4 s (the captain is prompted 1.3 s before), SEV2 every 12 s (prompted 4 s before), SEV3 hourly.
CONFIG = """stakeholder_channel = "{stakeholders}"
[cadence]
sev1 = "4s"
sev2 = "12s"
sev3 = "1h"
[status_board]
snooze = "1s"
first_hour = ["3s", "40m"]
"""


bot = bot_fixture(CONFIG)


def in_room(fake, room: Room, pattern: str) -> list[dict]:
    return [m for m in fake.messages(room.id) if re.search(pattern, m["text"])]


def incident_number(room: Room) -> int:
    """The incident's number, read from the war room's own update (posted by a test)."""
    return int(re.search(r"Incident (\d+):", room.fake.messages(room.id)[-1]["text"])[1])


def test_an_update_reaches_both_channels_with_the_next_update_time(fake, declare):
    room = declare("sev2 output Search ranks spam first")
    before = datetime.now(UTC)
    reply = room.run("update Rolled back ranking model to v12; watching click-through", user=BOB)
    after = datetime.now(UTC)
    assert reply.startswith("Update posted to the war room and the stakeholders. The next update is due at ")
    posted = fake.wait_for(lambda: in_room(fake, room, "Rolled back ranking model"))
    text = posted[-1]["text"]
    assert "SEV2" in text and "Investigating" in text and f"<@{ALICE}>" in text
    allowed = {f"{(moment + timedelta(seconds=12)):%H:%M} UTC" for moment in (before, after)}
    assert any(f"Next update at {hhmm}" in text for hhmm in allowed), text
    number = incident_number(room)
    broadcast = fake.wait_for(lambda: [m for m in fake.messages(fake.stakeholders)
                                       if f"Incident {number}:" in m["text"] and "Rolled back" in m["text"]])
    assert broadcast[-1]["text"] == text
    assert room.timeline()[-1].endswith(f"*update* <@{BOB}>: Rolled back ranking model to v12; watching click-through")


def test_the_captain_is_prompted_before_the_update_is_due_and_silence_is_reported(fake, declare):
    room = declare("sev1 action Agent books flights twice")
    room.run("update Agent paused; refunds being checked")
    number = incident_number(room)
    prompt = fake.wait_for(lambda: in_room(fake, room, "stakeholders are owed an update"), timeout=15)[0]
    assert f"<@{ALICE}>" in prompt["text"]
    buttons = [e["action_id"] for b in prompt["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["board_update", "board_snooze"]
    silence = fake.wait_for(lambda: [m for m in fake.messages(fake.stakeholders)
                                     if f"Incident {number}:" in m["text"] and "No new information" in m["text"]],
                            timeout=15)[0]
    assert re.search(r"No new information since \d\d:\d\d UTC; next update at \d\d:\d\d UTC", silence["text"])
    reminder = fake.wait_for(lambda: in_room(fake, room, "no update came by"))[0]
    assert f"<@{ALICE}>" in reminder["text"]
    order = [m["ts"] for m in (prompt, reminder)]
    assert order == sorted(order)


def test_missed_updates_escalate_to_the_comms_and_scribe_holders(fake, declare):
    room = declare("sev1 output Voice bot swears at callers")
    room.run(f"role comms <@{BOB}>")
    room.run(f"role scribe <@{CAROL}>")
    escalated = fake.wait_for(lambda: in_room(fake, room, "missed updates in a row"), timeout=25)[0]
    assert f"<@{BOB}> <@{CAROL}>: that is 2 missed updates in a row" in escalated["text"]
    assert len(in_room(fake, room, "no update came by")) == 2


def test_a_severity_change_reschedules_at_once_and_resolve_stops_the_cadence(fake, declare):
    room = declare("sev3 cost Embedding job re-embeds the corpus nightly")
    time.sleep(1)
    assert not in_room(fake, room, "owed an update")  # hourly: nothing yet
    room.run("sev 1 it is burning the monthly budget", user=BOB)
    fake.wait_for(lambda: in_room(fake, room, "owed an update"), timeout=10)
    room.run("resolve job killed, budget alert added --waive-notice internal cost only")
    settled = len(fake.messages(room.id))
    time.sleep(5)
    assert not [m for m in fake.messages(room.id)[settled:] if "update" in m["text"]]


def test_reopening_restarts_the_cadence(fake, declare):
    room = declare("sev2 output Autocomplete suggests competitor names")
    room.run("resolve renamed the blocklist")
    quiet = len(fake.messages(room.id))
    room.run("status investigating")
    room.run("sev 1")
    fake.wait_for(lambda: [m for m in fake.messages(room.id)[quiet:] if "owed an update" in m["text"]], timeout=10)


def test_the_update_button_opens_a_modal_that_posts_the_update_and_the_status(fake, bot, declare):
    room = declare("sev2 data Support macros paste other customers' emails")
    prompt = fake.wait_for(lambda: in_room(fake, room, "owed an update"), timeout=15)[0]
    incident_id = next(e["value"] for b in prompt["blocks"] if b["type"] == "actions" for e in b["elements"])
    views = len(fake.views)
    bot.interact({
        "type": "block_actions", "team": {"id": "T0FIRE"}, "user": {"id": ALICE}, "api_app_id": "A0FIRE",
        "trigger_id": "9.T0FIRE.trigger", "channel": {"id": room.id}, "container": {"type": "message"},
        "message": {"ts": prompt["ts"]}, "response_url": fake.new_response_url(),
        "actions": [{"type": "button", "action_id": "board_update", "value": incident_id, "block_id": "b"}],
    })
    modal = fake.wait_for(lambda: fake.views[views:])[0]["view"]
    assert modal["callback_id"] == "status_update"
    values = {
        "status": {"value": {"type": "static_select", "selected_option": {"value": "contained"}}},
        "impact": {"value": {"type": "plain_text_input", "value": "Macros disabled for all agents"}},
        "doing": {"value": {"type": "plain_text_input", "value": "Auditing sent tickets"}},
        "next": {"value": {"type": "plain_text_input", "value": None}},
    }
    assert bot.interact(view_submission(user_id=ALICE, view=modal, values=values)).body == ""
    update = fake.wait_for(lambda: in_room(fake, room, "Macros disabled for all agents"))[-1]["text"]
    assert "Impact: Macros disabled for all agents" in update and "What we are doing: Auditing sent tickets" in update
    assert fake.wait_for(lambda: room.channel.topic.endswith("· contained"))
    # The stakeholder post goes out beside the war-room post, not after it: wait for it too.
    private = fake.wait_for(lambda: [m for m in fake.messages(fake.stakeholders) if "Macros disabled" in m["text"]])
    assert all("customers' emails" not in m["text"] for m in private)


def test_snooze_asks_again_after_the_snooze_and_before_the_update_is_due(fake, bot, declare):
    room = declare("sev2 output Bot recommends the wrong plan")
    prompt = fake.wait_for(lambda: in_room(fake, room, "owed an update"), timeout=15)[0]
    incident_id = next(e["value"] for b in prompt["blocks"] if b["type"] == "actions" for e in b["elements"])
    bot.interact({
        "type": "block_actions", "team": {"id": "T0FIRE"}, "user": {"id": ALICE}, "api_app_id": "A0FIRE",
        "trigger_id": "10.T0FIRE.trigger", "channel": {"id": room.id}, "container": {"type": "message"},
        "message": {"ts": prompt["ts"]}, "response_url": fake.new_response_url(),
        "actions": [{"type": "button", "action_id": "board_snooze", "value": incident_id, "block_id": "b"}],
    })
    told = fake.wait_for(lambda: [e for e in fake.ephemerals(channel=room.id, user=ALICE) if "Snoozed" in e["text"]])
    assert re.match(r"Snoozed: I'll ask again at \d\d:\d\d UTC\.", told[-1]["text"])
    again = fake.wait_for(lambda: in_room(fake, room, "owed an update")[1:], timeout=10)[0]
    due = re.search(r"owed an update at \*(\d\d:\d\d) UTC", prompt["text"])[1]
    assert f"at *{due} UTC*" in again["text"]  # the same update, asked for again
    assert not in_room(fake, room, "no update came by")  # and asked before it was due


def test_the_first_hour_checklist_lists_what_the_timeline_does_not_show_yet(fake, declare):
    room = declare("sev3 gate Release shipped over a failing toxicity eval")
    checklist = fake.wait_for(lambda: in_room(fake, room, "Still open from the first hour"), timeout=10)[0]["text"]
    assert "3s in" in checklist
    assert "Classify" not in checklist  # the class was given, so it is done
    assert "Contain:" in checklist and "Preserve evidence" in checklist and "Stabilize and communicate" in checklist
