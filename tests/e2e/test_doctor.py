"""`firehouse doctor` against the fake Slack: one line per check, every problem at once, exit 1 on any."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from botprocess import BotProcess, firehouse_command, free_port
from fakeslack import GRANTED_SCOPES
from socketmode import SocketModeServer

from conftest import ALICE
from firehouse.ops.doctor import BOT_SCOPES

MANIFEST = Path(__file__).parents[2] / "manifest.yml"
CHECK = re.compile(r"(settings|slack \w+ token|slack scopes|stakeholder channel|database|templates|drills"
                   r"|integrations|firebreak \S+|trace source \S+) ")


def run(fake, workdir: Path, *args: str, config: str = "", env_changes: dict | None = None
        ) -> subprocess.CompletedProcess:
    env = BotProcess(fake=fake, workdir=workdir, config=config).environment()
    for key, value in (env_changes or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run([*firehouse_command(), *args], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=120)


def lines(result: subprocess.CompletedProcess) -> dict[str, str]:
    """The report as {check name: its line}, with the summary under "summary"."""
    found = {}
    for line in result.stdout.splitlines():
        if line.startswith("firehouse doctor:"):
            found["summary"] = line
        else:
            found[CHECK.match(line[6:])[1]] = line
    return found


@pytest.fixture
def migrated(fake, tmp_path) -> Path:
    assert run(fake, tmp_path, "db", "upgrade").returncode == 0
    return tmp_path


@pytest.fixture
def scopes(fake):
    yield fake
    fake.scopes = list(GRANTED_SCOPES)


def test_the_scopes_doctor_wants_are_the_ones_the_manifest_asks_for():
    manifest = yaml.safe_load(MANIFEST.read_text())
    assert list(BOT_SCOPES) == manifest["oauth_config"]["scopes"]["bot"] == list(GRANTED_SCOPES)


def test_all_good_passes_every_check_and_exits_0(fake, migrated):
    config = (f'stakeholder_channel = "{fake.stakeholders}"\n'
              f'[trace_sources.phoenix]\nurl = "{fake.base_url}v1/traces/{{trace_id}}"\n')
    result = run(fake, migrated, "doctor", config=config)
    assert result.returncode == 0, result.stdout + result.stderr
    report = lines(result)
    assert report["settings"].startswith("ok    settings             complete (HTTP mode)")
    assert report["slack bot token"] == "ok    slack bot token      bot firehouse (UBOT) in Firehouse Test (T0FIRE)"
    assert report["slack scopes"].startswith("ok") and "all 13 bot scopes" in report["slack scopes"]
    assert report["stakeholder channel"] == (f"ok    stakeholder channel  #incidents ({fake.stakeholders}),"
                                             " the bot is a member")
    assert report["database"].startswith("ok") and report["database"].endswith("(current)")
    assert report["templates"].startswith("ok")
    assert report["drills"].startswith("ok    drills               4 scenarios")
    assert report["trace source phoenix"] == f"ok    trace source phoenix {fake.base_url} answered (HTTP 404)"
    assert report["summary"] == "firehouse doctor: 8 checks passed"
    assert result.stderr == ""


def test_a_missing_scope_and_a_missing_stakeholder_channel_are_both_reported_and_exit_1(fake, migrated, scopes):
    fake.scopes = [s for s in GRANTED_SCOPES if s not in ("usergroups:read", "channels:join")]
    result = run(fake, migrated, "doctor", config='stakeholder_channel = "C0NOSUCH99"\n')
    assert result.returncode == 1
    report = lines(result)
    assert report["slack scopes"].startswith("FAIL  slack scopes         not granted: channels:join, usergroups:read")
    assert report["stakeholder channel"].startswith("FAIL  stakeholder channel  C0NOSUCH99: Slack says"
                                                    " channel_not_found")
    assert report["slack bot token"].startswith("ok") and report["database"].startswith("ok")
    assert report["summary"] == "firehouse doctor: 2 of 8 checks failed, 1 skipped"
    assert "Traceback" not in result.stdout + result.stderr


def test_a_public_channel_the_bot_is_not_in_passes_and_an_unreachable_integration_fails(fake, migrated):
    public = fake.add_channel("ai-status")
    fake.remove_member(public, fake.bot_user_id)
    secret = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
    config = (f'stakeholder_channel = "{public}"\n'
              '[firebreaks.refunds-off]\nkind = "kill-switch"\ntarget = "refunds"\nexecutor = "webhook"\n'
              f'url = "http://127.0.0.1:{free_port()}/firebreak"\nsecret_env = "REFUNDS_SECRET"\ntimeout = "2s"\n')
    result = run(fake, migrated, "doctor", config=config, env_changes={"REFUNDS_SECRET": secret})
    assert result.returncode == 1
    report = lines(result)
    assert report["stakeholder channel"] == (f"ok    stakeholder channel  #ai-status ({public}) is public: the bot"
                                             " joins it with its first post")
    assert report["firebreak refunds-off"].startswith("FAIL  firebreak refunds-off http://127.0.0.1:")
    assert "did not answer: ConnectError" in report["firebreak refunds-off"]
    assert report["summary"] == "firehouse doctor: 1 of 8 checks failed"


def test_every_missing_setting_is_listed_at_once_and_no_database_is_created(fake, tmp_path):
    config = ('[firebreaks.refunds-off]\nkind = "kill-switch"\ntarget = "refunds"\nexecutor = "unleash"\n'
              'url = "http://127.0.0.1:4242"\ntoken_env = "UNLEASH_TOKEN"\nfeature = "refunds"\n'
              'environment = "production"\n')
    result = run(fake, tmp_path, "doctor", config=config,
                 env_changes={"SLACK_BOT_TOKEN": None, "SLACK_SIGNING_SECRET": "", "FIREHOUSE_DATABASE_URL": None})
    assert result.returncode == 1
    out = result.stdout.splitlines()
    assert out[0] == ("FAIL  settings             SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set;"
                      " see the README's configuration section")
    assert out[1] == ("FAIL  settings             firehouse.toml: firebreaks.refunds-off.token_env names UNLEASH_TOKEN,"
                      " which is not set in the environment")
    report = lines(result)
    assert report["slack bot token"].startswith("skip") and report["slack scopes"].startswith("skip")
    assert report["database"] == (f"FAIL  database             no database at {tmp_path.resolve() / 'firehouse.db'}:"
                                  " `firehouse db upgrade` creates it (so does `firehouse serve`)")
    assert not (tmp_path / "firehouse.db").exists()
    assert "Traceback" not in result.stdout + result.stderr


def test_serve_refuses_with_every_missing_variable_in_one_line(fake, tmp_path):
    result = run(fake, tmp_path, "serve", "--port", str(free_port()),
                 env_changes={"SLACK_BOT_TOKEN": None, "SLACK_SIGNING_SECRET": None})
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == ("firehouse: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set;"
                                              " see the README's configuration section")


def test_socket_mode_needs_no_signing_secret_for_doctor_or_serve(fake, migrated):
    no_secret = {"SLACK_APP_TOKEN": fake.app_token, "SLACK_SIGNING_SECRET": None}
    result = run(fake, migrated, "doctor", env_changes=no_secret)
    report = lines(result)
    assert report["settings"] == "ok    settings             complete (Socket Mode)"
    assert report["slack app token"] == "ok    slack app token      Socket Mode connections open"
    assert result.returncode == 0, result.stdout

    socket = SocketModeServer().start()
    fake.socket_url = socket.url
    env = BotProcess(fake=fake, workdir=migrated).environment()
    env.update(SLACK_APP_TOKEN=fake.app_token)
    env.pop("SLACK_SIGNING_SECRET")
    child = subprocess.Popen([*firehouse_command(), "serve", "--port", str(free_port())], cwd=migrated, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        fake.wait_for(lambda: socket.connected, timeout=20)
        url = fake.new_response_url()
        socket.send({"envelope_id": "env-doctor", "type": "slash_commands", "accepts_response_payload": True,
                     "payload": {"team_id": "T0FIRE", "channel_id": fake.general, "user_id": ALICE,
                                 "command": "/incident", "text": "declare sev3 No secret needed",
                                 "response_url": url, "trigger_id": "1.T0FIRE.doctor", "api_app_id": "A0FIRE"}})
        assert "Opening a war room" in json.dumps(socket.ack_for("env-doctor").get("payload", {}))
        fake.wait_for(lambda: fake.channel_named(f"inc-{datetime.now(UTC):%Y%m%d}-no-secret-needed"), timeout=20)
    finally:
        child.kill()
        child.wait()
        socket.stop()
        fake.socket_url = ""
