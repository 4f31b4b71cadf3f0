"""Benchmark: how fast changes reach `[[events]]` subscribers, against a bare signed POST loop measured in the same run.

Starts three receivers in a Python process of their own, served by `firehouse.server.HttpServer` (waitress, the
settings `firehouse serve` uses) on 127.0.0.1: two healthy ones that check each body's Standard Webhooks signature
with `standardwebhooks` and answer 204, and one that answers 500 to everything. Then, for each round:

* the notifications: N changes made by the real use cases in this process over a real SQLite store (incidents
  declared, then their severity raised and lowered; the Slack side kept in memory, as the use-case tests keep it),
  each kept as a notification and owed to the three subscriptions in the change's own transaction;
* bare: the same CloudEvents bodies POSTed to each healthy receiver by a plain loop (a thread per receiver, one
  pooled httpx client), each signed with `standardwebhooks` just before it is sent;
* firehouse: the real `Deliveries` over that store, with the real `HttpReceivers`: its sender thread sweeps and
  starts a lane per subscription, and is woken every 5 s as the leader wakes it.

The rate is N events over the time from the start until the second healthy receiver has all N (by the receivers'
own clock: the moment the last new webhook-id arrived). Both sides run against the same receivers, bare first,
and a fresh database each round. It prints events per second for both, the ratio firehouse / bare, and how many
times the failing receiver was tried while the healthy ones got everything: few, since an incident's undelivered
event holds back that incident's later ones and waits 5 s, 10 s, 20 s, … before it is tried again.

    python bench/events.py                          # 3 rounds of 1,000 events over 20 incidents, about a minute
    python bench/events.py --events 1000 --incidents 20 --rounds 3
    python bench/events.py --rounds 1               # a quick look
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import httpx
from botprocess import free_port, serve, stop
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from standardwebhooks import Webhook
from unit.usecases.fakes import FakeOutbound

from firehouse.commands.incidents import ChangeSeverity
from firehouse.config import Settings
from firehouse.config.paging import Subscription
from firehouse.domain.severity import Severity
from firehouse.integrations.pagers import HttpPagers
from firehouse.integrations.receivers import HttpReceivers, encoded, envelope
from firehouse.server import HEALTH_PATH, HttpServer
from firehouse.store import make_engine
from firehouse.store.paging import published
from firehouse.store.tables import NotificationRow
from firehouse.usecases.deliveries import EVENTS, Deliveries
from firehouse.usecases.incidents import IncidentService, utc_now
from firehouse.usecases.paging import Paging

SECRET = "whsec_" + base64.b64encode(b"firehouse events bench secret 32").decode()
HEALTHY = ("ops-lake", "status-page")  # subscriptions whose receivers take every event
FAILING = "audit-archive"  # and one whose receiver answers 500 to everything
TIMEOUT = 120.0  # seconds a side gets to deliver a round, so a stuck run still ends
LEADER_SWEEP = 5.0  # seconds between the leader's wakes (scheduler.upkeep.DELIVERIES_SWEEP)
CAPTAIN = "UALICE"  # the use-case tests' Alice: she declares every incident and changes its severity


# --- the receivers ---------------------------------------------------------------------------------------

def serve_receivers(port: int) -> None:
    """Three receivers on one port, by path: /<healthy name> checks the signature and answers 204 (401 when it
    does not verify), /<failing name> answers 500. GET /counts says what each got; POST /reset forgets it."""
    lock = threading.Lock()
    seen: dict[str, set[str]] = {}  # path → distinct webhook-ids taken
    posts: dict[str, int] = {}  # path → requests, whatever the answer
    last: dict[str, float] = {}  # path → wall-clock time of the last new id
    forged = [0]
    webhook = Webhook(SECRET)

    def answer(start_response, status: str, body: bytes = b"", kind: str = "text/plain") -> list[bytes]:
        start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body)))])
        return [body]

    def application(environ: dict, start_response) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH:
            return answer(start_response, "200 OK", b"ok\n")
        if path == "/counts":
            with lock:
                counts = {p: {"posts": posts.get(p, 0), "ids": len(seen.get(p, ())), "last": last.get(p, 0.0)}
                          for p in set(posts) | set(seen)}
                counts["forged"] = forged[0]
            return answer(start_response, "200 OK", json.dumps(counts).encode(), "application/json")
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        if path == "/reset":
            with lock:
                seen.clear(), posts.clear(), last.clear()
                forged[0] = 0
            return answer(start_response, "204 No Content")
        with lock:
            posts[path] = posts.get(path, 0) + 1
        if path == f"/{FAILING}":
            return answer(start_response, "500 Internal Server Error", b"the archive is down\n")
        headers = {name: environ.get("HTTP_" + name.upper().replace("-", "_"), "")
                   for name in ("webhook-id", "webhook-timestamp", "webhook-signature")}
        try:
            webhook.verify(body, headers)
        except Exception:  # noqa: BLE001 - any failure to verify is a forged or broken delivery
            with lock:
                forged[0] += 1
            return answer(start_response, "401 Unauthorized")
        with lock:
            ids = seen.setdefault(path, set())
            if headers["webhook-id"] not in ids:
                ids.add(headers["webhook-id"])
                last[path] = time.time()
        return answer(start_response, "204 No Content")

    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    server = HttpServer(application, host="127.0.0.1", port=port)  # serve_http's thread count, its settings
    print(f"receivers on http://127.0.0.1:{server.port}", flush=True)
    server.run(stopping)


class Receivers:
    """The receivers' process, seen from here."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process = None

    def start(self) -> Receivers:
        self.process = serve([sys.executable, str(Path(__file__).resolve()), "--serve-receivers", str(self.port)],
                             cwd=self.workdir, env=None, log_path=self.workdir / "receivers.log", port=self.port,
                             what="the receivers")
        return self

    def stop(self) -> None:
        stop(self.process)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def counts(self) -> dict:
        with urllib.request.urlopen(self.url("counts"), timeout=5) as response:
            return json.load(response)

    def reset(self) -> None:
        urllib.request.urlopen(urllib.request.Request(self.url("reset"), data=b"", method="POST"), timeout=5).close()

    def wait_all(self, events: int, *, since: float, timeout: float = TIMEOUT) -> Got:
        """Wait until each healthy receiver has `events` distinct ids (or the timeout passes)."""
        deadline = time.monotonic() + timeout
        while True:
            counts = self.counts()
            got = [counts.get(f"/{name}", {}) for name in HEALTHY]
            done = all(g.get("ids", 0) >= events for g in got)
            if done or time.monotonic() >= deadline:
                last = max((g.get("last", 0.0) for g in got), default=0.0)
                return Got(seconds=last - since if done else float("nan"), ids=[g.get("ids", 0) for g in got],
                           failing_posts=counts.get(f"/{FAILING}", {}).get("posts", 0),
                           forged=counts.get("forged", 0))
            time.sleep(0.05)


