"""When the workspace fights back: Firehouse removed from the stakeholder channel (public: it joins again; private:
updates wait and people are told once), a war room archived by a person or found archived by a refused post, the
"Open a new war room" button, and a restart while a destination waits for a person. The real `firehouse serve`
against the fake Slack, with Slack's events sent as signed Events API requests."""

from __future__ import annotations

import collections
import json
import re
import time

import pytest
from botprocess import BotProcess

from warroom import ADMINS, ALICE, BOB, CAROL, Room

# Slack's user ids are nine or more characters, and the config checks that
ADMIN, DAVE = "UADMIN0001", "UDAVE00001"
CONFIG = """stakeholder_channel = "{stakeholders}"
channel_prefix = "inc"
admins = ["{admin}"]

[cadence]
sev1 = "4s"
sev2 = "1h"
sev3 = "1h"

[status_board]
first_hour = ["1h"]

[[routing]]
name = "responders"
match = {{ severity = ["sev1"] }}
invite = ["{responders}", "{dave}"]
"""
STAKEHOLDERS_LOST = ":warning: Stakeholders are not hearing from Firehouse"
LOST_ROOM = "war room"


# --- the bot ------------------------------------------------------------------------------------------------


def bot_in(fake, workdir, stakeholders: str) -> BotProcess:
    """A bot on the database in `workdir`, posting to `stakeholders`; `with` starts and stops it."""
    fake.add_user(ADMIN, "admin")
    fake.add_user(DAVE, "dave")
    return BotProcess(fake=fake, workdir=workdir, config=CONFIG.format(
        stakeholders=stakeholders, admin=ADMIN, responders=ADMINS, dave=DAVE))


# --- what people see ----------------------------------------------------------------------------------------


def declare(fake, bot: BotProcess, title: str, *, user: str = ALICE) -> Room:
    url = fake.new_response_url()
    assert bot.command(f"declare {title}", user=user, channel=fake.general, response_url=url).status == 200
    channel = fake.wait_for(lambda: fake.responses(url))[0]["text"].split("<#")[1].split(">")[0]
    fake.wait_for(lambda: fake.messages(channel))
    return Room(fake, bot, channel)


def number_of(bot: BotProcess, room: Room) -> int:
    (found,) = bot.rows("SELECT id FROM incident WHERE channel_id = ?", room.id)
    return found["id"]


def texts(fake, channel: str, *words: str) -> list[str]:
    return [m["text"] for m in fake.messages(channel) if all(w in m["text"] for w in words)]


def reminders(fake, channel: str) -> list[dict]:
    return [m for m in fake.messages(channel) if "no update came by" in m["text"]]


def board_posts(fake, channel: str) -> list[dict]:
    """The board's prompts and reminders in a war room."""
    return [m for m in fake.messages(channel)
            if "no update came by" in m["text"] or "stakeholders are owed an update" in m["text"]]


def silences(fake, stakeholders: str, number: int) -> list[str]:
    return texts(fake, stakeholders, f"Incident {number}:", "No new information")


def key_of(message: dict) -> str | None:
    return ((message.get("metadata") or {}).get("event_payload") or {}).get("outbox_key")


def keys(fake, channel: str) -> list[str]:
    """The outbox keys of the posts in `channel`, in order."""
    return [k for m in fake.messages(channel) if (k := key_of(m))]


def told(fake, user: str, channel: str) -> list[dict]:
    """The direct messages `user` got that name `channel`."""
    return [m for m in fake.dms(user) if f"<#{channel}>" in m["text"]]


def button_value(message: dict) -> str:
    (value,) = [e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == "war_room_open_new"]
    return value


def press_in_dm(bot: BotProcess, fake, user: str, value: str) -> None:
    """`user` presses "Open a new war room" in the direct message Firehouse sent them (the fake keys a person's DM
    with the bot by their user id)."""
    reply = bot.interact({
        "type": "block_actions", "team": {"id": "T0FIRE"}, "user": {"id": user}, "api_app_id": "A0FIRE",
        "trigger_id": "9.T0FIRE.trigger", "channel": {"id": user}, "container": {"type": "message"},
        "response_url": fake.new_response_url(),
        "actions": [{"type": "button", "action_id": "war_room_open_new", "value": value, "block_id": "b"}],
    })
    assert reply.status == 200, reply


