"""When Slack fights back: an outage, a revoked token or deactivated bot, a message Slack will never take, a few
server errors. Posts wait and catch up once per kind, a person's update is never lost or reordered, what Slack
refuses for good is given up without holding up the rest, and the log says each thing once."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from botprocess import BotProcess

from warroom import ALICE, Room

CONFIG = """stakeholder_channel = "{stakeholders}"
[cadence]
sev1 = "3s"
sev2 = "1h"
sev3 = "1h"
[status_board]
first_hour = ["1h"]
"""
BOARD_KINDS = ("prompt", "reminder", "silence")
# which kinds of a later post give up an unsent earlier one (the behaviour's coalescing table, read backwards)
SUPERSEDED_BY = {"prompt": {"prompt", "reminder", "update"}, "reminder": {"reminder", "update"},
                 "silence": {"silence", "update"}}


# --- the bot, its database and its endpoints -------------------------------------------------------------


def bot_in(fake, workdir) -> BotProcess:
    """A bot on the database in `workdir`; `with` starts it and stops it."""
    return BotProcess(fake=fake, workdir=workdir, config=CONFIG.format(stakeholders=fake.stakeholders))


def declare(fake, bot, title: str) -> Room:
    url = fake.new_response_url()
    assert bot.command(f"declare {title}", user=ALICE, channel=fake.general, response_url=url).status == 200
    channel = fake.wait_for(lambda: fake.responses(url))[0]["text"].split("<#")[1].split(">")[0]
    fake.wait_for(lambda: fake.messages(channel))
    return Room(fake, bot, channel)


def outbox(bot: BotProcess, where: str = "1 = 1", *args) -> list[dict]:
    return bot.rows("SELECT id, key, incident_id, kind, channel, text, due_at, sent_at, ts, attempts, error,"
                      f" given_up_at, superseded_by FROM outbox WHERE {where} ORDER BY id", *args)


def last_outbox_id(bot: BotProcess) -> int:
    return bot.rows("SELECT COALESCE(MAX(id), 0) AS last FROM outbox")[0]["last"]


def incident_of(bot: BotProcess, room: Room) -> int:
    return bot.rows("SELECT id FROM incident WHERE channel_id = ?", room.id)[0]["id"]


def settled(bot: BotProcess, ids) -> bool:
    """Whether every outbox row of `ids` is written down as sent or given up."""
    ids = set(ids)
    return all(r["sent_at"] or r["given_up_at"] for r in outbox(bot) if r["id"] in ids)


def utcnow() -> datetime:
    """Now, as the bot's SQLite database writes a moment: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def delivered(rows: list[dict], row_id: int) -> dict | None:
    """The row that says what row `row_id` had to say, once Slack took it: the row itself, or the later row that
    superseded it (and so on); None while that one is still owed, or if it was given up for another reason."""
    by_id = {r["id"]: r for r in rows}
    row = by_id[row_id]
    while row["superseded_by"] is not None:
        row = by_id[row["superseded_by"]]
    return row if row["sent_at"] else None


# --- what Slack shows ------------------------------------------------------------------------------------


def keyed(fake, channel: str) -> list[tuple[str, dict]]:
    """(outbox key, message) of every Firehouse post in `channel`, in Slack's order (by ts)."""
    found = [(m["metadata"]["event_payload"]["outbox_key"], m) for m in fake.messages(channel)
             if (m.get("metadata") or {}).get("event_payload", {}).get("outbox_key")]
    return sorted(found, key=lambda pair: float(pair[1]["ts"]))


def said(fake, channel: str, words: str) -> list[dict]:
    return [m for m in fake.messages(channel) if words in m["text"]]


def silences(fake, title: str) -> list[dict]:
    return [m for m in fake.messages(fake.stakeholders) if "No new information" in m["text"] and title in m["text"]]


def posted_once(fake, rows: list[dict]) -> None:
    """Each sent row of `rows` is in Slack exactly once; no unsent one is there at all."""
    for row in rows:
        keys = [key for key, _ in keyed(fake, row["channel"])]
        assert keys.count(row["key"]) == (1 if row["sent_at"] else 0), row


