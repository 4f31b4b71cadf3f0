"""Probes and metrics an SRE points Kubernetes and Prometheus at, over HTTP and in Socket Mode."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from botprocess import BotProcess, firehouse_command, free_port
from socketmode import SocketModeServer

from warroom import ALICE


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def base(bot: BotProcess) -> str:
    return f"http://127.0.0.1:{bot.port}"


def sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format (0 when it is absent)."""
    for line in metrics.splitlines():
        match = re.fullmatch(r"([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)", line)
        if not match or match[1] != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match[2] or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match[3])
    return 0.0


def test_liveness_answers_while_the_process_serves(bot):
    assert get(f"{base(bot)}/healthz") == (200, "ok\n")


def test_readiness_names_every_check_and_is_ready(bot):
    status, body = get(f"{base(bot)}/readyz")
    assert status == 200, body
    assert json.loads(body) == {"status": "ready", "checks": {
        "database": "ok", "migrations": "ok", "scheduler": "ok", "slack": "ok"}}


def test_readiness_fails_with_503_naming_the_check_while_the_schema_is_behind(bot):
    database = sqlite3.connect(bot.workdir / "firehouse.db")
    (revision,) = database.execute("SELECT version_num FROM alembic_version").fetchone()
    try:
        database.execute("UPDATE alembic_version SET version_num = '0001'")
        database.commit()
        status, body = get(f"{base(bot)}/readyz")
        assert status == 503
        answer = json.loads(body)
        assert answer["status"] == "not ready" and answer["failing"] == ["migrations"]
        assert "0001" in answer["checks"]["migrations"]
        assert get(f"{base(bot)}/healthz")[0] == 200  # alive all the same: a restart would not help
    finally:
        database.execute("UPDATE alembic_version SET version_num = ?", (revision,))
        database.commit()
        database.close()
    assert get(f"{base(bot)}/readyz")[0] == 200


def test_the_counters_move_with_real_traffic(fake, bot, declare):
    room = declare("sev1 output Metrics war room")
    assert "Usage" in room.run("sev 9")  # a usage error, answered in the ack
    room.run("log checked the dashboards")
    fake.inject("chat.postMessage", status=429, count=1, retry_after=0)
    room.run("update rolled back the prompt; watching")
    fake.wait_for(lambda: [m for m in fake.messages(fake.stakeholders) if "rolled back" in m.get("text", "")])

    def scraped() -> str:
        status, text = get(f"{base(bot)}/metrics")
        assert status == 200
        return text

    metrics = fake.wait_for(lambda: (m := scraped()) and sample(
        m, "firehouse_board_post_lateness_seconds_count", kind="update") >= 1 and m)
    assert sample(metrics, "firehouse_commands_total", verb="declare", outcome="ok") == 1
    assert sample(metrics, "firehouse_commands_total", verb="sev", outcome="usage_error") == 1
    assert sample(metrics, "firehouse_commands_total", verb="log", outcome="ok") == 1
    assert sample(metrics, "firehouse_ack_seconds_count", kind="command") >= 4
    assert sample(metrics, "firehouse_slack_calls_total", method="conversations.create", outcome="ok") >= 1
    assert sample(metrics, "firehouse_slack_calls_total", method="chat.postMessage", outcome="ok") >= 1
    assert sample(metrics, "firehouse_slack_retries_total", method="chat.postMessage", reason="rate_limited") == 1
    assert sample(metrics, "firehouse_open_incidents", severity="sev1", **{"class": "output"}) == 1
    assert sample(metrics, "firehouse_scheduler_leader") == 1
    assert "# TYPE firehouse_outbox_depth gauge" in metrics
    # Slack's confirmations are written with the next transaction, or the leader's round within 5 s
    settled = fake.wait_for(lambda: (m := scraped()) and "firehouse_outbox_depth 0.0" in m and m)
    assert "firehouse_outbox_oldest_unsent_seconds 0.0" in settled


