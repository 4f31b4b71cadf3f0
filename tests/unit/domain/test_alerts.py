"""The alert rules: titles, label-rule triage, storm control, what a repeat changes, and the timeline lines."""

from datetime import UTC, datetime, timedelta

import pytest

from firehouse.domain.alerts import (
    FIRING,
    MAX_DETAILED,
    RESOLVED,
    Alert,
    AlertGroup,
    Changes,
    Delivery,
    Line,
    Placement,
    Rule,
    Triage,
    changes,
    noted,
    place,
    retry_after,
    storm_title,
    triage,
)
from firehouse.domain.model import MAX_TITLE
from firehouse.domain.severity import Severity

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def alert(name: str = "HighSpend", *, status: str = FIRING, fingerprint: str = "f1", summary: str = "",
          starts_at: datetime = NOW - timedelta(minutes=5), **labels: str) -> Alert:
    return Alert(status=status, labels={"alertname": name, **labels},
                 annotations={"summary": summary} if summary else {}, starts_at=starts_at, fingerprint=fingerprint,
                 ends_at=NOW if status == RESOLVED else None, generator_url="http://prom.example/graph")


def group(*alerts: Alert, key: str = '{}:{alertname="HighSpend"}') -> AlertGroup:
    return AlertGroup(source="alertmanager", status=FIRING, group_key=key, alerts=alerts)


DEFAULTS = dict(class_id=None, severity=Severity.SEV3, captain="UCAROL")


class TestTitle:
    def test_the_summary_annotation_names_the_investigation(self):
        assert group(alert(summary="Spend doubled in  an hour")).title == "Spend doubled in an hour"

    def test_without_a_summary_the_alertname_does(self):
        assert group(alert("EvalScoreDropped")).title == "EvalScoreDropped"

    def test_a_resolved_alert_does_not_name_it_when_one_fires(self):
        assert group(alert("Old", status=RESOLVED), alert("New", fingerprint="f2")).title == "New"

    def test_more_firing_alerts_are_counted_and_the_title_fits_slacks_header(self):
        title = group(alert(summary="x" * 400), alert(fingerprint="f2"), alert(fingerprint="f3")).title
        assert len(title) == MAX_TITLE and title.endswith("… (+2 more)")


class TestTriage:
    RULES = (Rule(match={"ai_class": "cost"}, class_id="cost", captain="UBOB"),
             Rule(match={"ai_class": "data", "env": "prod"}, class_id="data", severity=Severity.SEV1),
             Rule(match={"env": "prod"}, severity=Severity.SEV2))

    def test_no_rule_matching_leaves_the_defaults(self):
        assert triage([alert(env="staging")], self.RULES, **DEFAULTS) == Triage(None, Severity.SEV3, "UCAROL", None)

    def test_the_first_matching_rule_wins_and_the_defaults_fill_what_it_leaves(self):
        assert triage([alert(ai_class="cost", env="prod")], self.RULES, **DEFAULTS) == Triage(
            "cost", Severity.SEV3, "UBOB", 1)

    def test_every_label_of_a_rule_must_be_equal(self):
        assert triage([alert(ai_class="data", env="staging")], self.RULES, **DEFAULTS).rule is None
        assert triage([alert(ai_class="data", env="prod")], self.RULES, **DEFAULTS) == Triage(
            "data", Severity.SEV1, "UCAROL", 2)

    def test_a_rule_matches_when_any_alert_of_the_group_matches(self):
        chosen = triage([alert(env="staging"), alert(env="prod", fingerprint="f2")], self.RULES, **DEFAULTS)
        assert chosen == Triage(None, Severity.SEV2, "UCAROL", 3)

    def test_a_missing_label_is_not_an_empty_one(self):
        assert not Rule(match={"team": ""}).matches({"alertname": "X"})


class TestStorm:
    @pytest.mark.parametrize(("opened", "storm_open", "expected"), [
        (0, False, Placement.OPEN),
        (4, False, Placement.OPEN),
        (5, False, Placement.STORM_OPEN),
        (5, True, Placement.STORM_JOIN),
        (9, True, Placement.STORM_JOIN),
        (4, True, Placement.OPEN),  # the window moved on: rooms of their own again
    ])
    def test_at_most_the_limit_of_rooms_per_window_then_one_storm_room(self, opened, storm_open, expected):
        assert place(opened_in_window=opened, limit=5, storm_open=storm_open) is expected

    def test_the_storm_is_named_with_its_limit_and_window(self):
        assert storm_title(limit=5, window=timedelta(minutes=10)) == "Alert storm: more than 5 alert groups within 10m"