def replies(fake, user: str, *words: str) -> list[str]:
    """What Firehouse told `user` privately in their DM with it."""
    return [e["text"] for e in fake.ephemerals(channel=user, user=user) if all(w in e["text"] for w in words)]


def channels_made(fake) -> int:
    return len([c for c in fake.calls("conversations.create") if c.error is None])


def owed(bot: BotProcess, channel: str) -> list[str]:
    """The outbox keys still owed to `channel`, oldest first."""
    return [r["key"] for r in bot.rows("SELECT key FROM outbox WHERE channel = ? AND sent_at IS NULL AND given_up_at"
                                       " IS NULL ORDER BY id", channel)]


# --- the stakeholder channel --------------------------------------------------------------------------------


def test_removed_from_the_public_stakeholder_channel_firehouse_joins_once_and_nothing_is_lost(fake, tmp_path):
    stakeholders = fake.add_channel("fights-back-public", members=[CAROL])
    with bot_in(fake, tmp_path, stakeholders) as bot:
        room = declare(fake, bot, "sev1 output Assistant recommends a competitor")
        number = number_of(bot, room)
        fake.wait_for(lambda: silences(fake, stakeholders, number), timeout=10)  # the board is in its rhythm

        fake.kick(stakeholders)
        assert room.run("update Recommendation filter deployed; watching answers").startswith("Update posted")
        fake.wait_for(lambda: texts(fake, stakeholders, "Recommendation filter deployed"))
        heard = len(silences(fake, stakeholders, number))
        fake.wait_for(lambda: len(silences(fake, stakeholders, number)) > heard, timeout=12)  # the board too

        assert room.run("resolve filter holds --waive-notice internal recommendations only")
        fake.wait_for(lambda: texts(fake, stakeholders, f"Incident {number}", "resolved")
                      or texts(fake, stakeholders, "Assistant recommends a competitor", "resolved"))
        fake.wait_for(lambda: bot.metric("firehouse_outbox_depth") == 0, timeout=15)

        assert len(fake.calls_to(stakeholders, "conversations.join")) == 1
        assert fake.bot_user_id in fake.channels[stakeholders].members
        (update,) = [m for m in fake.messages(stakeholders) if "Recommendation filter deployed" in m["text"]]
        posted = keys(fake, stakeholders)
        assert posted.count(key_of(update)) == 1
        assert len(posted) == len(set(posted)), "a post reached the stakeholders twice"
        assert len(texts(fake, room.id, "Recommendation filter deployed")) == 1
        assert bot.rows("SELECT channel FROM blocked_destination") == []
        assert bot.log_lines("ERROR") == []
        assert texts(fake, room.id, STAKEHOLDERS_LOST) == [] and told(fake, ADMIN, stakeholders) == []


