"""`firehouse export fixtures|postmortem|evidence`: what incidents left behind, for other tools."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from firehouse.cli import evidence
from firehouse.cli.files import existing_store, moment, write
from firehouse.config import load_settings
from firehouse.errors import FirehouseError


def add_parser(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser("export", help="write what incidents left behind, for other tools")
    kinds = export.add_subparsers(dest="kind", required=True)
    fixtures = kinds.add_parser("fixtures", help="the eval fixtures, as the suite a release gate runs")
    fixtures.add_argument("--since", type=moment, metavar="DATE",
                          help="only fixtures written at or after DATE (YYYY-MM-DD or an ISO datetime; UTC unless it"
                               " says otherwise)")
    fixtures.add_argument("--class", dest="class_id", metavar="CLASS",
                          help="only fixtures of incidents of this class (one of the deployment's classes)")
    fixtures.add_argument("--format", choices=["jsonl", "promptfoo"], default="jsonl",
                          help="jsonl: inspect_ai and OpenAI evals samples (default); promptfoo: a tests file")
    fixtures.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE (default: standard output)")
    fixtures.set_defaults(run=_fixtures, parser=fixtures)
    postmortem = kinds.add_parser("postmortem", help="an incident's postmortem as Markdown")
    postmortem.add_argument("incident", type=int, help="the incident number")
    postmortem.add_argument("--draft", action="store_true",
                            help="render it from the record now, instead of the latest published version")
    postmortem.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE (default: standard output)")
    postmortem.set_defaults(run=_postmortem, parser=postmortem)
    evidence.add_export(kinds)


def _fixtures(args: argparse.Namespace) -> int:
    from firehouse.comms.fixtures import to_jsonl, to_promptfoo
    from firehouse.store import UnitOfWork

    settings = load_settings(os.environ, cwd=Path.cwd(), slack=False)
    if args.class_id is not None and args.class_id not in settings.catalog.classes:
        args.parser.error(f"argument --class: {args.class_id!r} is not a class here; use one of"
                          f" {', '.join(settings.catalog.classes)}")
    with UnitOfWork(existing_store(settings.database_url)) as uow:
        fixtures = uow.afteraction.fixtures(since=args.since, class_id=args.class_id)
    text = (to_promptfoo if args.format == "promptfoo" else to_jsonl)(fixtures)
    where = write(text, args.output)
    print(f"firehouse: {len(fixtures)} fixture{'' if len(fixtures) == 1 else 's'} written to {where}",
          file=sys.stderr)
    return 0


def _postmortem(args: argparse.Namespace) -> int:
    """The latest published version, verbatim, or with `--draft` (or when none is published) the text the
    record gives now."""
    from firehouse.comms.templates import TemplateCatalogue
    from firehouse.store import UnitOfWork
    from firehouse.usecases.afteraction import postmortem_of

    settings = load_settings(os.environ, cwd=Path.cwd(), slack=False)
    with UnitOfWork(existing_store(settings.database_url)) as uow:
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
    print(f"firehouse: postmortem of incident {incident.id}, {said}, written to {write(text, args.output)}",
          file=sys.stderr)
    return 0
