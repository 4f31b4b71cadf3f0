"""Benchmark: the public status page under 200 readers at once, against a bare app served the same way in the same run.

The database: a temporary SQLite file made by `firehouse.store.make_engine` (so at this release's schema), seeded
in bulk with --incidents past incidents spread over the last two years, each with 1–3 product notices published as
status updates (the last one `resolved`), --recent of them resolved within the page's 90 days, and a handful still
open; a component for each class that publishes.

Firehouse: the real `StatusDesk` over that store (real settings, the Slack side kept in memory, as the use-case
tests keep it; nothing is sent while serving), its `public_page` and `public_version` given to a `StatusSite`,
rendered once, polled as `firehouse serve` polls it, and served by `serve_status_page` (waitress, its thread
count) on 127.0.0.1. The bare app: the same bytes for `/` and `/api/v2/summary.json`, read once from the rendered
page, answered with a content type and length only, by the same `HttpServer` with the same thread count.

The readers: a Python process of their own (so they do not share the servers' interpreter), one thread and one
keep-alive connection per reader, released together; each makes --requests GETs alternating `/api/v2/summary.json`
and `/`. Latency is request sent → whole body read, so a reader's first answer includes waiting to be let in. Each
run is warmed up first (on connections of its own, then closed); --rounds rounds of bare then firehouse, and bare
once more at the end, so drift shows. 0.1 s into each of firehouse's runs an update is published (written to the
store, and the desk tells the site, as after the Publish button), so the page renders once while the readers read.

It prints the one render's time (the store's read, then the documents), p50/p95/p99/max and throughput per run
and per side, the p99 ratio firehouse / bare against the 2× target, each reader's first answer apart from the
later ones, how many times the page was loaded during the runs (the target: once per change, never per request),
and how many readers get an answer one after another while those before them stay connected, as browsers do.

    python bench/status_page.py                          # 10,000 incidents, 3 rounds of 200 readers × 50 GETs, ~1 min
    python bench/status_page.py --quick                  # 500 incidents, 1 round of 50 readers × 10 GETs, ~15 s
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from baseline import ms, percentile
from botprocess import free_port
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel
from unit.usecases.fakes import FakeOutbound, FakePagers, FakeReceivers

from firehouse.comms.templates import TemplateCatalogue
from firehouse.config import Settings
from firehouse.config.statuspage import OwnPageSettings, StatusPageSettings
from firehouse.domain.statuspage import DEFAULT_STATES, IMPACTS, fingerprint, public_id
from firehouse.server import HttpServer
from firehouse.statuspage.site import CONNECTIONS, IDLE_SECONDS, THREADS, StatusSite, serve_status_page
from firehouse.store import make_engine
from firehouse.store.tables import IncidentRow, NoticeRow, StatusUpdateRow
from firehouse.usecases.deliveries import Deliveries
from firehouse.usecases.incidents import IncidentService, utc_now
from firehouse.usecases.notices import NoticeDesk
from firehouse.usecases.statuspage import HISTORY as WINDOW
from firehouse.usecases.statuspage import StatusDesk

PATHS = ("/api/v2/summary.json", "/")  # what each reader alternates between
P99_RATIO_TARGET = 2.0
OPEN = 5  # incidents still open on the page
DAY = timedelta(days=1)
PAST = timedelta(days=730)  # how far back the seeded incidents go
COMPONENTS = {"output": "Assistant answers", "action": "Agent actions", "data": "Customer data"}  # product lanes
CAPTAIN = "UALICE"
SLOW_FIRST = 1.0  # seconds: a reader's first answer slower than this waited to be let in
CHANGE_AFTER = 0.1  # seconds into each of firehouse's runs that an update is published
WARM_UP = (16, 6)  # clients × requests before each side's run, on connections of their own


# --- the database ------------------------------------------------------------------------------------------

FEATURES = ("the support assistant", "answer search", "the billing agent", "document summaries", "the onboarding bot",
            "ticket triage", "the refund agent", "translations")
OPENINGS = {
    "investigating": "We are investigating reports that {feature} gave some customers incorrect answers.",
    "identified": "We have identified the cause: a prompt change made {feature} skip its safety checks for some"
                  " requests. We are rolling it back.",
    "monitoring": "The change has been rolled back and {feature} answers as expected again. We are watching it"
                  " closely.",
    "resolved": "This incident is resolved: {feature} has answered as expected since {at:%H:%M} UTC.",
}
DETAILS = ("Customers who acted on an answer given during this window can contact support, who will review it.",
           "No customer data was exposed.",
           "What we are doing:\n\n- rolling back the change\n- reviewing every answer given in the window\n"
           "- adding an evaluation that catches this before release",
           "We will post an update within the hour.",
           "Requests made through the API were affected as well as those made in the app.")


def row_defaults(table: type[SQLModel]) -> dict[str, Any]:
    """The model's default of each column of `table` that has one (the id aside), so a bulk insert names only what
    differs."""
    return {name: info.get_default(call_default_factory=True) for name, info in table.model_fields.items()
            if name != "id" and not info.is_required()}


@dataclass
class Seeded:
    incidents: int
    updates: int
    recent: int  # resolved within the window
    open: int


def seed(engine: Engine, *, incidents: int, recent: int, now: datetime, rng: random.Random) -> Seeded:
    """Past incidents, each with 1–3 published status updates and a product notice per update, in one transaction
    of bulk inserts: the newest `recent` resolved within the window, OPEN still open, the rest before the window."""
    defaults = {table: row_defaults(table) for table in (IncidentRow, NoticeRow, StatusUpdateRow)}
    rows: dict[type[SQLModel], list[dict[str, Any]]] = {table: [] for table in defaults}
    older = incidents - recent - OPEN
    for n in range(1, incidents + 1):
        if n <= older:  # spread evenly over the two years before the window, oldest first
            declared = now - PAST + (PAST - WINDOW - DAY) * (n - 1) / max(older, 1)
        elif n <= older + recent:  # the window's, all of each incident's updates inside it
            declared = now - WINDOW + DAY / 2 + (WINDOW - 2 * DAY) * (n - older - 1) / recent
        else:  # open, declared over the last day
            declared = now - DAY + DAY * (n - older - recent - 1) / OPEN
        is_open = n > older + recent
        severity = rng.choices((1, 2, 3), weights=(1, 3, 6))[0]
        class_id = rng.choice(tuple(COMPONENTS))
        feature = rng.choice(FEATURES)
        count = rng.choices((1, 2, 3), weights=(3, 4, 3))[0]
        if is_open:
            statuses = ["investigating", "identified", "monitoring"][:count]
        else:  # a single update is a resolved notice after the fact
            statuses = [["resolved"], ["investigating", "resolved"],
                        ["investigating", rng.choice(("identified", "monitoring")), "resolved"]][count - 1]
        at = declared + timedelta(minutes=rng.randint(10, 30))
        channel = f"CINC{n:06d}"
        shown_as = public_id(n, channel, declared)
        title = f"Incorrect answers from {feature}"
        for status in statuses:
            body = f"{OPENINGS[status].format(feature=feature, at=at)}\n\n{rng.choice(DETAILS)}"
            notice_id = len(rows[NoticeRow]) + 1
            rows[NoticeRow].append(dict(  # approved and published, as the Publish button leaves it
                defaults[NoticeRow], id=notice_id, incident_id=n, lane="product", template="product",
                title=title, text=f"# {title}\n\n{body}", status="published", created_by=CAPTAIN,
                created_at=at - timedelta(minutes=5), approved_by=CAPTAIN, approved_at=at - timedelta(minutes=1),
                approved_text=f"# {title}\n\n{body}", approved_as=status, sent_by=CAPTAIN, sent_at=at))
            rows[StatusUpdateRow].append(update_row(defaults[StatusUpdateRow], incident_id=n, notice_id=notice_id,
                                                    public_id=shown_as, title=title, body=body, status=status,
                                                    severity=severity, class_id=class_id, at=at))
            at += timedelta(minutes=rng.randint(20, 180))
        resolved_at = None if is_open else at
        rows[IncidentRow].append(dict(
            defaults[IncidentRow], id=n, title=title, severity=severity, class_id=class_id,
            status=statuses[-1] if is_open else "closed", captain=CAPTAIN, declared_by=CAPTAIN,
            declared_at=declared, captain_at=declared, channel_id=channel, channel_name=f"inc-{n}",
            aware_at=declared, classified_at=declared, contained_at=resolved_at, resolved_at=resolved_at,
            closed_at=resolved_at, last_update_at=at, notice_sent_at=declared + timedelta(minutes=30)))
    with engine.begin() as connection:
        for table in (IncidentRow, NoticeRow, StatusUpdateRow):
            connection.execute(insert(table), rows[table])
    return Seeded(incidents=incidents, updates=len(rows[StatusUpdateRow]), recent=recent, open=OPEN)


def update_row(defaults: dict[str, Any], *, incident_id: int, notice_id: int, public_id: str, title: str, body: str,
               status: str, severity: int, class_id: str, at: datetime) -> dict[str, Any]:
    """A published status update, as `StatusDesk.publish` records one."""
    return dict(defaults, incident_id=incident_id, notice_id=notice_id, public_id=public_id, title=title, body=body,
                fingerprint=fingerprint(title, body), status=status, impact=IMPACTS[4 - severity], class_id=class_id,
                component_state="operational" if status == "resolved" else DEFAULT_STATES[f"sev{severity}"],
                requested_by=CAPTAIN, requested_at=at - timedelta(seconds=2), state="published", published_at=at)


def publish_one_more(engine: Engine, *, incident_id: int, now: datetime) -> None:
    """A `monitoring` update to an open incident, straight into the store: what another replica's publish leaves."""
    with engine.begin() as connection:
        previous = connection.execute(StatusUpdateRow.__table__.select().where(
            StatusUpdateRow.incident_id == incident_id).order_by(StatusUpdateRow.id.desc())).mappings().first()
        body = "The fix is deployed and answers are back to normal. We are monitoring."
        text = f"# {previous['title']}\n\n{body}"
        notice = connection.execute(insert(NoticeRow), dict(
            row_defaults(NoticeRow), incident_id=incident_id, lane="product", template="product",
            title=previous["title"], text=text, status="published", created_by=CAPTAIN, created_at=now,
            approved_by=CAPTAIN, approved_at=now, approved_text=text, approved_as="monitoring", sent_by=CAPTAIN,
            sent_at=now))
        connection.execute(insert(StatusUpdateRow), update_row(
            row_defaults(StatusUpdateRow), incident_id=incident_id, notice_id=notice.inserted_primary_key[0],
            public_id=previous["public_id"], title=previous["title"], body=body, status="monitoring",
            severity=4 - IMPACTS.index(previous["impact"]), class_id=previous["class_id"], at=now))


