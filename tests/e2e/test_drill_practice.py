"""Drills end to end: the real `firehouse serve` runs a practice incident on a seconds-level clock, from the
picker to the report and its chart, and compares the next run of the same scenario with it."""

from __future__ import annotations

import re
import sqlite3
import struct
import subprocess

import pytest
from botprocess import BotProcess, firehouse_command
from warroom import ALICE, BOB, Room, in_room

from firehouse.comms.charts import SIZE

QUICK = '''title = "Refund agent holds accounts"
summary = "The refund agent freezes the accounts of customers who ask for a refund."
alarm = "PagerDuty: fraud_holds_per_minute is 11.4 (normal 0.2) <!channel>"
class = "action"
severity = "sev1"
why = "An irreversible action reached customers."
time_limit = "24s"

[[injects]]
at = "2s"
text = "Support: three customers are locked out"

[[injects]]
at = "4s"
text = "Payments: 212 accounts on hold"
'''
CONFIG = '''stakeholder_channel = "{stakeholders}"
[status_board]
first_hour = ["5s", "10s", "15s", "20s"]
[firebreaks.refund-off]
kind = "kill-switch"
target = "refund-agent"
executor = "unleash"
url = "http://127.0.0.1:9"
token_env = "UNLEASH_ADMIN_TOKEN"
feature = "refund-agent"
environment = "production"
'''


@pytest.fixture(scope="module")
def bot(fake, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("firehouse")
    (workdir / "drills").mkdir()
    (workdir / "drills" / "quick.toml").write_text(QUICK)
    (workdir / "drills" / "broken.toml").write_text('title = "x"\nsummary = \n')
    # An Unleash that is not there: a drill's firebreak must never reach it.
    env = {"FIREHOUSE_DRILLS": "drills", "UNLEASH_ADMIN_TOKEN": "unused"}
    with BotProcess(fake=fake, workdir=workdir, config=CONFIG.format(stakeholders=fake.stakeholders),
                    env=env) as process:
        yield process


def run(fake, bot, channel: str, text: str, *, user: str = ALICE) -> dict:
    """`/incident <text>` in `channel`; the ephemeral reply it gets (in the ack, or after it)."""
    url = fake.new_response_url()
    reply = bot.command(text, user=user, channel=channel, response_url=url)
    assert reply.status == 200
    return {"text": reply.text} if reply.text else fake.wait_for(lambda: fake.responses(url))[-1]


def report_drills(bot, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*firehouse_command(), "report", "drills", *args], env=bot.environment(), cwd=bot.workdir,
                          capture_output=True, text=True, timeout=60)


def start_from_the_picker(fake, bot) -> Room:
    picker = run(fake, bot, fake.general, "drill")
    buttons = [b["accessory"] for b in picker["blocks"] if b.get("accessory", {}).get("type") == "button"]
    assert [b["value"] for b in buttons] == ["cross-tenant-retrieval", "eval-gate-override", "quick", "refund-fraud",
                                             "runaway-tool-loop"]
    assert "broken.toml: not valid TOML" in str(picker["blocks"])
    start = next(b for b in buttons if b["value"] == "quick")
    assert bot.interact({
        "type": "block_actions", "team": {"id": "T0FIRE"}, "user": {"id": ALICE}, "api_app_id": "A0FIRE",
        "trigger_id": "3.T0FIRE.trigger", "channel": {"id": fake.general},
        "container": {"type": "message", "is_ephemeral": True, "channel_id": fake.general},
        "response_url": fake.new_response_url(), "actions": [{**start, "block_id": "b"}],
    }).status == 200
    opened = fake.wait_for(lambda: [e["text"] for e in fake.ephemerals(channel=fake.general, user=ALICE)
                                    if e["text"].startswith("Drill <#")])[-1]
    return Room(fake, bot, opened.split("<#", 1)[1].split(">", 1)[0])


