"""Snapshots and firebreaks end to end: the real `firehouse serve`, a webhook firebreak against a local
receiver that verifies the Standard Webhooks signature with the same library, and a restart mid-pull."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botprocess import BotProcess
from warroom import ALICE, BOB, in_room, press, shown, told
from standardwebhooks import Webhook

SECRET = "whsec_ZmlyZWhvdXNlLXRlc3Qtc2lnbmluZy1zZWNyZXQ="
CONFIG = """
stakeholder_channel = "{stakeholders}"
regimes = ["eu_ai_act"]

[firebreaks.prompt-rollback]
kind = "rollback"
rollback = "prompt"
target = "support-prompt"
executor = "webhook"
url = "{url}"
secret_env = "ROLLBACK_WEBHOOK_SECRET"
timeout = "5s"
"""


class Receiver:
    """The deployment's own endpoint: verifies each delivery's signature, answers as the test says."""

    def __init__(self) -> None:
        self.deliveries: list[dict] = []
        self.status = 202
        self.hold = threading.Event()  # set: answer at once; clear: keep the request waiting
        self.hold.set()
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                payload = Webhook(SECRET).verify(body, dict(self.headers))  # raises on a bad signature
                receiver.deliveries.append({"id": self.headers["webhook-id"], **payload})
                receiver.arrived.set()
                receiver.hold.wait(30)
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b'{"rolled_back_to": "support-prompt v41"}')

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/rollback-prompt"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.hold.set()
        self.server.shutdown()


@pytest.fixture(scope="module")
def receiver():
    found = Receiver()
    yield found
    found.stop()


@pytest.fixture(scope="module")
def bot(fake, receiver, tmp_path_factory):
    with BotProcess(fake=fake, workdir=tmp_path_factory.mktemp("firehouse"),
                    config=CONFIG.format(stakeholders=fake.stakeholders, url=receiver.url),
                    env={"ROLLBACK_WEBHOOK_SECRET": SECRET}) as process:
        yield process


def test_a_snapshot_is_frozen_with_a_fingerprint_receipt_and_timeline_entry(fake, bot, declare):
    room = declare("sev2 output Support bot invents a refund policy")
    reply = room.run("snapshot model=gpt-4o-2024-08-06 prompt_version=v42 output=Refunds are always 200% <!channel>")
    assert reply.startswith("Froze snapshot #1 (model, prompt_version, output); sha256 `")
    fingerprint = reply.split("sha256 `", 1)[1].split("`", 1)[0]
    assert len(fingerprint) == 64
    receipt = fake.wait_for(lambda: in_room(fake, room, "froze snapshot #1"))[0]
    assert fingerprint[:16] in receipt and "<!channel>" not in receipt
    listed = shown(fake, room, "snapshots")
    assert fingerprint in listed and "&lt;!channel&gt;" in listed and "<!channel>" not in listed
    assert any(f"Snapshot #1 frozen: model, prompt_version, output (sha256 {fingerprint})" in line
               for line in room.timeline())


@pytest.mark.parametrize("text, problem", [
    ("snapshot model=", "The field `model` is empty"),
    ("snapshot =gpt-4o", "A field name is missing before `=`"),
    ("snapshot just words", "Give evidence as `key=value`"),
    ("snapshot supersedes=7 model=x", "names no snapshot of this incident"),
    ("snapshot trace=abc source=langfuse", "There is no trace source `langfuse`"),
])
def test_bad_evidence_gets_a_clear_reply_and_records_nothing(fake, bot, declare, text, problem):
    room = declare("sev3 output Bot is rude")
    before = len(room.timeline())
    assert problem in room.run(text)
    assert len(room.timeline()) == before


def test_a_firebreak_is_pulled_once_by_its_button_and_lifted(fake, bot, declare, receiver):
    room = declare("sev2 output Support bot invents a refund policy")
    room.run("cause prompt")
    listed = shown(fake, room, "firebreak")
    assert "1 firebreak configured, 0 in force" in listed and "Snapshot first" in listed
    assert "suggested for cause `prompt`" in listed and "EU AI Act Art. 73" in listed  # in the confirmation
    room.run("snapshot output=Refunds are always 200%")
    assert "Snapshot first" not in shown(fake, room, "firebreak")

    delivered = len(receiver.deliveries)
    press(bot, fake, room, "firebreak_pull:prompt-rollback", json.dumps({"name": "prompt-rollback", "note": "2am"}))
    assert "is in force" in fake.wait_for(lambda: in_room(fake, room, "Firebreak *prompt-rollback"))[0]
    assert "Firebreak #" in told(fake, room, "support-prompt")
    delivery = receiver.deliveries[delivered]
    assert delivery["type"] == "firebreak.pull" and delivery["firebreak"]["name"] == "prompt-rollback"
    assert delivery["by"] == ALICE and delivery["note"] == "2am"
    stakeholders = fake.wait_for(lambda: [m["text"] for m in fake.messages(fake.stakeholders)
                                          if "is in force" in m["text"]])
    assert any("prompt-rollback" in text for text in stakeholders)

    press(bot, fake, room, "firebreak_pull:prompt-rollback", json.dumps({"name": "prompt-rollback", "note": ""}))
    assert "already pulled" in told(fake, room, "already pulled")
    assert len(receiver.deliveries) == delivered + 1  # the executor was not called twice

    assert "lifted" in room.run("firebreak lift prompt-rollback fixed prompt shipped")
    assert receiver.deliveries[-1]["type"] == "firebreak.lift"
    lines = room.timeline()
    assert any("Requested firebreak prompt-rollback (rollback · support-prompt): 2am" in line for line in lines)
    assert any("EU AI Act Art. 73" in line for line in lines)  # the warning and the decision, on the record
    assert any("in force; executor: HTTP 202" in line for line in lines)
    assert any("Lifted firebreak prompt-rollback" in line for line in lines)


def test_a_typed_pull_says_the_warnings_first_and_does_nothing(fake, bot, declare, receiver):
    room = declare("sev2 output Bot leaks the system prompt")
    delivered = len(receiver.deliveries)
    warned = shown(fake, room, "firebreak prompt-rollback")
    assert "No evidence frozen yet" in warned and "EU AI Act Art. 73" in warned
    assert len(receiver.deliveries) == delivered
    assert not any("Requested firebreak" in line for line in room.timeline())


def test_a_failed_executor_is_reported_and_the_firebreak_can_be_retried(fake, bot, declare, receiver):
    room = declare("sev1 output Bot tells users to stop their medication")
    room.run("snapshot output=stop taking it")
    pull = json.dumps({"name": "prompt-rollback", "note": ""})
    receiver.status = 500
    try:
        press(bot, fake, room, "firebreak_pull:prompt-rollback", pull)
        reply = told(fake, room, "FAILED")
    finally:
        receiver.status = 202
    assert "HTTP 500" in reply
    assert fake.wait_for(lambda: in_room(fake, room, "FAILED"))
    first = receiver.deliveries[-1]["id"]
    assert not in_room(fake, room, "is in force")
    press(bot, fake, room, "firebreak_pull:prompt-rollback", pull)
    assert fake.wait_for(lambda: in_room(fake, room, "is in force"))
    assert receiver.deliveries[-1]["id"] != first  # a new attempt, a new idempotency key


def test_only_the_captain_or_an_admin_may_pull(fake, bot, declare, receiver):
    room = declare("sev2 output Bot is rude")
    room.run(f"role scribe <@{BOB}>")  # in the war room, so replies reach him there
    room.run("snapshot output=rude")
    delivered = len(receiver.deliveries)
    assert "Only the fire captain" in room.run("firebreak prompt-rollback", user=BOB)
    press(bot, fake, room, "firebreak_pull:prompt-rollback", json.dumps({"name": "prompt-rollback"}), user=BOB)
    assert "Only the fire captain" in told(fake, room, "Only the fire captain", user=BOB)
    assert len(receiver.deliveries) == delivered


def test_unknown_firebreaks_and_kinds_get_the_right_form(fake, bot, declare):
    room = declare("sev3 output Bot is slow")
    assert "There is no firebreak called `nope` (configured: prompt-rollback)" in room.run("firebreak nope")
    assert "is not a firebreak kind" in room.run("firebreak record flamethrower bot")
    assert "Usage: `/incident firebreak" in room.run("firebreak record flamethrower bot")
    assert "Firebreak #" in room.run("firebreak record kill-switch refund-agent turned off in the console")


def test_a_pull_interrupted_by_a_crash_is_carried_out_after_the_restart(fake, bot, declare, receiver):
    room = declare("sev1 action Refund agent holds accounts")
    room.run("snapshot output=account held")
    receiver.hold.clear()
    receiver.arrived.clear()
    try:
        press(bot, fake, room, "firebreak_pull:prompt-rollback", json.dumps({"name": "prompt-rollback"}))
        assert receiver.arrived.wait(10)
        interrupted = receiver.deliveries[-1]["id"]
        bot.kill()  # the executor was asked, the answer never recorded
    finally:
        receiver.hold.set()
    bot.start()
    assert fake.wait_for(lambda: in_room(fake, room, "after a restart interrupted the pull"), timeout=20)
    assert receiver.deliveries[-1]["id"] == interrupted  # the same attempt: the receiver can drop the repeat
