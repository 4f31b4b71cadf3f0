"""Alert intake over HTTP against the real `firehouse serve`: an alert opens a SEV3 investigation, a repeat
attaches, a resolve is noted; bad tokens and bad bodies are refused with nothing stored; what an alerting
system sends is shown as sent; Grafana's variant; storm control; Socket Mode's own port; and a delivery
left by a kill -9 is processed once after the restart."""

from __future__ import annotations

import json
import re
import socket
import sqlite3
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from botprocess import BotProcess, firehouse_command, free_port
from socketmode import SocketModeServer

from warroom import BOB, CAROL, Room

TOKEN = "alert-token-0123456789abcdef"
CONFIG = """stakeholder_channel = "{stakeholders}"

[alerts]
captain = "UCAROL"
storm_limit = {storm_limit}

[[alerts.rules]]
match = {{ ai_class = "cost" }}
class = "cost"
captain = "UBOB"

[[alerts.rules]]
match = {{ ai_class = "data" }}
class = "data"
severity = "sev2"
"""


def alert_bot(fake, workdir, *, storm_limit: int = 50, env: dict | None = None) -> BotProcess:
    return BotProcess(fake=fake, workdir=workdir, config=CONFIG.format(stakeholders=fake.stakeholders,
                                                                        storm_limit=storm_limit),
                      env={"FIREHOUSE_ALERT_TOKEN": TOKEN, **(env or {})})


@pytest.fixture(scope="module")
def bot(fake, tmp_path_factory):
    with alert_bot(fake, tmp_path_factory.mktemp("firehouse")) as process:
        yield process


def deliver(port: int, body, *, path: str = "/alerts/alertmanager", token: str | None = TOKEN,
            method: str = "POST") -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        text = err.read()
        try:
            return err.code, json.loads(text)
        except ValueError:
            return err.code, {"raw": text.decode(errors="replace")}


def alert(name: str, *, status: str = "firing", fingerprint: str | None = None, **labels: str) -> dict:
    return {"status": status, "labels": {"alertname": name, **labels},
            "annotations": {"summary": f"{name} needs a look", "runbook": "https://runbooks.example/spend"},
            "startsAt": "2026-03-02T08:55:00.123456789Z",
            "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-03-02T09:20:00Z",
            "generatorURL": f"http://prometheus.example/graph?g0.expr={name}&g0.tab=1",
            "fingerprint": fingerprint or f"fp{abs(hash(name)) % 10**12:012d}"}


def group(*alerts: dict, key: str | None = None) -> dict:
    name = alerts[0]["labels"]["alertname"]
    return {"version": "4", "groupKey": key or f'{{}}:{{alertname="{name}"}}', "status": alerts[0]["status"],
            "receiver": "firehouse", "externalURL": "http://alertmanager.example", "alerts": list(alerts)}


def war_room(fake, text: str, *, timeout: float = 10.0) -> str:
    """The channel whose kickoff names `text` (a title)."""
    rooms = fake.wait_for(lambda: rooms_named(fake, text), timeout=timeout)
    assert len(rooms) == 1, rooms
    return rooms[0]


def rooms_named(fake, text: str) -> list[str]:
    """The war rooms whose first message (the kickoff) names `text`."""
    return [channel for channel, room in fake.channels.items() if room.name.startswith("inc-")
            and any(text in m["text"] for m in fake.messages(channel)[:1])]


def sample(metrics: str, name: str, **labels: str) -> float:
    """One sample's value in Prometheus' text format (0 when it is absent)."""
    for line in metrics.splitlines():
        match = re.fullmatch(r"([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)", line)
        if match and match[1] == name and dict(re.findall(r'(\w+)="([^"]*)"', match[2] or "")) == labels:
            return float(match[3])
    return 0.0


def stored(bot: BotProcess, sql: str) -> list[tuple]:
    with sqlite3.connect(bot.workdir / "firehouse.db") as database:
        return database.execute(sql).fetchall()


