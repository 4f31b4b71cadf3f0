"""Runs the real `firehouse serve` process against the fake Slack, and talks to it as Slack would."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from slackreq import Reply, event_envelope, interaction_body, post, slash_command_body

SIGNING_SECRET = "test-signing-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_log(path: Path) -> str:
    """A server's log as far as it got (empty when it never wrote one)."""
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def serve(command: list[str], *, cwd: Path, env: dict[str, str] | None, log_path: Path, port: int, what: str,
          timeout: float = 20.0, ready: str = "/healthz") -> subprocess.Popen:
    """Start a server process logging to `log_path`; return once it answers `ready` on 127.0.0.1:`port`, or raise
    RuntimeError with its log. `env` None: this process's environment."""
    with log_path.open("a") as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready}", timeout=1) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up:\n{log_path.read_text()}")


def stop(process: subprocess.Popen | None) -> None:
    """SIGTERM, as `docker stop` sends it; kill after 10 seconds."""
    if process and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def firehouse_command() -> list[str]:
    """The installed `firehouse` console script, as a user would run it."""
    script = Path(sys.executable).with_name("firehouse")
    return [str(script)] if script.exists() else [sys.executable, "-m", "firehouse.cli"]


class BotProcess:
    """`firehouse serve` in a subprocess, working in `workdir`, with its log in `workdir/firehouse.log`."""

    def __init__(self, *, fake, workdir: Path, config: str = "", env: dict[str, str] | None = None) -> None:
        self.fake = fake
        self.workdir = workdir
        self.config_path = workdir / "firehouse.toml"
        self.config_path.write_text(config)
        self.log_path = workdir / "firehouse.log"
        self.extra_env = env or {}
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREHOUSE_"))}
        env.update({
            "SLACK_BOT_TOKEN": self.fake.bot_token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.fake.api_url,
            "FIREHOUSE_DATABASE_URL": f"sqlite:///{self.workdir / 'firehouse.db'}",
            "FIREHOUSE_CONFIG": str(self.config_path),
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 20.0) -> BotProcess:
        self.port = free_port()
        self.process = serve([*firehouse_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                             cwd=self.workdir, env=self.environment(), log_path=self.log_path, port=self.port,
                             what="firehouse serve", timeout=timeout)
        return self

    def __enter__(self) -> BotProcess:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> None:
        stop(self.process)

    def kill(self) -> None:
        """`kill -9`: no chance to clean up."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def log_lines(self, level: str, *words: str) -> list[str]:
        """The log's lines at `level` (INFO, WARNING, ERROR, …) that hold every one of `words`."""
        return [line for line in self.log().splitlines() if f" {level} " in line and all(w in line for w in words)]

    # --- what an operator reads: its endpoints and its database ------------------------------

    def get(self, path: str) -> tuple[int, str]:
        """GET `path` on the bot's port: (status, body), an error status included."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def metric(self, name: str, **labels: str) -> float | None:
        """The sample `name` with exactly `labels` on /metrics, read as Prometheus reads it (None when absent)."""
        for family in text_string_to_metric_families(self.get("/metrics")[1]):
            for sample in family.samples:
                if sample.name == name and sample.labels == labels:
                    return sample.value
        return None

    def rows(self, sql: str, *args) -> list[dict]:
        """Rows of the bot's own database as dicts, read as an operator would with sqlite3 (read-only, beside the
        running bot)."""
        path = self.workdir / "firehouse.db"
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute(sql, args)]

    # --- requests as Slack sends them ---------------------------------------------------------

    def command(self, text: str, *, user: str, channel: str, response_url: str | None = None) -> Reply:
        body = slash_command_body(text=text, user_id=user, channel_id=channel,
                                  response_url=response_url or self.fake.new_response_url())
        return post(self.url, body, secret=SIGNING_SECRET, content_type="application/x-www-form-urlencoded")

    def interact(self, payload: dict) -> Reply:
        return post(self.url, interaction_body(payload), secret=SIGNING_SECRET,
                    content_type="application/x-www-form-urlencoded")

    def event(self, event: dict, *, event_id: str | None = None, retry: int | None = None) -> Reply:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return post(self.url, event_envelope(event, event_id=event_id), secret=SIGNING_SECRET,
                    content_type="application/json", headers=headers)
