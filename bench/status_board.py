"""Benchmark: the status board with many open incidents on a fast cadence.

Runs the real `firehouse serve` against the fake Slack twice in one go: first idle (no incidents) as
the baseline, then with N open incidents at a 30-second cadence. Prints the lateness of board posts
(due → sent, from the outbox), the CPU time and the peak RSS of the process, and the ratios to the
idle baseline.

    python bench/status_board.py                      # 500 incidents, 3 minutes
    python bench/status_board.py --incidents 100 --minutes 1
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from botprocess import BotProcess  # noqa: E402
from fakeslack import FakeSlack  # noqa: E402

from firehouse.domain.classes import DEFAULT_CLASSES  # noqa: E402
from firehouse.domain.model import Incident  # noqa: E402
from firehouse.domain.severity import Severity  # noqa: E402
from firehouse.store import UnitOfWork, make_engine  # noqa: E402

CADENCE = timedelta(seconds=30)
CONFIG = '[cadence]\nsev1 = "30s"\nsev2 = "30s"\nsev3 = "30s"\n[status_board]\nfirst_hour = ["1h"]\n'


def seed(fake: FakeSlack, database: Path, count: int) -> None:
    """Open incidents whose war rooms exist in the fake Slack, due at random points of the first cycle."""
    engine = make_engine(f"sqlite:///{database}")
    now = datetime.now(UTC)
    rng = random.Random(7)
    with UnitOfWork(engine) as uow:
        for n in range(count):
            channel = fake.add_channel(f"inc-bench-{n:04d}", members=["UCAPTAIN"])
            incident, declared = Incident.declare(
                title=f"Bench incident {n}", severity=Severity.SEV2, incident_class=DEFAULT_CLASSES["output"],
                by="UCAPTAIN", at=now)
            incident.channel_id, incident.channel_name = channel, f"inc-bench-{n:04d}"
            # due after the first prompt lead (10 s) has passed the start-up, so nothing is late on arrival
            incident.next_update_due = now + timedelta(seconds=15) + rng.random() * CADENCE
            uow.incidents.add(incident, [declared])
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


def run(fake: FakeSlack, *, incidents: int, seconds: float) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="firehouse-bench-"))
    stakeholders = fake.add_channel(f"stakeholders-{incidents}")
    if incidents:
        seed(fake, workdir / "firehouse.db", incidents)
    bot = BotProcess(fake=fake, workdir=workdir, config=f'stakeholder_channel = "{stakeholders}"\n' + CONFIG)
    bot.start()
    started_cpu = cpu_seconds(bot.process.pid)
    time.sleep(seconds)
    cpu = cpu_seconds(bot.process.pid) - started_cpu
    rss = peak_rss_mib(bot.process.pid)
    bot.stop()
    with sqlite3.connect(workdir / "firehouse.db") as db:
        rows = db.execute("SELECT due_at, sent_at FROM outbox WHERE sent_at IS NOT NULL").fetchall()
        unsent = db.execute("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
    lateness = sorted(
        (datetime.fromisoformat(sent) - datetime.fromisoformat(due)).total_seconds() for due, sent in rows
    )
    return {"cpu": cpu, "rss": rss, "lateness": lateness, "posts": len(rows), "unsent": unsent}


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
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
