"""A threaded HTTP server on a free 127.0.0.1 port for a test's stand-in: PagerDuty, an event receiver, a listener
`firehouse doctor` asks. They differ only in how they answer, so a stand-in is a `LocalServer` with its own
`answer`; starting, stopping and reading requests are here once."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Request:
    """One request as a stand-in gets it: header names in lower case, the path without its query."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Received(Request):
    """One request as a contract-checking stand-in got it, the problems it found in it, and the status it answered."""

    problems: tuple[str, ...]
    status: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str | None = None


class LocalServer:
    """Serves `answer` on 127.0.0.1 from threads of its own, until stopped (or as a context manager)."""

    name = "the local server"

    def answer(self, request: Request) -> Reply:
        raise NotImplementedError

    def start(self) -> Self:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                reply = server.answer(Request(self.command, urlsplit(self.path).path,
                                              {name.lower(): value for name, value in self.headers.items()},
                                              self.rfile.read(length) if length else b""))
                body = b"" if self.command == "HEAD" else reply.body
                self.send_response(reply.status)
                if reply.content_type:
                    self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_HEAD = do_OPTIONS = _serve

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if getattr(self, "_server", None) is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if getattr(self, "_server", None) is None:
            raise RuntimeError(f"{self.name} is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"
