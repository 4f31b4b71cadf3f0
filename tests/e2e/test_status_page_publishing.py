"""Publishing end to end: the real `firehouse serve`, a product notice approved and published from its buttons to a
Statuspage stand-in that holds every request to Statuspage's documented API, and to Firehouse's own public page on
its own port; the incident resolved there only when the resolved notice is approved and published."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from botprocess import BotProcess, free_port
from statuspageserver import API_KEY, COMPONENTS, PAGE_ID, StatuspageServer
from warroom import ALICE, BOB, Room, in_room, press, told

OUTPUT, DATA = list(COMPONENTS)
CONFIG = """stakeholder_channel = "{stakeholders}"

[status_page.statuspage]
page_id = "{page}"
api_key_env = "STATUSPAGE_API_KEY"
url = "{url}"
components = {{ output = "{output}", data = "{data}" }}
timeout = "3s"

[status_page.firehouse]
name = "Acme status"
url = "https://status.acme.test"
components = {{ output = "Assistant answers", data = "Customer data" }}
"""
FACTS = "fact feature=the support assistant window_start=09:00 UTC"


@pytest.fixture(scope="module")
def statuspage():
    with StatuspageServer() as server:
        yield server


@pytest.fixture(scope="module")
def status_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def bot(fake, statuspage, status_port, tmp_path_factory):
    config = CONFIG.format(stakeholders=fake.stakeholders, page=PAGE_ID, url=statuspage.url, output=OUTPUT, data=DATA)
    env = {"STATUSPAGE_API_KEY": API_KEY, "FIREHOUSE_STATUS_PORT": str(status_port)}
    with BotProcess(fake=fake, workdir=tmp_path_factory.mktemp("firehouse"), config=config, env=env) as process:
        yield process


@pytest.fixture
def page(bot, status_port):
    """GET a path of the public page."""
    return lambda path, **kw: httpx.request(kw.pop("method", "GET"), f"http://127.0.0.1:{status_port}{path}",
                                            timeout=5, **kw)


def notice_in(fake, room: Room, number: int) -> dict:
    """The message showing the notice (not the war room's words about it)."""
    return [m for m in fake.messages(room.id) if m["text"].startswith(f"Product notice #{number} (")][-1]


def buttons(message: dict) -> list[str]:
    return [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def approved(fake, room: Room) -> int:
    """Draft the product notice, approve it as the captain; its number."""
    number = int(re.search(r"#(\d+)", room.run("comms product"))[1])
    fake.wait_for(lambda: "notice_approve" in buttons(notice_in(fake, room, number)))
    press(room.bot, fake, room, "notice_approve", str(number))
    fake.wait_for(lambda: "notice_publish" in buttons(notice_in(fake, room, number)))
    return number


def requests_for(statuspage: StatuspageServer, method: str) -> list:
    return [r for r in statuspage.received if r.method == method and "/incidents" in r.path]


def test_a_notice_published_opens_both_pages_and_resolving_closes_them_only_once_approved(fake, bot, declare,
                                                                                          statuspage, page):
    room = declare("sev1 output Assistant tells customers to stop their medication")
    room.run(FACTS)
    number = approved(fake, room)
    press(bot, fake, room, "notice_publish", str(number))
    fake.wait_for(lambda: in_room(fake, room, f"Product notice #{number} is on the status page"))
    (opened,) = requests_for(statuspage, "POST")
    assert opened.problems == () and opened.headers["authorization"] == f"OAuth {API_KEY}"
    sent = opened.json["incident"]
    assert (sent["name"], sent["status"], sent["impact_override"], sent["components"]) == (
        "Incorrect answers from the support assistant", "investigating", "critical", {OUTPUT: "major_outage"})
    (incident_id,) = statuspage.incidents
    assert statuspage.components[OUTPUT]["status"] == "major_outage"
    link = in_room(fake, room, f"Product notice #{number} is on the status page")[-1]
    assert statuspage.incidents[incident_id]["shortlink"] in link
    assert "published to the status page" in " ".join(room.timeline())
    assert "notice_publish" not in buttons(notice_in(fake, room, number))  # published: no second Publish

    summary = fake.wait_for(lambda: (s := page("/api/v2/summary.json").json())["incidents"] and s)
    assert summary["status"]["indicator"] == "critical"
    assert [(c["name"], c["status"]) for c in summary["components"]] == [
        ("Assistant answers", "major_outage"), ("Customer data", "operational")]
    html = page("/").text
    assert "Incorrect answers from the support assistant" in html
    assert "medication" not in html and ALICE not in html  # the war room's title and people stay inside

    room.run("resolve rolled back the prompt")
    owed = fake.wait_for(lambda: in_room(fake, room, "the status page still shows this incident open"))[-1]
    assert f"<@{ALICE}>" in owed
    resolved_number = int(re.search(r"product notice #(\d+)", owed)[1])
    assert page("/api/v2/status.json").json()["status"]["indicator"] == "critical"  # not before it is approved
    press(bot, fake, room, "notice_approve", str(resolved_number))
    fake.wait_for(lambda: "notice_publish" in buttons(notice_in(fake, room, resolved_number)))
    press(bot, fake, room, "notice_publish", str(resolved_number))
    fake.wait_for(lambda: in_room(fake, room, f"Product notice #{resolved_number} is on the status page (resolved)"))
    (update,) = requests_for(statuspage, "PATCH")
    assert update.path.endswith(f"/incidents/{incident_id}") and update.problems == ()
    assert (update.json["incident"]["status"], update.json["incident"]["components"]) == (
        "resolved", {OUTPUT: "operational"})
    assert statuspage.incidents[incident_id]["status"] == "resolved"
    assert statuspage.components[OUTPUT]["status"] == "operational"
    status = fake.wait_for(lambda: (s := page("/api/v2/status.json").json())["status"]["indicator"] == "none" and s)
    assert status["status"]["description"] == "All Systems Operational"
    assert page("/api/v2/incidents/unresolved.json").json()["incidents"] == []


def test_a_refused_key_publishes_nothing_and_gives_publish_back(fake, bot, declare, statuspage, page):
    room = declare("sev2 output Assistant quotes the wrong prices")
    room.run(FACTS)
    number = approved(fake, room)
    before = len(requests_for(statuspage, "POST"))
    shown = page("/api/v2/incidents.json").json()["incidents"]
    statuspage.answer_next(401)
    press(bot, fake, room, "notice_publish", str(number))
    said = fake.wait_for(lambda: in_room(fake, room, f"Product notice #{number} was NOT published"))[-1]
    assert "Statuspage refused the API key (401)" in said
    fake.wait_for(lambda: "notice_publish" in buttons(notice_in(fake, room, number)))  # Publish is back
    assert len(requests_for(statuspage, "POST")) == before + 1
    assert page("/api/v2/incidents.json").json()["incidents"] == shown  # nothing new went public


def test_two_clicks_on_publish_make_one_update(fake, bot, declare, statuspage):
    room = declare("sev3 output Assistant answers in the wrong language")
    room.run(FACTS)
    number = approved(fake, room)
    before = len(requests_for(statuspage, "POST"))
    press(bot, fake, room, "notice_publish", str(number))
    press(bot, fake, room, "notice_publish", str(number), user=ALICE)
    fake.wait_for(lambda: [e for e in fake.ephemerals(channel=room.id) if "one notice is one status update" in e["text"]
                           or "acted on this notice at the same moment" in e["text"]])
    fake.wait_for(lambda: in_room(fake, room, f"Product notice #{number} is on the status page"))
    assert len(requests_for(statuspage, "POST")) == before + 1


def test_only_the_captain_or_comms_may_publish(fake, bot, declare):
    room = declare("sev3 output Assistant signs off as a competitor")
    room.run(FACTS)
    room.run(f"role scribe <@{BOB}>")  # in the room, but neither the captain nor comms
    number = approved(fake, room)
    press(bot, fake, room, "notice_publish", str(number), user=BOB)
    assert "may publish notices to the status page" in told(fake, room, "publish notices", user=BOB)


def test_the_status_port_serves_the_page_only(page):
    assert page("/", method="POST", content="{}").status_code == 405
    assert page("/slack/events", method="POST", content="{}").status_code == 404
    assert page("/slack/events").status_code == 404
    answer = page("/api/v2/summary.json")
    assert answer.status_code == 200 and "set-cookie" not in answer.headers
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert json.loads(answer.content)["page"]["name"] == "Acme status"