# --- the two apps ------------------------------------------------------------------------------------------

def status_desk(engine: Engine) -> StatusDesk:
    """The desk as `bootstrap.build` wires it, with the Slack side and the partners in memory (none is asked)."""
    settings = Settings(bot_token="xoxb-bench", signing_secret="bench", status_page=StatusPageSettings(
        firehouse=OwnPageSettings(name="Acme status", url="https://status.acme.test", components=COMPONENTS)))
    service = IncidentService(engine=engine, outbound=FakeOutbound(clock=utc_now), settings=settings, clock=utc_now)
    deliveries = Deliveries(engine=engine, settings=settings, pagers=FakePagers(), receivers=FakeReceivers(),
                            clock=utc_now)
    notices = NoticeDesk(service=service, templates=TemplateCatalogue.with_override(None))
    return StatusDesk(service=service, notices=notices, deliveries=deliveries)


class Counted:
    """A function as the site calls it: when (wall clock), how long, and what it gave last."""

    def __init__(self, function: Callable[[], Any]) -> None:
        self.function, self.started, self.seconds, self.last = function, [], [], None

    def __call__(self) -> Any:
        self.started.append(time.time())
        started = time.perf_counter()
        try:
            self.last = self.function()
            return self.last
        finally:
            self.seconds.append(time.perf_counter() - started)

    @property
    def calls(self) -> int:
        return len(self.seconds)