class TestChanges:
    def test_a_repeat_of_what_the_incident_knows_changes_nothing(self):
        assert not changes(group(alert()), {"f1": FIRING}).any

    def test_a_new_fingerprint_firing_again_and_a_resolve_are_each_news(self):
        found = changes(group(alert(fingerprint="new"), alert(fingerprint="back"),
                              alert(status=RESOLVED, fingerprint="done")),
                        {"back": RESOLVED, "done": FIRING})
        assert [a.fingerprint for a in found.new] == ["new"]
        assert [a.fingerprint for a in found.again] == ["back"]
        assert [a.fingerprint for a in found.resolved] == ["done"]

    def test_a_resolve_already_noted_is_not_noted_again(self):
        assert not changes(group(alert(status=RESOLVED)), {"f1": RESOLVED}).any


class TestTimeline:
    def test_a_firing_alert_leaves_its_headline_labels_annotations_and_link_as_alert_entries(self):
        entries = [e.timeline_entry() for e in noted(group(alert(summary="Spend doubled", ai_class="cost")),
                                                    Changes(new=(alert(summary="Spend doubled", ai_class="cost"),)),
                                                    at=NOW)]
        assert [e.text for e in entries] == [
            "Alertmanager: HighSpend firing since 2026-03-02 08:55 UTC: Spend doubled",
            "Labels: ai_class=cost, alertname=HighSpend",
            "Annotations: summary=Spend doubled",
            "Generator link: http://prom.example/graph",
        ]
        assert {(e.kind, e.author, e.at) for e in entries} == {("alert", "firehouse", NOW)}

    def test_a_resolve_says_the_incident_stays_open(self):
        (entry,) = noted(group(), Changes(resolved=(alert(status=RESOLVED),)), at=NOW)
        assert entry.timeline_entry().text == ("Alertmanager: HighSpend resolved at 2026-03-02 09:00 UTC. The incident"
                                               " stays open until a person resolves it.")

    def test_past_the_detailed_alerts_each_gets_one_line_and_long_values_are_cut(self):
        many = tuple(alert(f"A{n}", fingerprint=f"f{n}", note="v" * 1000) for n in range(MAX_DETAILED + 3))
        entries = [e.timeline_entry() for e in noted(group(*many), Changes(new=many), at=NOW)]
        assert len(entries) == MAX_DETAILED * 3 + 3
        labels = next(e.text for e in entries if e.text.startswith("Labels:"))
        assert "note=" + "v" * 299 + "…" in labels

    def test_text_an_alerting_system_sent_stays_as_sent(self):
        (headline, *_) = noted(group(), Changes(new=(alert(summary="{{ 7*7 }} <!channel>"),)), at=NOW)
        assert headline.text.endswith(": {{ 7*7 }} <!channel>")  # escaped where it is shown, never rendered


def test_detection_is_the_earliest_firing_start_and_never_after_now():
    early = alert(fingerprint="a", starts_at=NOW - timedelta(hours=1))
    assert group(alert(), early).detected_at(NOW) == NOW - timedelta(hours=1)
    assert group(alert(starts_at=NOW + timedelta(minutes=3))).detected_at(NOW) == NOW  # a sender's clock ahead


def test_a_group_survives_storage_as_it_came():
    original = group(alert(summary="s", ai_class="cost"), alert(status=RESOLVED, fingerprint="f2"))
    assert AlertGroup.from_dict(original.to_dict()) == original
    assert len(original.group_digest) == 64 and group(key="").group_digest == ""


def test_retries_wait_longer_each_time_up_to_five_minutes():
    assert [retry_after(n).total_seconds() for n in (1, 2, 3, 10)] == [5, 10, 20, 300]


def test_a_delivery_that_waits_holds_back_later_ones_sharing_its_group_or_an_alert_and_no_others():
    def delivery(n: int, *fingerprints: str, key: str, retry_in: int | None = None) -> Delivery:
        alerts = tuple(alert(fingerprint=f) for f in fingerprints)
        return Delivery(n, NOW, group(*alerts, key=key),
                        retry_at=NOW + timedelta(seconds=retry_in) if retry_in is not None else None)

    failed = delivery(1, "f1", key="k1", retry_in=5)
    same_group, same_alert = delivery(2, "f9", key="k1"), delivery(3, "f1", key="k2")
    behind_those = delivery(4, "f8", key="k2")  # shares only with a delivery that is itself held
    other = delivery(5, "f7", key="k3")
    assert not failed.due(NOW) and failed.due(NOW + timedelta(seconds=5)) and other.due(NOW)
    line = Line()
    line.hold(failed)
    went = []
    for waiting in (same_group, same_alert, behind_those, other):
        if line.holds(waiting):
            line.hold(waiting)
        else:
            went.append(waiting.id)
    assert went == [5]
    assert not Line().holds(same_group)  # nothing waits: everything goes
