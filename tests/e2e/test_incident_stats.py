"""`/incident stats` through the real `firehouse serve`, over a database seeded through the use cases
(`stats_seed`): the figures counted by hand, the weekly chart shared as a PNG, and the refusals."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

import pytest
import stats_seed as seeded
from botprocess import BotProcess
from warroom import ALICE, BOB

from firehouse.comms import charts
from firehouse.comms.stats_report import span

FORM = "/incident stats [30d]"


@pytest.fixture(scope="module")
def base() -> datetime:
    return seeded.base_for(datetime.now(UTC))


@pytest.fixture(scope="module")
def bot(fake, tmp_path_factory, base):
    """`firehouse serve` over the seeded database; the seeded war rooms are channels of the fake Slack."""
    workdir = tmp_path_factory.mktemp("firehouse")
    seeded.seed(workdir / "firehouse.db", base=base,
                make_channel=lambda name, private: fake.add_channel(name, is_private=private, members=[ALICE]))
    config = f'stakeholder_channel = "{fake.stakeholders}"\n{seeded.CONFIG}'
    with BotProcess(fake=fake, workdir=workdir, config=config) as process:
        yield process


def ask(fake, bot, text: str, *, user: str = ALICE) -> dict:
    """`/incident <text>` typed in #general: the reply, whether the ack's or the one after it."""
    url = fake.new_response_url()
    reply = bot.command(text, user=user, channel=fake.general, response_url=url)
    assert reply.status == 200, reply
    if reply.text:
        return {"text": reply.text, "blocks": []}
    return fake.wait_for(lambda: fake.responses(url), timeout=20)[0]


def times(expected: tuple[int, int, int]) -> str:
    n, mean, median = expected
    return f"median {span(timedelta(seconds=median))} · mean {span(timedelta(seconds=mean))} · n {n}"


def test_the_numbers_of_the_last_30_days_are_the_ones_counted_by_hand_and_the_chart_is_shared(fake, bot):
    before = len(fake.files(fake.general))
    reply = ask(fake, bot, "stats")
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("Incident numbers, the last 30 days (from ")
    assert reply["text"].endswith(f"drills excluded: {seeded.COUNT} incidents, {seeded.OPEN} open. The weekly chart"
                                  " is posted in this channel.")
    heading, totals, table, notes = reply["blocks"]
    assert [f["text"] for f in totals["fields"]] == [
        f"*Time to captain*\n{times(seeded.TO_CAPTAIN)}",
        f"*Time to contain (MTTC)*\n{times(seeded.TO_CONTAIN)}",
        f"*Time to resolve (MTTR)*\n{times(seeded.TO_RESOLVE)}",
        f"*Time to first update*\n{times(seeded.TO_FIRST_UPDATE)}",
        "*Customer notices on time*\n1 of 2",
        "*Regulatory deadlines met*\n1 of 2",
        "*Containments verified*\n-",  # the seeded incidents pulled no firebreak
    ]
    rows = {line.split()[0]: line.split() for line in table["text"]["text"].split("\n")[2:-1]}
    assert {c: int(rows[c][1]) for c in seeded.BY_CLASS} == seeded.BY_CLASS
    assert {s: int(rows[s.upper()][1]) for s in seeded.BY_SEVERITY} == seeded.BY_SEVERITY
    assert rows["all"][1:3] == [str(seeded.COUNT), str(seeded.OPEN)]
    assert "1 left out as not reportable" in notes["elements"][0]["text"]
    [chart] = fake.wait_for(lambda: fake.files(fake.general)[before:])
    assert chart["title"] == "Incidents by week, the last 30 days" and chart["name"].endswith(".png")
    image = chart["bytes"]
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", image[16:24]) == charts.SIZE


def test_a_window_of_weeks_reaching_further_back_counts_the_same_incidents(fake, bot):
    reply = ask(fake, bot, "stats 52w", user=BOB)
    assert reply["text"].startswith("Incident numbers, the last 52 weeks")
    assert f"{seeded.COUNT} incidents, {seeded.OPEN} open." in reply["text"]


def test_a_window_with_no_incidents_says_so_and_shares_no_chart(fake, bot):
    before = len(fake.files(fake.general))
    reply = ask(fake, bot, "stats 7d")
    assert reply["text"].startswith("Incident numbers, the last 7 days (from ")
    assert reply["text"].endswith("drills excluded: 0 incidents, 0 open.")
    assert fake.files(fake.general)[before:] == []


def test_when_slack_refuses_the_chart_the_reply_still_has_the_numbers(fake, bot):
    fake.inject("files.completeUploadExternal", status=200, error="not_in_channel")
    reply = ask(fake, bot, "stats 30d")
    assert f"{seeded.COUNT} incidents, {seeded.OPEN} open." in reply["text"]
    assert reply["text"].endswith("The weekly chart could not be posted here (Slack answered `not_in_channel`).")
    assert len(reply["blocks"]) == 4


@pytest.mark.parametrize(("text", "problem"), [
    ("stats 0d", "A window of `0d` is empty"),
    ("stats lots", "`lots` is not a window"),
])
def test_a_bad_window_gets_an_ephemeral_reply_with_the_right_form(fake, bot, text, problem):
    reply = ask(fake, bot, text)
    assert reply["text"] == (f"{problem}: give days or weeks, like `7d`, `30d` or `12w`, from 1 day to 366 days.\n"
                             f"Usage: `{FORM}`")