def test_a_firing_alert_opens_a_provisional_sev3_investigation_with_its_labels_on_the_timeline(fake, bot):
    status, answer = deliver(bot.port, group(alert("TokenSpendDoubled", ai_class="cost", service="support-bot")))
    assert status == 202 and answer["alerts"] == 1, answer
    room = Room(fake, bot, war_room(fake, "TokenSpendDoubled needs a look"))
    fake.wait_for(lambda: room.channel.topic)  # set in the briefing, the round trip after the channel's
    assert room.channel.topic == "SEV3 · cost · Fire captain: <@UBOB> (provisional) · investigating"
    assert BOB in room.channel.members  # the rule's captain is invited
    posted = fake.wait_for(lambda: [m for m in fake.messages(room.id) if "opened this investigation" in m["text"]
                                    or "opened this investigation" in json.dumps(m.get("blocks"))])
    assert "label rule 1" in json.dumps(posted[0]["blocks"])
    lines = room.timeline(user=BOB)
    alert_lines = [line for line in lines if "*alert*" in line]
    assert "Alertmanager: TokenSpendDoubled firing since 2026-03-02 08:55 UTC: TokenSpendDoubled needs a look" \
        in alert_lines[0]
    assert any("Labels: ai_class=cost, alertname=TokenSpendDoubled, service=support-bot" in line for line in alert_lines)
    assert any("Annotations: runbook=https://runbooks.example/spend; summary=" in line for line in alert_lines)
    assert any("Generator link: http://prometheus.example/graph?g0.expr=TokenSpendDoubled&amp;g0.tab=1" in line
               for line in alert_lines)
    summary = room.run("summary", user=BOB)
    assert "*Detected*: 2026-03-02 08:55 UTC" in summary  # the alert's start is when it was detected


def test_a_repeat_attaches_by_group_key_or_fingerprint_and_a_resolve_leaves_the_incident_open(fake, bot):
    first = alert("EvalScoreDropped", fingerprint="aaaa000000000001")
    assert deliver(bot.port, group(first))[0] == 202
    room = Room(fake, bot, war_room(fake, "EvalScoreDropped needs a look"))
    second = alert("EvalScoreDroppedEU", fingerprint="aaaa000000000002")
    assert deliver(bot.port, group(first, second, key='{}:{alertname="EvalScoreDropped"}'))[0] == 202  # same key
    fake.wait_for(lambda: any("EvalScoreDroppedEU firing" in line for line in room.timeline(user=CAROL)))
    moved = alert("EvalScoreDropped", fingerprint="aaaa000000000001")  # the same alert in another group
    assert deliver(bot.port, group(moved, key='{}:{team="evals"}'))[0] == 202
    resolved = alert("EvalScoreDropped", status="resolved", fingerprint="aaaa000000000001")
    assert deliver(bot.port, group(resolved))[0] == 202
    fake.wait_for(lambda: any("EvalScoreDropped resolved at 2026-03-02 09:20 UTC" in line for line in room.timeline(user=CAROL)))
    assert rooms_named(fake, "EvalScoreDropped") == [room.id]  # nothing opened another war room
    assert len([line for line in room.timeline(user=CAROL) if "EvalScoreDropped firing since" in line]) == 1
    assert "investigating" in room.channel.topic  # resolved by the alert, open for a person to decide
    assert any("The incident stays open" in json.dumps(m.get("blocks")) for m in fake.messages(room.id))
    outcomes = stored(bot, "SELECT outcome FROM alert_delivery WHERE incident_id = "
                           f"(SELECT id FROM incident WHERE channel_id = '{room.id}') ORDER BY id")
    assert outcomes == [("opened",), ("attached",), ("attached",), ("attached",)]


@pytest.mark.parametrize(("token", "header"), [(None, None), ("wrong-token-0123456789", "Bearer"),
                                                (TOKEN, "Basic")])
