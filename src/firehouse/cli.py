"""`firehouse serve`, `doctor`, `render`, `templates check`, `drills check`, `db upgrade|current`,
`export fixtures|postmortem` and `report incidents|drills`."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from firehouse import __version__
from firehouse.config import load_settings
from firehouse.errors import ConfigError, FirehouseError
from firehouse import logs

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

EXIT_CONFIG = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="firehouse", description="Runs the war room for AI incidents in Slack.")
    parser.add_argument("--version", action="version", version=f"firehouse {__version__}")
    _add_log_flags(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the bot (Socket Mode when SLACK_APP_TOKEN is set, else HTTP)")
    serve.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    serve.add_argument("--host", default="0.0.0.0", help="HTTP interface to listen on (default all)")
    serve.add_argument("--health-port", type=_port, metavar="PORT",
                       default=os.environ.get("FIREHOUSE_HEALTH_PORT") or None,
                       help="Socket Mode: serve /healthz, /readyz and /metrics on PORT (default:"
                            " FIREHOUSE_HEALTH_PORT, else none); over HTTP they sit beside /slack/events")
    serve.add_argument("--alerts-port", type=_port, metavar="PORT",
                       default=os.environ.get("FIREHOUSE_ALERTS_PORT") or None,
                       help="Socket Mode: serve alert intake (/alerts/alertmanager, /alerts/grafana) on PORT"
                            " (default: FIREHOUSE_ALERTS_PORT); over HTTP it sits beside /slack/events")
    _add_log_flags(serve, nested=True)
    doctor = commands.add_parser("doctor", help="check the settings, Slack, the database, the templates and the"
                                                " integrations; one line each, exit 1 if any fails")
    _add_log_flags(doctor, nested=True)
    render = commands.add_parser("render", help="print an incident's notice as Markdown")
    render.add_argument("incident", type=int, help="the incident number")
    render.add_argument("lane", choices=["product", "legal"])
    render.add_argument("template", nargs="?", help="a template of the lane (default: the class's, else default)")
    render.add_argument("--regime", help="for legal fact sheets: gdpr, eu_ai_act, nis2 or dora")
    render.add_argument("--stage", choices=["initial", "intermediate", "final"], help="for legal fact sheets")
    templates = commands.add_parser("templates", help="work with the message templates")
    templates.add_argument("action", choices=["check"], help="render every template with sample facts")
    drills = commands.add_parser("drills", help="work with the drill scenarios")
    drills.add_argument("action", choices=["check"], help="read every scenario (shipped and FIREHOUSE_DRILLS) and"
                                                          " check it; exit 1 on any problem")
    db = commands.add_parser("db", help="the database schema: upgrade it in place, or show its revision")
    db.add_argument("action", choices=["upgrade", "current"],
                    help="upgrade: migrate to this release's revision; current: show the revision (exit 1 if behind)")
    _add_export_parser(commands)
    _add_report_parser(commands)
    args = parser.parse_args(argv)
    try:
        level, fmt = logs.choose(level=args.log_level, fmt=args.log_format, environ=os.environ)
    except logs.LogSettingError as err:
        parser.exit(EXIT_CONFIG, f"firehouse: {err}\n")
    logs.configure(level=level, fmt=fmt)
    try:
        return {"serve": _serve, "render": _render, "templates": _check_templates, "drills": _check_drills,
                "db": _db, "doctor": _doctor,
                "export": _export, "report": _report}[args.command](args)
    except ConfigError as err:
        print(f"firehouse: {err}", file=sys.stderr)
        return EXIT_CONFIG
    except FirehouseError as err:
        print(f"firehouse: {err.reply}", file=sys.stderr)
        return 1


def _add_log_flags(parser: argparse.ArgumentParser, *, nested: bool = False) -> None:
    """`--log-level` and `--log-format`, before the command or (`nested`) after it."""
    default = argparse.SUPPRESS if nested else None  # a subcommand's absent flag keeps the main parser's value
    parser.add_argument("--log-level", choices=list(logs.LEVELS), default=default,
                        help="debug, info, warning or error (default: FIREHOUSE_LOG_LEVEL, else info)")
    parser.add_argument("--log-format", choices=list(logs.FORMATS), default=default,
                        help="text or json lines (default: FIREHOUSE_LOG_FORMAT, else text)")


def _doctor(args: argparse.Namespace) -> int:
    from firehouse.ops.doctor import doctor  # imported late: `--help` stays fast

    return doctor(os.environ, cwd=Path.cwd(), out=sys.stdout)


def _serve(args: argparse.Namespace) -> int:
    from firehouse.bootstrap import bootstrap  # imported late: `--help` stays fast
    from firehouse.server import serve_alerts, serve_http, serve_probes, serve_socket_mode

    settings = load_settings(os.environ, cwd=Path.cwd())
    if settings.alerts.enabled and settings.socket_mode and args.alerts_port is None:
        raise ConfigError("FIREHOUSE_ALERT_TOKEN is set in Socket Mode, so alert intake needs a port of its own:"
                          " --alerts-port or FIREHOUSE_ALERTS_PORT")
    firehouse = bootstrap(settings)
    # SIGTERM (a deploy, `docker stop`) and Ctrl-C stop serving and drain: in-flight work finishes, the
    # outbox settles, the lead is given up, and the process exits 0.
    stopping, received = threading.Event(), []

    def stop(signum: int, _frame: object) -> None:
        received.append(signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    firehouse.board.start()
    probes = dict(health=firehouse.health, metrics=firehouse.metrics, stopping=stopping)
    try:
        if settings.socket_mode:
            health = None if args.health_port is None else serve_probes(host=args.host, port=args.health_port,
                                                                         **probes)
            intake = None if firehouse.alerts is None else serve_alerts(
                firehouse.alerts, host=args.host, port=args.alerts_port, stopping=stopping)
            serve_socket_mode(firehouse.app, app_token=settings.app_token, metrics=firehouse.metrics,
                              stopping=stopping)
            for thread in (health, intake):
                if thread:
                    thread.join()
        else:
            serve_http(firehouse.app, signing_secret=settings.signing_secret, host=args.host, port=args.port,
                       alerts=firehouse.alerts, **probes)
    finally:
        stopping.set()
        stopped = firehouse.stop()
        logging.getLogger(__name__).info(
            "firehouse stopped: %s; %s, %s posts owed to Slack, scheduler lead released",
            received[0] if received else "serving ended",
            "in-flight work finished" if stopped.finished else "in-flight work cut off after the grace period",
            "unknown" if stopped.unsent is None else stopped.unsent)
        if not stopped.finished:  # a call still hangs on Slack: the outbox sends what is owed on the next start
            logging.shutdown()
            os._exit(0)
    return 0


def _port(text: str) -> int:
    """`--health-port` (or FIREHOUSE_HEALTH_PORT): a TCP port number."""
    if not text.strip().isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number")
    return int(text)


def _render(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from firehouse.comms.notices import render_notice
    from firehouse.comms.templates import TemplateCatalogue
    from firehouse.store import UnitOfWork

    settings = load_settings(os.environ, cwd=Path.cwd(), slack=False)
    with UnitOfWork(_existing_store(settings.database_url)) as uow:
        incident = uow.incidents.get(args.incident)
    if incident is None:
        raise FirehouseError(f"there is no incident {args.incident} in {settings.database_url}")
    rendered = render_notice(incident, templates=TemplateCatalogue.with_override(settings.templates_dir),
                             catalog=settings.catalog, regimes=settings.regimes, lane=args.lane,
                             template=args.template, regime=args.regime, stage=args.stage, now=datetime.now(UTC))
    print(rendered.text)
    if rendered.missing:
        print(f"firehouse: missing facts: {', '.join(rendered.missing)}", file=sys.stderr)
    return 0


def _db(args: argparse.Namespace) -> int:
    from firehouse.store import make_engine, migrate

    settings = load_settings(os.environ, cwd=Path.cwd(), slack=False)
    engine = make_engine(settings.database_url, upgrade=False) if args.action == "upgrade" \
        else _existing_store(settings.database_url, current=False)
    if args.action == "upgrade":
        before, after = migrate.upgrade(engine)
        print(f"{after} (head): " + ("already up to date" if before.up_to_date else f"upgraded from {before}"))
        return 0
    before = migrate.current(engine)
    state = "up to date" if before.up_to_date else "behind: run `firehouse db upgrade`"
    print(f"{before} (head {before.head}): {state}")
    return 0 if before.up_to_date else 1


def _check_templates(args: argparse.Namespace) -> int:
    from firehouse.comms.check import check_templates
    from firehouse.comms.templates import TemplateCatalogue

    settings = load_settings(os.environ, cwd=Path.cwd(), slack=False)
    catalogue = TemplateCatalogue.with_override(settings.templates_dir)
    problems, renders = check_templates(catalogue, settings.catalog)
    for problem in problems:
        print(problem, file=sys.stderr)
    names = catalogue.names()
    print(f"{len(names)} templates, {renders} renders, {len(problems)} problems")
    return 1 if problems else 0


def _check_drills(args: argparse.Namespace) -> int:
    from firehouse.config.scenarios import load
    from firehouse.domain.times import span

    settings = load_settings(os.environ, cwd=Path.cwd(), slack=False)
    scenarios = load(settings.drills_dir, catalog=settings.catalog)
    for name in sorted([*scenarios.found, *scenarios.problems]):
        if name in scenarios.found:
            s = scenarios.found[name]
            print(f"ok    {name:<28} {s.class_id} · {s.severity.label} · {span(s.time_limit)} · {len(s.injects)}"
                  f" injects · {s.firebreaks} firebreaks · {scenarios.paths[name]}")
        else:
            print(f"FAIL  {name:<28} {scenarios.problems[name]}")
    problems = len(scenarios.problems)
    print(f"{len(scenarios.found)} scenarios ok, {problems} problem{'' if problems == 1 else 's'}")
    return 1 if problems else 0


# --- firehouse export <kind>: each kind is a subparser and one `_export_<kind>` function -----------------


def _add_export_parser(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser("export", help="write what incidents left behind, for other tools")
    kinds = export.add_subparsers(dest="kind", required=True)
    fixtures = kinds.add_parser("fixtures", help="the eval fixtures, as the suite a release gate runs")
    fixtures.add_argument("--since", type=_since, metavar="DATE",
                          help="only fixtures written at or after DATE (YYYY-MM-DD or an ISO datetime; UTC unless it"
                               " says otherwise)")
    fixtures.add_argument("--class", dest="class_id", metavar="CLASS",
                          help="only fixtures of incidents of this class (one of the deployment's classes)")
    fixtures.add_argument("--format", choices=["jsonl", "promptfoo"], default="jsonl",
                          help="jsonl: inspect_ai and OpenAI evals samples (default); promptfoo: a tests file")
    fixtures.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE (default: standard output)")
    fixtures.set_defaults(export=_export_fixtures, parser=fixtures)
    postmortem = kinds.add_parser("postmortem", help="an incident's postmortem as Markdown")
    postmortem.add_argument("incident", type=int, help="the incident number")
    postmortem.add_argument("--draft", action="store_true",
                            help="render it from the record now, instead of the latest published version")
    postmortem.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE (default: standard output)")
    postmortem.set_defaults(export=_export_postmortem, parser=postmortem)


def _export(args: argparse.Namespace) -> int:
    return args.export(args)


def _since(text: str) -> datetime:
    """`--since`: a date (midnight UTC) or an ISO datetime (UTC when it names no offset), as UTC."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime.combine(day, time(), tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD) or an ISO datetime") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _export_fixtures(args: argparse.Namespace) -> int:
    from firehouse.comms.fixtures import to_jsonl, to_promptfoo
    from firehouse.store import UnitOfWork

    settings = load_settings(os.environ, cwd=Path.cwd(), slack=False)
    if args.class_id is not None and args.class_id not in settings.catalog.classes:
        args.parser.error(f"argument --class: {args.class_id!r} is not a class here; use one of"
                          f" {', '.join(settings.catalog.classes)}")
    with UnitOfWork(_existing_store(settings.database_url)) as uow:
        fixtures = uow.afteraction.fixtures(since=args.since, class_id=args.class_id)
    text = (to_promptfoo if args.format == "promptfoo" else to_jsonl)(fixtures)
    where = _write(text, args.output)
    print(f"firehouse: {len(fixtures)} fixture{'' if len(fixtures) == 1 else 's'} written to {where}",
          file=sys.stderr)
    return 0


