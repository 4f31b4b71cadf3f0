"""`firehouse serve`, `doctor`, `render`, `templates check`, `drills check`, `db upgrade|current`,
`export fixtures|postmortem`, `report incidents|drills` and `events replay`: the parsers and the process; each
family of commands in a module of its own."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from firehouse import __version__, logs
from firehouse.cli import checks, events, evidence, exports, reports
from firehouse.config import load_settings
from firehouse.errors import ConfigError, FirehouseError

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
    serve.add_argument("--status-port", type=_port, metavar="PORT",
                       default=os.environ.get("FIREHOUSE_STATUS_PORT") or None,
                       help="serve the public status page of [status_page.firehouse] on PORT, never beside"
                            " /slack/events (default: FIREHOUSE_STATUS_PORT)")
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
    exports.add_parser(commands)
    reports.add_parser(commands)
    events.add_parser(commands)
    evidence.add_parser(commands)
    args = parser.parse_args(argv)
    try:
        level, fmt = logs.choose(level=args.log_level, fmt=args.log_format, environ=os.environ)
    except logs.LogSettingError as err:
        parser.exit(EXIT_CONFIG, f"firehouse: {err}\n")
    logs.configure(level=level, fmt=fmt)
    try:
        run = {"serve": _serve, "doctor": _doctor, "render": checks.render, "templates": checks.check_templates,
               "drills": checks.check_drills, "db": checks.db}.get(args.command) or args.run
        return run(args)
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
    from firehouse.server import partner_app, serve_alerts, serve_http, serve_probes, serve_socket_mode
    from firehouse.statuspage.site import serve_status_page

    settings = load_settings(os.environ, cwd=Path.cwd())
    webhooks = any(p.webhook_secret for p in settings.pagers.values())
    if (settings.alerts.enabled or webhooks) and settings.socket_mode and args.alerts_port is None:
        what = ("FIREHOUSE_ALERT_TOKEN is set in Socket Mode, so alert intake needs a port of its own"
                if settings.alerts.enabled else
                "a pager takes PagerDuty's webhooks in Socket Mode, so they need a port of their own")
        raise ConfigError(f"{what}: --alerts-port or FIREHOUSE_ALERTS_PORT")
    taken = {"--port": None if settings.socket_mode else args.port, "--health-port": args.health_port,
             "--alerts-port": args.alerts_port}
    if args.status_port is not None and args.status_port in taken.values():
        other = next(flag for flag, port in taken.items() if port == args.status_port)
        raise ConfigError(f"--status-port (or FIREHOUSE_STATUS_PORT) is {args.status_port}, the port {other} serves"
                          " too: the public status page needs a port of its own")
    if (settings.status_page.firehouse is None) != (args.status_port is None):
        raise ConfigError("[status_page.firehouse] is set, so its public page needs a port of its own: --status-port"
                          " or FIREHOUSE_STATUS_PORT" if settings.status_page.firehouse else
                          "--status-port (or FIREHOUSE_STATUS_PORT) is set but firehouse.toml has no"
                          " [status_page.firehouse] to serve there")
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
        if firehouse.status_site:
            firehouse.status_site.start()
            serve_status_page(firehouse.status_site, host=args.host, port=args.status_port, stopping=stopping)
        if settings.socket_mode:
            health = None if args.health_port is None else serve_probes(host=args.host, port=args.health_port,
                                                                         **probes)
            partners = partner_app(firehouse.alerts, firehouse.pagerduty)
            intake = None if partners is None else serve_alerts(partners, host=args.host, port=args.alerts_port,
                                                               stopping=stopping)
            serve_socket_mode(firehouse.app, app_token=settings.app_token, metrics=firehouse.metrics,
                              stopping=stopping)
            for thread in (health, intake):
                if thread:
                    thread.join()
        else:
            serve_http(firehouse.app, signing_secret=settings.signing_secret, host=args.host, port=args.port,
                       alerts=firehouse.alerts, pagerduty=firehouse.pagerduty, **probes)
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
