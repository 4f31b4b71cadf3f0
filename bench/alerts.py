"""Benchmark: how long Alertmanager waits for alert intake's answer, against a bare WSGI app measured in the same run.

Starts the fake Slack (tests/fakeslack.py) in this process on 127.0.0.1, answering every Web API method in
--latency-ms, and two servers:

* bare: a WSGI app that reads the body and answers 202, nothing else, served by `firehouse.server.HttpServer`
  (waitress, the same settings as `firehouse serve`) in a Python process of its own;
* firehouse: the real `firehouse serve` (tests/botprocess.py) with alert intake on (FIREHOUSE_ALERT_TOKEN,
  `[alerts] captain`), storm control raised out of the way so that every new group opens its own war room.

Each round sends one batch of N Alertmanager v4 webhooks (one firing alert each, with the bearer token) to
the bare app, then the same batch to firehouse, so noise hits both alike, and waits until firehouse has
processed the batch. The answer time is from sending the HTTP request to receiving its response; the 202
must not wait on Slack, which only the processing after it talks to. Two variants:

(a) N senders at once, each a group of its own (distinct group keys and fingerprints): a war room each;
(b) N senders at once repeating one group (one group key per round): the first opens a war room, the
    others attach to it.

It prints p50/p95/p99/max for both servers, the ratio firehouse / bare, how many answers came within
Alertmanager's default webhook timeout (10 s), and, read afterwards from the fake Slack and the SQLite
database: the time from the POST to its war room existing (conversations.create answered) and to
`alert_delivery.processed_at`, and whether every delivery was processed exactly once (stored once,
processed, one war room per distinct group, none for the repeats). Everything stays on 127.0.0.1; the
servers and the temporary folder are removed at the end, also after Ctrl-C.

    python bench/alerts.py                          # 5 rounds of 20 per variant, under a minute
    python bench/alerts.py --rounds 5 --senders 20 --latency-ms 100
    python bench/alerts.py --rounds 1               # a quick look
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from baseline import BareProcess, ms, percentile
from botprocess import BotProcess
from fakeslack import Call, FakeSlack

TOKEN = "bench-alert-token-0123456789abcdef"
PATH = "/alerts/alertmanager"
CAPTAIN = "UCAPTAIN"
ALERTMANAGER_TIMEOUT = 10.0  # Alertmanager's default webhook timeout
CLIENT_TIMEOUT = 30.0  # longer, so an answer after Alertmanager's timeout is still measured
STORM_LIMIT = 1000  # the most `[alerts] storm_limit` takes: every distinct group gets a war room of its own
ALERTNAME = "RetrievalRecallDropped"
CONFIG = f"""stakeholder_channel = "{{stakeholders}}"
channel_prefix = "inc"

[alerts]
captain = "{CAPTAIN}"
storm_limit = {STORM_LIMIT}
"""


# --- the bare app ------------------------------------------------------------------------------------

def serve_bare(port: int) -> None:
    """The baseline server: reads each body and answers 202, served by the HttpServer `firehouse serve` uses."""
    from firehouse.server import HEALTH_PATH, HttpServer

    answer = json.dumps({"accepted": 0, "alerts": 1}).encode() + b"\n"

    def application(environ: dict, start_response) -> list[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "3")])
            return [b"ok\n"]
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("202 Accepted", [("Content-Type", "application/json"),
                                        ("Content-Length", str(len(answer)))])
        return [answer]

    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    server = HttpServer(application, host="127.0.0.1", port=port)  # serve_http's thread count, its settings
    print(f"bare alert intake on http://127.0.0.1:{server.port}{PATH}", flush=True)
    server.run(stopping)

# --- the webhooks ----------------------------------------------------------------------------------

_tags = iter(range(1, 1_000_000))


def new_tag() -> str:
    """A unique tag for one alert group; it leads the summary, so it is in the war room's channel name."""
    return f"zq{next(_tags):05d}"


def group_key(tag: str) -> str:
    return f'{{}}:{{alertname="{ALERTNAME}", bench="{tag}"}}'


def webhook(tag: str) -> bytes:
    """A firing Alertmanager v4 webhook with one alert, as Alertmanager sends it."""
    labels = {"alertname": ALERTNAME, "bench": tag, "service": "support-bot", "severity": "page"}
    annotations = {"summary": f"{tag} retrieval recall dropped below 0.8",
                   "runbook": "https://runbooks.example/retrieval"}
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps({
        "version": "4", "groupKey": group_key(tag), "truncatedAlerts": 0, "status": "firing",
        "receiver": "firehouse", "groupLabels": {"alertname": ALERTNAME, "bench": tag}, "commonLabels": labels,
        "commonAnnotations": annotations, "externalURL": "http://alertmanager.example:9093",
        "alerts": [{"status": "firing", "labels": labels, "annotations": annotations, "startsAt": started,
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus.example:9090/graph?g0.expr=recall%3C0.8&g0.tab=1",
                    "fingerprint": hashlib.sha256(tag.encode()).hexdigest()[:16]}],
    }).encode()