def _export_postmortem(args: argparse.Namespace) -> int:
    """The latest published version, verbatim, or with `--draft` (or when none is published) the text the
    record gives now."""
    from firehouse.comms.templates import TemplateCatalogue
    from firehouse.store import UnitOfWork
    from firehouse.usecases.afteraction import postmortem_of

    settings = load_settings(os.environ, cwd=Path.cwd(), slack=False)
    with UnitOfWork(_existing_store(settings.database_url)) as uow:
        incident = uow.incidents.get(args.incident)
        if incident is None:
            raise FirehouseError(f"there is no incident {args.incident} in this database")
        published = [v for v in uow.afteraction.postmortems(incident.id) if v.published_at]
        if published and not args.draft:
            version = published[-1]
            text, said = version.text, f"version {version.version}, published {version.published_at:%Y-%m-%d %H:%M} UTC" \
                f" by {version.published_by}, sha256 {version.fingerprint}"
        else:
            text = postmortem_of(uow, incident, templates=TemplateCatalogue.with_override(settings.templates_dir),
                                 catalog=settings.catalog, now=datetime.now(UTC)).text
            said = "a draft from the record as it stands" + ("" if args.draft else " (no version is published yet)")
    print(f"firehouse: postmortem of incident {incident.id}, {said}, written to {_write(text, args.output)}",
          file=sys.stderr)
    return 0


