"""`/incident snapshot trace=<id>` end to end: the real `firehouse serve` pulls a GenAI span from a real Arize
Phoenix server, and a source that is slow, down, not JSON or without the trace gets a clear reply."""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botprocess import BotProcess, free_port
from warroom import Room, in_room, shown
from phoenixserver import phoenix  # noqa: F401

CONFIG = """
stakeholder_channel = "{stakeholders}"
snapshot_max_bytes = 4000

[trace_sources.phoenix]
url = "{phoenix}"
header = "Authorization"
token_env = "PHOENIX_AUTH"
timeout = "5s"

[trace_sources.odd]
url = "{odd}/{{trace_id}}"
timeout = "1s"

[trace_sources.gone]
url = "http://127.0.0.1:{closed}/traces/{{trace_id}}"
"""


class OddSource(BaseHTTPRequestHandler):
    """A trace source that misbehaves as the trace id says: slow, HTML, or a trace too big to keep."""

    def do_GET(self) -> None:
        trace_id = self.path.rsplit("/", 1)[1]
        if trace_id == "slow":
            time.sleep(3)
        body = {"html": b"<html>Phoenix</html>",
                "huge": json.dumps({"spans": [{"attributes": {"gen_ai.request.model": "gpt-4o"},
                                               "output": "x" * 20_000}]}).encode()}.get(trace_id, b"{}")
        try:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)
        except BrokenPipeError:
            pass  # the slow answer came after Firehouse gave up, as it should

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def odd():
    server = ThreadingHTTPServer(("127.0.0.1", 0), OddSource)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/traces"
    server.shutdown()


@pytest.fixture(scope="module")
def bot(fake, phoenix, odd, tmp_path_factory):  # noqa: F811
    config = CONFIG.format(stakeholders=fake.stakeholders, phoenix=phoenix.trace_url_template(), odd=odd,
                           closed=free_port())
    with BotProcess(fake=fake, workdir=tmp_path_factory.mktemp("firehouse"), config=config,
                    env={"PHOENIX_AUTH": phoenix.auth_headers["Authorization"]}) as process:
        yield process


def test_a_trace_is_pulled_and_its_genai_attributes_lifted(fake, bot, declare, phoenix):  # noqa: F811
    trace_id = phoenix.send_genai_span(temperature=0.2, input_tokens=812, output_tokens=97,
                                       response_model="gpt-4o-2024-08-06")
    room: Room = declare("sev2 output Refund bot quotes 2019 prices")
    reply = room.run(f"snapshot trace={trace_id} source=phoenix prompt_version=v42")
    assert reply.startswith("Froze snapshot #1 (")
    listed = shown(fake, room, "snapshots")
    assert "model: gpt-4o-2024-08-06" in listed and "model_version: gpt-4o-2024-08-06" in listed
    assert "config: temperature=0.2" in listed and "usage: input_tokens=812, output_tokens=97" in listed
    assert "prompt_version: v42" in listed and f"trace: {trace_id}" in listed
    assert "raw trace from phoenix" in listed
    assert fake.wait_for(lambda: in_room(fake, room, "trace pulled") or in_room(fake, room, "froze snapshot #1"))
    assert any("trace pulled from phoenix" in line for line in room.timeline())


@pytest.mark.parametrize("text, problem", [
    ("trace={unknown} source=phoenix", "has no trace"),
    ("trace=slow source=odd", "did not answer within 1 s"),
    ("trace=html source=odd", "sent something that is not JSON"),
    ("trace=abc source=gone", "I couldn't reach the trace source `gone`"),
    ("trace=abc", "Several trace sources are configured; name one with `source="),
])
def test_a_source_that_fails_gets_a_clear_reply_and_records_nothing(fake, bot, declare, text, problem):
    room: Room = declare("sev3 output Bot is slow")
    reply = room.run(f"snapshot {text.format(unknown=secrets.token_hex(16))}")
    assert problem in reply and "Froze" not in reply
    assert "No evidence frozen yet" in shown(fake, room, "snapshots")


def test_a_trace_over_the_cap_is_cut_and_says_so(fake, bot, declare):
    room: Room = declare("sev3 output Bot rambles")
    reply = room.run("snapshot trace=huge source=odd")
    assert "Cut to fit the size cap: trace (raw JSON)" in reply
    listed = shown(fake, room, "snapshots")
    assert "model: gpt-4o" in listed and "cut to fit the size cap: trace (raw JSON)" in listed
