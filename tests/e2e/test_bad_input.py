"""Bad input gets a clear ephemeral error with the right form, and nothing is half-written."""

import pytest

from warroom import ALICE


def incidents_listed(fake, bot) -> str:
    url = fake.new_response_url()
    bot.command("list", user=ALICE, channel=fake.general, response_url=url)
    reply = fake.wait_for(lambda: fake.responses(url))[0]
    return reply["text"] + str(reply.get("blocks"))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("declare", "The title is missing."),
        ("declare sev2", "The title is missing."),
        ("declare sev1 data", "The title is missing."),
        ("declare sev4 output Bot is wrong", "`sev4` is not a severity: use sev1, sev2 or sev3."),
        ("declare sev-1 Bot is wrong", "`sev-1` is not a severity"),
        ("declare " + "t" * 151, "The title is 151 characters long; keep it to 150."),
        ("declare " + "t" * 20000, "The title is 20,000 characters long; keep it to 150."),
    ],
)
def test_a_malformed_declare_is_answered_at_once_with_the_right_form(fake, bot, text, problem):
    before = len(fake.calls("conversations.create"))
    reply = bot.command(text, user=ALICE, channel=fake.general)
    assert reply.status == 200
    assert problem in reply.text
    assert "Usage: `/incident declare [sev1|sev2|sev3] [class] <title>`" in reply.text
    assert reply.json()["response_type"] == "ephemeral"
    assert len(fake.calls("conversations.create")) == before


def test_a_title_starting_with_severe_is_a_title_not_a_bad_severity(fake, declare):
    room = declare("Severe hallucinations in the legal summary tool")
    assert room.channel.name.endswith("-severe-hallucinations-in-the-legal-summary-tool")


@pytest.mark.parametrize(("text", "form"), [
    ("log did a thing", "/incident log <text>"),
    ("timeline", "/incident timeline"),
    ("captain <@UBOB>", "/incident captain @user"),
])
def test_war_room_commands_outside_a_war_room_are_refused(fake, bot, text, form):
    url = fake.new_response_url()
    assert bot.command(text, user=ALICE, channel=fake.general, response_url=url).status == 200
    (reply,) = fake.wait_for(lambda: fake.responses(url))
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("This channel is not a war room.")
    assert f"`{form}`" in reply["text"]


def test_when_slack_will_not_create_the_channel_no_incident_is_recorded(fake, bot):
    fake.inject("conversations.create", status=200, error="restricted_action", count=1)
    url = fake.new_response_url()
    bot.command("declare sev1 Refund agent refunds everything", user=ALICE, channel=fake.general, response_url=url)
    (reply,) = fake.wait_for(lambda: fake.responses(url))
    assert reply["text"] == "Slack refused conversations.create: restricted_action"
    assert "Refund agent refunds everything" not in incidents_listed(fake, bot)


def test_slack_server_errors_and_rate_limits_are_retried(fake, declare):
    fake.inject("conversations.create", status=500, count=2)
    fake.inject("chat.postMessage", status=429, retry_after=0, count=1)
    room = declare("sev2 Pricing bot quotes last year's prices")
    assert room.channel.name.endswith("pricing-bot-quotes-last-year-s-prices")
    statuses = [c.status for c in fake.calls("conversations.create")][-3:]
    assert statuses == [500, 500, 200]
    assert 429 in [c.status for c in fake.calls("chat.postMessage")]
    assert len(fake.messages(room.id)) == 1  # the kickoff, once


def test_a_refused_side_effect_is_reported_but_the_incident_stands(fake, bot):
    fake.inject("conversations.setTopic", status=200, error="too_long", count=1)
    url = fake.new_response_url()
    bot.command("declare sev3 Tone checker flags polite replies", user=ALICE, channel=fake.general,
                response_url=url)
    (reply,) = fake.wait_for(lambda: fake.responses(url))
    assert reply["text"].startswith("War room <#")
    assert "I couldn't set the topic (Slack said `too_long`)." in reply["text"]
    assert "Tone checker flags polite replies" in incidents_listed(fake, bot)
