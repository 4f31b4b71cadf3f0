"""`firehouse doctor` runs each configured signal's query once against a real Prometheus and says what came back:
the value now, no data (a warning), Prometheus's own refusal, or a metric source that does not answer."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from botprocess import BotProcess, firehouse_command, free_port
from prometheusserver import Prometheus, PrometheusUnavailable, binary, exporter, prometheus_server, skip_or_fail

MODELS = ("gpt-4o", "claude", "mistral")


@pytest.fixture(scope="module")
def prometheus() -> Iterator[Prometheus]:
    """A real Prometheus scraping two gauges every second: a ratio of 0.09, and a flag rate of 1, 2 and 3 by model."""
    try:
        binary()
    except PrometheusUnavailable as missing:
        skip_or_fail(missing)
    with exporter() as target:
        target.gauge("refund_fraud_ratio").set(0.09)
        flag_rate = target.gauge("flag_rate", ["model"])
        for value, model in enumerate(MODELS, start=1):
            flag_rate.labels(model=model).set(value)
        with prometheus_server([target.target]) as server:
            server.wait_for("count(flag_rate) + count(refund_fraud_ratio)", lambda values: values == [4])
            yield server


@pytest.fixture(scope="module")
def migrated(fake, tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("doctor-signals")
    assert doctor(fake, workdir, "db", "upgrade").returncode == 0
    return workdir


def doctor(fake, workdir: Path, *args: str, config: str = "") -> subprocess.CompletedProcess:
    env = BotProcess(fake=fake, workdir=workdir, config=f'stakeholder_channel = "{fake.stakeholders}"\n{config}'
                     ).environment()
    return subprocess.run([*firehouse_command(), *(args or ("doctor",))], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def lines(result: subprocess.CompletedProcess) -> dict[str, str]:
    """The signal lines of the report as {check name: its line}, with the summary under "summary"."""
    found = {}
    for line in result.stdout.splitlines():
        if line.startswith("firehouse doctor:"):
            found["summary"] = line
        elif line[6:].startswith(("metric source ", "signal ")):
            found[" ".join(line[6:].split()[:3 if line[6:].startswith("metric") else 2])] = line
    return found


def source(name: str, url: str) -> str:
    return f'[metric_sources.{name}]\nurl = "{url}"\n'


def signal(name: str, query: str, *, source: str = "main", extra: str = "threshold = 1") -> str:
    return f"[signals.{name}]\nsource = \"{source}\"\nquery = '{query}'\n{extra}\n"


def test_each_signal_answers_with_its_series_and_its_value_now_and_no_data_is_only_a_warning(fake, migrated,
                                                                                              prometheus):
    config = (source("main", prometheus.url)
              + signal("fraud-ratio", "refund_fraud_ratio", extra='unit = "percent"\nthreshold = 0.05')
              + signal("flags", "flag_rate", extra='baseline = "1h"')
              + signal("quiet", 'flag_rate{model="nobody"}'))

    result = doctor(fake, migrated, config=config)

    assert result.returncode == 0, result.stdout + result.stderr
    report = lines(result)
    assert report["metric source main"] == f"ok    metric source main   {prometheus.url} answers queries"
    assert report["signal fraud-ratio"] == "ok    signal fraud-ratio   1 series, now 9.0%"
    assert report["signal flags"] == "ok    signal flags         3 series, now 6 (their sum)"
    assert report["signal quiet"] == ("warn  signal quiet         no data: the query answered no series (is the metric"
                                      " scraped, under these labels?)")
    assert report["summary"] == "firehouse doctor: 11 checks passed, 1 warning"
    assert "integrations" not in result.stdout  # the metric source is the integration, on a line of its own


def test_a_query_prometheus_refuses_fails_in_its_own_words(fake, migrated, prometheus):
    config = source("main", prometheus.url) + signal("broken", "sum(flag_rate") + signal("flags", "sum(flag_rate)")

    result = doctor(fake, migrated, config=config)

    assert result.returncode == 1
    report = lines(result)
    assert report["signal broken"].startswith("FAIL  signal broken        Prometheus refused the query: ")
    assert "unclosed left parenthesis" in report["signal broken"]
    assert report["signal flags"] == "ok    signal flags         1 series, now 6"
    assert report["summary"] == "firehouse doctor: 1 of 10 checks failed"
    assert "Traceback" not in result.stdout + result.stderr


def test_a_metric_source_that_does_not_answer_fails_and_its_signals_are_not_run(fake, migrated, prometheus):
    dead = f"http://127.0.0.1:{free_port()}"
    config = (source("main", prometheus.url) + source("gone", dead)
              + signal("fraud-ratio", "refund_fraud_ratio", extra='unit = "percent"\nthreshold = 0.05')
              + signal("elsewhere", "up", source="gone"))

    result = doctor(fake, migrated, config=config)

    assert result.returncode == 1
    report = lines(result)
    assert report["metric source main"].startswith("ok")
    assert report["metric source gone"] == (f"FAIL  metric source gone   {dead}: Prometheus could not be reached"
                                            " (ConnectError)")
    assert report["signal elsewhere"] == "skip  signal elsewhere     not run: metric source gone did not answer"
    assert report["signal fraud-ratio"].startswith("ok")
    assert report["summary"] == "firehouse doctor: 1 of 11 checks failed, 1 skipped"
    assert "Traceback" not in result.stdout + result.stderr
