"""Benchmark: the status board with many open incidents on a fast cadence.

Runs the real `firehouse serve` against the fake Slack twice in one go: first idle (no incidents) as
the baseline, then with N open incidents at a 30-second cadence. Prints the lateness of board posts
(due → sent, from the outbox), the CPU time and the peak RSS of the process, and the ratios to the
idle baseline.

With --signals, a real Prometheus (tests/prometheusserver.py) scrapes an exporter's gauge every second,
and the loaded run is made twice: without signals, then with three signals over that gauge watched in
every incident (two against a threshold, one against the same window an hour before, the query with
`offset`). Every missed update reads its incident's signals for the stakeholders' line before it is
decided, one range query per signal. Incidents are declared at moments spread over the last 45 minutes,
so no two incidents ask for the same range (incidents declared at one moment would share every query).
It prints the lateness of both runs and their ratio, and the range queries per minute (Firehouse's
`firehouse_signal_queries_total`, and Prometheus's own count of those it answered) beside the board posts
per minute.

    python bench/status_board.py                      # 500 incidents, 3 minutes
    python bench/status_board.py --incidents 100 --minutes 1
    python bench/status_board.py --incidents 100 --minutes 2 --signals
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from botprocess import BotProcess  # noqa: E402
from fakeslack import FakeSlack  # noqa: E402

from firehouse.config import load_settings  # noqa: E402
from firehouse.domain.classes import DEFAULT_CLASSES  # noqa: E402
from firehouse.domain.model import Incident  # noqa: E402
from firehouse.domain.severity import Severity  # noqa: E402
from firehouse.domain.signals import Signal  # noqa: E402
from firehouse.domain.watches import Origin, Watch  # noqa: E402
from firehouse.store import UnitOfWork, make_engine  # noqa: E402

CADENCE = timedelta(seconds=30)
CONFIG = '[cadence]\nsev1 = "30s"\nsev2 = "30s"\nsev3 = "30s"\n[status_board]\nfirst_hour = ["1h"]\n'
MODELS = ("gpt-4o", "claude", "mistral")  # the gauge's series
# Three signals over one gauge, as a deployment configures them; every incident watches all three.
SIGNALS = """[metric_sources.main]
url = "{url}"
[signals.error-rate]
query = "avg(bench_error_ratio)"
label = "Error rate"
unit = "percent"
threshold = 0.05
[signals.worst-model]
query = "max(bench_error_ratio)"
label = "Worst model error rate"
unit = "percent"
threshold = 0.08
[signals.errors-by-model]
query = "sum by (model) (bench_error_ratio)"
label = "Errors by model"
unit = "percent"
baseline = "1h"
"""
DECLARED_OVER = timedelta(minutes=45)  # before the first hour's checkpoint, which stays out of the run


def seed(fake: FakeSlack, database: Path, count: int, *, signals: list[Signal] = (), spread: bool = False,
         prefix: str = "inc-bench") -> None:
    """Open incidents whose war rooms exist in the fake Slack, due at random points of the first cycle, each
    watching `signals`; `spread`: declared at random moments of the last DECLARED_OVER, else all now."""
    engine = make_engine(f"sqlite:///{database}")
    now = datetime.now(UTC)
    rng = random.Random(7)
    with UnitOfWork(engine) as uow:
        for n in range(count):
            channel = fake.add_channel(f"{prefix}-{n:04d}", members=["UCAPTAIN"])
            declared_at = now - rng.random() * DECLARED_OVER if spread else now
            incident, declared = Incident.declare(
                title=f"Bench incident {n}", severity=Severity.SEV2, incident_class=DEFAULT_CLASSES["output"],
                by="UCAPTAIN", at=declared_at)
            incident.channel_id, incident.channel_name = channel, f"{prefix}-{n:04d}"
            # due after the first prompt lead (10 s) has passed the start-up, so nothing is late on arrival
            incident.next_update_due = now + timedelta(seconds=15) + rng.random() * CADENCE
            uow.incidents.add(incident, [declared])
            watches = [uow.signals.add_watch(Watch(incident_id=incident.id, signal=signal, origin=Origin.COMMAND,
                                                   started_by="UCAPTAIN", started_at=declared_at))
                       for signal in signals]
            uow.incidents.record(incident, [watch.event() for watch in watches])
        uow.commit()
    engine.dispose()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(fake: FakeSlack, *, incidents: int, seconds: float, prometheus: str | None = None,
        spread: bool = False) -> dict:
    """One `firehouse serve` for `seconds`; `prometheus`: the URL of the metric source every incident's three
    signals are read from."""
    workdir = Path(tempfile.mkdtemp(prefix="firehouse-bench-"))
    stakeholders = fake.add_channel(f"stakeholders-{incidents}-{'signals' if prometheus else 'plain'}")
    config = f'stakeholder_channel = "{stakeholders}"\n' + CONFIG + (SIGNALS.format(url=prometheus) if prometheus
                                                                      else "")
    bot = BotProcess(fake=fake, workdir=workdir, config=config)
    signals = list(load_settings({}, cwd=workdir, slack=False).signals.values())  # as serve reads them
    if incidents:
        seed(fake, workdir / "firehouse.db", incidents, signals=signals, spread=spread,
             prefix="inc-signals" if prometheus else "inc-bench")
    answered_before = counted(f"{prometheus}/metrics", "prometheus_http_requests_total",
                              handler="/api/v1/query_range") if prometheus else 0
    bot.start()
    started_cpu = cpu_seconds(bot.process.pid)
    time.sleep(seconds)
    cpu = cpu_seconds(bot.process.pid) - started_cpu
    rss = peak_rss_mib(bot.process.pid)
    queries = counted(f"http://127.0.0.1:{bot.port}/metrics", "firehouse_signal_queries_total")
    failed = queries - counted(f"http://127.0.0.1:{bot.port}/metrics", "firehouse_signal_queries_total", outcome="ok")
    bot.stop()
    answered = counted(f"{prometheus}/metrics", "prometheus_http_requests_total",
                       handler="/api/v1/query_range") - answered_before if prometheus else 0
    updates = [json.dumps(m) for m in fake.messages(stakeholders)]
    read = sum(all(s.label in u for s in signals) and "unavailable" not in u and "no data" not in u
               for u in updates) if signals else 0
    with sqlite3.connect(workdir / "firehouse.db") as db:
        rows = db.execute("SELECT due_at, sent_at FROM outbox WHERE sent_at IS NOT NULL").fetchall()
        unsent = db.execute("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
    lateness = sorted(
        (datetime.fromisoformat(sent) - datetime.fromisoformat(due)).total_seconds() for due, sent in rows
    )
    return {"cpu": cpu, "rss": rss, "lateness": lateness, "posts": len(rows), "unsent": unsent,
            "queries": queries, "failed": failed, "answered": answered, "updates": len(updates), "read": read}


def counted(url: str, name: str, **labels: str) -> int:
    """A counter's total over the samples with `labels`, read from a /metrics page (Firehouse's own range
    queries, or the range queries a Prometheus answered)."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    return round(sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
                     if sample.name == name and labels.items() <= sample.labels.items()))


