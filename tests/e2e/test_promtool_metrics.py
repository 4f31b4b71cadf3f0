"""Firehouse's own /metrics passes `promtool check metrics`, Prometheus's linter for exposition text."""

from __future__ import annotations

import subprocess
import urllib.request

import pytest
from prometheusserver import PrometheusUnavailable, binary, skip_or_fail


@pytest.fixture(scope="module")
def promtool() -> str:
    try:
        return binary("promtool")
    except PrometheusUnavailable as missing:
        skip_or_fail(missing)


def test_the_metrics_of_a_busy_firehouse_pass_promtool(fake, bot, declare, promtool):
    room = declare("sev1 output Linted metrics")
    room.run("log checked the dashboards")
    assert "Usage" in room.run("sev 9")  # a usage error, so that more than one outcome is exposed
    with urllib.request.urlopen(f"http://127.0.0.1:{bot.port}/metrics", timeout=10) as response:
        metrics = response.read()
    assert b"firehouse_commands_total{" in metrics and b"firehouse_open_incidents{" in metrics

    checked = subprocess.run([promtool, "check", "metrics"], input=metrics, capture_output=True, timeout=30,
                             check=False)

    assert checked.returncode == 0, (checked.stdout + checked.stderr).decode()