def test_a_missing_or_wrong_token_is_401_and_nothing_is_stored(fake, bot, token, header):
    before = stored(bot, "SELECT count(*) FROM alert_delivery")
    request = urllib.request.Request(f"http://127.0.0.1:{bot.port}/alerts/alertmanager", method="POST",
                                     data=json.dumps(group(alert("Intruder"))).encode(),
                                     headers={"Authorization": f"{header} {token}"} if token else {})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    assert refused.value.headers["WWW-Authenticate"].startswith("Bearer")
    assert stored(bot, "SELECT count(*) FROM alert_delivery") == before


@pytest.mark.parametrize(("body", "problem"), [
    (b'{"alerts": [', "the body is not JSON"),
    ([1, 2], "the body must be a JSON object"),
    ({"version": "4", "status": "firing"}, "no alerts: the body needs an `alerts` list"),
    ({"version": "4", "status": "firing", "alerts": [{"status": "firing", "startsAt": "2026-03-02T09:00:00Z"}]},
     "alerts[0] has no labels"),
    ({"version": "4", "status": "firing", "alerts": [{"status": "firing", "labels": {"alertname": "X"},
                                                      "startsAt": "yesterday"}]},
     "alerts[0].startsAt must be an RFC 3339 time"),
    ({"version": "3", "status": "firing", "alerts": []}, 'version must be "4"'),
])
def test_a_malformed_delivery_is_400_naming_the_problem_and_nothing_is_stored(fake, bot, body, problem):
    before = stored(bot, "SELECT count(*) FROM alert_delivery")
    status, answer = deliver(bot.port, body)
    assert status == 400 and problem in answer["error"], answer
    assert stored(bot, "SELECT count(*) FROM alert_delivery") == before
    assert deliver(bot.port, b"", method="GET")[0] == 405  # and the bot keeps serving


def test_a_body_over_one_mebibyte_is_refused_with_413_from_its_length(fake, bot):
    head = (f"POST /alerts/alertmanager HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {1024 * 1024 + 1}\r\n\r\n")
    with socket.create_connection(("127.0.0.1", bot.port), timeout=10) as sock:
        sock.sendall(head.encode() + b'{"alerts": [')  # a few bytes of the promised mebibyte, then we wait
        answer = sock.recv(65536)
    assert answer.split(b" ", 2)[1] == b"413"


def test_what_an_alerting_system_sends_never_pings_and_never_becomes_a_template(fake, bot):
    hostile = alert("PromptInjection", team="<!channel>")
    hostile["annotations"] = {"summary": "{{ 7*7 }} <!channel> leak", "description": "<!here> {% raw %}x"}
    assert deliver(bot.port, group(hostile))[0] == 202
    room = Room(fake, bot, war_room(fake, "{{ 7*7 }}"))
    posts = fake.wait_for(lambda: [m for m in fake.messages(room.id) if "PromptInjection" in m["text"]])
    shown = json.dumps([m.get("blocks") for m in fake.messages(room.id)] + [m["text"] for m in fake.messages(room.id)])
    announced = json.dumps([m for m in fake.messages(fake.stakeholders) if "7*7" in json.dumps(m)])
    for text in (shown, announced):
        assert "<!channel>" not in text and "<!here>" not in text
    assert "&lt;!channel&gt;" in shown and "{% raw %}" in shown
    assert "{{ 7*7 }} &lt;!channel&gt; leak" in fake.messages(room.id)[0]["text"]  # the kickoff: as sent, unrendered
    assert "&lt;!channel&gt;" in announced and posts
    assert any("summary={{ 7*7 }} &lt;!channel&gt; leak" in line for line in room.timeline(user=CAROL))


