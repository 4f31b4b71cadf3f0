"""`firehouse serve`, `firehouse render`, `firehouse templates check` and `firehouse db upgrade|current`."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path

from firehouse import __version__
from firehouse.config import load_settings
from firehouse.errors import ConfigError, FirehouseError

EXIT_CONFIG = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="firehouse", description="Runs the war room for AI incidents in Slack.")
    parser.add_argument("--version", action="version", version=f"firehouse {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the bot (Socket Mode when SLACK_APP_TOKEN is set, else HTTP)")
    serve.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    serve.add_argument("--host", default="0.0.0.0", help="HTTP interface to listen on (default all)")
    render = commands.add_parser("render", help="print an incident's notice as Markdown")
    render.add_argument("incident", type=int, help="the incident number")
    render.add_argument("lane", choices=["product", "legal"])
    render.add_argument("template", nargs="?", help="a template of the lane (default: the class's, else default)")
    render.add_argument("--regime", help="for legal fact sheets: gdpr, eu_ai_act, nis2 or dora")
    render.add_argument("--stage", choices=["initial", "intermediate", "final"], help="for legal fact sheets")
    templates = commands.add_parser("templates", help="work with the message templates")
    templates.add_argument("action", choices=["check"], help="render every template with sample facts")
    db = commands.add_parser("db", help="the database schema: upgrade it in place, or show its revision")
    db.add_argument("action", choices=["upgrade", "current"],
                    help="upgrade: migrate to this release's revision; current: show the revision (exit 1 if behind)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return {"serve": _serve, "render": _render, "templates": _check_templates, "db": _db}[args.command](args)
    except ConfigError as err:
        print(f"firehouse: {err}", file=sys.stderr)
        return EXIT_CONFIG
    except FirehouseError as err:
        print(f"firehouse: {err.reply}", file=sys.stderr)
        return 1


def _serve(args: argparse.Namespace) -> int:
    from firehouse.bootstrap import bootstrap  # imported late: `--help` stays fast
    from firehouse.server import serve_http, serve_socket_mode

    settings = load_settings(os.environ, cwd=Path.cwd())
    firehouse = bootstrap(settings)
    # SIGTERM (a deploy, `docker stop`) ends serving like Ctrl-C, so what was sent gets written down.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    firehouse.board.start()
    try:
        if settings.socket_mode:
            serve_socket_mode(firehouse.app, app_token=settings.app_token)
        else:
            serve_http(firehouse.app, host=args.host, port=args.port)
    finally:
        firehouse.stop()
    return 0


def _render(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from firehouse.comms.notices import render_notice
    from firehouse.comms.templates import TemplateCatalogue
    from firehouse.store import UnitOfWork, make_engine

    settings = load_settings(os.environ, cwd=Path.cwd(), slack=False)
    with UnitOfWork(make_engine(settings.database_url)) as uow:
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
    engine = make_engine(settings.database_url, upgrade=False)
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


if __name__ == "__main__":
    sys.exit(main())
