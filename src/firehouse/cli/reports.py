"""`firehouse report incidents|drills`: the numbers, for a review, read from the database without changing it."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from firehouse.cli.files import existing_store, moment, write
from firehouse.config import load_settings
from firehouse.errors import FirehouseError


def add_parser(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser("report", help="the numbers, for a review: read from the database, never changing it")
    kinds = report.add_subparsers(dest="kind", required=True)
    incidents = kinds.add_parser(
        "incidents", help="count, times to captain, contain, resolve and first update, customer notices on time,"
                          " regulatory deadlines met and containments verified, by class and severity; drills"
                          " excluded")
    incidents.add_argument("--since", type=moment, metavar="DATE",
                           help="only incidents declared at or after DATE (YYYY-MM-DD or an ISO datetime; UTC unless"
                                " it says otherwise; default: from the first incident)")
    incidents.add_argument("--until", type=moment, metavar="DATE",
                           help="only incidents declared before DATE (default, and at most: now)")
    incidents.add_argument("--format", choices=["text", "csv"], default="text",
                           help="text: an aligned table (default); csv: the same rows, times in whole seconds")
    incidents.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE (default: standard output)")
    incidents.add_argument("--chart", type=Path, metavar="FILE.png",
                           help="also write the weekly trend as a PNG: incidents per week, median times to contain"
                                " and to resolve")
    incidents.set_defaults(run=_incidents, parser=incidents)
    drills = kinds.add_parser("drills", help="every drill that ended, by scenario, oldest first: each milestone's time"
                                             " against the 60-minute flow, the severity chosen, the items missed")
    drills.add_argument("--scenario", metavar="NAME", help="only the drills of this scenario")
    drills.add_argument("--format", choices=["text", "csv"], default="text",
                        help="text: a table per scenario (default); csv: one row per drill, times in whole seconds")
    drills.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE (default: standard output)")
    drills.set_defaults(run=_drills, parser=drills)


def _incidents(args: argparse.Namespace) -> int:
    from firehouse.comms.stats_report import csv_text, text_table, window
    from firehouse.usecases.stats import Stats

    now = datetime.now(UTC)
    if args.since is not None and args.since > now:
        args.parser.error(f"argument --since: {args.since:%Y-%m-%d %H:%M} UTC is in the future")
    if args.since is not None and args.until is not None and args.until <= args.since:
        args.parser.error("argument --until: it must come after --since")
    settings = load_settings(os.environ, cwd=Path.cwd(), slack=False)
    stats = Stats(engine=existing_store(settings.database_url), settings=settings, clock=lambda: now)
    numbers = stats.between(since=args.since, until=args.until)
    where = write((csv_text if args.format == "csv" else text_table)(numbers), args.output)
    count = numbers.total.incidents
    said = (f"{count} incident{'' if count == 1 else 's'} declared {window(numbers)} (drills excluded), written to"
            f" {where}")
    if args.chart is not None:
        from firehouse.comms.trend_chart import trend_chart  # imported late: matplotlib takes a while

        try:
            args.chart.write_bytes(trend_chart(numbers))
        except OSError as err:
            raise FirehouseError(f"cannot write {args.chart}: {err.strerror}") from None
        said += f"; the weekly chart to {args.chart}"
    print(f"firehouse: {said}", file=sys.stderr)
    return 0


def _drills(args: argparse.Namespace) -> int:
    from firehouse.comms.drill_history import csv_text, text_table
    from firehouse.store import UnitOfWork

    settings = load_settings(os.environ, cwd=Path.cwd(), slack=False)
    with UnitOfWork(existing_store(settings.database_url)) as uow:
        runs = uow.drills.runs(scenario=args.scenario, ended=True)
    if args.format == "text":  # grouped by scenario in the table; the CSV keeps the order they ran in
        runs = sorted(runs, key=lambda run: run.scenario.name)
    where = write((csv_text if args.format == "csv" else text_table)(runs), args.output)
    which = f" of scenario {args.scenario}" if args.scenario else ""
    print(f"firehouse: {len(runs)} drill{'' if len(runs) == 1 else 's'}{which} written to {where}", file=sys.stderr)
    return 0
