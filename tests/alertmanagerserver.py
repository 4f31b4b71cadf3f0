"""A real Prometheus Alertmanager on 127.0.0.1 for the alert intake tests, with a webhook receiver pointing at
Firehouse; alerts are fired and resolved with `amtool alert add`, as an operator would.

Debian's `prometheus-alertmanager` package provides both binaries (`.ci/run` installs it). Clustering is off
(no gossip port), storage is a temporary folder, and the route's timings are tiny so that a group is sent
within a second of its first alert, a change to it a second later, and a repeat every few seconds.

Test modules use `alertmanager_server(...)` from a fixture; where the binaries are missing the tests are
skipped, except in CI (CI=true), where they fail (`skip_or_fail`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from botprocess import free_port, read_log, serve, stop

BINARY = "prometheus-alertmanager"  # Debian's name; upstream's is `alertmanager`
START_TIMEOUT = 20.0


class AlertmanagerUnavailable(RuntimeError):
    """The Alertmanager or amtool binary is missing: a skip outside CI."""


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def skip_or_fail(missing: AlertmanagerUnavailable) -> None:
    if in_ci():
        pytest.fail(f"Alertmanager is needed in CI: {missing}", pytrace=False)
    pytest.skip(str(missing))


def binaries() -> tuple[str, str]:
    server = shutil.which(BINARY) or shutil.which("alertmanager")
    amtool = shutil.which("amtool")
    if server is None or amtool is None:
        raise AlertmanagerUnavailable("Alertmanager is not installed (apt-get install prometheus-alertmanager)")
    return server, amtool


def config(*, webhook_url: str, token: str, group_by: tuple[str, ...], repeat_interval: str) -> dict:
    """alertmanager.yml (JSON is YAML): one route to one webhook receiver that sends resolves too."""
    return {
        "route": {"receiver": "firehouse", "group_by": list(group_by), "group_wait": "200ms",
                  "group_interval": "1s", "repeat_interval": repeat_interval},
        "receivers": [{"name": "firehouse", "webhook_configs": [{
            "url": webhook_url, "send_resolved": True, "max_alerts": 0,
            "http_config": {"authorization": {"type": "Bearer", "credentials": token}},
        }]}],
    }


class Alertmanager:
    """A running Alertmanager: its `url`, and `amtool` to add alerts to it."""

    def __init__(self, url: str, amtool: str, workdir: Path) -> None:
        self.url = url
        self.amtool = amtool
        self.workdir = workdir
        self.log_path = workdir / "alertmanager.log"

    def add(self, labels: Mapping[str, str], *, annotations: Mapping[str, str] | None = None,
            start: datetime | None = None, end: datetime | None = None, generator_url: str | None = None) -> None:
        """`amtool alert add`: fire an alert, or resolve it with an `end` in the past."""
        command = [self.amtool, "alert", "add", f"--alertmanager.url={self.url}", "--no-version-check",
                   *(f"{name}={value}" for name, value in labels.items()),
                   *(f"--annotation={name}={value}" for name, value in (annotations or {}).items())]
        if start:
            command.append(f"--start={start.isoformat()}")
        if end:
            command.append(f"--end={end.isoformat()}")
        if generator_url:
            command.append(f"--generator-url={generator_url}")
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, cwd=self.workdir,
                              env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.workdir)})
        if done.returncode != 0:
            raise AssertionError(f"amtool alert add failed ({done.returncode}): {done.stderr or done.stdout}")

    def log(self) -> str:
        return read_log(self.log_path)


@contextmanager
def alertmanager_server(*, webhook_url: str, token: str, group_by: tuple[str, ...] = ("alertname",),
                        repeat_interval: str = "1h") -> Iterator[Alertmanager]:
    """Start Alertmanager on a free 127.0.0.1 port with its webhook pointing at `webhook_url`; stop it after."""
    server, amtool = binaries()
    workdir = Path(tempfile.mkdtemp(prefix="firehouse-alertmanager-"))
    (workdir / "alertmanager.yml").write_text(json.dumps(config(webhook_url=webhook_url, token=token,
                                                                group_by=group_by, repeat_interval=repeat_interval)))
    port = free_port()
    manager = Alertmanager(f"http://127.0.0.1:{port}", amtool, workdir)
    process = None
    try:
        process = serve([server, f"--config.file={workdir / 'alertmanager.yml'}",
                         f"--storage.path={workdir / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
                         f"--web.external-url={manager.url}", "--cluster.listen-address=", "--log.level=debug"],
                        cwd=workdir, env=None, log_path=manager.log_path, port=port, what="Alertmanager",
                        timeout=START_TIMEOUT, ready="/-/ready")
        yield manager
    finally:
        stop(process)
        shutil.rmtree(workdir, ignore_errors=True)
