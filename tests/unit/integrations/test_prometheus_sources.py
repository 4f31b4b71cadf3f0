"""Reading signals from a real Prometheus that scrapes gauges the test sets, and every way a source fails."""

from __future__ import annotations

import http.server
import math
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from botprocess import free_port
from prometheus_client import Gauge
from prometheusserver import (
    Exporter,
    Prometheus,
    PrometheusUnavailable,
    binary,
    exporter,
    prometheus_server,
    skip_or_fail,
)

from firehouse.config.signals import MetricSourceSettings
from firehouse.errors import MetricFailure
from firehouse.integrations.metrics import MAX_SERIES, PrometheusSources

MODELS = ("gpt-4o", "claude", "<!channel>")  # a label value is data, and comes back as it was written


@dataclass
class Scraped:
    prometheus: Prometheus
    exporter: Exporter
    ratio: Gauge
    by_model: Gauge
    source: MetricSourceSettings


@pytest.fixture(scope="module")
def scraped() -> Iterator[Scraped]:
    try:
        binary()
    except PrometheusUnavailable as missing:
        skip_or_fail(missing)
    with exporter() as target:
        ratio = target.gauge("refund_fraud_ratio")
        ratio.set(0.09)  # from the first scrape on
        by_model = target.gauge("flag_rate", ["model"])
        for i, model in enumerate(MODELS):
            by_model.labels(model=model).set(i + 1)
        shards = target.gauge("shard_up", ["shard"])
        for shard in range(MAX_SERIES + 1):
            shards.labels(shard=str(shard)).set(1)
        with prometheus_server([target.target]) as prometheus:
            prometheus.wait_for("count(shard_up)", lambda values: values == [MAX_SERIES + 1])
            yield Scraped(prometheus, target, ratio, by_model,
                          MetricSourceSettings(name="main", url=prometheus.url, timeout=timedelta(seconds=5)))


def last(span: timedelta) -> dict[str, datetime | timedelta]:
    end = datetime.now(UTC)
    return {"start": end - span, "end": end, "step": timedelta(seconds=1)}


def failure(source: MetricSourceSettings, query: str = "up", **window) -> str:
    with pytest.raises(MetricFailure) as failed:
        PrometheusSources().range(source, query, **(window or last(timedelta(minutes=1))))
    return failed.value.reason


def test_a_gauge_that_falls_is_read_back_in_order_with_utc_moments(scraped):
    scraped.prometheus.wait_for("refund_fraud_ratio", lambda values: values == [0.09])
    start = datetime.now(UTC)
    time.sleep(2)
    scraped.ratio.set(0.02)
    scraped.prometheus.wait_for("refund_fraud_ratio", lambda values: values == [0.02])
    time.sleep(2)

    (series,) = PrometheusSources().range(scraped.source, "refund_fraud_ratio", start=start,
                                          end=datetime.now(UTC), step=timedelta(seconds=1))

    assert dict(series.labels) == {"__name__": "refund_fraud_ratio", "job": "exporter",
                                   "instance": scraped.exporter.target}
    values = [v for _, v in series.points]
    assert [v for i, v in enumerate(values) if i == 0 or values[i - 1] != v] == [0.09, 0.02]
    assert values.count(0.09) >= 2 and values.count(0.02) >= 2
    moments = [at for at, _ in series.points]
    assert all(at.tzinfo is UTC for at in moments) and moments == sorted(moments)
    assert start - timedelta(seconds=1) <= moments[0] and moments[-1] <= datetime.now(UTC)


def test_a_labelled_gauge_answers_one_series_per_label_value_verbatim(scraped):
    found = PrometheusSources().range(scraped.source, "flag_rate", **last(timedelta(seconds=30)))

    by_model = {dict(s.labels)["model"]: s for s in found}
    assert set(by_model) == set(MODELS)
    for i, model in enumerate(MODELS):
        assert {v for _, v in by_model[model].points} == {i + 1}
        assert by_model[model].name == f'{{instance="{scraped.exporter.target}", job="exporter", model="{model}"}}'


def test_an_aggregated_query_answers_one_series_without_labels(scraped):
    (series,) = PrometheusSources().range(scraped.source, "sum(flag_rate)", **last(timedelta(seconds=10)))

    assert series.labels == () and series.name == "value"
    assert {v for _, v in series.points} == {6.0}


def test_a_syntax_error_is_refused_in_prometheus_own_words(scraped):
    reason = failure(scraped.source, "sum(flag_rate")

    assert reason.startswith("Prometheus refused the query: ")
    assert "parse error" in reason and "unclosed left parenthesis" in reason
    assert "\n" not in reason


def test_a_step_too_fine_for_the_window_is_refused_by_prometheus(scraped):
    end = datetime.now(UTC)
    reason = failure(scraped.source, "up", start=end - timedelta(hours=4), end=end, step=timedelta(seconds=1))

    assert reason.startswith("Prometheus refused the query: ") and "11,000 points" in reason


