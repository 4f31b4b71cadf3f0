"""What the end-to-end tests share besides fixtures: the people, a war room as the tests see it, and how a
person presses buttons and reads replies. (A module of its own: `conftest` is a name every test folder uses.)"""

from __future__ import annotations

import re

import pytest
from botprocess import BotProcess
from fakeslack import FakeSlack

ALICE, BOB, CAROL, ROBOT, GONE = "UALICE", "UBOB", "UCAROL", "UROBOT", "UGONE"
ADMINS = "S0ADMINS"  # a user group whose members (Carol) are admins where the config says so


def bot_fixture(config: str):
    """A module's `bot` fixture: one `firehouse serve` with `config` ({stakeholders} is filled in)."""

    @pytest.fixture(scope="module")
    def bot(fake, tmp_path_factory):
        with BotProcess(fake=fake, workdir=tmp_path_factory.mktemp("firehouse"),
                        config=config.format(stakeholders=fake.stakeholders)) as process:
            yield process

    return bot


class Room:
    """A declared incident's war room, seen from the tests."""

    def __init__(self, fake: FakeSlack, bot: BotProcess, channel: str) -> None:
        self.fake, self.bot, self.id = fake, bot, channel

    @property
    def channel(self):
        return self.fake.channels[self.id]

    def run(self, text: str, *, user: str = ALICE) -> str:
        """Type `/incident <text>` here and return the ephemeral reply (the ack's, or the follow-up's)."""
        url = self.fake.new_response_url()
        reply = self.bot.command(text, user=user, channel=self.id, response_url=url)
        assert reply.status == 200, reply
        if reply.text:
            return reply.text
        return self.fake.wait_for(lambda: self.fake.responses(url))[0]["text"]

    def timeline(self, *, user: str = ALICE) -> list[str]:
        """`/incident timeline`, as the lines the person sees."""
        before = len(self.fake.ephemerals(channel=self.id, user=user))
        url = self.fake.new_response_url()
        assert self.bot.command("timeline", user=user, channel=self.id, response_url=url).status == 200

        def shown() -> list[dict]:
            return [e for e in self.fake.ephemerals(channel=self.id, user=user)[before:]
                    if e["text"].startswith("Timeline of")]

        total = int(re.search(r"\((\d+)/(\d+)\)$", self.fake.wait_for(shown)[0]["text"])[2])
        pages = self.fake.wait_for(lambda: len(shown()) >= total and shown())
        return [line for page in pages for block in page["blocks"] for line in block["text"]["text"].split("\n")]


# --- what a person sees: replies, buttons, the war room -------------------------------------------------


def press(bot, fake, room: Room, action_id: str, value: str, *, user: str = ALICE) -> None:
    reply = bot.interact({
        "type": "block_actions", "team": {"id": "T0FIRE"}, "user": {"id": user}, "api_app_id": "A0FIRE",
        "trigger_id": "7.T0FIRE.trigger", "channel": {"id": room.id}, "container": {"type": "message"},
        "response_url": fake.new_response_url(),
        "actions": [{"type": "button", "action_id": action_id, "value": value, "block_id": "b"}],
    })
    assert reply.status == 200


def shown(fake, room: Room, text: str, *, user: str = ALICE) -> str:
    """`/incident <text>` and everything its reply shows: the text and every block's text."""
    url = fake.new_response_url()
    assert room.bot.command(text, user=user, channel=room.id, response_url=url).status == 200
    reply = fake.wait_for(lambda: fake.responses(url))[0]
    return "\n".join([reply["text"], *_texts(reply.get("blocks") or [])])


def _texts(node) -> list[str]:
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    if isinstance(node, dict):
        own = [node["text"]] if isinstance(node.get("text"), str) else []
        return own + [t for key, value in node.items() if key != "text" or not isinstance(value, str)
                      for t in _texts(value)]
    return []


def told(fake, room: Room, words: str, *, user: str = ALICE) -> str:
    return fake.wait_for(lambda: [e["text"] for e in fake.ephemerals(channel=room.id, user=user)
                                  if words in e["text"]])[-1]


def in_room(fake, room: Room, words: str) -> list[str]:
    return [m["text"] for m in fake.messages(room.id) if words in m["text"]]
