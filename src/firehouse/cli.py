"""`firehouse serve` and friends."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from firehouse import __version__
from firehouse.config import load_settings
from firehouse.errors import ConfigError

EXIT_CONFIG = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="firehouse", description="Runs the war room for AI incidents in Slack.")
    parser.add_argument("--version", action="version", version=f"firehouse {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the bot (Socket Mode when SLACK_APP_TOKEN is set, else HTTP)")
    serve.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    serve.add_argument("--host", default="0.0.0.0", help="HTTP interface to listen on (default all)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return _serve(args)
    except ConfigError as err:
        print(f"firehouse: {err}", file=sys.stderr)
        return EXIT_CONFIG


def _serve(args: argparse.Namespace) -> int:
    from firehouse.bootstrap import bootstrap  # imported late: `--help` stays fast
    from firehouse.server import serve_http, serve_socket_mode

    settings = load_settings(os.environ, cwd=Path.cwd())
    firehouse = bootstrap(settings)
    firehouse.board.start()
    try:
        if settings.app_token:
            serve_socket_mode(firehouse.app, app_token=settings.app_token)
        else:
            serve_http(firehouse.app, host=args.host, port=args.port)
    finally:
        firehouse.board.scheduler.shutdown(wait=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