@dataclass
class Sent:
    """One delivery: its group's tag, when it was sent (monotonic and wall clock), its answer and how long it took."""

    tag: str
    body: bytes
    sent: float = 0.0
    sent_wall: float = 0.0
    answer: float = float("nan")
    status: int = 0
    reply: str = ""


def distinct(senders: int) -> list[Sent]:
    made = []
    for _ in range(senders):
        tag = new_tag()
        made.append(Sent(tag, webhook(tag)))
    return made


def repeats(senders: int) -> list[Sent]:
    tag = new_tag()
    body = webhook(tag)
    return [Sent(tag, body) for _ in range(senders)]


def copies(batch: list[Sent]) -> list[Sent]:
    """The same deliveries again, for the other server."""
    return [Sent(s.tag, s.body) for s in batch]


def burst(url: str, deliveries: list[Sent]) -> list[Sent]:
    """Send every delivery at once (one thread each, released together) and wait for all the answers."""
    gate = threading.Barrier(len(deliveries))

    def send(delivery: Sent) -> None:
        request = urllib.request.Request(url, data=delivery.body, method="POST", headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}",
            "User-Agent": "Alertmanager/0.27.0"})
        gate.wait()
        delivery.sent, delivery.sent_wall = time.monotonic(), time.time()
        try:
            with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT) as response:
                delivery.status, delivery.reply = response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            delivery.status, delivery.reply = err.code, err.read().decode(errors="replace")
        except OSError as err:  # a timeout or a refused connection: recorded, not fatal
            delivery.status, delivery.reply = 0, repr(err)
        delivery.answer = time.monotonic() - delivery.sent

    threads = [threading.Thread(target=send, args=(d,), daemon=True) for d in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(CLIENT_TIMEOUT + 5)
    return deliveries


# --- reading the database and the fake -------------------------------------------------------------------

class Deliveries:
    """`alert_delivery` in firehouse's SQLite database, read from this process (WAL: readers never block it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = sqlite3.connect(self.path, timeout=5)
        return self._db

    def counts(self) -> tuple[int, int]:
        """(stored, processed)."""
        return self._connection().execute("SELECT count(*), count(processed_at) FROM alert_delivery").fetchone()

    def wait_processed(self, stored: int, *, timeout: float, alive=lambda: True) -> bool:
        """Wait until at least `stored` deliveries are stored and every stored one is processed (while `alive()`)."""
        deadline = time.monotonic() + timeout
        while alive():
            total, processed = self.counts()
            if total >= stored and processed == total:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        return False

    def rows(self) -> list[dict]:
        query = "SELECT id, alert_group, processed_at, outcome, incident_id, attempts FROM alert_delivery ORDER BY id"
        found = []
        for id_, group, processed_at, outcome, incident_id, attempts in self._connection().execute(query):
            found.append({"id": id_, "group_key": json.loads(group)["group_key"], "outcome": outcome,
                          "processed_at": _epoch(processed_at), "incident_id": incident_id, "attempts": attempts})
        return found

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _epoch(stored: str | None) -> float:
    """A stored UTC datetime (SQLite hands it back as text, with or without its offset) as a Unix time."""
    if not stored:
        return float("nan")
    moment = datetime.fromisoformat(stored)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def rooms_created(fake: FakeSlack) -> dict[str, list[Call]]:
    """The war rooms created, by the tag in their name: every successful conversations.create for each."""
    made: dict[str, list[Call]] = {}
    for call in fake.calls("conversations.create"):
        name = str(call.args.get("name", ""))
        if call.status == 200 and not call.error and name.startswith("inc-"):
            tag = next((part for part in name.split("-") if part.startswith("zq")), name)
            made.setdefault(tag, []).append(call)
    return made


def wait_quiet(fake: FakeSlack, *, quiet: float = 0.3, cap: float = 5.0) -> None:
    """Wait until the fake has seen no new Web API call for `quiet` seconds (at most `cap`)."""
    deadline = time.monotonic() + cap
    seen, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now_seen = len(fake.calls())
        if now_seen != seen:
            seen, since = now_seen, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.05)


# --- statistics and printing -----------------------------------------------------------------------



def spread(values: list[float]) -> str:
    return (f"p50 {percentile(values, 50) * 1000:.0f} ms  p99 {percentile(values, 99) * 1000:.0f} ms"
            f"  max {max(values, default=float('nan')) * 1000:.0f} ms")


def plural(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def print_answers(bare: list[Sent], fire: list[Sent]) -> None:
    """p50/p95/p99/max rows for both servers, the ratios, and the answers within Alertmanager's timeout."""
    rows = {}
    print(f"  {'answer':<12}{'n':>5}{'p50':>12}{'p95':>12}{'p99':>12}{'max':>12}")
    for name, sent in (("bare", bare), ("firehouse", fire)):
        times = [s.answer for s in sent]
        rows[name] = [percentile(times, p) for p in (50, 95, 99)] + [max(times, default=float("nan"))]
        print(f"  {name:<12}{len(times):>5}" + "".join(f"{ms(v):>12}" for v in rows[name]))
    print(f"  {'ratio f/b':<12}{'':>5}" + "".join(f"{f / b:>11.2f}×" for f, b in zip(rows["firehouse"], rows["bare"])))
    within = {name: sum(1 for s in sent if s.status == 202 and s.answer < ALERTMANAGER_TIMEOUT)
              for name, sent in (("bare", bare), ("firehouse", fire))}
    print(f"  answered 202 within Alertmanager's {ALERTMANAGER_TIMEOUT:.0f} s webhook timeout:"
          f" bare {within['bare']}/{len(bare)}, firehouse {within['firehouse']}/{len(fire)}")
    for name, sent in (("bare", bare), ("firehouse", fire)):
        bad = [s for s in sent if s.status != 202]
        if bad:
            print(f"  {name}: {len(bad)} not answered 202, e.g. {bad[0].status} {bad[0].reply[:120]!r}")


# --- the variants ------------------------------------------------------------------------------------

@dataclass
class Setup:
    fake: FakeSlack
    bare: BareProcess
    bot: BotProcess
    db: Deliveries
    senders: int
    rounds: int
    accepted: int = 0  # deliveries firehouse has answered 202 so far, the warm-up's too
    notes: list[str] = field(default_factory=list)

    def url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}{PATH}"

    def alive(self) -> bool:
        return all(p is not None and p.poll() is None for p in (self.bot.process, self.bare.process))

    def to_firehouse(self, batch: list[Sent]) -> list[Sent]:
        """Send a batch to firehouse and wait until it is processed and Slack has gone quiet."""
        burst(self.url(self.bot.port), batch)
        self.accepted += sum(1 for s in batch if s.status == 202)
        processed = self.db.wait_processed(self.accepted, timeout=30 + 2 * len(batch), alive=self.alive)
        if not self.alive():
            raise RuntimeError(f"a server exited during the run; firehouse's log ends:\n{self.bot.log()[-3000:]}")
        if not processed:
            stored, done = self.db.counts()
            self.notes.append(f"{stored - done} of {stored} deliveries still unprocessed after the wait")
        wait_quiet(self.fake)
        return batch


