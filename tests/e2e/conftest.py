"""End-to-end fixtures: one fake Slack workspace and one real `firehouse serve` process per module."""

from __future__ import annotations

import time

import pytest
from fakeslack import FakeSlack
from warroom import ADMINS, ALICE, BOB, CAROL, GONE, ROBOT, Room, bot_fixture



@pytest.fixture(scope="module")
def fake():
    slack = FakeSlack().start()
    for user_id, name in ((ALICE, "alice"), (BOB, "bob"), (CAROL, "carol")):
        slack.add_user(user_id, name)
    slack.add_user(ROBOT, "robot", is_bot=True)
    slack.add_user(GONE, "gone", deleted=True)
    slack.add_usergroup(ADMINS, [CAROL])
    slack.general = slack.add_channel("general", members=[ALICE, BOB, CAROL])
    slack.stakeholders = slack.add_channel("incidents", members=[CAROL])
    yield slack
    slack.stop()


bot = bot_fixture('stakeholder_channel = "{stakeholders}"\nchannel_prefix = "inc"\n')


@pytest.fixture
def declare(fake, bot):
    """Declare an incident with `/incident declare …` from #general and return its war room."""

    def declare_(text: str, *, user: str = ALICE) -> Room:
        url = fake.new_response_url()
        reply = bot.command(f"declare {text}", user=user, channel=fake.general, response_url=url)
        assert reply.status == 200, reply
        response = fake.wait_for(lambda: fake.responses(url))[0]
        channel = response["text"].split("<#", 1)[1].split(">", 1)[0]
        fake.wait_for(lambda: fake.messages(channel))
        return Room(fake, bot, channel)

    return declare_


@pytest.fixture
def untouched(fake, bot):
    """Slack's call log does not grow, and the bot logs no traceback, while the test runs."""
    calls, log_size = len(fake.calls()), len(bot.log())
    yield
    time.sleep(0.3)  # anything the request set off in the background would have reached Slack by now
    assert len(fake.calls()) == calls, [c.method for c in fake.calls()[calls:]]
    assert "Traceback" not in bot.log()[log_size:]
