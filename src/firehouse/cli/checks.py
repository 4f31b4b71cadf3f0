"""`firehouse render`, `templates check`, `drills check` and `db upgrade|current`: the commands that read or check
what a deployment has, without Slack."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from firehouse.cli.files import existing_store
from firehouse.config import load_settings
from firehouse.errors import FirehouseError


def render(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from firehouse.comms.notices import render_notice
    from firehouse.comms.templates import TemplateCatalogue
    from firehouse.store import UnitOfWork

    settings = load_settings(os.environ, cwd=Path.cwd(), slack=False)
    with UnitOfWork(existing_store(settings.database_url)) as uow:
        incident = uow.incidents.get(args.incident)
        if incident is None:
            raise FirehouseError(f"there is no incident {args.incident} in {settings.database_url}")
        record = {"firebreaks": uow.evidence.firebreaks(incident.id),  # as a draft in the war room would read
                  "verifications": uow.signals.verifications(incident.id),
                  "watches": uow.signals.watches(incident.id, active=False)}
    rendered = render_notice(incident, templates=TemplateCatalogue.with_override(settings.templates_dir),
                             catalog=settings.catalog, regimes=settings.regimes, lane=args.lane,
                             template=args.template, regime=args.regime, stage=args.stage, now=datetime.now(UTC),
                             **record)
    print(rendered.text)
    if rendered.missing:
        print(f"firehouse: missing facts: {', '.join(rendered.missing)}", file=sys.stderr)
    return 0


def db(args: argparse.Namespace) -> int:
    from firehouse.store import make_engine, migrate

    settings = load_settings(os.environ, cwd=Path.cwd(), slack=False)
    engine = make_engine(settings.database_url, upgrade=False) if args.action == "upgrade" \
        else existing_store(settings.database_url, current=False)
    if args.action == "upgrade":
        before, after = migrate.upgrade(engine)
        print(f"{after} (head): " + ("already up to date" if before.up_to_date else f"upgraded from {before}"))
        return 0
    before = migrate.current(engine)
    state = "up to date" if before.up_to_date else "behind: run `firehouse db upgrade`"
    print(f"{before} (head {before.head}): {state}")
    return 0 if before.up_to_date else 1


def check_templates(args: argparse.Namespace) -> int:
    from firehouse.comms.check import check_templates as check
    from firehouse.comms.templates import TemplateCatalogue

    settings = load_settings(os.environ, cwd=Path.cwd(), slack=False)
    catalogue = TemplateCatalogue.with_override(settings.templates_dir)
    problems, renders = check(catalogue, settings.catalog)
    for problem in problems:
        print(problem, file=sys.stderr)
    names = catalogue.names()
    print(f"{len(names)} templates, {renders} renders, {len(problems)} problems")
    return 1 if problems else 0


def check_drills(args: argparse.Namespace) -> int:
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