def warm_up(s: Setup) -> None:
    """One batch of repeats to each server, not counted: connections, the database, the worker thread."""
    batch = repeats(s.senders)
    burst(s.url(s.bare.port), copies(batch))
    s.to_firehouse(batch)


def variant(s: Setup, label: str, make) -> None:
    bare, fire = [], []
    for _ in range(s.rounds):
        batch = make(s.senders)
        bare += burst(s.url(s.bare.port), copies(batch))
        fire += s.to_firehouse(batch)
    print(f"\n{label}, {s.rounds} round{'s' * (s.rounds != 1)}")
    print_answers(bare, fire)
    processing(s, fire)


def processing(s: Setup, fire: list[Sent]) -> None:
    """From the fake and the database: POST → war room, POST → processed_at, and exactly once."""
    rooms = rooms_created(s.fake)
    rows = [r for r in s.db.rows() if r["group_key"] in {group_key(d.tag) for d in fire}]
    first_post: dict[str, float] = {}
    for d in fire:
        first_post[d.tag] = min(first_post.get(d.tag, math.inf), d.sent)
    tags = list(first_post)
    to_room = [rooms[tag][0].ended - first_post[tag] for tag in tags if tag in rooms]
    print(f"  POST → war room created (conversations.create answered), {plural(len(tags), 'group')}:"
          f" {spread(to_room)}  ({len(to_room)}/{len(tags)} created)")
    # a group's deliveries are stored (and processed, one at a time) in the order they arrived: its k-th row
    # is matched with its k-th POST
    by_group: dict[str, list[float]] = {}
    for d in sorted(fire, key=lambda d: d.sent_wall):
        by_group.setdefault(group_key(d.tag), []).append(d.sent_wall)
    to_processed = []
    for key, posts in by_group.items():
        done = sorted(r["processed_at"] for r in rows if r["group_key"] == key)
        to_processed += [end - start for start, end in zip(posts, done)]
    print(f"  POST → processed_at, {plural(len(rows), 'delivery', 'deliveries')}: {spread(to_processed)}")

    accepted = sum(1 for d in fire if d.status == 202)
    outcomes = Counter(r["outcome"] for r in rows)
    unprocessed = sum(1 for r in rows if math.isnan(r["processed_at"]))
    retried = sum(1 for r in rows if r["attempts"])
    opened_per_group = Counter(r["group_key"] for r in rows if r["outcome"] == "opened")
    incidents_per_group = {key: {r["incident_id"] for r in rows if r["group_key"] == key} for key in by_group}
    room_count = sum(len(rooms.get(tag, [])) for tag in tags)
    once = (len(rows) == accepted and unprocessed == 0 and all(opened_per_group[k] == 1 for k in by_group)
            and all(len(ids) == 1 for ids in incidents_per_group.values())
            and all(len(rooms.get(tag, [])) == 1 for tag in tags))
    shown = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
    print(f"  processed exactly once: {'yes' if once else 'NO'} — {len(rows)} stored for {accepted} answered 202,"
          f" {len(rows) - unprocessed} processed ({shown}), {retried} retried;"
          f" {plural(room_count, 'war room')} for {plural(len(tags), 'group')}")