def update_in_place(fake, rows: list[dict], text: str, *, channels: set[str]) -> None:
    """A person's update (`text`) was recorded for `channels`: it is in each once, was never superseded, and
    stands in each channel's order (by ts) where it was recorded: after every Firehouse post recorded before it,
    before every one recorded after it."""
    updates = [r for r in rows if r["kind"] == "update" and text in r["text"]]
    assert {r["channel"] for r in updates} == channels, updates
    by_key = {r["key"]: r for r in rows}
    for update in updates:
        assert update["sent_at"] and not update["given_up_at"] and update["superseded_by"] is None, update
        assert len(said(fake, update["channel"], text)) == 1
        order = [by_key[k]["id"] for k, _ in keyed(fake, update["channel"]) if k in by_key]
        at = order.index(update["id"])
        kinds = {r["id"]: r["kind"] for r in rows}
        assert all(i < update["id"] for i in order[:at]) and all(i > update["id"] for i in order[at + 1:]), \
            f"the update (outbox {update['id']}) is out of order in {update['channel']} (outbox ids by ts): " \
            + ", ".join(f"{i} {kinds[i]}" for i in order)


# --- 1. the outage ---------------------------------------------------------------------------------------

TITLES = ("Ranker hides every result", "Translator swaps the languages")
UPDATE = "Ranker rolled back; results are back for most people"


def test_after_an_outage_each_incident_catches_up_once_per_kind_and_a_persons_update_arrives_once(fake, tmp_path):
    with bot_in(fake, tmp_path) as bot:
        rooms = [declare(fake, bot, f"sev1 output {title}") for title in TITLES]
        fake.wait_for(lambda: all(silences(fake, title) for title in TITLES), timeout=15)  # the rhythm runs
        incidents = {incident_of(bot, room): room for room in rooms}
        before = last_outbox_id(bot)
        with fake.outage(503):
            time.sleep(3)
            reply = bot.command(f"update {UPDATE}", user=ALICE, channel=rooms[0].id)
            assert reply.status == 200, reply  # the ack never waits on Slack
            time.sleep(11)  # cycles of the board with nobody hearing
            during = last_outbox_id(bot)
            back_wall, back_mono = utcnow(), time.monotonic()
        back = len(fake.messages(fake.stakeholders))

        # The person's update arrives, in the war room and to stakeholders, and so does each incident's catch-up
        # "no new information".
        fake.wait_for(lambda: said(fake, rooms[0].id, UPDATE) and said(fake, fake.stakeholders, UPDATE), timeout=45)
        fake.wait_for(lambda: all(any(title in m["text"] and "No new information" in m["text"]
                                      for m in fake.messages(fake.stakeholders)[back:]) for title in TITLES),
                      timeout=20)
        # The catch-up: every post owed when Slack first took one again (due before that moment). They were all
        # waiting together, so each incident says each kind once: at most one of each is sent, the newest.
        first = next(c for c in fake.calls("chat.postMessage") if c.at >= back_mono and c.status == 200 and not c.error)
        first_back = back_wall + timedelta(seconds=first.ended - back_mono)
        fake.wait_for(lambda: settled(bot, [r["id"] for r in outbox(bot) if r["id"] > before
                                            and datetime.fromisoformat(r["due_at"]) < first_back]), timeout=15)
        rows = outbox(bot)
        by_id = {r["id"]: r for r in rows}
        catch_up = [r for r in rows if r["id"] > before and datetime.fromisoformat(r["due_at"]) < first_back]
        recorded = [r for r in rows if before < r["id"] <= during]  # recorded while Slack was down
        assert {r["kind"] for r in recorded} >= set(BOARD_KINDS), recorded
        for incident in incidents:
            for kind in BOARD_KINDS:
                owed = [r for r in catch_up if r["incident_id"] == incident and r["kind"] == kind]
                sent = [r for r in owed if r["sent_at"]]
                assert len(sent) <= 1, f"incident {incident} caught up with {len(sent)} {kind} posts: {sent}"
                assert not sent or sent[0]["id"] == owed[-1]["id"], f"a stale {kind} went out: {sent} of {owed}"
        # What was recorded during the outage and not sent was superseded by a later post of the same incident and
        # channel, of a kind that says it again.
        for row in recorded:
            if row["sent_at"]:
                continue
            assert row["given_up_at"] and row["error"].startswith("superseded"), row
            later = by_id.get(row["superseded_by"])
            assert later and later["id"] > row["id"], row
            assert (later["incident_id"], later["channel"]) == (row["incident_id"], row["channel"]), (row, later)
            assert later["kind"] in SUPERSEDED_BY[row["kind"]], (row, later)
        posted_once(fake, recorded + catch_up)
        # In Slack too: per incident, the catch-up tells stakeholders "no new information" at most once, so never
        # two different next-update times.
        caught_up_keys = {r["key"] for r in catch_up}
        for title in TITLES:
            said_twice = [m["text"] for key, m in keyed(fake, fake.stakeholders)
                          if key in caught_up_keys and title in m["text"] and "No new information" in m["text"]]
            assert len(said_twice) <= 1, said_twice

        update_in_place(fake, rows, UPDATE, channels={rooms[0].id, fake.stakeholders})

        # One WARNING for the outage, one INFO when it ended: not one per post or per sweep.
        assert len(bot.log_lines("WARNING", "Slack is not taking posts")) == 1, bot.log()
        assert len(bot.log_lines("INFO", "Slack takes posts again")) == 1, bot.log()


