"""`firehouse doctor` asks each pager, each `[[events]]` receiver and Slack's user groups something harmless: a real
Alertmanager its status, a webhook and a receiver for any answer (nothing is paged or sent), Slack for the members
of each user group a routing rule invites; PagerDuty's line says what is configured and that it was not checked."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from alertmanagerserver import Alertmanager, AlertmanagerUnavailable, alertmanager_server, skip_or_fail
from botprocess import BotProcess, firehouse_command, free_port
from localserver import LocalServer, Reply, Request
from warroom import ALICE, BOB

SECRET = "whsec_" + base64.b64encode(b"firehouse doctor test secret 32b").decode()
LEGAL, EMPTY, MISSING = "S0LEGAL", "S0EMPTY", "S0NOSUCH"


class Listener(LocalServer):
    """Answers every request 405 but HEAD, as a receiver that takes only POST might; keeps each method asked."""

    name = "the listener"

    def __init__(self) -> None:
        self.methods: list[str] = []

    def answer(self, request: Request) -> Reply:
        self.methods.append(request.method)
        return Reply(200 if request.method == "HEAD" else 405)


@pytest.fixture(scope="module")
def alertmanager() -> Iterator[Alertmanager]:
    try:
        with alertmanager_server(webhook_url=f"http://127.0.0.1:{free_port()}/alerts", token="unused") as server:
            yield server
    except AlertmanagerUnavailable as missing:
        skip_or_fail(missing)


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    with Listener() as running:
        yield running


@pytest.fixture(scope="module")
def groups(fake):
    fake.add_usergroup(LEGAL, [ALICE, BOB])
    fake.add_usergroup(EMPTY, [])
    return fake


@pytest.fixture(scope="module")
def migrated(fake, tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("doctor-paging")
    assert doctor(fake, workdir, "db", "upgrade").returncode == 0
    return workdir


def doctor(fake, workdir: Path, *args: str, config: str = "", env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess:
    process = BotProcess(fake=fake, workdir=workdir, config=f'stakeholder_channel = "{fake.stakeholders}"\n{config}',
                         env={"PD_ROUTING_KEY": "R0123456789ABCDEF0123456789ABCDE", "PAGE_SECRET": SECRET,
                              "EVENTS_SECRET": SECRET, **(env or {})})
    environment = {k: v for k, v in process.environment().items() if v}  # an empty value: the variable unset
    return subprocess.run([*firehouse_command(), *(args or ("doctor",))], cwd=workdir, env=environment,
                          capture_output=True, text=True, timeout=120, check=False)


def lines(result: subprocess.CompletedProcess) -> dict[str, str]:
    """The report as {check name: its line}, with the summary under "summary"."""
    found = {}
    for line in result.stdout.splitlines():
        if line.startswith("firehouse doctor:"):
            found["summary"] = line
        elif line[6:].startswith(("pager ", "events ", "user group ", "settings", "integrations")):
            found[line[6:26].strip()] = line
    return found


def pager(name: str, kind: str, **keys: str) -> str:
    return f'[pagers.{name}]\nkind = "{kind}"\n' + "".join(f'{key} = "{value}"\n' for key, value in keys.items())


def subscription(name: str, url: str) -> str:
    return f'[[events]]\nname = "{name}"\nurl = "{url}"\nsecret_env = "EVENTS_SECRET"\n'


def rule(name: str, *invite: str, page: str = "") -> str:
    paged = f'page = ["{page}"]\n' if page else ""
    return f'[[routing]]\nname = "{name}"\nmatch = {{ severity = ["sev1"] }}\ninvite = {json.dumps(invite)}\n{paged}'


def test_every_pager_receiver_and_user_group_answers_and_pagerduty_says_it_was_not_checked(
        groups, migrated, alertmanager, listener):
    config = (pager("oncall", "alertmanager", url=alertmanager.url)
              + pager("hook", "webhook", url=f"{listener.url}/page", secret_env="PAGE_SECRET")
              + pager("ai-platform", "pagerduty", routing_key_env="PD_ROUTING_KEY")
              + subscription("warehouse", f"{listener.url}/events")
              + rule("legal", LEGAL, "U0PERSON", page="ai-platform"))

    result = doctor(groups, migrated, config=config)

    assert result.returncode == 0, result.stdout + result.stderr
    report = lines(result)
    assert report["pager oncall"] == (f"ok    pager oncall         Alertmanager at {alertmanager.url} answers"
                                      " (GET /api/v2/status)")
    assert report["pager hook"] == (f"ok    pager hook           the webhook at {listener.url}/page answers"
                                    " (nothing was sent)")
    assert report["pager ai-platform"] == (
        "skip  pager ai-platform    PagerDuty, the routing key in PD_ROUTING_KEY is set, events to"
        " https://events.pagerduty.com/v2/enqueue; not checked: its Events API cannot be asked anything without"
        " paging someone")
    assert report["events warehouse"] == f"ok    events warehouse     {listener.url}/events answered HEAD (HTTP 200)"
    assert report["user group S0LEGAL"] == "ok    user group S0LEGAL   2 members, invited by routing legal"
    assert "integrations" not in report  # the pagers and receivers are the integrations, on lines of their own
    assert report["summary"] == "firehouse doctor: 11 checks passed, 1 skipped"
    assert "POST" not in listener.methods and "GET" not in listener.methods  # nothing paged, no event sent


def test_a_pager_or_receiver_down_and_a_user_group_slack_does_not_know_each_fail_naming_it(groups, migrated):
    down = f"http://127.0.0.1:{free_port()}"
    config = (pager("oncall", "alertmanager", url=down)
              + pager("hook", "webhook", url=f"{down}/page", secret_env="PAGE_SECRET")
              + subscription("warehouse", f"{down}/events")
              + rule("legal", LEGAL) + rule("sev1-leads", MISSING, EMPTY) + rule("data", MISSING))

    result = doctor(groups, migrated, config=config)

    assert result.returncode == 1
    report = lines(result)
    assert report["pager oncall"] == f"FAIL  pager oncall         could not reach {down}/api/v2/status (ConnectError)"
    assert report["pager hook"] == f"FAIL  pager hook           could not reach {down}/page (ConnectError)"
    assert report["events warehouse"].startswith(f"FAIL  events warehouse     {down}/events did not answer:"
                                                 " ConnectError")
    assert report["user group S0NOSUCH"] == (
        "FAIL  user group S0NOSUCH  routing sev1-leads, data invite S0NOSUCH, and Slack says no_such_subteam (a user"
        " group's id starts with S: is it right?)")
    assert report["user group S0EMPTY"] == ("warn  user group S0EMPTY   no members: routing sev1-leads invites nobody"
                                            " through it")
    assert report["user group S0LEGAL"].startswith("ok")
    assert report["summary"] == "firehouse doctor: 4 of 13 checks failed, 1 warning"
    assert "Traceback" not in result.stdout + result.stderr


def test_a_pagerduty_pager_without_its_routing_key_fails_naming_the_variable(groups, migrated):
    config = pager("ai-platform", "pagerduty", routing_key_env="PD_ROUTING_KEY", url="https://events.eu.pagerduty.com")

    result = doctor(groups, migrated, config=config, env={"PD_ROUTING_KEY": ""})

    assert result.returncode == 1
    report = lines(result)
    assert report["pager ai-platform"] == ("FAIL  pager ai-platform    PagerDuty: PD_ROUTING_KEY (its routing_key_env)"
                                           " is not set, so nothing can be paged")
    assert "PD_ROUTING_KEY" in report["settings"] and report["settings"].startswith("FAIL")
