"""A real Prometheus server on 127.0.0.1 for the live-signals tests, scraping a `prometheus_client` exporter whose
gauges the test sets, so a query reads back values that went through a real scrape and a real TSDB.

Debian's `prometheus` package provides the server and promtool (`.ci/run` installs it). Storage is a temporary
folder kept for an hour, and everything is scraped every second.

Test modules use `exporter()` and then `prometheus_server([exporter.target])` from a fixture; where the binary
is missing the tests are skipped, except in CI (CI=true), where they fail (`skip_or_fail`).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from alertmanagerserver import in_ci
from botprocess import free_port, read_log, serve, stop
from prometheus_client import CollectorRegistry, Gauge, start_http_server

START_TIMEOUT = 30.0


class PrometheusUnavailable(RuntimeError):
    """The prometheus or promtool binary is missing: a skip outside CI."""


def skip_or_fail(missing: PrometheusUnavailable) -> None:
    if in_ci():
        pytest.fail(f"Prometheus is needed in CI: {missing}", pytrace=False)
    pytest.skip(str(missing))


def binary(name: str = "prometheus") -> str:
    """The path of `prometheus` or `promtool`, or PrometheusUnavailable."""
    found = shutil.which(name)
    if found is None:
        raise PrometheusUnavailable(f"{name} is not installed (apt-get install prometheus)")
    return found


def config(targets: Sequence[str], *, scrape_interval: str) -> dict:
    """prometheus.yml (JSON is YAML): one job scraping `targets`."""
    return {
        "global": {"scrape_interval": scrape_interval, "scrape_timeout": scrape_interval,
                   "evaluation_interval": scrape_interval},
        "scrape_configs": [{"job_name": "exporter", "static_configs": [{"targets": list(targets)}]}],
    }


class Prometheus:
    """A running Prometheus: its `url` (the base a metric source is configured with), and queries against it."""

    def __init__(self, url: str, workdir: Path) -> None:
        self.url = url
        self.workdir = workdir
        self.log_path = workdir / "prometheus.log"

    def query(self, query: str) -> list[float]:
        """An instant query's values, one per series (a scalar's one value)."""
        address = f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': query})}"
        with urllib.request.urlopen(address, timeout=10) as response:
            data = json.load(response)["data"]
        if data["resultType"] == "scalar":
            return [float(data["result"][1])]
        return [float(one["value"][1]) for one in data["result"]]

    def wait_for(self, query: str, predicate: Callable[[list[float]], bool], timeout: float = 15.0) -> list[float]:
        """Poll `query` until `predicate` holds on its values; return them, or fail with the last ones seen."""
        deadline = time.monotonic() + timeout
        values: list[float] = []
        while time.monotonic() < deadline:
            values = self.query(query)
            if predicate(values):
                return values
            time.sleep(0.2)
        raise AssertionError(f"{query!r} never held within {timeout:g} s; last values: {values}\n{self.log()}")

    def log(self) -> str:
        return read_log(self.log_path)


@contextmanager
def prometheus_server(targets: list[str], *, scrape_interval: str = "1s") -> Iterator[Prometheus]:
    """Start Prometheus on a free 127.0.0.1 port scraping `targets` ("127.0.0.1:<port>"); stop it after."""
    server = binary()
    workdir = Path(tempfile.mkdtemp(prefix="firehouse-prometheus-"))
    (workdir / "prometheus.yml").write_text(json.dumps(config(targets, scrape_interval=scrape_interval)))
    port = free_port()
    prometheus = Prometheus(f"http://127.0.0.1:{port}", workdir)
    process = None
    try:
        process = serve([server, f"--config.file={workdir / 'prometheus.yml'}",
                         f"--storage.tsdb.path={workdir / 'data'}", "--storage.tsdb.retention.time=1h",
                         f"--web.listen-address=127.0.0.1:{port}", f"--web.external-url={prometheus.url}",
                         f"--web.console.templates={workdir}", f"--web.console.libraries={workdir}",
                         "--log.level=warn"],
                        cwd=workdir, env=None, log_path=prometheus.log_path, port=port, what="Prometheus",
                        timeout=START_TIMEOUT, ready="/-/ready")
        yield prometheus
    finally:
        stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


class Exporter:
    """A `/metrics` endpoint of the test's own, on 127.0.0.1: `target` is what Prometheus scrapes."""

    def __init__(self, port: int, registry: CollectorRegistry) -> None:
        self.port = port
        self.registry = registry

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.target}"

    def gauge(self, name: str, labels: Sequence[str] = ()) -> Gauge:
        """A gauge in this exporter's registry, to be set by the test (`.set(0.09)`, `.labels(model="a")`)."""
        return Gauge(name, f"{name}, set by the test", list(labels), registry=self.registry)


@contextmanager
def exporter() -> Iterator[Exporter]:
    """Serve a registry of its own on a free 127.0.0.1 port (any path answers with the metrics); stop it after."""
    registry = CollectorRegistry()
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    try:
        yield Exporter(port, registry)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
