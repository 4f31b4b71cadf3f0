"""Severity, class, cause, roles, lifecycle and who may change them, end to end."""

import re

import pytest

from warroom import ADMINS, ALICE, BOB, CAROL, ROBOT, bot_fixture

bot = bot_fixture('stakeholder_channel = "{stakeholders}"\nadmins = ["' + ADMINS + '"]\n')


def stakeholder_texts(fake) -> list[str]:
    return [m["text"] for m in fake.messages(fake.stakeholders)]


def test_anyone_escalates_and_everyone_hears_of_it(fake, declare):
    room = declare("sev2 action Agent cancels subscriptions unasked")
    reply = room.run("sev 1 cancellations are irreversible", user=BOB)
    assert reply == "Done: Escalated from SEV2 to SEV1: cancellations are irreversible."
    assert room.channel.topic.startswith("SEV1 · action")
    assert f"<@{BOB}> escalated the incident to *SEV1* (was SEV2): cancellations are irreversible" in (
        fake.messages(room.id)[-1]["text"])
    heard = fake.wait_for(lambda: [t for t in stakeholder_texts(fake) if "is now *SEV1*" in t])
    assert "Agent cancels subscriptions unasked" in heard[-1] and f"<#{room.id}>" in heard[-1]
    assert room.timeline()[-1].endswith("Escalated from SEV2 to SEV1: cancellations are irreversible")


def test_only_the_captain_or_an_admin_may_de_escalate(fake, declare):
    room = declare("sev1 output Chatbot gives dosage advice")
    posted = len(fake.messages(room.id))
    reply = room.run("sev 3 false alarm", user=BOB)
    assert reply == f"Only the fire captain (<@{ALICE}>) or a Firehouse admin may lower the severity."
    assert room.channel.topic.startswith("SEV1") and len(fake.messages(room.id)) == posted
    assert room.run("sev 2 only staff saw it", user=CAROL).startswith("Done: De-escalated from SEV1 to SEV2")
    assert room.run("sev 3", user=ALICE) == "Done: De-escalated from SEV2 to SEV3."
    assert room.run("sev 3") == "The incident is already SEV3."
    assert "Usage: `/incident sev <1|2|3> [reason]`" in room.run("sev 4")


def test_reclassifying_is_the_captains_and_a_private_class_makes_announcements_discreet(fake, declare):
    room = declare("sev2 output Answers quote other customers' tickets")
    assert room.run("class data", user=BOB) == (
        f"Only the fire captain (<@{ALICE}>) or a Firehouse admin may change the class.")
    reply = room.run("class data")
    assert reply.startswith("Done: Class changed from output to data.")
    assert "This war room stays public: Slack does not let apps make a public channel private." in reply
    assert room.channel.topic.startswith("SEV2 · data")
    room.run("sev 1 tickets contain addresses", user=BOB)
    heard = fake.wait_for(lambda: [t for t in stakeholder_texts(fake) if re.search(r"Private incident #\d+ is now", t)])
    assert "tickets" not in heard[-1] and "addresses" not in heard[-1]
    assert "Usage: `/incident class <output|action|data|cost|gate|compliance>`" in room.run("class weird")


def test_the_suspected_cause_is_recorded_and_announced(fake, declare):
    room = declare("Summaries switched language")
    assert room.run("cause model", user=BOB) == "Done: Suspected cause set to model."
    assert "Suspected cause: `model`, a model or provider changed" in fake.messages(room.id)[-1]["text"]
    assert room.run("cause prompt").endswith("(was model).")
    assert "`banana` is not a cause: use one of prompt, model, retrieval" in room.run("cause banana")