def raw_post_cpu(fake: FakeSlack, count: int = 300) -> float:
    """The baseline: CPU seconds per message for a bare slack_sdk WebClient posting to the same fake."""
    from slack_sdk import WebClient

    channel = fake.add_channel("baseline")
    client = WebClient(token=fake.bot_token, base_url=fake.api_url)
    started = time.process_time()
    for n in range(count):
        client.chat_postMessage(channel=channel, text=f"baseline {n}")
    return (time.process_time() - started) / count


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=500)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--signals", action="store_true",
                        help="compare the loaded run with the same run watching three signals in every incident")
    args = parser.parse_args()
    if args.signals:
        compare_signals(incidents=args.incidents, minutes=args.minutes)
        return
    seconds = args.minutes * 60
    fake = FakeSlack().start()
    fake.add_user("UCAPTAIN", "captain")
    try:
        raw = raw_post_cpu(fake)
        idle = run(fake, incidents=0, seconds=seconds)
        loaded = run(fake, incidents=args.incidents, seconds=seconds)
    finally:
        fake.stop()
    late = loaded["lateness"]
    # per cycle: a prompt, then at the due time a reminder to the captain and a notice to stakeholders
    expected = args.incidents * 3 * seconds / CADENCE.total_seconds()
    per_post = (loaded["cpu"] - idle["cpu"]) / max(loaded["posts"], 1)
    print(f"firehouse serve, {args.incidents} open incidents at a {CADENCE.seconds}s cadence, {args.minutes:g} min")
    print(f"  board posts sent      {loaded['posts']} (about {expected:.0f} expected), unsent at stop {loaded['unsent']}")
    print(f"  lateness due → sent   p50 {percentile(late, 50) * 1000:.0f} ms   p99 {percentile(late, 99) * 1000:.0f} ms"
          f"   max {max(late, default=float('nan')) * 1000:.0f} ms")
    print(f"  p99 lateness / cadence {percentile(late, 99) / CADENCE.total_seconds():.2%}")
    print(f"  CPU time              {loaded['cpu']:.1f} s ({loaded['cpu'] / seconds:.1%} of one core),"
          f" idle {idle['cpu']:.1f} s")
    print(f"  CPU per board post    {per_post * 1000:.1f} ms   bare WebClient post {raw * 1000:.1f} ms"
          f"   ratio {per_post / raw:.1f}×")
    print(f"  peak RSS              {loaded['rss']:.0f} MiB   idle baseline {idle['rss']:.0f} MiB"
          f"   ratio {loaded['rss'] / idle['rss']:.2f}×")


