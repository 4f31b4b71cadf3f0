"""An alert brings its signal, end to end: a real Alertmanager sends an alert whose generator link is a real
Prometheus graph link (`…/graph?g0.expr=<PromQL>`) to the real `firehouse serve`, and the investigation it
opens watches the alert's own expression against that Prometheus, its comparison as the threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from alertmanagerserver import AlertmanagerUnavailable, alertmanager_server
from alertmanagerserver import skip_or_fail as skip_or_fail_alertmanager
from botprocess import BotProcess
from prometheusserver import PrometheusUnavailable, exporter, prometheus_server, skip_or_fail
from warroom import BOB, Room, shown

TOKEN = "alert-signal-token-0123456789"
CONFIG = """stakeholder_channel = "{stakeholders}"

[alerts]
captain = "UBOB"

[metric_sources.prom]
url = "{prometheus}"
"""


@pytest.fixture(scope="module")
def prometheus():
    with exporter() as metrics:
        metrics.gauge("refund_fraud_ratio").set(0.09)
        try:
            with prometheus_server([metrics.target]) as server:
                server.wait_for("refund_fraud_ratio", lambda values: values == [0.09], timeout=30)
                yield server
        except PrometheusUnavailable as missing:
            skip_or_fail(missing)


@pytest.fixture(scope="module")
def bot(fake, prometheus, tmp_path_factory):
    config = CONFIG.format(stakeholders=fake.stakeholders, prometheus=prometheus.url)
    with BotProcess(fake=fake, workdir=tmp_path_factory.mktemp("firehouse"), config=config,
                    env={"FIREHOUSE_ALERT_TOKEN": TOKEN}) as process:
        yield process


@pytest.fixture(scope="module")
def alertmanager(bot):
    try:
        with alertmanager_server(webhook_url=f"http://127.0.0.1:{bot.port}/alerts/alertmanager",
                                 token=TOKEN) as manager:
            yield manager
    except AlertmanagerUnavailable as missing:
        skip_or_fail_alertmanager(missing)


def test_the_investigation_an_alert_opens_watches_the_alerts_own_expression(fake, bot, prometheus, alertmanager):
    expression = "max(refund_fraud_ratio) > 0.05"
    alertmanager.add({"alertname": "RefundFraudHigh", "service": "refund-agent"},
                     annotations={"summary": "Refund agent flags fraud at 9%"},
                     start=datetime.now(UTC) - timedelta(minutes=2),
                     generator_url=f"{prometheus.url}/graph?g0.expr={quote(expression)}&g0.tab=1")
    channel = fake.wait_for(lambda: [c for c, room in fake.channels.items() if "refund-agent-flags" in room.name])
    room = Room(fake, bot, channel[0])
    fake.wait_for(lambda: BOB in fake.channels[channel[0]].members)  # the briefing invited the captain

    lines = fake.wait_for(lambda: [line for line in room.timeline(user=BOB) if "*signals*" in line])
    assert lines[0].endswith("Watching RefundFraudHigh (`alert-refundfraudhigh`) (the alert's own signal)")
    listed = shown(fake, room, "watch", user=BOB)
    assert "RefundFraudHigh* (`alert-refundfraudhigh`, alert)" in listed

    reply = room.run("watch alert-refundfraudhigh", user=BOB)
    assert reply == "Already watching RefundFraudHigh: RefundFraudHigh 0.09 now (threshold 0.05, 1.8×)."
    [chart] = fake.wait_for(lambda: fake.files(room.id))
    assert chart["name"].startswith("signal-alert-refundfraudhigh-incident-") and chart["bytes"].startswith(b"\x89PNG")
