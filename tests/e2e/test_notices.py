"""Notices end to end: facts, drafts, edit, approval by the right role, sending, clocks and the CLI."""

import itertools
import re
import sqlite3
import subprocess

from botprocess import BotProcess, firehouse_command
from slackreq import view_submission

from warroom import ALICE, BOB, CAROL, Room, bot_fixture

TRIGGERS = itertools.count(1000)
CONFIG = 'stakeholder_channel = "{stakeholders}"\nregimes = ["gdpr", "eu_ai_act", "nis2", "dora"]\n'


bot = bot_fixture(CONFIG)


def press(bot, fake, room: Room, *, user: str, action: str, notice: dict) -> None:
    value = next(e["value"] for b in notice["blocks"] if b["type"] == "actions" for e in b["elements"])
    bot.interact({
        "type": "block_actions", "team": {"id": "T0FIRE"}, "user": {"id": user}, "api_app_id": "A0FIRE",
        "trigger_id": f"{next(TRIGGERS)}.T0FIRE.trigger", "channel": {"id": room.id}, "container": {"type": "message"},
        "message": {"ts": notice["ts"]}, "actions": [{"type": "button", "action_id": action, "value": value}],
    })


def notice_in(fake, room: Room, number: int | None = None) -> dict:
    """The war room's (latest or numbered) notice message, as it stands now."""
    pattern = rf"notice #{number} " if number else r"notice #\d+ "
    return [m for m in fake.messages(room.id) if re.search(pattern, m["text"])][-1]


def shown(message: dict) -> str:
    return "\n".join(str(b.get("text", b.get("elements", ""))) for b in message["blocks"])


def told(fake, room: Room, user: str, pattern: str) -> str:
    return fake.wait_for(lambda: [e["text"] for e in fake.ephemerals(channel=room.id, user=user)
                                  if re.search(pattern, e["text"])])[-1]


def test_facts_are_recorded_validated_and_shown(declare):
    room = declare("sev2 output Search assistant invents citations")
    reply = room.run("fact feature=the Research Assistant window_start=2026-11-23T13:58Z affected_users=about 4,000")
    assert reply == ("Done: Fact feature = the Research Assistant; Fact window_start = 2026-11-23T13:58Z;"
                     " Fact affected_users = about 4,000.")
    assert "*feature*: the Research Assistant" in room.run("fact")
    assert "`colour` is not a fact I know" in room.run("fact colour=red")
    assert "ai_act_case is one of standard, widespread" in room.run("fact ai_act_case=catastrophic")
    assert room.run("fact affected_users=").endswith("Fact affected_users cleared.")
    assert [line for line in room.timeline() if "*fact*" in line][-1].endswith("Fact affected_users cleared")


def test_a_product_notice_is_drafted_edited_approved_by_comms_and_sent(fake, bot, declare):
    room = declare("sev1 output Support bot promises refunds nobody offers")
    room.run(f"role comms <@{BOB}>")
    room.run(f"role scribe <@{CAROL}>")
    assert room.run("comms product").startswith("Drafted product notice #")
    draft = fake.wait_for(lambda: notice_in(fake, room))
    text = shown(draft)
    assert "DRAFT" in draft["blocks"][0]["text"]["text"]
    assert "Missing facts: `feature`, `window_start`" in text and "[missing: feature]" in text
    assert "Support bot promises refunds" not in text.split("Missing facts")[1]  # no internal title for customers

    press(bot, fake, room, user=CAROL, action="notice_approve", notice=draft)
    assert told(fake, room, CAROL, "Only") == (
        f"Only the fire captain (<@{ALICE}>) or the comms role holder (<@{BOB}>) may approve product-lane notices.")

    views = len(fake.views)
    press(bot, fake, room, user=BOB, action="notice_edit", notice=draft)
    modal = fake.wait_for(lambda: fake.views[views:])[0]["view"]
    assert modal["callback_id"] == "notice_edit"
    edited = "# Refund answers from our support assistant\n\nSome answers about refunds were wrong. **Check your order page.**"
    reply = bot.interact(view_submission(user_id=BOB, view=modal,
                                         values={"part_1": {"value": {"type": "plain_text_input", "value": edited}}}))
    assert reply.body == ""
    fake.wait_for(lambda: "Check your order page" in shown(notice_in(fake, room)))

    press(bot, fake, room, user=BOB, action="notice_approve", notice=notice_in(fake, room))
    approved = fake.wait_for(lambda: "APPROVED" in shown(notice_in(fake, room)) and notice_in(fake, room))
    assert f"approved by <@{BOB}>" in shown(approved)
    assert "*Check your order page.*" in shown(approved)  # Markdown shown as mrkdwn

    press(bot, fake, room, user=ALICE, action="notice_sent", notice=approved)
    sent = fake.wait_for(lambda: "SENT" in shown(notice_in(fake, room)) and notice_in(fake, room))
    assert not [b for b in sent["blocks"] if b["type"] == "actions"]
    notices = [line for line in room.timeline() if "*notice*" in line]
    assert [n.rsplit(") ", 1)[1] for n in notices] == ["drafted", "edited", "approved", "marked sent"]
    assert room.run("resolve refunds honoured").startswith("Done: Status changed from investigating to resolved")

    with sqlite3.connect(bot.workdir / "firehouse.db") as db:
        approved_text, status = db.execute(
            "SELECT approved_text, status FROM notice WHERE id = ?",
            (int(re.search(r"#(\d+)", sent["text"])[1]),)).fetchone()
    assert (approved_text, status) == (edited, "sent")