def test_roles_are_assigned_invited_announced_and_listed(fake, declare):
    room = declare("Recommendations push a discontinued plan")
    assert room.run(f"role scribe <@{BOB}|bob>") == f"Done: <@{BOB}> is scribe."
    assert BOB in room.channel.members
    assert f"<@{BOB}> is now *scribe*" in fake.messages(room.id)[-1]["text"]
    room.run(f"role comms <@{BOB}>")
    assert room.run(f"role scribe <@{CAROL}>").endswith(f"taking over from <@{BOB}>.")
    roles = room.run("roles")
    assert f"*Fire captain*: <@{ALICE}>" in roles
    assert f"*scribe*: <@{CAROL}>" in roles and f"*comms*: <@{BOB}>" in roles
    assert "*legal*: nobody yet (`/incident role legal @user`)" in roles
    assert "Usage: `/incident role <scribe|comms|legal> @user`" in room.run(f"role pilot <@{BOB}>")
    assert room.run(f"role legal <@{ROBOT}>").startswith(f"<@{ROBOT}> is a bot")
    assert len([line for line in room.timeline() if "*role*" in line]) == 3


def test_the_lifecycle_stamps_containment_and_resolution(fake, declare):
    room = declare("sev2 cost Tool loop burns tokens")
    assert room.run("detected 45m ago") .startswith("Done: Detected at ")
    assert room.run("status identified", user=BOB) == "Done: Status changed from investigating to identified."
    room.run("status contained", user=BOB)
    assert room.channel.topic.endswith("· contained")
    assert "Usage: `/incident status <investigating|identified|contained|monitoring|resolved>`" in (
        room.run("status closed"))
    assert room.run("resolve loop breaker deployed", user=BOB) == (
        f"Only the fire captain (<@{ALICE}>) or a Firehouse admin may resolve the incident.")
    assert room.run("resolve loop breaker deployed").startswith("Done: Status changed from contained to resolved")
    assert room.channel.topic.endswith("· resolved")
    heard = fake.wait_for(lambda: [t for t in stakeholder_texts(fake) if "is resolved" in t])
    assert "Tool loop burns tokens" in heard[-1] and "loop breaker deployed" in heard[-1]
    assert room.run("status contained") == "A resolved incident can't move to contained."

    summary = room.run("summary")
    assert "*Detected*: 20" in summary and "*Contained*: 20" in summary and "*Resolved*: 20" in summary
    assert re.search(r"\*Time to captain\*: 4[4-6]m", summary), summary
    assert "measured from detection" in summary and "*Summary*: loop breaker deployed" in summary

    assert room.run("status investigating", user=BOB) == "Done: Reopened: back to investigating."
    assert "was reopened" in fake.wait_for(lambda: stakeholder_texts(fake))[-1]
    assert "*Resolved*: -" in room.run("summary")


def test_a_sev1_that_reached_users_needs_a_notice_or_a_waiver(fake, bot, declare):
    room = declare("sev1 output Assistant tells users to stop medication")
    refusal = room.run("resolve reverted model")
    assert refusal.startswith("This SEV1 incident reached users, so a product-lane notice must be published or"
                              " marked sent")
    assert "`/incident resolve [summary] --waive-notice <reason>`" in refusal
    assert room.channel.topic.endswith("· investigating")
    assert "Say why no customer notice is needed" in room.run("resolve reverted --waive-notice")
    assert room.run("resolve reverted model --waive-notice only the red team saw it").endswith(
        "Customer notice waived: only the red team saw it.")
    url = fake.new_response_url()
    bot.command("list", user=ALICE, channel=fake.general, response_url=url)
    listed = str(fake.wait_for(lambda: fake.responses(url)))
    open_part, _, unlocked_part = listed.partition("resolved, not locked yet")
    assert "stop medication" not in open_part and "stop medication" in unlocked_part  # no longer open; not locked


@pytest.mark.parametrize(("text", "problem"), [
    ("detected tomorrow", "`tomorrow` is not a time like 2026-11-23T14:05Z or 30m ago."),
    ("detected 2999-01-01T00:00Z", "that time is in the future."),
])
def test_bad_times_are_refused(declare, text, problem):
    room = declare("Scores drift on Mondays")
    assert room.run(text) == problem