def test_a_query_that_matches_nothing_answers_no_series(scraped):
    assert PrometheusSources().range(scraped.source, "nothing_is_called_this", **last(timedelta(minutes=5))) == []


def test_zero_over_zero_comes_back_as_nan_and_one_over_zero_as_infinity(scraped):
    (nan,) = PrometheusSources().range(scraped.source, "vector(0) / vector(0)", **last(timedelta(seconds=10)))
    (inf,) = PrometheusSources().range(scraped.source, "vector(1) / vector(0)", **last(timedelta(seconds=10)))

    assert len(nan.points) >= 10 and all(math.isnan(v) for _, v in nan.points)
    assert all(v == math.inf for _, v in inf.points)


def test_a_query_that_forgot_to_aggregate_is_refused_with_the_way_out(scraped):
    reason = failure(scraped.source, "shard_up", **last(timedelta(seconds=10)))

    assert f"the query returned {MAX_SERIES + 1} series; narrow it with sum by (...)" in reason
    assert reason.startswith("Prometheus ")
    assert len(PrometheusSources().range(scraped.source, 'shard_up{shard=~"1."}', **last(timedelta(seconds=10)))) == 10


def test_an_instant_query_answers_one_point_per_series_for_a_vector_or_a_scalar(scraped):
    before = datetime.now(UTC) - timedelta(seconds=1)
    by_model = PrometheusSources().instant(scraped.source, "flag_rate")
    (scalar,) = PrometheusSources().instant(scraped.source, "scalar(sum(flag_rate))")

    assert sorted(dict(s.labels)["model"] for s in by_model) == sorted(MODELS)
    assert all(len(s.points) == 1 for s in by_model)
    assert scalar.labels == () and len(scalar.points) == 1
    at, value = scalar.points[0]
    assert value == 6.0 and at.tzinfo is UTC and at >= before


def test_a_source_nobody_listens_on_could_not_be_reached():
    source = MetricSourceSettings(name="gone", url=f"http://127.0.0.1:{free_port()}")

    assert failure(source) == "Prometheus could not be reached (ConnectError)"


def test_a_source_that_accepts_and_never_answers_did_not_answer_within_its_timeout():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel completes the handshake; nothing ever reads or writes
        source = MetricSourceSettings(name="slow", url=f"http://127.0.0.1:{silent.getsockname()[1]}",
                                      timeout=timedelta(seconds=1))
        began = time.monotonic()

        assert failure(source) == "Prometheus did not answer within 1 s"
        assert time.monotonic() - began < 5


@contextmanager
def answering(status: int, body: bytes) -> Iterator[str]:
    """A local HTTP server answering every GET with `status` and `body`; yields its base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_source_that_is_down_behind_its_proxy_answered_an_http_status():
    with answering(503, b"<html>upstream connect error</html>") as url:
        assert failure(MetricSourceSettings(name="proxied", url=url)) == "Prometheus answered HTTP 503"


def test_a_url_that_is_not_a_query_api_sent_something_that_is_not_a_query_result(scraped):
    source = replace(scraped.source, url=scraped.exporter.url)  # /metrics text, whatever the path

    assert failure(source) == "Prometheus sent something that is not a query result"


def test_the_auth_header_is_sent_and_the_token_never_shows_in_a_reason():
    asked: list[httpx.Request] = []

    def prometheus(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        if request.url.params["query"] == "echo":  # a proxy that repeats what it was sent
            return httpx.Response(400, json={"status": "error", "errorType": "bad_data",
                                             "error": f"bad header {request.headers['Authorization']}"})
        return httpx.Response(200, json={"status": "success", "data": {"resultType": "matrix", "result": [
            {"metric": {"model": "a"}, "values": [[1718000000, "0.09"], [1718000015.5, "NaN"]]}]}})

    source = MetricSourceSettings(name="main", url="https://prometheus.example", header="Authorization",
                                  token="Bearer s3cret")
    sources = PrometheusSources(transport=httpx.MockTransport(prometheus))
    start = datetime(2024, 6, 10, 6, 13, 20, tzinfo=UTC)

    found = sources.range(source, "rate(x[5m])", start=start, end=start + timedelta(minutes=30),
                          step=timedelta(seconds=15))

    (request,) = asked
    assert request.headers["Authorization"] == "Bearer s3cret"
    assert request.url.path == "/api/v1/query_range"
    assert dict(request.url.params) == {"query": "rate(x[5m])", "start": "1718000000", "end": "1718001800",
                                        "step": "15"}
    (series,) = found
    assert series.labels == (("model", "a"),)
    assert series.points[0] == (start, 0.09)
    assert series.points[1][0] == start + timedelta(seconds=15.5) and math.isnan(series.points[1][1])
    with pytest.raises(MetricFailure) as failed:
        sources.range(source, "echo", start=start, end=start, step=timedelta(seconds=15))
    assert "s3cret" not in failed.value.reason and "s3cret" not in str(failed.value)
