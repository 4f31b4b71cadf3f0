"""The real `firehouse serve` writing JSON lines: each one parses, and the lines a command causes name its
incident, verb, user and Slack request id, in the listener's and the background's threads alike."""

from __future__ import annotations

import json

import pytest
from botprocess import BotProcess

from conftest import ALICE, Room


@pytest.fixture(scope="module")
def bot(fake, tmp_path_factory):
    with BotProcess(fake=fake, workdir=tmp_path_factory.mktemp("firehouse"),
                    config=f'stakeholder_channel = "{fake.stakeholders}"\n',
                    env={"FIREHOUSE_LOG_FORMAT": "json", "FIREHOUSE_LOG_LEVEL": "debug"}) as process:
        yield process


def entries(bot) -> list[dict]:
    return [json.loads(line) for line in bot.log().splitlines() if line.strip()]


def test_every_line_is_json_and_a_commands_lines_name_its_incident_verb_user_and_request(bot, fake, declare):
    room: Room = declare("sev2 output Refund bot quotes wrong amounts")
    before = len(entries(bot))
    room.run("sev 1 refunds wrong for every customer", user=ALICE)
    fake.wait_for(lambda: any(e.get("verb") == "sev" and e["logger"] == "slack_sdk.web.base_client"
                              for e in entries(bot)[before:]))
    about = [e for e in entries(bot)[before:] if e.get("verb") == "sev"]
    assert {(e["user"], e["request_id"]) for e in about} == {(ALICE, about[0]["request_id"])}
    assert about[0]["request_id"].endswith(".T0FIRE.trigger")  # the command's trigger id
    web_api = [e for e in about if e["logger"] == "slack_sdk.web.base_client"]  # the posts, from the fan-out pool
    assert web_api and all(e.get("incident") == web_api[0]["incident"] for e in web_api)
    assert isinstance(web_api[0]["incident"], int)
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries(bot))