def test_a_private_stakeholder_channel_without_firehouse_holds_the_updates_and_people_are_told_once(fake, tmp_path):
    stakeholders = fake.add_channel("fights-back-private", is_private=True, members=[CAROL, ADMIN])
    with bot_in(fake, tmp_path, stakeholders) as bot:
        loud = declare(fake, bot, "sev1 output Voice agent reads out card numbers")
        calm = declare(fake, bot, "sev2 output Voice agent mispronounces names")
        fake.wait_for(lambda: texts(fake, stakeholders, f"<#{calm.id}>"))

        fake.kick(stakeholders)
        before = len(fake.calls_to(stakeholders))
        assert loud.run("update First: card readout disabled").startswith("Update posted")
        fake.wait_for(lambda: texts(fake, loud.id, STAKEHOLDERS_LOST) and texts(fake, calm.id, STAKEHOLDERS_LOST)
                      and told(fake, ADMIN, stakeholders), timeout=10)
        assert calm.run("update Second: names list refreshed").startswith("Update posted")
        assert loud.run("update Third: transcripts purged").startswith("Update posted")
        time.sleep(12)  # three cycles of the SEV1 cadence, each owing the stakeholders "no new information"

        tried = fake.calls_to(stakeholders)[before:]
        assert len([c for c in tried if c.method == "chat.postMessage"]) <= 2, [(c.method, c.error) for c in tried]
        assert len(tried) <= 3, [(c.method, c.error) for c in tried]
        for room in (loud, calm):
            (warning,) = texts(fake, room.id, STAKEHOLDERS_LOST)
            assert f"<#{stakeholders}> cannot be found by Firehouse" in warning
        (dm,) = told(fake, ADMIN, stakeholders)
        assert dm["text"].startswith(STAKEHOLDERS_LOST)
        (error,) = bot.log_lines("ERROR", stakeholders)
        assert "until a person acts (channel_not_found)" in error
        warnings = [line.split(" WARNING ", 1)[1] for line in bot.log_lines("WARNING")]
        assert not [w for w, n in collections.Counter(warnings).items() if n > 1], warnings

        status, body = bot.get("/readyz")
        assert status == 200, body
        assert json.loads(body)["unpostable"] == {
            stakeholders: "channel_not_found (the stakeholder channel: stakeholders hear nothing)"}
        assert bot.metric("firehouse_slack_destinations_unpostable", reason="channel_not_found") == 1
        assert texts(fake, stakeholders, "First:") == []

        assert bot.event(fake.invite_bot(stakeholders, by=CAROL)).status == 200
        fake.wait_for(lambda: texts(fake, stakeholders, "Third:"), timeout=10)
        updates = [m["text"] for m in fake.messages(stakeholders)
                   if any(w in m["text"] for w in ("First:", "Second:", "Third:"))]
        assert [re.search(r"(First|Second|Third):", t)[1] for t in updates] == ["First", "Second", "Third"]
        posted = keys(fake, stakeholders)
        assert len(posted) == len(set(posted))
        assert len(told(fake, ADMIN, stakeholders)) == 1
        # while they waited, each "no new information" gave up the one before it; nothing else was given up
        superseded = bot.rows("SELECT kind FROM outbox WHERE channel = ? AND superseded_by IS NOT NULL",
                              stakeholders)
        assert len(superseded) >= 2 and {r["kind"] for r in superseded} == {"silence"}, superseded
        assert bot.rows("SELECT kind, error FROM outbox WHERE given_up_at IS NOT NULL AND superseded_by IS NULL"
                        ) == []
        for room in (loud, calm):  # Firehouse's own words link the channel (`<#C…>`), not shown escaped as text
            timeline = room.timeline()
            assert len([line for line in timeline if f"The stakeholder channel <#{stakeholders}>" in line]) == 1, \
                timeline
        assert bot.rows("SELECT channel FROM blocked_destination") == []


def test_a_restart_tries_the_stakeholder_channel_again_and_tells_nobody_twice(fake, tmp_path):
    stakeholders = fake.add_channel("fights-back-restart", is_private=True, members=[CAROL, ADMIN])
    with bot_in(fake, tmp_path, stakeholders) as first:
        room = declare(fake, first, "sev2 output Translator swaps yes and no")
        fake.wait_for(lambda: texts(fake, stakeholders, f"<#{room.id}>"))
        fake.kick(stakeholders)
        room.run("update Before: translations paused")
        fake.wait_for(lambda: told(fake, ADMIN, stakeholders) and texts(fake, room.id, STAKEHOLDERS_LOST))
        room.run("update After: glossary fixed")
        fake.wait_for(lambda: texts(fake, room.id, "After: glossary fixed"))
        assert first.rows("SELECT reason FROM blocked_destination WHERE channel = ?", stakeholders) == [
            {"reason": "channel_not_found"}]
        first.kill()

    fake.invite_bot(stakeholders, by=CAROL)  # a person lets Firehouse back in while it is down: no event reaches it
    with bot_in(fake, tmp_path, stakeholders) as second:
        fake.wait_for(lambda: texts(fake, stakeholders, "After: glossary fixed"), timeout=15)
        time.sleep(1.5)  # anything doubled would follow on the heels of the first
        updates = [m["text"] for m in fake.messages(stakeholders) if "Before:" in m["text"] or "After:" in m["text"]]
        assert [re.search(r"(Before|After):", t)[1] for t in updates] == ["Before", "After"]
        assert len(told(fake, ADMIN, stakeholders)) == 1
        assert len(texts(fake, room.id, STAKEHOLDERS_LOST)) == 1
        assert second.rows("SELECT channel FROM blocked_destination") == []
        assert len(second.log_lines("ERROR", stakeholders)) == 1  # both runs log to the same file


# --- war rooms ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rooms(fake, tmp_path_factory):
    """One bot for the war-room tests; its stakeholder channel is `rooms.stakeholders`."""
    stakeholders = fake.add_channel("fights-back-rooms", members=[CAROL])
    with bot_in(fake, tmp_path_factory.mktemp("firehouse"), stakeholders) as bot:
        bot.stakeholders = stakeholders
        yield bot