@dataclass
class Got:
    """One side's round, as the receivers saw it."""

    seconds: float  # start → the last new id at the slower healthy receiver; NaN when not all arrived
    ids: list[int]  # distinct ids each healthy receiver took
    failing_posts: int  # requests the failing receiver answered 500
    forged: int  # requests that did not verify

    def rate(self, events: int) -> float:
        return events / self.seconds if self.seconds > 0 else float("nan")


# --- the notifications, by the real use cases ----------------------------------------------------------

@dataclass
class Firehouse:
    """A fresh store with `events` notifications owed to the three subscriptions, and the sender over it."""

    engine: Engine
    settings: Settings
    deliveries: Deliveries
    clients: tuple[HttpPagers, HttpReceivers]  # the real pagers (none paged here) and receivers, closed at the end
    made_in: float  # seconds the use cases took to make them

    @classmethod
    def with_notifications(cls, path: Path, receivers: Receivers, *, events: int, incidents: int) -> Firehouse:
        subscriptions = tuple(Subscription(name=name, url=receivers.url(name), secret=SECRET)
                              for name in (*HEALTHY, FAILING))
        settings = Settings(bot_token="xoxb-bench", signing_secret="bench", stakeholder_channel="C0STAKEHOLDERS",
                            events=subscriptions)
        engine = make_engine(f"sqlite:///{path}")
        service = IncidentService(engine=engine, outbound=FakeOutbound(clock=utc_now), settings=settings,
                                  clock=utc_now)
        clients = (HttpPagers(), HttpReceivers())
        deliveries = Deliveries(engine=engine, settings=settings, pagers=clients[0], receivers=clients[1],
                                clock=utc_now)
        Paging(service=service, deliveries=deliveries)  # follows every change: keeps and owes its notification
        started = time.monotonic()
        per_incident = [events // incidents + (n < events % incidents) for n in range(incidents)]
        for n, changes in enumerate(per_incident):
            if not changes:
                continue
            room = service.declare(title=f"Answers drift {n}", by=CAPTAIN, severity=Severity.SEV2).incident.channel_id
            for k in range(changes - 1):  # the declaration is the first notification
                severity, reason = (Severity.SEV1, "more tenants") if k % 2 == 0 else (Severity.SEV2, "contained")
                service.change_severity(ChangeSeverity(severity, reason), channel=room, by=CAPTAIN)
        return cls(engine=engine, settings=settings, deliveries=deliveries, clients=clients,
                   made_in=time.monotonic() - started)

    def bodies(self) -> list[tuple[str, bytes]]:
        """Every notification's CloudEvents body as sent to a subscription, with its id, in the order owed."""
        subscription = self.settings.events[0]
        with Session(self.engine) as session:
            rows = session.exec(select(NotificationRow).order_by(col(NotificationRow.seq))).all()
            return [(row.id, encoded(envelope(published(row), subscription))) for row in rows]

    def owed(self) -> dict[str, int]:
        """Deliveries still owed, by destination."""
        with self.engine.connect() as connection:
            return dict(connection.execute(text(
                "SELECT destination, count(*) FROM delivery WHERE done_at IS NULL AND given_up_at IS NULL"
                " GROUP BY destination")).all())

    def attempts(self, destination: str) -> int:
        """Attempts recorded for `destination`, over all its deliveries."""
        with self.engine.connect() as connection:
            return connection.execute(text("SELECT coalesce(sum(attempts), 0) FROM delivery WHERE destination = :d"),
                                      {"d": destination}).scalar_one()

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.engine.dispose()


# --- the two sides ---------------------------------------------------------------------------------------

def bare(receivers: Receivers, bodies: list[tuple[str, bytes]]) -> Got:
    """A loop per healthy receiver, each in a thread, started together: sign, POST, check the answer."""
    receivers.reset()
    problems: list[str] = []
    webhook = Webhook(SECRET)
    gate = threading.Barrier(len(HEALTHY) + 1)

    def loop(name: str) -> None:
        url = receivers.url(name)
        with httpx.Client() as client:
            gate.wait()
            for msg_id, body in bodies:
                at = datetime.now(UTC)
                headers = {"content-type": "application/cloudevents+json", "webhook-id": msg_id,
                           "webhook-timestamp": str(int(at.timestamp())),
                           "webhook-signature": webhook.sign(msg_id, at, body)}
                response = client.post(url, content=body, headers=headers, timeout=10)
                if not response.is_success:
                    problems.append(f"{name} answered {response.status_code}")

    threads = [threading.Thread(target=loop, args=(name,), daemon=True) for name in HEALTHY]
    for thread in threads:
        thread.start()
    gate.wait()
    since = time.time()
    for thread in threads:
        thread.join(TIMEOUT)
    if problems:
        print(f"  bare: {len(problems)} POSTs not taken, e.g. {problems[0]}")
    return receivers.wait_all(len(bodies), since=since, timeout=5)


def firehouse(receivers: Receivers, house: Firehouse, events: int) -> Got:
    """The real sender: started, woken once (as the change's own process wakes it) and every LEADER_SWEEP seconds
    after (as the leader does), until the healthy receivers have every event."""
    receivers.reset()
    stopping = threading.Event()

    def leader() -> None:
        while not stopping.wait(LEADER_SWEEP):
            house.deliveries.wake()

    house.deliveries.start()
    since = time.time()
    house.deliveries.wake()
    threading.Thread(target=leader, daemon=True).start()
    try:
        return receivers.wait_all(events, since=since)
    finally:
        stopping.set()
        house.deliveries.stop()


# --- printing --------------------------------------------------------------------------------------------

def print_round(number: int, events: int, incidents: int, house: Firehouse, plain: Got, fire: Got,
                attempts: int) -> None:
    owed = house.owed()
    print(f"\nround {number}: {events} events over {incidents} incidents, made by the use cases in"
          f" {house.made_in:.1f} s")
    print(f"  {'':<12}{'seconds':>10}{'events/s':>10}{'  healthy receivers got'}")
    for name, got in (("bare", plain), ("firehouse", fire)):
        print(f"  {name:<12}{got.seconds:>10.2f}{got.rate(events):>10.0f}  {' and '.join(map(str, got.ids))}")
    print(f"  ratio f/b   {fire.rate(events) / plain.rate(events):>19.2f}×")
    print(f"  the failing receiver ({FAILING}, answers 500): tried {fire.failing_posts} times while the healthy"
          f" ones got all {events}")
    print(f"    ({attempts} attempts recorded by the time the sender stopped, {owed.get(EVENTS + FAILING, 0)} events"
          " still owed to it)")
    if plain.forged or fire.forged:
        print(f"  signatures that did not verify: bare {plain.forged}, firehouse {fire.forged}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000, help="notifications per round (default 1000)")
    parser.add_argument("--incidents", type=int, default=20, help="incidents they are spread over (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, bare then firehouse each (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (receivers' log) and say where")
    parser.add_argument("--serve-receivers", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_receivers:
        serve_receivers(args.serve_receivers)
        return
    if args.rounds < 1 or args.incidents < 1 or args.events < args.incidents:
        parser.error("--rounds and --incidents must be at least 1, and --events at least --incidents")
    # loopback only, even when a proxy is configured; the receivers inherit this
    os.environ["no_proxy"] = os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` cleans up
    logging.basicConfig(level=logging.ERROR)  # the failing receiver's first refusal per incident is a warning

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="firehouse-events-bench-"))
    receivers = Receivers(workdir)
    try:
        receivers.start()
        print(f"Event delivery: {args.events} notifications to 3 subscribers ({', '.join(HEALTHY)} healthy,"
              f" {FAILING} answering 500),")
        print("firehouse's Deliveries over SQLite against a bare loop of standardwebhooks-signed POSTs of the same"
              " bodies (a thread")
        print("per healthy receiver), the receivers served by waitress in a process of their own on 127.0.0.1;"
              " events/s = events")
        print("over the time until both healthy receivers have them all")
        rates: dict[str, list[float]] = {"bare": [], "firehouse": []}
        tried: list[int] = []
        for number in range(1, args.rounds + 1):
            house = Firehouse.with_notifications(workdir / f"round{number}.db", receivers, events=args.events,
                                                 incidents=args.incidents)
            try:
                plain = bare(receivers, house.bodies())
                fire = firehouse(receivers, house, args.events)
                attempts = house.attempts(EVENTS + FAILING)
                print_round(number, args.events, args.incidents, house, plain, fire, attempts)
            finally:
                house.close()
            rates["bare"].append(plain.rate(args.events))
            rates["firehouse"].append(fire.rate(args.events))
            tried.append(fire.failing_posts)
        if args.rounds > 1:
            bare_rate, fire_rate = (statistics.median(rates[side]) for side in ("bare", "firehouse"))
            print(f"\nmedian of {args.rounds} rounds: bare {bare_rate:.0f} events/s, firehouse {fire_rate:.0f}"
                  f" events/s, ratio f/b {fire_rate / bare_rate:.2f}×; the failing receiver tried"
                  f" {min(tried)}–{max(tried)} times a round ({args.incidents} incidents)")
        print(f"\n({time.monotonic() - started:.0f} s)")
    finally:
        receivers.stop()
        if args.keep:
            print(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