def fetch(port: int, path: str) -> tuple[bytes, str]:
    """A document as the site serves it: its bytes and content type."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.read(), response.getheader("Content-Type") or ""
    finally:
        connection.close()


def bare_app(bodies: dict[str, tuple[bytes, str]]) -> Callable:
    """The baseline: each path's bytes as they are, a content type and a length, nothing else."""

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        body, content_type = bodies[environ.get("PATH_INFO") or "/"]
        start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    return application


# --- the readers -------------------------------------------------------------------------------------------

def read(port: int, *, clients: int, requests: int) -> None:
    """`clients` threads, each on one keep-alive connection, released together; prints when they were released,
    then every request's (path, latency, whether it was answered in full) by reader, as JSON lines."""
    gate = threading.Barrier(clients + 1)
    took: list[list[tuple[int, float, bool]]] = [[] for _ in range(clients)]

    def client(n: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        gate.wait()
        for k in range(requests):
            path = (n + k) % len(PATHS)
            started = time.perf_counter()
            try:
                connection.request("GET", PATHS[path])
                response = connection.getresponse()
                ok = response.status == 200 and int(response.getheader("Content-Length") or -1) == len(response.read())
            except OSError:
                connection.close()
                ok = False
            took[n].append((path, time.perf_counter() - started, ok))
        connection.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    gate.wait()
    print(json.dumps({"started": time.time()}), flush=True)
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    print(json.dumps({"seconds": time.perf_counter() - started, "took": took}), flush=True)


@dataclass
class Run:
    """One side's run, as its readers saw it."""

    name: str
    started: float  # wall clock, when the readers were released
    seconds: float
    took: list[tuple[int, float, bool]]  # (path, latency, answered in full), every request
    first: list[float]  # each reader's first answer: it includes waiting to be let in

    def latencies(self, *, path: int | None = None) -> list[float]:
        return [t for p, t, ok in self.took if ok and path in (None, p)]

    @property
    def failed(self) -> int:
        return sum(not ok for *_, ok in self.took)

    def rate(self) -> float:
        return len(self.latencies()) / self.seconds

    def later(self) -> list[float]:
        """Every answer but each reader's first (the entries are by reader, the same number each)."""
        each = len(self.took) // max(len(self.first), 1)
        return [t for n, (_, t, ok) in enumerate(self.took) if ok and n % each]


def readers(name: str, port: int, *, clients: int, requests: int, on_start: Callable[[], object] | None = None) -> Run:
    """`read` in a Python process of its own, so the readers do not share the servers' interpreter."""
    process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--read", str(port), str(clients),
                                str(requests)], stdout=subprocess.PIPE, text=True)
    try:
        started = json.loads(process.stdout.readline() or "{}").get("started")
        if started and on_start:
            on_start()
        done = json.loads(process.stdout.readline() or "{}")
    finally:
        process.stdout.close()
        process.wait(timeout=60)
    if not (started and done):
        raise RuntimeError(f"the readers of {name} stopped (exit {process.returncode})")
    return Run(name=name, started=started, seconds=done["seconds"], first=[r[0][1] for r in done["took"] if r],
               took=[tuple(entry) for reader in done["took"] for entry in reader])