def room_warnings(fake, stakeholders: str, name: str) -> list[str]:
    return [t for t in texts(fake, stakeholders, name) if t.startswith(":warning:")]


def test_a_war_room_archived_by_a_person_tells_the_captain_and_admins_once_and_the_other_keeps_its_rhythm(
        fake, rooms):
    archived = declare(fake, rooms, "sev1 output Chatbot leaks discount codes")
    other = declare(fake, rooms, "sev1 output Chatbot quotes expired prices")
    number, other_number = number_of(rooms, archived), number_of(rooms, other)
    fake.wait_for(lambda: reminders(fake, archived.id) and reminders(fake, other.id), timeout=10)

    calls_before = len(fake.calls_to(archived.id))
    assert rooms.event(fake.archive(archived.id, by=DAVE)).status == 200
    fake.wait_for(lambda: told(fake, ALICE, archived.id) and told(fake, ADMIN, archived.id)
                  and room_warnings(fake, rooms.stakeholders, f"<#{archived.id}>"), timeout=10)
    heard, reminded = len(silences(fake, rooms.stakeholders, other_number)), len(reminders(fake, other.id))
    time.sleep(16)  # four cycles of the SEV1 cadence

    later = fake.calls_to(archived.id)[calls_before:]
    assert len([c for c in later if c.method in ("chat.postMessage", "conversations.history")]) <= 2, \
        [(c.method, c.error) for c in later]
    assert len(reminders(fake, other.id)) >= reminded + 3, "the other war room lost its rhythm"
    assert len(silences(fake, rooms.stakeholders, other_number)) >= heard + 3, "stakeholders stopped hearing"
    for person in (ALICE, ADMIN):
        (dm,) = told(fake, person, archived.id)
        assert f"<#{archived.id}> of incident #{number}, *Chatbot leaks discount codes* was archived by <@{DAVE}>" \
            in dm["text"]
        assert button_value(dm) == f"{number}:{archived.id}"
    (warning,) = room_warnings(fake, rooms.stakeholders, f"<#{archived.id}>")
    assert warning == (f":warning: *Chatbot leaks discount codes* (<#{archived.id}>): its war room was archived;"
                       " the fire captain was asked to open a new one. Updates here carry on.")
    assert rooms.rows("SELECT text FROM timeline_entry WHERE incident_id = ? AND kind = 'war room'", number) == [
        {"text": f"The war room <#{archived.id}> was archived by <@{DAVE}>: posts owed there wait; the captain and"
                 " admins were asked to unarchive it or open a new war room"}]
    (blocked,) = rooms.rows("SELECT reason, told_at FROM blocked_destination WHERE channel = ?", archived.id)
    assert blocked["reason"] == "is_archived" and blocked["told_at"]
    assert told(fake, ALICE, other.id) == [] and told(fake, ADMIN, other.id) == []


def test_a_war_room_found_archived_by_a_refused_post_is_told_once_and_an_admin_opens_a_private_one(fake, rooms):
    room = declare(fake, rooms, "sev1 data Assistant shows one tenant another's tickets")
    assert room.channel.is_private
    number = number_of(rooms, room)
    fake.wait_for(lambda: board_posts(fake, room.id), timeout=10)

    fake.archive(room.id, by=ALICE)  # a private channel: Slack's group_archive never reaches Firehouse here
    fake.wait_for(lambda: told(fake, ALICE, room.id) and told(fake, ADMIN, room.id), timeout=10)
    (dm,) = told(fake, ADMIN, room.id)
    assert f"The war room <#{room.id}> of private incident #{number} was archived." in dm["text"]
    assert "tickets" not in dm["text"]
    stakeholders_hear = room_warnings(fake, rooms.stakeholders, f"Private incident #{number}:")
    assert stakeholders_hear == [f":warning: Private incident #{number}: its war room was archived; the fire captain"
                                 " was asked to open a new one. Updates here carry on."]

    old = fake.channels[room.id]
    press_in_dm(rooms, fake, ADMIN, button_value(dm))
    opened = fake.wait_for(lambda: replies(fake, ADMIN, "Opened <#"), timeout=10)[0]
    new_id = re.search(r"Opened <#(\w+)>", opened)[1]
    new = fake.channels[new_id]
    assert new.is_private and new.name == f"{old.name}-2"
    assert old.members <= new.members and ADMIN in new.members
    assert len(told(fake, ALICE, room.id)) == 1 and len(told(fake, ADMIN, room.id)) == 1
    assert len(room_warnings(fake, rooms.stakeholders, f"Private incident #{number}:")) == 1
    refused = [c for c in fake.calls_to(room.id, "chat.postMessage") if c.error]
    assert [c.error for c in refused] == ["is_archived"]  # one refusal found it out; nothing was tried there again


