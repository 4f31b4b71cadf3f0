"""`firehouse events replay`: the real `firehouse serve` keeps and delivers events as incidents change, then the
command sends them again from the same database to receivers that verify each one with `standardwebhooks`: the
same ids and bodies as the first delivery, in the order they happened, only the types a subscription wants; and
what a receiver that is down, failing or named wrongly makes it say."""

from __future__ import annotations

import base64
import sqlite3
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botprocess import BotProcess, firehouse_command, free_port
from localserver import LocalServer, Reply, Request
from standardwebhooks import Webhook, WebhookVerificationError
from warroom import ALICE, Room

SECRET = "whsec_" + base64.b64encode(b"firehouse replay test secret 32b").decode()
TRACKED = ("incident.declared", "incident.resolved")
CONFIG = """stakeholder_channel = "{stakeholders}"
channel_prefix = "inc"
[[events]]
name = "warehouse"
url = "{warehouse}"
secret_env = "EVENTS_SECRET"
[[events]]
name = "tracker"
url = "{tracker}"
secret_env = "EVENTS_SECRET"
types = ["incident.declared", "incident.resolved"]
"""


@dataclass(frozen=True)
class Got:
    """One event as a receiver took it: its `webhook-id`, its type, and the body as signed."""

    id: str
    type: str
    body: bytes


class Receiver(LocalServer):
    """An `[[events]]` receiver on 127.0.0.1: verifies every body with `standardwebhooks` (401 when it does not
    verify), keeps each one it took, and answers 204 or the statuses a test queues."""

    name = "the receiver"

    def __init__(self) -> None:
        self.webhook = Webhook(SECRET)
        self.changed = threading.Condition()
        self.got: list[Got] = []
        self.forged = 0
        self.statuses: deque[int] = deque()

    def answer(self, request: Request) -> Reply:
        try:
            event = self.webhook.verify(request.body, request.headers)
        except WebhookVerificationError:
            with self.changed:
                self.forged += 1
            return Reply(401, b"try later")
        with self.changed:
            status = self.statuses.popleft() if self.statuses else 204
            if status < 300:
                assert event["id"] == request.headers["webhook-id"]
                self.got.append(Got(event["id"], event["type"], request.body))
            self.changed.notify_all()
        return Reply(status, b"" if status == 204 else b"try later")

    @property
    def url(self) -> str:
        return super().url + "/events"

    def taken(self) -> list[Got]:
        with self.changed:
            return list(self.got)

    def clear(self) -> None:
        with self.changed:
            self.got.clear()
            self.statuses.clear()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Got]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.got) < count:
                if time.monotonic() >= deadline:
                    raise AssertionError(f"{len(self.got)} of {count} events received within {timeout:g} s")
                self.changed.wait(deadline - time.monotonic())
            return list(self.got)


@pytest.fixture(scope="module")
def warehouse() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def tracker() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def bot(fake, warehouse, tracker, tmp_path_factory):
    config = CONFIG.format(stakeholders=fake.stakeholders, warehouse=warehouse.url, tracker=tracker.url)
    with BotProcess(fake=fake, workdir=tmp_path_factory.mktemp("replay"), config=config,
                    env={"EVENTS_SECRET": SECRET}) as process:
        yield process


@dataclass(frozen=True)
class History:
    """What the bot kept, oldest first as (id, type), when it began, and what each receiver was first sent."""

    kept: list[tuple[str, str]]
    began: datetime
    first: dict[str, bytes]


@pytest.fixture(scope="module")
def history(fake, bot, warehouse, tracker) -> History:
    """Two incidents declared, one escalated, one resolved; every event delivered by the outbox once."""
    began = datetime.now(UTC) - timedelta(seconds=1)
    leak = declare(fake, bot, "sev2 data Tenant A's agent answered with tenant B's refunds")
    wrong = declare(fake, bot, "sev3 Bot answers in the wrong language")
    leak.run("sev 1 a second tenant is affected")
    wrong.run("resolve the language pin was restored")
    kept = wait_kept(bot, lambda rows: {"incident.severity_changed", "incident.resolved"} <= {kind for _, kind in rows})
    delivered = warehouse.wait_for(len(kept))
    tracker.wait_for(sum(kind in TRACKED for _, kind in kept))
    assert warehouse.forged == tracker.forged == 0
    first = {got.id: got.body for got in delivered}
    assert set(first) == {id for id, _ in kept}  # each event once, by its id
    warehouse.clear()
    tracker.clear()
    return History(kept=kept, began=began, first=first)


def declare(fake, bot: BotProcess, text: str) -> Room:
    """`/incident declare …` from #general, as the `declare` fixture does (this module's history is declared once)."""
    url = fake.new_response_url()
    assert bot.command(f"declare {text}", user=ALICE, channel=fake.general, response_url=url).status == 200
    channel = fake.wait_for(lambda: fake.responses(url))[0]["text"].split("<#", 1)[1].split(">", 1)[0]
    fake.wait_for(lambda: fake.messages(channel))
    return Room(fake, bot, channel)


def wait_kept(bot: BotProcess, done: Any, timeout: float = 20.0) -> list[tuple[str, str]]:
    """The notifications the bot kept, in order, once `done(rows)` holds."""
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(bot.workdir / "firehouse.db") as db:
            rows = db.execute("SELECT id, type FROM notification ORDER BY seq").fetchall()
        if done(rows) or time.monotonic() >= deadline:
            return rows
        time.sleep(0.1)