def test_a_full_drill_from_the_picker_with_injects_on_time_to_its_report_and_chart(fake, bot):
    before = len(fake.messages(fake.stakeholders))
    room = start_from_the_picker(fake, bot)
    assert room.channel.name.startswith("drill-") and room.channel.topic.startswith("DRILL · SEV3")
    alarm = fake.wait_for(lambda: in_room(fake, room, "Alarm"))[0]
    assert alarm.startswith("[DRILL] Alarm: PagerDuty: fraud_holds_per_minute") and "<!channel>" not in alarm

    assert "handed over from <@UALICE> to <@UBOB>" in room.run(f"captain <@{BOB}>", user=BOB)
    room.run("class action", user=BOB)
    room.run("sev 1 accounts are frozen", user=BOB)
    assert "Froze snapshot #1" in room.run("snapshot output=Your account is held for fraud", user=BOB)
    assert "dry run for the drill" in room.run("firebreak refund-off", user=BOB)
    room.run("update Refund agent off; lifting the holds", user=BOB)
    room.run("comms product", user=BOB)
    assert "no regulatory clock runs" in room.run("clock", user=BOB)

    injects = fake.wait_for(lambda: len(in_room(fake, room, "Inject")) == 2 and in_room(fake, room, "Inject"))
    assert injects == ["[DRILL] Inject: Support: three customers are locked out",
                       "[DRILL] Inject: Payments: 212 accounts on hold"]
    report = fake.wait_for(lambda: [m for m in fake.messages(room.id) if "DRILL report" in m["text"]],
                           timeout=35)[0]
    shown = str(report["blocks"])
    assert "its time limit passed" in shown and "Time to captain" in shown
    assert "chose SEV1; the scenario's is SEV1" in shown and "The first run of this scenario" in shown
    [chart] = fake.wait_for(lambda: fake.files(room.id))
    assert chart["name"].endswith(".png") and chart["bytes"][:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", chart["bytes"][16:24]) == SIZE
    assert all(m["text"].startswith("[DRILL]") for m in fake.messages(room.id) if m["text"])
    assert len(fake.messages(fake.stakeholders)) == before  # nothing reached the real stakeholders
    assert "Drill ended at its time limit" in "\n".join(room.timeline())
    assert "has ended already" in room.run("drill end")

    second = run(fake, bot, fake.general, "drill quick")["text"]
    again = Room(fake, bot, second.split("<#", 1)[1].split(">", 1)[0])
    assert again.id != room.id
    ended = again.run("drill end")
    assert ended.startswith("Drill ended: 0 of 6 milestones inside the flow")
    report = fake.wait_for(lambda: [m for m in fake.messages(again.id) if "DRILL report" in m["text"]])[0]
    assert "Against the run of" in str(report["blocks"]) and "time to first snapshot" in str(report["blocks"])

    history = report_drills(bot)
    assert history.returncode == 0, history.stderr
    rows = [line.split() for line in history.stdout.splitlines() if re.match(r"^ +\d+ ", line)]
    with sqlite3.connect(bot.workdir / "firehouse.db") as db:
        ids = [db.execute("SELECT id FROM incident WHERE channel_id = ?", (r.id,)).fetchone()[0] for r in (room, again)]
    assert [row[0] for row in rows] == [str(i) for i in ids]
    assert rows[1][-5:-2] == ["0", "of", "6"]  # the second drill ended before anything was done
    assert history.stderr.strip() == "firehouse: 2 drills written to standard output"
    as_csv = report_drills(bot, "--format", "csv", "--scenario", "quick").stdout.splitlines()
    assert as_csv[0].startswith("incident,scenario,started_at") and len(as_csv) == 3
    assert as_csv[1].split(",")[1:2] == ["quick"] and ",true," in as_csv[1]  # the first one timed out


def test_drill_commands_in_the_wrong_place_say_what_is_wrong_and_change_nothing(fake, bot):
    assert "This channel is not one" in run(fake, bot, fake.general, "drill end")["text"]
    assert "There is no scenario `nope`" in run(fake, bot, fake.general, "drill nope")["text"]
    assert "`broken` cannot run: broken.toml: not valid TOML" in run(fake, bot, fake.general, "drill broken")["text"]
    assert "Name one scenario, or `end`" in run(fake, bot, fake.general, "drill quick now")["text"]
    room = Room(fake, bot, run(fake, bot, fake.general, "drill quick")["text"].split("<#", 1)[1].split(">", 1)[0])
    rooms = len(fake.calls("conversations.create"))
    assert "already a drill's war room" in room.run("drill quick")
    assert len(fake.calls("conversations.create")) == rooms
    assert room.run("drill end").startswith("Drill ended: ")