def test_open_a_new_war_room_carries_the_incident_its_owed_posts_and_its_rhythm_there(fake, rooms):
    room = declare(fake, rooms, "sev1 output Chatbot promises free upgrades")
    number = number_of(rooms, room)
    fake.wait_for(lambda: reminders(fake, room.id), timeout=10)
    assert rooms.event(fake.archive(room.id, by=CAROL)).status == 200
    (dm,) = fake.wait_for(lambda: told(fake, ALICE, room.id), timeout=10)
    value = button_value(dm)
    fake.wait_for(lambda: owed(rooms, room.id), timeout=10)  # the board owes the archived room its next post
    old = fake.channels[room.id]
    assert {ALICE, CAROL, DAVE} <= old.members
    created = channels_made(fake)

    press_in_dm(rooms, fake, BOB, value)
    refusal = fake.wait_for(lambda: replies(fake, BOB, "Only"), timeout=10)[0]
    assert refusal == (f"Only the fire captain (<@{ALICE}>) or a Firehouse admin may open a new war room in place of"
                       " an archived one.")
    assert channels_made(fake) == created

    waiting = owed(rooms, room.id)
    press_in_dm(rooms, fake, ALICE, value)
    opened = fake.wait_for(lambda: replies(fake, ALICE, "Opened <#"), timeout=10)[0]
    new_id = re.search(r"Opened <#(\w+)>", opened)[1]
    assert f"incident #{number} carries on there" in opened
    new = fake.channels[new_id]
    assert new.name == f"{old.name}-2" and not new.is_private
    assert old.members <= new.members
    assert new.topic == old.topic and new.topic.startswith("SEV1 · output · Fire captain: ")
    (door,) = fake.wait_for(lambda: texts(fake, new_id, ":door:"))
    assert door.startswith(f":door: <@{ALICE}> opened this war room in place of the archived <#{room.id}>")
    assert len([t for t in texts(fake, rooms.stakeholders, ":door:") if f"<#{new_id}>" in t]) == 1

    # each post owed to the archived room arrives once, in the new room, unless a later one of its kind said it
    given_up = {r["key"] for r in rooms.rows("SELECT key, given_up_at FROM outbox") if r["given_up_at"]}
    expected = [k for k in waiting if k not in given_up]
    assert expected, "every post owed to the archived room was given up"
    fake.wait_for(lambda: set(expected) <= set(keys(fake, new_id)), timeout=10)
    for key in waiting:
        assert keys(fake, new_id).count(key) == (0 if key in given_up else 1), key
        assert key not in keys(fake, room.id)
    # the board carries on in the new room
    fake.wait_for(lambda: [m for m in board_posts(fake, new_id) if key_of(m) not in waiting], timeout=10)

    new_room = Room(fake, rooms, new_id)
    assert new_room.run("update Upgrade promises withdrawn").startswith("Update posted")
    fake.wait_for(lambda: texts(fake, new_id, "Upgrade promises withdrawn"))

    press_in_dm(rooms, fake, ALICE, value)
    again = fake.wait_for(lambda: replies(fake, ALICE, f"carries on in <#{new_id}> already"), timeout=10)
    assert len(again) == 1
    assert channels_made(fake) == created + 1
    assert fake.channel_named(f"{old.name}-3") is None
    assert len(told(fake, ALICE, room.id)) == 1 and len(told(fake, ADMIN, room.id)) == 1

    timeline = new_room.timeline()
    # Firehouse's own words about channels: their links work (`<#C…>`), they are not shown escaped as text
    assert [line for line in timeline if f"Opened the war room <#{new_id}> in place of the archived <#{room.id}>"
            in line], timeline
    assert [line for line in timeline if f"The war room <#{room.id}> was archived by <@{CAROL}>" in line], timeline