def replay(bot: BotProcess, *args: str, config: Path | None = None, unset: tuple[str, ...] = ()
           ) -> subprocess.CompletedProcess:
    """The command as an operator runs it beside `serve`: its settings (or `config`), its database."""
    env = {name: value for name, value in bot.environment().items() if name not in unset}
    if config is not None:
        env["FIREHOUSE_CONFIG"] = str(config)
    return subprocess.run([*firehouse_command(), "events", "replay", *args], cwd=bot.workdir, env=env,
                          capture_output=True, text=True, timeout=120)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture(autouse=True)
def fresh(warehouse, tracker) -> Iterator[None]:
    yield
    warehouse.clear()
    tracker.clear()


def test_a_replay_sends_every_event_again_in_order_with_the_ids_and_bodies_of_the_first_delivery(
        bot, history, warehouse, tracker):
    result = replay(bot, "--since", iso(history.began))

    assert result.returncode == 0, result.stdout + result.stderr
    tracked = [(id, kind) for id, kind in history.kept if kind in TRACKED]
    assert result.stdout.splitlines() == [
        f"firehouse: {len(history.kept)} events kept since {history.began:%Y-%m-%d %H:%M} UTC",
        f"warehouse: sent {len(history.kept)}, failed 0",
        f"tracker: sent {len(tracked)}, failed 0"]
    again = warehouse.taken()
    assert [(got.id, got.type) for got in again] == history.kept  # the order they happened in
    assert all(got.body == history.first[got.id] for got in again)  # the same event, byte for byte
    assert {kind for _, kind in history.kept} >= {"incident.declared", "incident.severity_changed",
                                                  "incident.resolved"}
    assert [(got.id, got.type) for got in tracker.taken()] == tracked  # only the types it wants
    assert warehouse.forged == tracker.forged == 0


def test_a_relative_since_and_one_subscription(bot, history, warehouse, tracker):
    result = replay(bot, "--since", "1h ago", "--subscription", "tracker")

    assert result.returncode == 0, result.stdout + result.stderr
    tracked = [(id, kind) for id, kind in history.kept if kind in TRACKED]
    assert result.stdout.splitlines()[1:] == [f"tracker: sent {len(tracked)}, failed 0"]
    assert [(got.id, got.type) for got in tracker.taken()] == tracked
    assert warehouse.taken() == []


def test_nothing_kept_since_the_time_is_nothing_to_replay(bot, history, warehouse):
    since = datetime.now(UTC) + timedelta(seconds=30)  # within the minute parse_moment allows for skewed clocks

    result = replay(bot, "--since", since.isoformat())

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == f"firehouse: nothing to replay: no events kept since {since:%Y-%m-%d %H:%M} UTC\n"
    assert warehouse.taken() == []


def test_an_unknown_subscription_exits_2_with_the_names_there_are(bot, history, warehouse, tracker):
    result = replay(bot, "--since", "1h ago", "--subscription", "datalake")

    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == ("firehouse events replay: error: argument --subscription: 'datalake'"
                                              " is not a subscription here; use one of warehouse, tracker")
    assert warehouse.taken() == tracker.taken() == []


@pytest.mark.parametrize("since", ["yesterday", "3 weeks ago", "2026-13-40"])
def test_a_time_in_another_form_exits_2_with_the_right_form(bot, since, warehouse):
    result = replay(bot, "--since", since)

    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (f"firehouse events replay: error: argument --since: `{since}` is not a"
                                              " time like 2026-11-23T14:05Z or 30m ago")
    assert warehouse.taken() == []


def test_a_receiver_that_is_down_fails_with_the_reason_and_the_others_are_still_sent(
        bot, history, warehouse, tracker, tmp_path):
    down = f"http://127.0.0.1:{free_port()}/events"
    config = tmp_path / "firehouse.toml"
    config.write_text(bot.config_path.read_text().replace(tracker.url, down))

    result = replay(bot, "--since", iso(history.began), config=config)

    assert result.returncode == 1
    tracked = [kind for _, kind in history.kept if kind in TRACKED]
    assert result.stdout.splitlines()[1:] == [
        f"warehouse: sent {len(history.kept)}, failed 0",
        f"tracker: sent 0, failed 1 (could not reach {down} (ConnectError)); {len(tracked) - 1} left unsent, to keep"
        " the order"]
    assert [got.id for got in warehouse.taken()] == [id for id, _ in history.kept]
    assert "Traceback" not in result.stderr


def test_a_receiver_that_fails_midway_gets_nothing_after_the_failure(bot, history, warehouse):
    warehouse.statuses.extend([204, 204, 503])

    result = replay(bot, "--since", iso(history.began), "--subscription", "warehouse")

    assert result.returncode == 1
    assert result.stdout.splitlines()[1:] == [
        f"warehouse: sent 2, failed 1 (warehouse answered 503 try later); {len(history.kept) - 3} left unsent, to keep"
        " the order"]
    assert [got.id for got in warehouse.taken()] == [id for id, _ in history.kept[:2]]
    assert not warehouse.statuses  # the third was asked for, and nothing after it


def test_a_signing_secret_that_is_not_set_exits_2_naming_its_variable(bot, history, warehouse):
    result = replay(bot, "--since", "1h ago", unset=("EVENTS_SECRET",))

    assert result.returncode == 2
    assert result.stderr == ("firehouse: firehouse.toml: events[1].secret_env names EVENTS_SECRET, which is not set in"
                             " the environment\n")
    assert warehouse.taken() == []