def test_a_refused_command_and_a_failed_one_are_counted_apart(fake, bot, declare):
    room = declare("sev2 output Refusals war room")
    room.run("status resolved")  # a SEV2 may resolve; then resolving again is refused by the domain
    before = get(f"{base(bot)}/metrics")[1]
    room.run("status resolved")
    after = fake.wait_for(lambda: (m := get(f"{base(bot)}/metrics")[1]) and sample(
        m, "firehouse_commands_total", verb="status", outcome="refused") > sample(
        before, "firehouse_commands_total", verb="status", outcome="refused") and m)
    assert sample(after, "firehouse_commands_total", verb="status", outcome="failed") == 0


def test_regulatory_deadlines_due_within_a_day_are_gauged(tmp_path_factory, fake):
    config = f'stakeholder_channel = "{fake.stakeholders}"\nregimes = ["gdpr", "nis2"]\n'
    with BotProcess(fake=fake, workdir=tmp_path_factory.mktemp("clocks"), config=config) as bot:
        url = fake.new_response_url()
        assert bot.command("declare sev1 data Customer emails in answers", user=ALICE, channel=fake.general,
                           response_url=url).status == 200
        fake.wait_for(lambda: fake.responses(url))
        metrics = fake.wait_for(lambda: (m := get(f"{base(bot)}/metrics")[1]) and "regulatory" in m and m)
        # NIS2's early warning is due 24 h after awareness; GDPR's 72 h report is further out
        assert sample(metrics, "firehouse_regulatory_deadlines_due_soon", regime="nis2") == 1
        assert sample(metrics, "firehouse_regulatory_deadlines_due_soon", regime="gdpr") == 0
        assert sample(metrics, "firehouse_regulatory_deadlines_overdue", regime="gdpr") == 0


def socket_mode_bot(fake, tmp_path, socket: SocketModeServer, *args: str, env: dict | None = None):
    fake.socket_url = socket.url
    process = BotProcess(fake=fake, workdir=tmp_path, env={"SLACK_APP_TOKEN": fake.app_token, **(env or {})})
    return process, subprocess.Popen([*firehouse_command(), "serve", "--host", "127.0.0.1", *args],
                                     cwd=tmp_path, env=process.environment(), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_socket_mode_serves_the_probes_on_the_health_port(fake, tmp_path, how):
    socket = SocketModeServer().start()
    port = free_port()
    args, env = (("--health-port", str(port)), None) if how == "flag" else ((), {"FIREHOUSE_HEALTH_PORT": str(port)})
    _, child = socket_mode_bot(fake, tmp_path, socket, *args, env=env)
    try:
        fake.wait_for(lambda: socket.connected, timeout=20)
        ready = fake.wait_for(lambda: _quietly(f"http://127.0.0.1:{port}/readyz"), timeout=20)
        assert ready[0] == 200 and json.loads(ready[1])["status"] == "ready"
        assert get(f"http://127.0.0.1:{port}/healthz") == (200, "ok\n")
        socket.send({"envelope_id": "env-metrics", "type": "slash_commands", "accepts_response_payload": True,
                     "payload": {"team_id": "T0FIRE", "channel_id": fake.general, "user_id": ALICE,
                                 "command": "/incident", "text": "help", "response_url": fake.new_response_url(),
                                 "trigger_id": "1.T0FIRE.socket", "api_app_id": "A0FIRE"}})
        socket.ack_for("env-metrics")
        metrics = fake.wait_for(lambda: (m := get(f"http://127.0.0.1:{port}/metrics")[1]) and sample(
            m, "firehouse_ack_seconds_count", kind="command") >= 1 and m)
        assert sample(metrics, "firehouse_commands_total", verb="help", outcome="ok") == 1
        assert get(f"http://127.0.0.1:{port}/slack/events")[0] == 404  # only the probes here
        child.terminate()
        assert child.wait(20) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        socket.stop()
        fake.socket_url = ""


def test_socket_mode_opens_no_port_without_the_flag(fake, tmp_path):
    socket = SocketModeServer().start()
    port = free_port()
    _, child = socket_mode_bot(fake, tmp_path, socket, "--port", str(port))
    try:
        fake.wait_for(lambda: socket.connected, timeout=20)
        time.sleep(0.5)
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
    finally:
        child.kill()
        child.wait()
        socket.stop()
        fake.socket_url = ""


def _quietly(url: str) -> tuple[int, str] | None:
    try:
        return get(url)
    except OSError:
        return None