def test_an_edit_withdraws_the_approval_and_only_approved_notices_can_be_sent(fake, bot, declare):
    room = declare("sev2 action Agent emails customers twice")
    room.run("comms product")
    draft = fake.wait_for(lambda: notice_in(fake, room))
    press(bot, fake, room, user=ALICE, action="notice_approve", notice=draft)
    fake.wait_for(lambda: "APPROVED" in shown(notice_in(fake, room)))
    views = len(fake.views)
    press(bot, fake, room, user=ALICE, action="notice_edit", notice=notice_in(fake, room))
    modal = fake.wait_for(lambda: fake.views[views:])[0]["view"]
    bot.interact(view_submission(user_id=ALICE, view=modal,
                                 values={"part_1": {"value": {"type": "plain_text_input", "value": "Changed."}}}))
    fake.wait_for(lambda: "DRAFT" in shown(notice_in(fake, room)))
    actions = [e["action_id"] for b in notice_in(fake, room)["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert actions == ["notice_edit", "notice_approve"]
    assert "approval was withdrawn" in room.timeline()[-1]


def test_legal_notices_need_the_legal_role_and_a_sent_fact_sheet_meets_its_deadline(fake, bot, declare):
    room = declare("sev1 data Retrieval leaks other tenants' invoices")
    room.run("fact organisation=Acme Analytics contact=dpo@acme.example data_subjects=about 200")
    clock = room.run("clock")
    assert "*GDPR Art. 33* · initial: notify the supervisory authority" in clock and "left" in clock
    assert "*NIS2 Art. 23* · initial: early warning" in clock and "*DORA Art. 19* · final: final report" in clock
    assert "EU AI Act" not in clock  # not a class the AI Act covers by default

    room.run("comms legal fact_sheet gdpr")
    sheet = fake.wait_for(lambda: notice_in(fake, room))
    assert "GDPR Art. 33, initial" in sheet["blocks"][0]["text"]["text"]
    assert "INITIAL" in shown(sheet) and "Acme Analytics" in shown(sheet)
    press(bot, fake, room, user=ALICE, action="notice_approve", notice=sheet)
    assert told(fake, room, ALICE, "Only").startswith("Only the legal role holder (nobody yet) may approve")
    room.run(f"role legal <@{CAROL}>")
    press(bot, fake, room, user=CAROL, action="notice_approve", notice=sheet)
    fake.wait_for(lambda: "APPROVED" in shown(notice_in(fake, room)))
    press(bot, fake, room, user=CAROL, action="notice_sent", notice=notice_in(fake, room))
    fake.wait_for(lambda: "SENT" in shown(notice_in(fake, room)))
    assert "*GDPR Art. 33* · initial: notify the supervisory authority" in room.run("clock")
    assert ":white_check_mark: reported" in room.run("clock").split("GDPR Art. 33")[1].split("\n")[0]


def test_deadline_reminders_reach_the_legal_holder_once_per_point_and_stop_when_not_reportable(fake, bot, declare):
    room = declare("sev2 compliance Loan model uses postcode as a proxy")
    room.run(f"role legal <@{CAROL}>")
    room.run("aware 40h ago")  # GDPR: 72 h from awareness, so past half of the window
    first = fake.wait_for(lambda: [m for m in fake.messages(room.id) if "of the GDPR Art. 33 window is gone" in m["text"]])
    assert first[0]["text"].startswith(f":alarm_clock: <@{CAROL}>, 50% of the GDPR Art. 33 window is gone")
    room.run("aware 80h ago")  # past expiry: one reminder, not one for 75 %, 90 % and expiry each
    expired = fake.wait_for(lambda: [m for m in fake.messages(room.id) if "GDPR Art. 33 deadline" in m["text"]])
    assert "expired at" in expired[0]["text"]
    assert len([m for m in fake.messages(room.id) if "GDPR Art. 33" in m["text"] and "window is gone" in m["text"]]) == 1

    assert "Only the legal role holder" in room.run("clock gdpr not-reportable nobody's data left the model", user=BOB)
    reply = room.run("clock gdpr not-reportable the postcodes are not personal data here", user=CAROL)
    assert reply.startswith("Recorded as not reportable")
    record = fake.wait_for(lambda: notice_in(fake, room))
    assert "the postcodes are not personal data here" in shown(record)
    assert "not reportable: the postcodes are not personal data here" in room.run("clock")


def test_template_and_mention_injection_are_neutralised(fake, bot, declare):
    room = declare("sev2 output {{ 7*7 }} <!channel> answers")
    room.run("fact feature={{ config }} <!here> {% raw %}x")
    room.run("comms product")
    text = shown(fake.wait_for(lambda: notice_in(fake, room)))
    assert "{{ config }}" in text and "49" not in text
    assert "<!here>" not in text and "&lt;!here&gt;" in text
    assert "{% raw %}" in text


def test_a_broken_template_is_named_with_its_line_and_the_bot_keeps_serving(fake, tmp_path):
    (tmp_path / "templates" / "product").mkdir(parents=True)
    (tmp_path / "templates" / "product" / "default.md.j2").write_text(
        "{#-\ntitle: Ours\nneeds:\noptional:\n-#}\n# Our notice\n\n{{ incident.no_such_field }}\n")
    (tmp_path / "templates" / "product" / "output.md.j2").write_text("Fine\n{% if %}\n")
    with BotProcess(fake=fake, workdir=tmp_path, env={"FIREHOUSE_TEMPLATES": str(tmp_path / "templates")},
                    config=CONFIG.format(stakeholders=fake.stakeholders)) as bot:
        url = fake.new_response_url()
        bot.command("declare sev2 cost Token spend tripled", user=ALICE, channel=fake.general, response_url=url)
        channel = fake.wait_for(lambda: fake.responses(url))[0]["text"].split("<#")[1].split(">")[0]
        room = Room(fake, bot, channel)
        assert room.run("comms product") == (
            "Template `product/default`, line 8 is broken: 'firehouse.comms.context.IncidentView object' has no"
            " attribute 'no_such_field'")
        url = fake.new_response_url()
        bot.command("declare sev2 output Answers are wrong", user=ALICE, channel=fake.general, response_url=url)
        channel = fake.wait_for(lambda: fake.responses(url))[0]["text"].split("<#")[1].split(">")[0]
        assert Room(fake, bot, channel).run("comms product").startswith("Template `product/output`, line 2 is broken")
        assert bot.command("help", user=ALICE, channel=fake.general).status == 200
        legal = Room(fake, bot, channel).run("comms legal individuals")  # the defaults still serve the rest
        assert legal.startswith("Drafted legal notice #")


def run_cli(bot, *args, env=None):
    environment = {**bot.environment(), **(env or {})}
    return subprocess.run([*firehouse_command(), *args], cwd=bot.workdir, env=environment, capture_output=True,
                          text=True, timeout=60)


def test_render_prints_the_draft_as_markdown_for_people_outside_slack(fake, bot, declare):
    room = declare("sev1 action Agent cancels orders on its own")
    room.run("fact feature=the order assistant window_start=2026-11-23T09:00Z actions_taken_by_ai=cancelled 130 orders")
    with sqlite3.connect(bot.workdir / "firehouse.db") as db:
        number = db.execute("SELECT id FROM incident WHERE channel_id = ?", (room.id,)).fetchone()[0]
    result = run_cli(bot, "render", str(number), "product")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# ") and "the order assistant" in result.stdout
    assert "cancelled 130 orders" in result.stdout
    legal = run_cli(bot, "render", str(number), "legal", "fact_sheet", "--regime", "dora", "--stage", "final")
    assert legal.returncode == 0 and "FINAL" in legal.stdout and "DORA" in legal.stdout
    assert "missing facts:" in legal.stderr
    missing = run_cli(bot, "render", "99999", "product")
    assert missing.returncode == 1 and "there is no incident 99999" in missing.stderr


def test_templates_check_passes_on_the_shipped_templates_and_fails_on_a_broken_one(bot, tmp_path):
    good = run_cli(bot, "templates", "check")
    assert good.returncode == 0, good.stderr
    assert re.match(r"\d+ templates, \d+ renders, 0 problems", good.stdout)
    (tmp_path / "legal").mkdir()
    (tmp_path / "legal" / "individuals.md.j2").write_text("{#-\ntitle: x\n-#}\nHello {{ facts.contact\n")
    bad = run_cli(bot, "templates", "check", env={"FIREHOUSE_TEMPLATES": str(tmp_path)})
    assert bad.returncode == 1
    assert "Template `legal/individuals`, line 4 is broken" in bad.stderr
