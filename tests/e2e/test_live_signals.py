"""Live signals end to end: the real `firehouse serve` watches a signal in a real Prometheus that scrapes a small
exporter every second, whose fraud-flag rate the test moves (9 % before the firebreak, 2 % after). The chart,
the status guard, the verification on the timeline, and the bad cases: an unknown signal, a query Prometheus
refuses, a Prometheus that is down."""

from __future__ import annotations

import time
import urllib.request

import pytest
from botprocess import BotProcess, free_port
from prometheusserver import PrometheusUnavailable, exporter, prometheus_server, skip_or_fail
from warroom import Room, in_room, press, shown

from firehouse.domain.lifecycle import Status
from firehouse.slack.signal_blocks import MOVE_ACTION, WATCH_ACTION, move_value

CONFIG = """
stakeholder_channel = "{stakeholders}"

[metric_sources.prom]
url = "{prometheus}"
default = true
[metric_sources.gone]
url = "http://127.0.0.1:{closed}"
timeout = "2s"

[signals.fraud-flag-rate]
source = "prom"
query = 'max(refund_fraud_ratio)'
label = "fraud-flag rate"
unit = "percent"
worse = "higher"
threshold = 0.03

[signals.broken]
source = "prom"
query = 'sum(refund_fraud_ratio) by'
label = "broken query"
threshold = 1

[signals.elsewhere]
source = "gone"
query = 'up'
label = "up elsewhere"
threshold = 1
worse = "lower"

[watch]
verify_after = "30s"
window = "20s"
"""


@pytest.fixture(scope="module")
def fraud():
    with exporter() as metrics:
        ratio = metrics.gauge("refund_fraud_ratio")
        ratio.set(0.09)
        try:
            with prometheus_server([metrics.target]) as prometheus:
                prometheus.wait_for("refund_fraud_ratio", lambda values: values == [0.09], timeout=30)
                yield ratio, prometheus
        except PrometheusUnavailable as missing:
            skip_or_fail(missing)


@pytest.fixture(scope="module")
def bot(fake, fraud, tmp_path_factory):
    _, prometheus = fraud
    config = CONFIG.format(stakeholders=fake.stakeholders, prometheus=prometheus.url, closed=free_port())
    with BotProcess(fake=fake, workdir=tmp_path_factory.mktemp("firehouse"), config=config) as process:
        yield process


def test_a_firebreak_is_verified_against_the_live_fraud_flag_rate(fake, bot, declare, fraud):
    ratio, prometheus = fraud
    room: Room = declare("sev2 action Refund agent approves fraudulent refunds")

    reply = room.run("watch fraud-flag-rate")
    assert reply == "Watching fraud-flag rate: fraud-flag rate 9.0% now (threshold 3.0%, 3.0×)."
    [chart] = fake.wait_for(lambda: fake.files(room.id))
    assert chart["bytes"].startswith(b"\x89PNG") and chart["name"].startswith("signal-fraud-flag-rate-")

    # the war room cannot claim containment while the rate is still out
    guarded = shown(fake, room, "status contained")
    assert "Still outside baseline, so not moved to contained yet" in guarded
    assert "fraud-flag rate 9.0% (threshold 3.0%): outside baseline" in guarded

    time.sleep(21)  # a whole window of the bad rate before the pull
    assert room.run("firebreak record kill-switch refund-agent paused refunds").startswith("Firebreak #")
    ratio.set(0.02)
    prometheus.wait_for("refund_fraud_ratio", lambda values: values == [0.02])

    effect = fake.wait_for(lambda: in_room(fake, room, "Effect of kill-switch on fraud-flag rate"), timeout=90)
    assert effect == [":bar_chart: Effect of kill-switch on fraud-flag rate: 9.0% → 2.0% (−78%), back within baseline"]
    assert any("Effect of kill-switch on fraud-flag rate: 9.0% → 2.0%" in line for line in room.timeline())

    # back within: the move needs no confirmation now
    assert room.run("status contained").startswith("Done: Status changed from investigating to contained")


def test_a_confirmed_move_past_the_guard_is_recorded(fake, bot, declare, fraud):
    ratio, prometheus = fraud
    ratio.set(0.09)
    prometheus.wait_for("refund_fraud_ratio", lambda values: values == [0.09])
    room: Room = declare("sev2 action Refund agent approves fraud again")
    room.run("watch fraud-flag-rate")
    press(bot, fake, room, MOVE_ACTION, move_value(Status.MONITORING))
    lines = fake.wait_for(lambda: [line for line in room.timeline() if "although still outside baseline" in line])
    assert "Moved to monitoring although still outside baseline (confirmed): fraud-flag rate " in lines[0]
    assert lines[0].endswith("(threshold 3.0%): outside baseline since " + lines[0].rsplit("since ", 1)[1])


def test_bad_signals_get_a_clear_answer_and_the_bot_keeps_serving(fake, bot, declare):
    room: Room = declare("sev3 output Checking the signals")
    assert room.run("watch fraud-rate") == ("There is no signal called `fraud-rate` (configured: `fraud-flag-rate`,"
                                            " `broken`, `elsewhere`).")
    refused = room.run("watch broken")
    assert refused.startswith("broken query: Prometheus refused the query:") and "Nothing is watched" in refused
    down = room.run("watch elsewhere")
    assert down.startswith("Watching up elsewhere: up elsewhere: unavailable: Prometheus could not be reached")
    listed = shown(fake, room, "watch")
    assert "fraud-flag rate" in listed and "up elsewhere" in listed
    press(bot, fake, room, f"{WATCH_ACTION}:fraud-flag-rate", "fraud-flag-rate")  # the list's Watch button
    [chart] = fake.wait_for(lambda: fake.files(room.id))
    assert chart["name"].startswith("signal-fraud-flag-rate-")
    assert room.run("log still serving").startswith("Logged")
    with urllib.request.urlopen(f"http://127.0.0.1:{bot.port}/metrics", timeout=10) as response:
        metrics = response.read().decode()
    assert 'firehouse_signal_queries_total{outcome="refused",source="prom"} 1.0' in metrics
    assert 'firehouse_signal_queries_total{outcome="failed",source="gone"}' in metrics