def measure(name: str, port: int, *, clients: int, requests: int, on_start: Callable[[], object] | None = None) -> Run:
    """A warm-up on connections of its own (then closed), then the run."""
    readers(name, port, clients=min(WARM_UP[0], clients), requests=WARM_UP[1])
    return readers(name, port, clients=clients, requests=requests, on_start=on_start)


def let_in(port: int, *, readers: int, wait: float = 2.0) -> int:
    """How many readers get `/api/v2/summary.json` answered, one after another, while the ones before them stay
    connected, idle, as a browser keeps its connection; stops at the first not answered within `wait` seconds."""
    held: list[http.client.HTTPConnection] = []
    try:
        for _ in range(readers):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=wait)
            held.append(connection)
            connection.request("GET", PATHS[0])
            connection.getresponse().read()
    except OSError:
        return len(held) - 1
    finally:
        for connection in held:
            connection.close()
    return readers


# --- printing ----------------------------------------------------------------------------------------------

def row(name: str, latencies: list[float], rate: float | None = None) -> str:
    figures = " ".join(ms(percentile(latencies, p)) for p in (50, 95, 99))
    return (f"  {name:<20}{len(latencies):>6}  {figures} {ms(max(latencies, default=float('nan')))}"
            + (f" {rate:>8.0f}" if rate is not None else ""))


