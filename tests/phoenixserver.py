"""A throwaway Arize Phoenix trace server on 127.0.0.1, the real "trace source" for the snapshot tests.

Phoenix is heavy (pandas, pyarrow, grpcio, ...), so it never enters Firehouse's environment: it lives in its own
virtual environment, built once and cached outside the repository (default ~/.cache/firehouse-test/phoenix-venv,
or $XDG_CACHE_HOME/firehouse-test/phoenix-venv; the env var FIREHOUSE_PHOENIX_VENV overrides). CI builds it
before the tests with `python3 tests/phoenixserver.py build`.

Each server runs on free 127.0.0.1 ports (HTTP and OTLP/gRPC), on a SQLite database in a temporary working
directory, with telemetry and every other outbound call switched off, and with authentication on: requests
carry `Authorization: Bearer <api_key>`. Spans are sent with the OpenTelemetry SDK and its OTLP/HTTP protobuf
exporter from Firehouse's own test environment, and read back over plain HTTP with

    GET {url}/v1/projects/{project}/spans?trace_id={trace_id}

which answers 200 {"data": [span, ...], "next_cursor": null}; each span carries its attributes as one flat
JSON object with dotted keys ("gen_ai.request.model": "...", "gen_ai.usage.input_tokens": 812, ...). An unknown
trace id gives 200 with "data": []; an unknown project gives 404 (text/plain); no or a wrong token gives 401.
Phoenix has no GET /v1/traces/{trace_id}: that path falls through to the web UI and answers 200 with HTML.

Test modules take the `phoenix` fixture with `from phoenixserver import phoenix  # noqa: F401`. One server is
started per pytest run, on first use, and stopped when the run ends.
"""

from __future__ import annotations

import importlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Self

import pytest

PHOENIX_VERSION = "20.26.1"
PROJECT = "default"  # Phoenix files spans without an `openinference.project.name` resource attribute here
READY_MARKER = "firehouse-phoenix.json"
TRACE_PATH_TEMPLATE = "/v1/projects/{project}/spans?trace_id={{trace_id}}"

# Run inside Phoenix's venv. Phoenix binds its OTLP/gRPC listener to every interface ("[::]:port") whatever
# PHOENIX_HOST says; bind it to loopback instead, and refuse to start if that can no longer be done.
_LAUNCHER = """\
import sys
from grpc.aio import _server
_add_insecure_port = _server.Server.add_insecure_port
def _loopback_only(self, address):
    if not address.startswith("[::]:"):
        raise RuntimeError("firehouse tests: unexpected gRPC bind address " + address)
    return _add_insecure_port(self, "127.0.0.1:" + address.rsplit(":", 1)[1])
_server.Server.add_insecure_port = _loopback_only
from phoenix.server.main import main
sys.argv = ["phoenix", "serve"]
sys.exit(main())
"""


class PhoenixUnavailable(RuntimeError):
    """Phoenix's venv could not be built here (typically: no access to the package index)."""


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


# --- the cached venv ---------------------------------------------------------------------------------------------

def venv_dir() -> Path:
    if override := os.environ.get("FIREHOUSE_PHOENIX_VENV"):
        return Path(override).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "firehouse-test" / "phoenix-venv"


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _wanted() -> dict[str, str]:
    return {"arize-phoenix": PHOENIX_VERSION, "python": f"{sys.version_info[0]}.{sys.version_info[1]}"}


def _is_ready(venv: Path) -> bool:
    """The marker is written last, so a venv that has it is complete; it must also match the pin and still run."""
    try:
        if json.loads((venv / READY_MARKER).read_text()) != _wanted():
            return False
    except (OSError, ValueError):
        return False
    return subprocess.run([str(_python(venv)), "-c", "pass"], capture_output=True, check=False).returncode == 0