def test_a_persons_update_sent_as_slack_comes_back_keeps_its_place_in_each_channel(fake, tmp_path):
    """Slack comes back while slack_sdk is still trying the update again (its retries wait about 0.5, 1, 2 and 4 s
    plus up to 1 s each): the board's posts made meanwhile must not overtake it."""
    titles = ("Moderator mutes the support team", "Router sends refunds to sales")
    text = "Muting rule reverted; support can post again"
    with bot_in(fake, tmp_path) as bot:
        rooms = [declare(fake, bot, f"sev1 output {title}") for title in titles]
        fake.wait_for(lambda: all(silences(fake, title) for title in titles), timeout=15)
        with fake.outage(503):
            assert bot.command(f"update {text}", user=ALICE, channel=rooms[0].id).status == 200
            time.sleep(7)  # after its third retry, before its fourth
        fake.wait_for(lambda: said(fake, rooms[0].id, text) and said(fake, fake.stakeholders, text), timeout=30)
        mine = [r["id"] for r in outbox(bot, "kind = 'update'")]
        fake.wait_for(lambda: settled(bot, range(1, max(mine) + 1)), timeout=15)
        update_in_place(fake, outbox(bot), text, channels={rooms[0].id, fake.stakeholders})


# --- 2 and 3. the bot's token revoked, the bot deactivated ------------------------------------------------


@pytest.mark.parametrize(("cut", "mend", "reason"), [
    ("revoke_token", "restore_token", "token_revoked"),
    ("deactivate_bot", "reactivate_bot", "account_inactive"),
])
def test_a_bot_wide_refusal_holds_every_post_until_a_restart_after_the_fix(fake, tmp_path, cut, mend, reason):
    title = f"Classifier flags every ticket {reason}"
    with bot_in(fake, tmp_path) as first:
        room = declare(fake, first, f"sev1 output {title}")
        fake.wait_for(lambda: silences(fake, title), timeout=15)
        calls = len(fake.calls("chat.postMessage"))
        getattr(fake, cut)()
        try:
            fake.wait_for(lambda: first.rows("SELECT 1 FROM blocked_destination WHERE channel = '*'"), timeout=15)
            time.sleep(8)  # a few cycles of the board
            tried = fake.calls("chat.postMessage")[calls:]
            assert len(tried) <= 3, [(c.args.get("channel"), c.error) for c in tried]
            status, body = first.get("/readyz")
            assert status == 200, body
            assert reason in json.loads(body).get("unpostable", {}).get("*", ""), body
            assert first.metric("firehouse_slack_destinations_unpostable", reason=reason) == 1
            errors = first.log_lines("ERROR", reason)
            assert len(errors) == 1 and "token or account" in errors[0], errors
        finally:
            getattr(fake, mend)()
        first.kill()
    waiting = outbox(first, "sent_at IS NULL AND given_up_at IS NULL")
    assert waiting, "posts were owed while Slack refused the bot"

    with bot_in(fake, tmp_path) as second:
        # Each waiting post arrives, or the later post of its incident that superseded it does.
        arrived = fake.wait_for(lambda: all(delivered(outbox(second), r["id"]) for r in waiting) and outbox(second),
                                timeout=20)
        rows = {r["id"]: r for r in arrived}
        for row in waiting:
            assert rows[row["id"]]["sent_at"] or rows[row["id"]]["error"].startswith("superseded"), rows[row["id"]]
        posted_once(fake, [rows[r["id"]] for r in waiting])
        fake.wait_for(lambda: "*" not in json.loads(second.get("/readyz")[1]).get("unpostable", {}), timeout=10)
        for channel in (room.id, fake.stakeholders):
            keys = [key for key, _ in keyed(fake, channel)]
            assert len(keys) == len(set(keys)), f"a post arrived twice in {channel}"


