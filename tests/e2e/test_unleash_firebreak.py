"""A kill switch that really flips: `firehouse serve` pulls and lifts a firebreak through a real Unleash
server's admin API, and Unleash itself is asked whether the flag is off."""

from __future__ import annotations

import json

import pytest
from botprocess import BotProcess, free_port
from warroom import Room, in_room, press, shown, told
from unleashserver import unleash  # noqa: F401

CONFIG = """
stakeholder_channel = "{stakeholders}"

[firebreaks.refund-agent-off]
kind = "kill-switch"
target = "refund-agent"
executor = "unleash"
url = "{url}"
token_env = "UNLEASH_ADMIN_TOKEN"
project = "default"
feature = "refund-agent"
environment = "production"

[firebreaks.human-review]
kind = "fallback-human"
target = "refund decisions"
executor = "unleash"
url = "{url}"
token_env = "UNLEASH_ADMIN_TOKEN"
feature = "refunds-human-review"
environment = "production"
action = "on"

[firebreaks.nowhere]
kind = "kill-switch"
target = "refund-agent"
executor = "unleash"
url = "http://127.0.0.1:{closed}"
token_env = "UNLEASH_ADMIN_TOKEN"
feature = "refund-agent"
environment = "production"
timeout = "2s"
"""


@pytest.fixture(scope="module")
def bot(fake, unleash, tmp_path_factory):  # noqa: F811
    unleash.create_flag("refund-agent", enabled=True)
    unleash.create_flag("refunds-human-review", enabled=False, flag_type="release")
    config = CONFIG.format(stakeholders=fake.stakeholders, url=unleash.url, closed=free_port())
    with BotProcess(fake=fake, workdir=tmp_path_factory.mktemp("firehouse"), config=config,
                    env={"UNLEASH_ADMIN_TOKEN": unleash.admin_token}) as process:
        yield process


def pull(bot, fake, room: Room, name: str) -> None:
    press(bot, fake, room, f"firebreak_pull:{name}", json.dumps({"name": name, "note": ""}))


def test_pulling_the_kill_switch_turns_the_flag_off_in_unleash_and_lifting_turns_it_on(fake, bot, declare, unleash):  # noqa: F811
    assert unleash.is_enabled("refund-agent")
    room = declare("sev1 action Refund agent holds accounts as fraud")
    room.run("snapshot output=Account held for suspected fraud")
    room.run("cause tool-loop")
    assert "suggested for cause `tool-loop`" in shown(fake, room, "firebreak")

    pull(bot, fake, room, "refund-agent-off")
    assert "Unleash turned `refund-agent` off in production" in told(fake, room, "Unleash turned")
    assert not unleash.is_enabled("refund-agent")  # Unleash itself says so
    assert fake.wait_for(lambda: in_room(fake, room, "is in force"))

    assert "lifted" in room.run("firebreak lift refund-agent-off the loop is fixed")
    assert unleash.is_enabled("refund-agent")


def test_a_fallback_flag_is_turned_on_by_the_pull(fake, bot, declare, unleash):  # noqa: F811
    room = declare("sev2 action Refund agent approves everything")
    room.run("snapshot output=refund approved")
    pull(bot, fake, room, "human-review")
    told(fake, room, "refunds-human-review")
    assert unleash.is_enabled("refunds-human-review")


def test_an_unleash_that_is_down_is_a_failure_shown_with_what_happened(fake, bot, declare, unleash):  # noqa: F811
    unleash.set_enabled("refund-agent", True)
    room = declare("sev2 action Refund agent misfires")
    room.run("snapshot output=misfire")
    pull(bot, fake, room, "nowhere")
    reply = told(fake, room, "FAILED")
    assert "could not reach http://127.0.0.1:" in reply
    assert unleash.is_enabled("refund-agent")  # nothing changed
    assert any("FAILED; executor: could not reach" in line for line in room.timeline())