def _discard(path: Path) -> None:
    """Move a directory out of the way atomically, then delete it (another process may be doing the same)."""
    trash = path.with_name(f".{path.name}.trash-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        path.rename(trash)
    except FileNotFoundError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def ensure_venv(*, quiet: bool = True) -> Path:
    """Return Phoenix's venv, building it first if needed. Lock-free: each builder works in a private directory
    beside the target and renames it into place when complete; the first rename wins, the others throw theirs
    away. Only `bin/python` is used from the venv (a renamed venv's console scripts keep the old path)."""
    venv = venv_dir()
    if _is_ready(venv):
        return venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{venv.name}.build-", dir=venv.parent))
    try:
        steps = [
            [sys.executable, "-m", "venv", str(build)],
            [str(_python(build)), "-m", "pip", "install", "--disable-pip-version-check",
             *(["--quiet"] if quiet else []), f"arize-phoenix=={PHOENIX_VERSION}"],
        ]
        for step in steps:
            try:
                done = subprocess.run(step, stdout=subprocess.PIPE if quiet else None, stderr=subprocess.STDOUT,
                                      text=True, timeout=1800, check=False)
            except subprocess.TimeoutExpired:
                raise PhoenixUnavailable(f"building Phoenix's venv timed out: {' '.join(step[-2:])}") from None
            if done.returncode != 0:
                tail = "\n".join((done.stdout or "").strip().splitlines()[-15:])
                raise PhoenixUnavailable(f"could not build Phoenix's venv ({' '.join(step[-2:])} failed, "
                                         f"exit {done.returncode}):\n{tail}")
        (build / READY_MARKER).write_text(json.dumps(_wanted()))
        for _ in range(3):
            try:
                build.rename(venv)
                return venv
            except OSError:
                if _is_ready(venv):  # another builder won the race
                    return venv
                _discard(venv)  # stale: another pin, another Python, or a broken leftover
        raise PhoenixUnavailable(f"could not move the built venv into place at {venv}")
    finally:
        shutil.rmtree(build, ignore_errors=True)


# --- the server ---------------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# urllib and requests must never route 127.0.0.1 through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class PhoenixServer:
    """A running Phoenix. `url` is its base URL; `api_key` the bearer token it accepts (None without auth)."""

    def __init__(self, *, auth: bool = True, startup_timeout: float = 180.0) -> None:
        self.auth = auth
        self.startup_timeout = startup_timeout
        self.api_key: str | None = None
        self.url = ""
        self.workdir: Path | None = None
        self.log_path: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    # lifecycle

    def start(self) -> Self:
        python = _python(ensure_venv())
        self.workdir = Path(tempfile.mkdtemp(prefix="firehouse-phoenix-"))
        self.log_path = self.workdir / "phoenix.log"
        port, grpc_port = _free_port(), _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOENIX_", "OTEL_"))}
        env.update({
            "PHOENIX_HOST": "127.0.0.1",
            "PHOENIX_PORT": str(port),
            "PHOENIX_GRPC_PORT": str(grpc_port),
            "PHOENIX_WORKING_DIR": str(self.workdir),  # SQLite database: <workdir>/phoenix.db
            "PHOENIX_TELEMETRY_ENABLED": "false",  # no FullStory / Scarf pixels
            "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",  # no web fonts, docs MCP, WASM sandbox download
            "PHOENIX_DISABLE_AGENT_ASSISTANT": "true",
            "PHOENIX_ENABLE_MCP_SERVER": "false",
            "PHOENIX_LOG_MIGRATIONS": "false",
        })
        if self.auth:
            self.api_key = "fh-admin-" + secrets.token_hex(16)
            env.update({
                "PHOENIX_ENABLE_AUTH": "true",
                "PHOENIX_SECRET": "fh-jwt-" + secrets.token_hex(16),
                "PHOENIX_ADMIN_SECRET": self.api_key,  # accepted as a bearer token, as the first admin user
            })
        self.url = f"http://127.0.0.1:{port}"
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen([str(python), "-c", _LAUNCHER], cwd=self.workdir, env=env,
                                             stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise RuntimeError(f"Phoenix exited during startup:\n{self.log_tail()}")
            try:
                with _OPENER.open(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"Phoenix was not healthy after {self.startup_timeout:.0f}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace") if self.log_path else ""
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # reading

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def trace_url_template(self, project: str = PROJECT) -> str:
        """The trace-source URL template: one GET, with `{trace_id}` (32 lowercase hex digits) left to fill."""
        return self.url + TRACE_PATH_TEMPLATE.format(project=project)

    def trace_url(self, trace_id: str, project: str = PROJECT) -> str:
        return self.trace_url_template(project).format(trace_id=trace_id)

    def get(self, url: str, headers: dict[str, str] | None = None) -> tuple[int, str, Any]:
        """GET over plain HTTP: (status, content type, parsed JSON or the raw text)."""
        request = urllib.request.Request(url, headers=self.auth_headers if headers is None else headers)
        try:
            with _OPENER.open(request, timeout=10) as response:
                status, ctype, body = response.status, response.headers.get_content_type(), response.read()
        except urllib.error.HTTPError as error:
            status, ctype, body = error.code, error.headers.get_content_type(), error.read()
        text = body.decode("utf-8", "replace")
        return status, ctype, json.loads(text) if ctype == "application/json" else text

    def get_trace(self, trace_id: str, project: str = PROJECT) -> dict[str, Any]:
        status, _, body = self.get(self.trace_url(trace_id, project))
        if status != 200:
            raise AssertionError(f"GET trace {trace_id}: HTTP {status}: {body}")
        return body

    # writing

    def send_genai_span(self, *, trace_id: str | None = None, project: str = PROJECT,
                        name: str = "chat gpt-4o", system: str = "openai",
                        request_model: str = "gpt-4o-2024-08-06", response_model: str | None = None,
                        temperature: float = 0.2, input_tokens: int = 812, output_tokens: int = 97,
                        input_value: str = "Why is the refund bot quoting 2019 prices?",
                        output_value: str = "Its price table was last refreshed in 2019.",
                        attributes: dict[str, Any] | None = None, wait: float = 15.0) -> str:
        """Export one OpenTelemetry GenAI client span over OTLP/HTTP (protobuf) to `{url}/v1/traces`, under
        `trace_id` (32 hex digits; random if None), and wait until Phoenix serves it. Returns the trace id."""
        import requests
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
        from opentelemetry.trace import SpanKind

        trace_id = (trace_id or secrets.token_hex(16)).lower()
        fixed = int(trace_id, 16)

        class FixedTraceId(RandomIdGenerator):
            def generate_trace_id(self) -> int:
                return fixed

        resource = {"service.name": "firehouse-tests"}
        if project != PROJECT:
            resource["openinference.project.name"] = project
        finished = InMemorySpanExporter()
        provider = TracerProvider(resource=Resource.create(resource), id_generator=FixedTraceId())
        provider.add_span_processor(SimpleSpanProcessor(finished))
        with provider.get_tracer("firehouse.tests").start_as_current_span(name, kind=SpanKind.CLIENT) as span:
            span.set_attributes({
                "gen_ai.system": system,
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": request_model,
                "gen_ai.response.model": response_model or request_model,
                "gen_ai.request.temperature": temperature,
                "gen_ai.usage.input_tokens": input_tokens,
                "gen_ai.usage.output_tokens": output_tokens,
                "input.value": input_value,
                "output.value": output_value,
                **(attributes or {}),
            })
        provider.shutdown()

        session = requests.Session()
        session.trust_env = False  # no proxy for 127.0.0.1
        exporter = OTLPSpanExporter(endpoint=self.url + "/v1/traces", headers=self.auth_headers, timeout=10,
                                    session=session)
        try:
            result = exporter.export(finished.get_finished_spans())
        finally:
            exporter.shutdown()
        if result is not SpanExportResult.SUCCESS:
            raise RuntimeError(f"OTLP export to Phoenix failed:\n{self.log_tail()}")

        deadline = time.monotonic() + wait  # Phoenix inserts spans from a queue, a few ms after the export
        while not self.get_trace(trace_id, project)["data"]:
            if time.monotonic() > deadline:
                raise AssertionError(f"trace {trace_id} not served by Phoenix after {wait:.0f}s:\n{self.log_tail()}")
            time.sleep(0.05)
        return trace_id


# --- the fixture --------------------------------------------------------------------------------------------------

_shared: dict[str, Any] = {}


def _shared_server(config: pytest.Config) -> PhoenixServer:
    """One server per pytest run, however many modules import the fixture; stopped when the run ends."""
    if "error" in _shared:
        raise _shared["error"]
    if "server" not in _shared:
        try:
            for module in ("opentelemetry.sdk.trace", "opentelemetry.exporter.otlp.proto.http.trace_exporter"):
                importlib.import_module(module)
        except ImportError as missing:
            _shared["error"] = PhoenixUnavailable(f"the OpenTelemetry SDK / OTLP HTTP exporter is not installed "
                                                  f"in the test environment ({missing})")
            raise _shared["error"] from None
        try:
            ensure_venv()
        except PhoenixUnavailable as error:
            _shared["error"] = error
            raise
        server = PhoenixServer().start()
        _shared["server"] = server

        def stop() -> None:
            _shared.pop("server", None)
            server.stop()

        config.add_cleanup(stop)
    return _shared["server"]


@pytest.fixture(scope="module")
def phoenix(request: pytest.FixtureRequest) -> PhoenixServer:
    """A real Phoenix on 127.0.0.1 with auth on. Skipped where its venv cannot be built, except in CI (CI=true),
    where that fails the tests instead."""
    try:
        return _shared_server(request.config)
    except PhoenixUnavailable as reason:
        if in_ci():
            pytest.fail(f"Phoenix trace server unavailable in CI: {reason}", pytrace=False)
        pytest.skip(f"Phoenix trace server unavailable: {reason}")


def main(argv: list[str]) -> int:
    """`python3 tests/phoenixserver.py build`: build (or find) the cached venv, for CI to run before the tests."""
    if argv != ["build"]:
        print("usage: python3 tests/phoenixserver.py build", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        venv = ensure_venv(quiet=False)
    except PhoenixUnavailable as error:
        print(error, file=sys.stderr)
        return 1
    print(f"Phoenix {PHOENIX_VERSION} venv ready at {venv} ({time.monotonic() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