def totals(s: Setup) -> None:
    """The whole run, warm-up included: nothing stored twice, left unprocessed, or given a second war room."""
    rows = s.db.rows()
    rooms = rooms_created(s.fake)
    groups = {r["group_key"] for r in rows}
    extra = sum(len(calls) - 1 for calls in rooms.values() if len(calls) > 1)
    unprocessed = sum(1 for r in rows if math.isnan(r["processed_at"]))
    print(f"\nthe whole run, warm-up included: {len(rows)} deliveries stored for {s.accepted} answered 202,"
          f" {unprocessed} unprocessed, {sum(map(len, rooms.values()))} war rooms for {len(groups)} groups"
          f" ({extra} doubled)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="batches per server and variant (default 5)")
    parser.add_argument("--senders", type=int, default=20, help="webhooks sent at once per batch (default 20)")
    parser.add_argument("--latency-ms", type=float, default=100, help="Slack latency, every method (default 100)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (server logs) and say where")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return
    if args.rounds < 1 or args.senders < 1:
        parser.error("--rounds and --senders must be at least 1")
    if 1 + args.rounds * (args.senders + 1) > STORM_LIMIT:
        parser.error(f"at most {STORM_LIMIT} war rooms fit in one run's storm window: fewer --rounds or --senders")
    # loopback only, even when a proxy is configured; the servers inherit this
    os.environ["no_proxy"] = os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` cleans up

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="firehouse-alerts-bench-"))
    fake = FakeSlack().start()
    bare = BareProcess(__file__, workdir=workdir)
    bot = db = None
    interrupted = False
    try:
        fake.add_user(CAPTAIN, "captain")
        stakeholders = fake.add_channel("incidents")
        (workdir / "firehouse").mkdir()
        bot = BotProcess(fake=fake, workdir=workdir / "firehouse", config=CONFIG.format(stakeholders=stakeholders),
                         env={"FIREHOUSE_ALERT_TOKEN": TOKEN})
        bare.start()
        bot.start()
        fake.set_default_latency(args.latency_ms / 1000)  # after start-up: auth.test is not what is measured
        db = Deliveries(bot.workdir / "firehouse.db")
        setup = Setup(fake=fake, bare=bare, bot=bot, db=db, senders=args.senders, rounds=args.rounds)
        print(f"Alertmanager's wait at {PATH}: `firehouse serve` against a bare WSGI app that only answers 202,")
        print("both served by firehouse.server.HttpServer (waitress) in their own process, the fake Slack answering")
        print(f"every Web API method in {args.latency_ms:.0f} ms, all on 127.0.0.1; batches of {args.senders} sent"
              " at once, alternating")
        print("bare, firehouse, bare, …; answer = request sent → response received")
        warm_up(setup)
        variant(setup, f"(a) {args.senders} senders at once, each a firing group of its own (a war room each)",
                distinct)
        variant(setup, f"(b) {args.senders} senders at once repeating one firing group (a war room per round,"
                       " the rest attach)", repeats)
        totals(setup)
        for note in setup.notes:
            print(f"  note: {note}")
        print(f"\n({time.monotonic() - started:.0f} s)")
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the servers", file=sys.stderr)
        interrupted = True
    finally:
        if db is not None:
            db.close()
        if bot is not None:
            bot.stop()
        bare.stop()
        fake.stop()
        if args.keep:
            print(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if interrupted:
        sys.exit(130)


if __name__ == "__main__":
    main()
