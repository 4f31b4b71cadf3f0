"""Alertmanager's webhook (version 4) and Grafana's, parsed: every field that matters, every problem named."""

from datetime import UTC, datetime, timedelta

import pytest

from firehouse.intake.parse import BadDelivery, parse

ALERTMANAGER = {
    "version": "4", "groupKey": '{}:{alertname="HighSpend"}', "truncatedAlerts": 0, "status": "firing",
    "receiver": "firehouse", "groupLabels": {"alertname": "HighSpend"}, "commonLabels": {"alertname": "HighSpend"},
    "commonAnnotations": {}, "externalURL": "http://alertmanager.example:9093",
    "alerts": [
        {"status": "firing", "labels": {"alertname": "HighSpend", "ai_class": "cost"},
         "annotations": {"summary": "Spend doubled"}, "startsAt": "2026-03-02T08:55:00.123456789Z",
         "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom.example/graph?g0.expr=spend",
         "fingerprint": "9ca3b5a2beb956c6"},
        {"status": "resolved", "labels": {"alertname": "HighSpend", "ai_class": "cost", "region": "eu"},
         "annotations": {}, "startsAt": "2026-03-02T08:50:00+01:00", "endsAt": "2026-03-02T09:10:00+01:00",
         "generatorURL": "", "fingerprint": "1111111111111111"},
    ],
}


def test_alertmanagers_group_and_alerts_are_read_as_sent():
    group = parse("alertmanager", ALERTMANAGER)
    assert (group.source, group.status, group.group_key) == ("alertmanager", "firing", '{}:{alertname="HighSpend"}')
    first, second = group.alerts
    assert first.labels == {"alertname": "HighSpend", "ai_class": "cost"} and first.summary == "Spend doubled"
    assert first.starts_at == datetime(2026, 3, 2, 8, 55, 0, 123456, tzinfo=UTC)
    assert first.ends_at is None  # Go's zero time: no end yet
    assert (first.fingerprint, first.generator_url) == ("9ca3b5a2beb956c6", "http://prom.example/graph?g0.expr=spend")
    assert second.status == "resolved"
    # Sent at +01:00, kept in UTC: the same moment, and the offset every stored moment has.
    assert (second.starts_at, second.ends_at) == (datetime(2026, 3, 2, 7, 50, tzinfo=UTC),
                                                  datetime(2026, 3, 2, 8, 10, tzinfo=UTC))
    assert second.starts_at.utcoffset() == second.ends_at.utcoffset() == timedelta(0)


def test_grafanas_variant_links_to_its_panel_when_it_names_no_generator():
    grafana = {"receiver": "r", "status": "firing", "orgId": 1, "version": "1", "groupKey": "{}/{}:{}",
               "state": "alerting", "title": "[FIRING:1]", "message": "m",
               "alerts": [{"status": "firing", "labels": {"alertname": "Refunds"}, "annotations": {},
                           "startsAt": "2026-03-02T08:58:00Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "",
                           "fingerprint": "c6eadffa33fcdf37", "dashboardURL": "http://grafana.example/d/x",
                           "panelURL": "http://grafana.example/d/x?viewPanel=2", "values": {"B": 1.5},
                           "valueString": "[ var='B' value=1.5 ]"}]}
    (only,) = parse("grafana", grafana).alerts
    assert only.generator_url == "http://grafana.example/d/x?viewPanel=2" and only.fingerprint == "c6eadffa33fcdf37"


def test_an_alert_without_a_fingerprint_gets_one_from_its_labels():
    body = {"status": "firing", "alerts": [{"labels": {"b": "2", "a": "1"}, "startsAt": "2026-03-02T09:00:00Z"},
                                           {"labels": {"a": "1", "b": "2"}, "startsAt": "2026-03-02T09:01:00Z"}]}
    first, second = parse("grafana", body).alerts
    assert first.fingerprint == second.fingerprint and len(first.fingerprint) == 16
    assert first.status == "firing"  # an alert without a status has its group's


def with_alert(**changes):
    return {**ALERTMANAGER, "alerts": [{**ALERTMANAGER["alerts"][0], **changes}]}


@pytest.mark.parametrize(("body", "problem"), [
    ([], "the body must be a JSON object: Alertmanager's webhook (version 4)"),
    ({**ALERTMANAGER, "version": "3"}, 'version must be "4" (Alertmanager\'s webhook (version 4)), not \'3\''),
    ({**ALERTMANAGER, "status": "pending"}, 'status must be "firing" or "resolved", not \'pending\''),
    ({**ALERTMANAGER, "alerts": []}, "no alerts: the body needs an `alerts` list with at least one alert"),
    ({**ALERTMANAGER, "alerts": {"a": 1}}, "no alerts"),
    ({**ALERTMANAGER, "groupKey": 7}, "groupKey must be a string, not 7"),
    ({**ALERTMANAGER, "alerts": ["x"]}, "alerts[0] must be an object"),
    (with_alert(labels={}), "alerts[0] has no labels"),
    (with_alert(labels=None), "alerts[0] has no labels"),
    (with_alert(labels=["alertname"]), "alerts[0].labels must be an object of names to strings"),
    (with_alert(labels={"alertname": 5}), "alerts[0].labels.alertname must be a string, not 5"),
    (with_alert(annotations={"summary": None}), "alerts[0].annotations.summary must be a string, not null"),
    (with_alert(startsAt="2026-03-02 09:00"), "alerts[0].startsAt must be an RFC 3339 time"),
    (with_alert(startsAt=None), "alerts[0].startsAt must be an RFC 3339 time"),
    (with_alert(endsAt="soon"), "alerts[0].endsAt must be an RFC 3339 time"),
    (with_alert(startsAt="0001-01-01T00:00:00+02:00"), "alerts[0].startsAt must be an RFC 3339 time"),
    (with_alert(status="silenced"), 'alerts[0].status must be "firing" or "resolved"'),
    (with_alert(fingerprint="f" * 101), "alerts[0].fingerprint is longer than 100 characters"),
    ({**ALERTMANAGER, "alerts": [ALERTMANAGER["alerts"][0]] * 1001}, "1001 alerts in one delivery; at most 1000"),
])
def test_a_delivery_it_cannot_take_is_refused_naming_the_first_problem(body, problem):
    with pytest.raises(BadDelivery) as refused:
        parse("alertmanager", body)
    assert problem in str(refused.value)