# --- firehouse report <kind>: each kind is a subparser and one `_report_<kind>` function -----------------------


def _add_report_parser(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser("report", help="the numbers, for a review: read from the database, never changing it")
    kinds = report.add_subparsers(dest="kind", required=True)
    incidents = kinds.add_parser(
        "incidents", help="count, times to captain, contain, resolve and first update, customer notices on time and"
                          " regulatory deadlines met, by class and severity; drills excluded")
    incidents.add_argument("--since", type=_since, metavar="DATE",
                           help="only incidents declared at or after DATE (YYYY-MM-DD or an ISO datetime; UTC unless"
                                " it says otherwise; default: from the first incident)")
    incidents.add_argument("--until", type=_since, metavar="DATE",
                           help="only incidents declared before DATE (default, and at most: now)")
    incidents.add_argument("--format", choices=["text", "csv"], default="text",
                           help="text: an aligned table (default); csv: the same rows, times in whole seconds")
    incidents.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE (default: standard output)")
    incidents.add_argument("--chart", type=Path, metavar="FILE.png",
                           help="also write the weekly trend as a PNG: incidents per week, median times to contain"
                                " and to resolve")
    incidents.set_defaults(report=_report_incidents, parser=incidents)
    drills = kinds.add_parser("drills", help="every drill that ended, by scenario, oldest first: each milestone's time"
                                             " against the 60-minute flow, the severity chosen, the items missed")
    drills.add_argument("--scenario", metavar="NAME", help="only the drills of this scenario")
    drills.add_argument("--format", choices=["text", "csv"], default="text",
                        help="text: a table per scenario (default); csv: one row per drill, times in whole seconds")
    drills.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE (default: standard output)")
    drills.set_defaults(report=_report_drills, parser=drills)


def _report(args: argparse.Namespace) -> int:
    return args.report(args)


def _report_incidents(args: argparse.Namespace) -> int:
    from firehouse.comms.stats_report import csv_text, text_table, window
    from firehouse.usecases.stats import Stats

    now = datetime.now(UTC)
    if args.since is not None and args.since > now:
        args.parser.error(f"argument --since: {args.since:%Y-%m-%d %H:%M} UTC is in the future")
    if args.since is not None and args.until is not None and args.until <= args.since:
        args.parser.error("argument --until: it must come after --since")
    settings = load_settings(os.environ, cwd=Path.cwd(), slack=False)
    stats = Stats(engine=_existing_store(settings.database_url), settings=settings, clock=lambda: now)
    numbers = stats.between(since=args.since, until=args.until)
    where = _write((csv_text if args.format == "csv" else text_table)(numbers), args.output)
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


def _report_drills(args: argparse.Namespace) -> int:
    from firehouse.comms.drill_history import csv_text, text_table
    from firehouse.store import UnitOfWork

    settings = load_settings(os.environ, cwd=Path.cwd(), slack=False)
    with UnitOfWork(_existing_store(settings.database_url)) as uow:
        runs = uow.drills.runs(scenario=args.scenario, ended=True)
    if args.format == "text":  # grouped by scenario in the table; the CSV keeps the order they ran in
        runs = sorted(runs, key=lambda run: run.scenario.name)
    where = _write((csv_text if args.format == "csv" else text_table)(runs), args.output)
    which = f" of scenario {args.scenario}" if args.scenario else ""
    print(f"firehouse: {len(runs)} drill{'' if len(runs) == 1 else 's'}{which} written to {where}", file=sys.stderr)
    return 0


def _write(text: str, output: Path | None) -> str:
    """Write to `output`, or standard output; returns where it went, for the closing line."""
    if output is None:
        sys.stdout.write(text)
        return "standard output"
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as err:
        raise FirehouseError(f"cannot write {output}: {err.strerror}") from None
    return str(output)


def _existing_store(url: str, *, current: bool = True) -> Engine:
    """An engine for a database that exists (at this release's schema unless not `current`): a read-only command
    (render, export, db current) never creates or upgrades one."""
    from firehouse.store import make_engine, migrate
    from firehouse.store.database import sqlite_file

    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise FirehouseError(f"no database at {path.resolve()}")
    engine = make_engine(url, upgrade=False)
    revision = migrate.current(engine)
    if current and not revision.up_to_date:
        raise FirehouseError(f"the database is not at this release's schema (found {revision}, this release needs"
                             f" revision {revision.head}): run `firehouse db upgrade` first")
    return engine


if __name__ == "__main__":
    sys.exit(main())
