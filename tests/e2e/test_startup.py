"""Start-up: bad settings stop `firehouse serve` with one clear line and exit code 2; Socket Mode connects out."""

import json
import subprocess
from datetime import UTC, datetime

import pytest
from botprocess import BotProcess, firehouse_command, free_port
from socketmode import SocketModeServer

from warroom import ALICE


def serve(fake, tmp_path, *, env_changes: dict, config: str = "") -> subprocess.CompletedProcess:
    process = BotProcess(fake=fake, workdir=tmp_path, config=config)
    env = process.environment()
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run([*firehouse_command(), "serve", "--host", "127.0.0.1", "--port", str(free_port())],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("env_changes", "config", "message"), [
    ({"SLACK_BOT_TOKEN": None}, "", "SLACK_BOT_TOKEN is not set"),
    ({"SLACK_SIGNING_SECRET": ""}, "", "SLACK_SIGNING_SECRET is not set"),
    ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "", "SLACK_BOT_TOKEN must start with xoxb-"),
    ({"SLACK_BOT_TOKEN": "xoxb-wrong"}, "", "Slack refused SLACK_BOT_TOKEN"),
    ({"SLACK_APP_TOKEN": "xoxb-not-an-app-token"}, "", "SLACK_APP_TOKEN must be an app-level token"),
    ({}, "stakeholder_channel = \"#incidents\"\n", "stakeholder_channel must be a channel id"),
    ({}, "channel_prefix = \"INC!\"\n", "channel_prefix must be 1-20 characters"),
    ({}, "colour = \"red\"\n", "unknown key 'colour'"),
    ({}, "[cadence]\nsev1 = \"fast\"\n", "cadence.sev1: 'fast' is not a duration"),
    ({}, "[cadence]\nsev9 = \"1m\"\n", "unknown key cadence.sev9"),
    ({}, "stakeholder_channel = \n", "not valid TOML"),
    ({"FIREHOUSE_CONFIG": "missing.toml"}, "", "FIREHOUSE_CONFIG names missing.toml, which does not exist"),
    ({"FIREHOUSE_DATABASE_URL": "nosuchdb://x"}, "", "FIREHOUSE_DATABASE_URL: cannot open nosuchdb://x"),
    ({"SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/"}, "", "cannot reach Slack at http://127.0.0.1:"),
])
def test_bad_settings_stop_start_up_with_one_line_and_exit_2(fake, tmp_path, env_changes, config, message):
    result = serve(fake, tmp_path, env_changes=env_changes, config=config)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("firehouse: ")
    assert message in result.stderr.splitlines()[-1]


def test_socket_mode_connects_out_and_runs_commands_with_no_port_open(fake, tmp_path):
    socket = SocketModeServer().start()
    fake.socket_url = socket.url
    process = BotProcess(fake=fake, workdir=tmp_path, env={"SLACK_APP_TOKEN": fake.app_token})
    process.port = free_port()
    child = subprocess.Popen([*firehouse_command(), "serve", "--host", "127.0.0.1", "--port", str(process.port)],
                             cwd=tmp_path, env=process.environment(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        call = fake.wait_for(lambda: fake.calls("apps.connections.open"), timeout=20)[0]
        assert call.error is None  # the app token, not the bot token, opened the connection
        fake.wait_for(lambda: socket.connected, timeout=20)
        url = fake.new_response_url()
        socket.send({"envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True,
                     "payload": {"team_id": "T0FIRE", "channel_id": fake.general, "user_id": ALICE,
                                 "command": "/incident", "text": "declare sev2 Socket mode war room",
                                 "response_url": url, "trigger_id": "1.T0FIRE.socket", "api_app_id": "A0FIRE"}})
        ack = socket.ack_for("env-1")
        assert "Opening a war room" in json.dumps(ack.get("payload", {}))
        reply = fake.wait_for(lambda: fake.responses(url))[0]["text"]
        assert reply.startswith("War room <#") and fake.channel_named(
            f"inc-{datetime.now(UTC):%Y%m%d}-socket-mode-war-room")
        with pytest.raises(OSError):
            process.command("help", user=ALICE, channel=fake.general)  # nothing listens for HTTP
    finally:
        child.kill()
        child.wait()
        socket.stop()
        fake.socket_url = ""