# --- 4. a message Slack will never take --------------------------------------------------------------------


def test_a_post_slack_refuses_for_good_is_given_up_and_the_next_one_goes_on(fake, tmp_path):
    title = "Summariser invents refund policy"
    with bot_in(fake, tmp_path) as bot:
        room = declare(fake, bot, f"sev2 output {title}")
        fake.wait_for(lambda: [m for m in fake.messages(fake.stakeholders) if title in m["text"]])
        fake.wait_for(lambda: settled(bot, [r["id"] for r in outbox(bot)]))  # nothing of the declaration in flight
        fake.inject("chat.postMessage", status=200, error="msg_too_long", count=1)
        assert bot.command("update Refund answers now come from the policy page", user=ALICE,
                           channel=room.id).status == 200
        refused = fake.wait_for(lambda: [c for c in fake.calls("chat.postMessage") if c.error == "msg_too_long"])
        channel = refused[0].args["channel"]
        row = fake.wait_for(lambda: outbox(bot, "kind = 'update' AND channel = ? AND given_up_at IS NOT NULL",
                                           channel))[0]
        assert row["sent_at"] is None and "msg_too_long" in row["error"], row

        assert bot.command("update Policy page answers checked by support", user=ALICE, channel=room.id).status == 200
        fake.wait_for(lambda: said(fake, channel, "Policy page answers checked"))
        other = ({room.id, fake.stakeholders} - {channel}).pop()
        assert len(said(fake, other, "Refund answers now")) == 1  # its copy for the other channel went out
        time.sleep(6)  # a round of the leader's upkeep comes by
        again = [c for c in fake.calls_to(channel, "chat.postMessage") if "Refund answers now" in c.args.get("text")]
        assert len(again) == 1, "the refused post was tried again"
        assert not said(fake, channel, "Refund answers now")
        assert bot.metric("firehouse_slack_posts_given_up_total", reason="msg_too_long") == 1
        assert len(bot.log_lines("ERROR", "msg_too_long")) == 1, bot.log()


# --- 5. a few server errors ------------------------------------------------------------------------------


def test_a_post_slack_refuses_for_a_moment_is_sent_exactly_once(fake, tmp_path):
    title = "Chatbot quotes internal prices"
    with bot_in(fake, tmp_path) as bot:
        room = declare(fake, bot, f"sev2 output {title}")
        fake.wait_for(lambda: [m for m in fake.messages(fake.stakeholders) if title in m["text"]])
        failed = len([c for c in fake.calls("chat.postMessage") if c.status == 503])
        fake.inject("chat.postMessage", status=503, count=3)
        assert bot.command("update Price list removed from the bot's sources", user=ALICE,
                           channel=room.id).status == 200
        fake.wait_for(lambda: said(fake, room.id, "Price list removed") and said(fake, fake.stakeholders,
                                                                                 "Price list removed"), timeout=30)
        fake.wait_for(lambda: settled(bot, [r["id"] for r in outbox(bot)]))
        assert len([c for c in fake.calls("chat.postMessage") if c.status == 503]) - failed == 3
        for channel in (room.id, fake.stakeholders):
            assert len(said(fake, channel, "Price list removed")) == 1
        assert not outbox(bot, "given_up_at IS NOT NULL")