def test_grafanas_payload_opens_a_war_room_with_its_panel_link(fake, bot):
    grafana = {
        "receiver": "firehouse", "status": "firing", "orgId": 1, "version": "1", "state": "alerting",
        "groupKey": '{}/{}:{alertname="Refunds over policy"}', "title": "[FIRING:1] Refunds over policy",
        "alerts": [{"status": "firing", "labels": {"alertname": "Refunds over policy", "ai_class": "data"},
                    "annotations": {}, "startsAt": "2026-03-02T08:58:00+01:00", "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "", "fingerprint": "c6eadffa33fcdf37", "silenceURL": "http://grafana.example/s",
                    "panelURL": "http://grafana.example/d/refunds?viewPanel=2", "values": {"B": 41.5},
                    "valueString": "[ var='B' value=41.5 ]"}],
    }
    status, _ = deliver(bot.port, grafana, path="/alerts/grafana")
    assert status == 202
    room = Room(fake, bot, war_room(fake, "Refunds over policy"))
    assert room.channel.is_private and room.channel.topic.startswith("SEV2 · data")  # rule 2: data, sev2
    assert CAROL in room.channel.members  # the default captain
    lines = room.timeline(user=CAROL)
    assert any("Grafana: Refunds over policy firing since 2026-03-02 07:58 UTC" in line for line in lines)
    assert any("Generator link: http://grafana.example/d/refunds?viewPanel=2" in line for line in lines)


def test_the_metrics_count_deliveries_by_source_and_outcome(fake, bot):
    def count(metric: str, **labels: str) -> float:
        with urllib.request.urlopen(f"http://127.0.0.1:{bot.port}/metrics", timeout=10) as response:
            return sample(response.read().decode(), metric, **labels)

    before = {outcome: count("firehouse_alert_deliveries_total", source="grafana", outcome=outcome)
              for outcome in ("accepted", "unauthorized")}
    opened = count("firehouse_alert_outcomes_total", source="grafana", outcome="opened")
    deliver(bot.port, group(alert("Counted")), path="/alerts/grafana", token="not-the-token-at-all")
    deliver(bot.port, group(alert("Counted")), path="/alerts/grafana")
    assert count("firehouse_alert_deliveries_total", source="grafana", outcome="unauthorized") == \
        before["unauthorized"] + 1
    assert count("firehouse_alert_deliveries_total", source="grafana", outcome="accepted") == before["accepted"] + 1
    fake.wait_for(lambda: count("firehouse_alert_outcomes_total", source="grafana", outcome="opened") == opened + 1)


def test_without_the_token_the_endpoints_are_off(fake, tmp_path):
    with BotProcess(fake=fake, workdir=tmp_path, config="") as plain:
        status, _ = deliver(plain.port, group(alert("Nobody")))
        assert status == 404


def test_storm_control_opens_at_most_the_limit_and_gathers_the_rest_in_one_war_room(fake, tmp_path):
    with alert_bot(fake, tmp_path, storm_limit=2) as stormy:
        for n in range(5):
            assert deliver(stormy.port, group(alert(f"Flood{n}", fingerprint=f"flood{n:012d}")))[0] == 202
        storm = war_room(fake, "Alert storm: more than 2 alert groups within 10m")
        fake.wait_for(lambda: len([line for line in Room(fake, stormy, storm).timeline(user=CAROL)
                                   if "joined the storm" in line]) == 3)
        own = [room for n in range(5) for room in rooms_named(fake, f"Flood{n} needs a look")]
        assert len(own) == 2
        assert deliver(stormy.port, group(alert("Flood4", fingerprint="flood000000000004")))[0] == 202  # a repeat
        fake.wait_for(lambda: stored(stormy, "SELECT count(*) FROM alert_delivery WHERE processed_at IS NULL") == [(0,)])
        assert len(rooms_named(fake, "Alert storm")) == 1 and len(rooms_named(fake, "Flood")) == 2


@contextmanager
def arrivals(fake, method: str) -> Iterator[threading.Event]:
    """Set when a call to `method` reaches the fake Slack, before its latency (the fake records calls after)."""
    arrived, answer = threading.Event(), fake._handle_api

    def handle_api(name: str, args: dict, token: str | None):
        if name == method:
            arrived.set()
        return answer(name, args, token)

    fake._handle_api = handle_api
    try:
        yield arrived
    finally:
        del fake._handle_api  # the fake's own method again