def compare_signals(*, incidents: int, minutes: float) -> None:
    """The loaded run without signals, then with three watched in every incident, against a real Prometheus."""
    from prometheusserver import exporter, prometheus_server

    seconds = minutes * 60
    fake = FakeSlack().start()
    fake.add_user("UCAPTAIN", "captain")
    try:
        with exporter() as target:
            ratio = target.gauge("bench_error_ratio", ["model"])
            for n, model in enumerate(MODELS, start=1):
                ratio.labels(model=model).set(n / 100)
            with prometheus_server([target.target]) as prometheus:  # scraping every second through both runs
                prometheus.wait_for("count(bench_error_ratio)", lambda values: values == [len(MODELS)])
                plain = run(fake, incidents=incidents, seconds=seconds, spread=True)
                watched = run(fake, incidents=incidents, seconds=seconds, prometheus=prometheus.url, spread=True)
    finally:
        fake.stop()
    both = (plain, watched)

    def row(name: str, show) -> str:
        return f"  {name:<28}" + "".join(f"{show(r):>18}" for r in both)

    def ms(p: float):
        return lambda r: f"{percentile(r['lateness'], p) * 1000:.0f} ms"

    ratio_p99 = percentile(watched["lateness"], 99) / percentile(plain["lateness"], 99)
    print(f"firehouse serve, {incidents} open incidents at a {CADENCE.seconds}s cadence, {minutes:g} min each,"
          " a real Prometheus scraping every second")
    print(f"  {'':<28}{'without signals':>18}{'3 signals each':>18}")
    print(row("board posts sent", lambda r: f"{r['posts']} ({r['unsent']} unsent)"))
    print(row("board posts per minute", lambda r: f"{r['posts'] / minutes:.0f}"))
    print(row("range queries per minute", lambda r: f"{r['queries'] / minutes:.0f}"))
    print(row("  answered by Prometheus", lambda r: f"{r['answered'] / minutes:.0f}"))
    print(row("  failed", lambda r: f"{r['failed']}"))
    print(row("updates with every signal", lambda r: f"{r['read']} of {r['updates']}" if r["queries"] else "-"))
    print(row("lateness due → sent p50", ms(50)))
    print(row("lateness due → sent p99", ms(99)) + f"   ratio {ratio_p99:.2f}× (target ≤ 1.5×)")
    print(row("lateness due → sent max", lambda r: f"{max(r['lateness'], default=float('nan')) * 1000:.0f} ms"))
    print(row("CPU time", lambda r: f"{r['cpu']:.1f} s"))
    print(row("peak RSS", lambda r: f"{r['rss']:.0f} MiB"))


if __name__ == "__main__":
    main()
