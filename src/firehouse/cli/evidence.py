"""`firehouse export evidence` (an incident's evidence pack, without Slack) and `firehouse evidence verify` (a pack
checked as an auditor would: every checksum, nothing missing or added, and its time stamp)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from firehouse.cli.files import existing_store
from firehouse.config import load_settings
from firehouse.errors import FirehouseError

MAX_AUTHOR = 40  # a timeline entry's author
CLI = "cli:"  # an author who is an account on the server, not a Slack user (the timeline shows it as such)


def add_export(kinds: argparse._SubParsersAction) -> None:
    pack = kinds.add_parser("evidence", help="an incident's evidence pack: a BagIt bag, zipped or as a folder")
    pack.add_argument("incident", type=int, help="the incident number")
    where = pack.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", type=Path, metavar="FILE",
                       help="the ZIP file to write (default: firehouse-incident-<n>-evidence.zip here)")
    where.add_argument("--dir", type=Path, metavar="DIR",
                       help="write the bag itself into DIR, which must not exist or be empty")
    pack.set_defaults(run=_export, parser=pack)


def add_parser(commands: argparse._SubParsersAction) -> None:
    evidence = commands.add_parser("evidence", help="check an evidence pack")
    actions = evidence.add_subparsers(dest="action", required=True)
    verify = actions.add_parser("verify", help="check every checksum, that nothing is missing or added, and the"
                                               " time stamp; exit 1 if anything fails")
    verify.add_argument("pack", type=Path, help="the pack: its ZIP file, or the bag's folder")
    verify.add_argument("--ca", type=Path, metavar="FILE",
                        help="the time-stamping authority's CA certificate (PEM) the stamp must chain to (default:"
                             " [evidence] tsa_ca)")
    verify.set_defaults(run=_verify, parser=verify)


def _export(args: argparse.Namespace) -> int:
    from firehouse.integrations.bagging import BagItPacker
    from firehouse.integrations.timestamps import HttpTimeStamps
    from firehouse.store import UnitOfWork
    from firehouse.usecases.evidence_pack import EvidencePacks
    from firehouse.usecases.incidents import utc_now
    from firehouse.usecases.pipeline import Context

    settings = load_settings(os.environ, cwd=Path.cwd(), slack=False)
    engine = existing_store(settings.database_url)
    ctx = Context(unit_of_work=lambda: UnitOfWork(engine), clock=utc_now, permissions=None, outbound=None,
                  settings=settings)
    output = args.output or (None if args.dir else Path(f"firehouse-incident-{args.incident}-evidence.zip"))
    if output is not None and output.exists():  # an earlier pack, whose SHA-256 is on the timeline, stays as it is
        raise FirehouseError(f"{output} already exists; name another file with -o")
    if output is not None and not output.resolve().parent.is_dir():
        raise FirehouseError(f"there is no folder {output.resolve().parent} to write {output.name} in")
    with HttpTimeStamps() as stamps:
        try:
            built = EvidencePacks(ctx=ctx, packer=BagItPacker(), stamps=stamps).export(
                args.incident, by=cli_author(), zip_to=output, folder=args.dir)
        except ValueError as err:  # the folder is not empty, say
            raise FirehouseError(str(err)) from None
        except OSError as err:
            if output is not None:
                output.unlink(missing_ok=True)
            raise FirehouseError(f"cannot write the evidence pack: {err.strerror or err}") from None
    bagged = built.bagged
    fixed = "timestamped" if bagged.timestamped else "not timestamped" + (
        f": {bagged.stamp_problem}" if bagged.stamp_problem else "")
    print(f"firehouse: evidence pack of incident {args.incident} written to {output or args.dir}: {bagged.files}"
          f" files, {bagged.octets} bytes of payload, {fixed}; sha256 {built.sha256}", file=sys.stderr)
    return 0


def cli_author() -> str:
    """Who built a pack on the server, as the timeline keeps it: the account, marked as not a Slack user."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # a container's user with no name
        name = f"uid {os.getuid()}"
    return CLI + name[:MAX_AUTHOR - len(CLI)]


def _verify(args: argparse.Namespace) -> int:
    from firehouse.integrations.pack_verify import verify

    if not args.pack.exists():
        raise FirehouseError(f"there is no pack at {args.pack}")
    ca = args.ca
    if ca is None:
        try:
            ca = load_settings(os.environ, cwd=Path.cwd(), slack=False).evidence.tsa_ca
        except FirehouseError:
            ca = None  # no usable settings here: an auditor's machine
    if ca is not None and not ca.is_file():
        raise FirehouseError(f"there is no CA certificate at {ca}")
    verdict = verify(args.pack, ca=ca)
    for line in verdict.lines:
        print(line)
    print(f"firehouse: {args.pack} {'verifies' if verdict.ok else 'does NOT verify'}", file=sys.stderr)
    return 0 if verdict.ok else 1
