"""A real Unleash server on 127.0.0.1 for the tests that pull firebreaks (feature flags turned off).

unleash-server comes from the npm registry, installed once into a cache folder outside the repository
(`FIREHOUSE_UNLEASH_DIR`, else `$XDG_CACHE_HOME/firehouse/unleash-server`, else `~/.cache/firehouse/unleash-server`),
and runs on the machine's Node.js against a database of its own on the tests' PostgreSQL (tests/pgserver.py).
Nothing leaves the machine: the version check and telemetry are off, install scripts are not run, and the server
listens on 127.0.0.1 only.

Test modules use it with `from unleashserver import unleash  # noqa: F401`: one server per module, with a fresh
database, and skipped where Node.js, npm or PostgreSQL is missing, except in CI, where that fails.

`python tests/unleashserver.py install` installs the pinned version into the cache folder (for CI's set-up).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

# 6.10.x runs on Node 18 to 20 (its `engines`), so on Debian bookworm's nodejs (18) as well as on this
# machine kind's Node 20; 7.x needs Node 20 or newer (7.6 and later, and 8.x, need 22).
UNLEASH_VERSION = "6.10.1"
MIN_NODE_MAJOR = 18

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT = 120.0
INSTALL_TIMEOUT = 900.0


class UnleashUnavailable(RuntimeError):
    """Node.js or npm is missing, or unleash-server could not be installed: a skip outside CI."""


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def cache_dir() -> Path:
    """Where unleash-server is installed: never inside the repository."""
    if os.environ.get("FIREHOUSE_UNLEASH_DIR"):
        folder = Path(os.environ["FIREHOUSE_UNLEASH_DIR"]).expanduser()
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        folder = base / "firehouse" / "unleash-server"
    folder = folder.resolve()
    if folder == REPO or REPO in folder.parents:
        raise ValueError(f"the unleash-server cache folder {folder} is inside the repository; "
                         "set FIREHOUSE_UNLEASH_DIR to a folder outside it")
    return folder


def _node_major(node: str) -> int:
    out = subprocess.run([node, "--version"], check=True, capture_output=True, text=True, timeout=30).stdout
    match = re.match(r"v?(\d+)\.", out.strip())
    if not match:
        raise UnleashUnavailable(f"cannot read the Node.js version from {out.strip()!r}")
    return int(match.group(1))


def node_binary() -> str:
    node = shutil.which("node")
    if node is None:
        raise UnleashUnavailable("Node.js is not installed (no `node` on PATH), so no Unleash server can run")
    major = _node_major(node)
    if major < MIN_NODE_MAJOR:
        raise UnleashUnavailable(f"Node.js {major} is too old for unleash-server {UNLEASH_VERSION} "
                                 f"(needs {MIN_NODE_MAJOR} or newer)")
    return node


def _installed_version(folder: Path) -> str | None:
    manifest = folder / "node_modules" / "unleash-server" / "package.json"
    try:
        return json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def install(folder: Path | None = None) -> Path:
    """Install the pinned unleash-server into `folder` (the cache folder) unless it is there; return its server.js."""
    folder = folder or cache_dir()
    node_binary()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test processes must not install into one folder at once
        if _installed_version(folder) != UNLEASH_VERSION:
            npm = shutil.which("npm")
            if npm is None:
                raise UnleashUnavailable("npm is not installed, so unleash-server cannot be installed")
            # --ignore-scripts: no dependency's install script runs (one of them reports installs to a third party).
            command = [npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--ignore-scripts",
                       "--no-update-notifier", "--loglevel=error", f"unleash-server@{UNLEASH_VERSION}"]
            try:
                done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
                                      stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired as slow:
                raise UnleashUnavailable(f"`npm install unleash-server@{UNLEASH_VERSION}` took over "
                                         f"{INSTALL_TIMEOUT:.0f} s") from slow
            if done.returncode != 0 or _installed_version(folder) != UNLEASH_VERSION:
                raise UnleashUnavailable(f"`npm install unleash-server@{UNLEASH_VERSION}` into {folder} failed "
                                         f"(exit {done.returncode}): {(done.stderr or done.stdout)[-2000:]}")
    return folder / "node_modules" / "unleash-server" / "dist" / "server.js"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class UnleashServer:
    """A running Unleash: its base `url`, an `admin_token`, and a few admin API calls the tests need."""

    def __init__(self, url: str, admin_token: str, log_path: Path) -> None:
        self.url = url
        self.admin_token = admin_token
        self.log_path = log_path

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        """Call `path` (e.g. /api/admin/projects) with `token` (the admin token unless given); return the status
        and the JSON body (or the text where it is not JSON, None where empty)."""
        import httpx

        headers = {"Authorization": self.admin_token if token is None else token}
        response = httpx.request(method, self.url + path, json=body, headers=headers, timeout=30)
        if not response.content:
            return response.status_code, None
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, response.text

    def _call(self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200,)) -> Any:
        status, answer = self.request(method, path, body)
        if status not in ok:
            raise AssertionError(f"Unleash answered {status} to {method} {path}: {answer}")
        return answer

    @staticmethod
    def _feature_path(name: str, project: str) -> str:
        return f"/api/admin/projects/{project}/features/{name}"

    def create_flag(self, name: str, *, project: str = "default", environment: str = "production",
                    enabled: bool = True, flag_type: str = "kill-switch") -> None:
        """Create feature flag `name` in `project`, on in `environment` where `enabled` (Unleash then gives it a
        100% rollout strategy, so it is on for everyone)."""
        self._call("POST", f"/api/admin/projects/{project}/features", {"name": name, "type": flag_type}, ok=(201,))
        if enabled:
            self.set_enabled(name, True, project=project, environment=environment)

    def set_enabled(self, name: str, enabled: bool, *, project: str = "default",
                    environment: str = "production") -> None:
        """Turn the flag on or off in `environment` through the admin API."""
        switch = "on" if enabled else "off"
        self._call("POST", f"{self._feature_path(name, project)}/environments/{environment}/{switch}")

    def is_enabled(self, name: str, *, project: str = "default", environment: str = "production") -> bool:
        """Whether Unleash's admin API reports the flag on in `environment`."""
        answer = self._call("GET", f"{self._feature_path(name, project)}/environments/{environment}")
        return bool(answer["enabled"])

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def _psycopg_url(sqlalchemy_url: str, database: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


@contextmanager
def _database(postgres_url: str) -> Iterator[str]:
    """A new, empty database on the server at `postgres_url` (a SQLAlchemy URL), dropped afterwards."""
    import psycopg

    name = f"unleash_{secrets.token_hex(6)}"
    admin = _psycopg_url(postgres_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _psycopg_url(postgres_url, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the whole process group (Unleash shuts down gracefully on it), SIGKILL if it lingers."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)
    try:  # anything the server left in its group
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_until_up(server: UnleashServer, process: subprocess.Popen) -> None:
    import httpx

    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"Unleash exited with {process.returncode} while starting:\n{server.log()[-4000:]}")
        try:
            if httpx.get(server.url + "/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"Unleash did not answer /health within {START_TIMEOUT:.0f} s:\n{server.log()[-4000:]}")
        time.sleep(0.1)
    # The seeded token is made before the server listens, but Unleash only logs a failure to make it.
    status, answer = server.request("GET", "/api/admin/projects")
    if status != 200:
        raise RuntimeError(f"Unleash is up but refuses the seeded admin token ({status}: {answer}):\n"
                           f"{server.log()[-4000:]}")


@contextmanager
def unleash_server(postgres_url: str) -> Iterator[UnleashServer]:
    """Start Unleash on a free 127.0.0.1 port against a fresh database on `postgres_url`; stop it and drop the
    database afterwards. Raises UnleashUnavailable where Node.js/npm is missing or the install fails."""
    server_js = install()
    node = node_binary()
    port = _free_port()
    token = f"*:*.{secrets.token_hex(24)}"  # an admin token must be for all projects (*) and environments (*)
    workdir = Path(tempfile.mkdtemp(prefix="firehouse-unleash-"))
    try:
        with _database(postgres_url) as database_url:
            yield from _run(node, server_js, port, token, workdir, database_url)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(node: str, server_js: Path, port: int, token: str, workdir: Path, database_url: str
         ) -> Iterator[UnleashServer]:
    """Run server.js with its settings in the environment, until the caller is done with it."""
    url = f"http://127.0.0.1:{port}"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "TZ": "UTC",
        "NODE_ENV": "production",
        "DATABASE_URL": database_url,
        "DATABASE_SSL": "false",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "UNLEASH_URL": url,
        "INIT_ADMIN_API_TOKENS": token,
        # No calls out: the version check (which also carries the telemetry) is off, and were it on it
        # would go to a closed port on this machine.
        "CHECK_VERSION": "false",
        "SEND_TELEMETRY": "false",
        "UNLEASH_VERSION_URL": "http://127.0.0.1:9/",
        "LOG_LEVEL": "warn",
    }
    log_path = workdir / "unleash.log"
    server = UnleashServer(url, token, log_path)
    with open(log_path, "wb") as log:
        process = subprocess.Popen([node, str(server_js)], cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_up(server, process)
        yield server
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def unleash(postgres_url) -> Iterator[UnleashServer]:
    """A real Unleash server for this test module, with a fresh database; skipped where Node.js or npm is
    missing, except in CI (CI=true), where it fails."""
    try:
        with unleash_server(postgres_url) as server:
            yield server
    except UnleashUnavailable as missing:
        if in_ci():
            pytest.fail(f"Unleash is needed in CI: {missing}", pytrace=False)
        pytest.skip(str(missing))


if __name__ == "__main__":
    if sys.argv[1:] != ["install"]:
        sys.exit(f"usage: {sys.argv[0]} install")
    started = time.monotonic()
    path = install()
    print(f"unleash-server {UNLEASH_VERSION} in {path.parents[3]} ({time.monotonic() - started:.0f} s)")