def report(runs: list[Run], *, renders: list[float], polls: int) -> None:
    bares, fires = [r for r in runs if r.name == "bare"], [r for r in runs if r.name == "firehouse"]
    sides = (("bare", bares), ("firehouse", fires))
    print("\n  latency, every request  n         p50         p95         p99         max     req/s")
    rounds = {id(run): n for _, side in sides for n, run in enumerate(side, start=1)}
    for run in runs:
        print(row(f"{run.name} {rounds[id(run)]}", run.latencies(), run.rate()))
    pooled = {name: [t for run in side for t in run.latencies()] for name, side in sides}
    for name, latencies in pooled.items():
        print(row(f"{name}, all runs", latencies))
    ratio = percentile(pooled["firehouse"], 99) / percentile(pooled["bare"], 99)
    print(f"  ratio f/b p99 {ratio:7.2f}×  {'within' if ratio <= P99_RATIO_TARGET else 'OVER'} the"
          f" {P99_RATIO_TARGET:.0f}× target; round by round, against the bare run before: "
          + " ".join(f"{percentile(f.latencies(), 99) / percentile(b.latencies(), 99):.2f}×"
                     for b, f in zip(bares, fires)))
    for name, side in sides:
        first = [t for run in side for t in run.first]
        later = [t for run in side for t in run.later()]
        by_path = ", ".join(f"{PATHS[p]} {ms(percentile([t for run in side for t in run.latencies(path=p)], 99))}"
                            for p in range(len(PATHS)))
        print(f"  {name:<10} p99 by path: {by_path}")
        print(f"  {'':<10} first answers p50 {ms(percentile(first, 50))}  p99 {ms(percentile(first, 99))}"
              f"  over {SLOW_FIRST:.0f} s: {sum(t > SLOW_FIRST for t in first)} of {len(first)};"
              f" later answers p99 {ms(percentile(later, 99))}")
    failed = sum(run.failed for run in runs)
    if failed:
        print(f"  requests not answered in full: {failed} (" + ", ".join(f"{r.name} {r.failed}" for r in runs) + ")")
    inside = [next((f"+{at - run.started:.1f} s" for run in fires if run.started <= at <= run.started + run.seconds),
                   "between runs") for at in renders]
    print(f"  page loads during the runs: {len(renders)} for {plural(len(fires), 'change')} (an update published"
          f" {CHANGE_AFTER} s into each firehouse run),")
    print(f"    at {', '.join(inside) or '-'} into its run; {plural(polls, 'version poll')} besides, none loading;"
          f" {sum(len(run.took) for run in fires)} requests served")


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# --- running -----------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=10_000, help="past incidents seeded (default 10000)")
    parser.add_argument("--recent", type=int, default=300, help="of them resolved within 90 days (default 300)")
    parser.add_argument("--clients", type=int, default=200, help="readers at once (default 200)")
    parser.add_argument("--requests", type=int, default=50, help="requests per reader and run (default 50)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of bare then firehouse (default 3)")
    parser.add_argument("--quick", action="store_true", help="500 incidents, 50 readers × 10 requests, one round")
    parser.add_argument("--read", type=int, nargs=3, metavar=("PORT", "CLIENTS", "REQUESTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        port, clients, requests = args.read
        read(port, clients=clients, requests=requests)
        return
    if args.quick:
        args.incidents, args.recent, args.clients, args.requests, args.rounds = 500, 60, 50, 10, 1
    if args.rounds < 1 or args.rounds > OPEN or args.recent < 1 or args.incidents < args.recent + OPEN \
            or args.clients < 1 or args.requests < 2:
        parser.error(f"--incidents must be at least --recent + {OPEN}, --rounds 1 to {OPEN}, --recent and --clients"
                     " at least 1, --requests at least 2")
    os.environ["no_proxy"] = os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    logging.getLogger("waitress").setLevel(logging.ERROR)  # its "connection limit reached" is what is measured

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="firehouse-status-page-bench-"))
    stopping = threading.Event()
    site = None
    try:
        engine = make_engine(f"sqlite:///{workdir / 'firehouse.db'}")
        seeding = time.perf_counter()
        seeded = seed(engine, incidents=args.incidents, recent=args.recent, now=utc_now(), rng=random.Random(7))
        seeding = time.perf_counter() - seeding
        desk = status_desk(engine)
        load, version = Counted(desk.public_page), Counted(desk.public_version)
        site = StatusSite(load, version)  # as `bootstrap.build` makes it
        desk.changed.append(site.refresh)
        rendering = time.perf_counter()
        site.refresh()
        rendering = time.perf_counter() - rendering
        page = load.last
        firehouse_port, bare_port = free_port(), free_port()
        site.start()  # the poll, as `firehouse serve` runs it
        serve_status_page(site, host="127.0.0.1", port=firehouse_port, stopping=stopping)
        bodies = {path: fetch(firehouse_port, path) for path in PATHS}
        bare = HttpServer(bare_app(bodies), host="127.0.0.1", port=bare_port, threads=THREADS,
                          connection_limit=CONNECTIONS, channel_timeout=IDLE_SECONDS)
        threading.Thread(target=bare.run, args=(stopping,), name="bare-http", daemon=True).start()

        print(f"Status page: {args.clients} readers at once, each {args.requests} GETs on a keep-alive connection"
              f" alternating {' and '.join(PATHS)};")
        print("firehouse's StatusSite (serve_status_page) against a bare app answering the same bytes, both served by")
        print(f"firehouse.server.HttpServer (waitress, {THREADS} threads, {CONNECTIONS} connections, idle ones"
              f" closed after {IDLE_SECONDS} s) on 127.0.0.1;")
        print(f"latency = request sent → body read; {plural(args.rounds, 'round')} of bare then firehouse, then bare"
              " again")
        print(f"  seeded in {seeding:.1f} s: {seeded.incidents} incidents, {seeded.updates} published updates over"
              " two years;")
        print(f"  the page shows {len(page.incidents)} incidents ({len(page.unresolved)} open) with"
              f" {sum(len(i.updates) for i in page.incidents)} updates")
        print(f"  one render: {rendering * 1000:.0f} ms = the store's read {load.seconds[0] * 1000:.0f} ms + the"
              f" documents {(rendering - load.seconds[0] - version.seconds[0]) * 1000:.0f} ms (+ the version"
              f" {version.seconds[0] * 1000:.1f} ms)")
        print("  served: " + ", ".join(f"{path} {len(body) / 1024:.1f} KiB" for path, (body, _) in bodies.items()))

        def change(incident_id: int) -> None:
            """An update published into the run; the desk tells the site, as after the Publish button."""
            def publish() -> None:
                publish_one_more(engine, incident_id=incident_id, now=utc_now())
                for told in desk.changed:
                    told()
            threading.Timer(CHANGE_AFTER, publish).start()

        runs: list[Run] = []
        loads_before, polls_before = load.calls, version.calls
        for number in range(args.rounds):
            runs.append(measure("bare", bare_port, clients=args.clients, requests=args.requests))
            runs.append(measure("firehouse", firehouse_port, clients=args.clients, requests=args.requests,
                                on_start=functools.partial(change, seeded.incidents - number)))
        runs.append(measure("bare", bare_port, clients=args.clients, requests=args.requests))
        loads = load.started[loads_before:]
        report(runs, renders=loads, polls=version.calls - polls_before - len(loads))
        tried = args.clients
        answered = {name: let_in(port, readers=tried) for name, port in (("bare", bare_port),
                                                                         ("firehouse", firehouse_port))}
        print(f"  {tried} readers one after another, each staying connected once answered, as browsers do:")
        print("    " + ", ".join(f"{name} answered {n}" for name, n in answered.items()))
        if min(answered.values()) < tried:
            print(f"    the next had no answer within 2 s: it waits until waitress drops an idle connection"
                  f" ({IDLE_SECONDS} s)")
        print(f"\n({time.monotonic() - started:.0f} s)")
    finally:
        stopping.set()
        if site is not None:
            site.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