def test_a_delivery_left_by_a_kill_between_the_202_and_its_processing_is_processed_once(fake, tmp_path):
    fake.set_latency("users.info", 3.0)  # processing waits on Slack for the rule's captain
    try:
        with alert_bot(fake, tmp_path) as first, arrivals(fake, "users.info") as asked:
            assert deliver(first.port, group(alert("KilledMidway", ai_class="cost")))[0] == 202
            assert asked.wait(10)  # processing is under way, waiting on Slack
            first.kill()
    finally:
        fake.set_latency("users.info", 0)
    assert not rooms_named(fake, "KilledMidway")
    assert stored(first, "SELECT count(*) FROM alert_delivery WHERE processed_at IS NULL") == [(1,)]  # owed
    with alert_bot(fake, tmp_path) as second:
        room = war_room(fake, "KilledMidway needs a look")
        fake.wait_for(lambda: stored(second, "SELECT count(*) FROM alert_delivery WHERE processed_at IS NULL") == [(0,)])
        # A repeat of the group, processed after the owed one (in the order received): by the time it attached,
        # the owed delivery had every chance to be processed twice.
        assert deliver(second.port, group(alert("KilledMidway", ai_class="cost")))[0] == 202
        fake.wait_for(lambda: stored(second, "SELECT outcome FROM alert_delivery ORDER BY id") == [
            ("opened",), ("attached",)])
        assert rooms_named(fake, "KilledMidway") == [room]
        assert stored(second, "SELECT count(*) FROM incident WHERE title LIKE 'KilledMidway%'") == [(1,)]


def test_socket_mode_serves_the_intake_on_its_own_port(fake, tmp_path):
    socket = SocketModeServer().start()
    fake.socket_url = socket.url
    port = free_port()
    process = alert_bot(fake, tmp_path, env={"SLACK_APP_TOKEN": fake.app_token,
                                            "FIREHOUSE_ALERTS_PORT": str(port)})
    child = subprocess.Popen([*firehouse_command(), "serve", "--host", "127.0.0.1"],
                             cwd=tmp_path, env=process.environment(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        fake.wait_for(lambda: socket.connected, timeout=20)
        status = fake.wait_for(lambda: _answered(port), timeout=20)
        assert status == 202
        assert war_room(fake, "SocketAlert needs a look")
    finally:
        child.terminate()
        child.wait(10)
        socket.stop()
        fake.socket_url = ""


def _answered(port: int) -> int | None:
    try:
        return deliver(port, group(alert("SocketAlert")))[0]
    except OSError:
        return None


def test_socket_mode_with_the_token_and_no_intake_port_stops_start_up_with_one_line(fake, tmp_path):
    process = alert_bot(fake, tmp_path, env={"SLACK_APP_TOKEN": fake.app_token})
    result = subprocess.run([*firehouse_command(), "serve", "--host", "127.0.0.1"], cwd=tmp_path,
                            env=process.environment(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == ("firehouse: FIREHOUSE_ALERT_TOKEN is set in Socket Mode, so alert"
                                              " intake needs a port of its own: --alerts-port or"
                                              " FIREHOUSE_ALERTS_PORT")


@pytest.mark.parametrize(("captain", "line"), [
    ("UBOB", "ok    alerts               intake on: captain UCAROL, 2 label rules, at most 50 war rooms per 10m"),
    ("UGONE", "FAIL  alerts               captain UGONE is deactivated; an alert's investigation needs a person"),
])
def test_doctor_says_whether_every_captain_alerts_may_name_can_answer(fake, tmp_path, captain, line):
    process = alert_bot(fake, tmp_path)
    process.config_path.write_text(process.config_path.read_text().replace('captain = "UBOB"',
                                                                           f'captain = "{captain}"'))
    result = subprocess.run([*firehouse_command(), "doctor"], cwd=tmp_path, env=process.environment(),
                            capture_output=True, text=True, timeout=60)
    assert any(found.startswith(line) for found in result.stdout.splitlines()), result.stdout
