"""What templates see of an incident: plain values, escaped for Slack only when the text goes to Slack."""

from datetime import UTC, datetime, timedelta

from firehouse.comms.context import FirebreakView, IncidentView, firebreak_views, template_context
from firehouse.domain.classes import Catalog, IncidentClass
from firehouse.domain.firebreaks import KINDS, Firebreak, State
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity

DECLARED = datetime(2026, 11, 23, 2, 5, tzinfo=UTC)
NOW = DECLARED + timedelta(hours=2)
H = timedelta(hours=1)


def incident(title="Refunds <promised> & paid", class_id="action") -> Incident:
    made, _ = Incident.declare(title=title, severity=Severity.SEV1, incident_class=Catalog().classes[class_id],
                               by="UALICE", at=DECLARED, captain="UBOB")
    made.id = 12
    made.set_moment("detected", DECLARED - H, by="UALICE", at=DECLARED)
    made.change_status(Status.CONTAINED, by="UBOB", at=DECLARED + H)
    made.resolve(by="UBOB", at=NOW, summary="rolled back <prompt> v42", waiver="only testers saw it")
    return made


def test_markdown_readers_see_the_incident_as_written():
    context = template_context(incident(), catalog=Catalog(), facts={"feature": "refunds & returns"}, now=NOW,
                               for_slack=False, next_update_at=NOW + timedelta(minutes=15))
    assert context["incident"] == IncidentView(
        id=12, title="Refunds <promised> & paid", severity="SEV1", class_id="action",
        class_description="an agent or tool took a harmful or unauthorized action", status="resolved",
        captain="@UBOB", declared_at="2026-11-23 02:05 UTC", detected_at="2026-11-23 01:05 UTC",
        aware_at="2026-11-23 02:05 UTC", contained_at="2026-11-23 03:05 UTC", resolved_at="2026-11-23 04:05 UTC",
        summary="rolled back <prompt> v42",
    )
    assert (context["now"], context["next_update_at"]) == ("2026-11-23 04:05 UTC", "04:20 UTC")
    assert context["facts"].feature == "refunds & returns"


def test_slack_readers_get_escaped_text_and_a_mention_of_the_captain():
    context = template_context(incident(), catalog=Catalog(), facts={"feature": "a <!channel> b"}, now=NOW,
                               for_slack=True)
    view = context["incident"]
    assert (view.title, view.summary, view.captain) == (
        "Refunds &lt;promised&gt; &amp; paid", "rolled back &lt;prompt&gt; v42", "<@UBOB>")
    assert context["facts"].feature == "a &lt;!channel&gt; b"


def test_moments_not_recorded_yet_stay_empty_so_templates_can_test_for_them():
    made, _ = Incident.declare(title="t", severity=Severity.SEV2, incident_class=Catalog().classes["output"],
                               by="UALICE", at=DECLARED)
    context = template_context(made, catalog=Catalog(), facts={}, now=NOW, for_slack=False)
    view = context["incident"]
    assert (view.detected_at, view.contained_at, view.resolved_at) == (None, None, None)
    assert context["next_update_at"] is None


def test_a_discreet_view_hides_the_title_and_the_summary():
    view = template_context(incident(), catalog=Catalog(), facts={}, now=NOW, for_slack=True, discreet=True)["incident"]
    assert (view.title, view.summary, view.id) == ("private incident", "", 12)


def test_a_class_missing_from_the_catalogue_is_described_by_its_id():
    catalog = Catalog(classes={"custom": IncidentClass("custom", "a custom <kind>", ("product",))})
    made, _ = Incident.declare(title="t", severity=Severity.SEV2, incident_class=catalog.classes["custom"],
                               by="UALICE", at=DECLARED)
    view = template_context(made, catalog=Catalog(), facts={}, now=NOW, for_slack=False)["incident"]
    assert view.class_description == "custom"
    assert template_context(made, catalog=catalog, facts={}, now=NOW, for_slack=True)["incident"].class_description \
        == "a custom &lt;kind&gt;"


def test_extra_values_reach_the_templates_as_given():
    context = template_context(incident(), catalog=Catalog(), facts={}, now=NOW, for_slack=False, regime=None,
                               last_update_at="13:50 UTC")
    assert context["regime"] is None and context["last_update_at"] == "13:50 UTC"


def firebreak(kind, target, *, state, executed_at=None, lifted_at=None) -> Firebreak:
    return Firebreak(incident_id=12, kind=kind, target=target, executor="unleash", requested_by="UBOB",
                     requested_at=DECLARED, state=state, executed_at=executed_at, lifted_at=lifted_at)


def test_only_firebreaks_that_took_effect_are_shown_and_whether_they_still_hold():
    lifted = firebreak("rollback", "support <prompt>", state=State.LIFTED, executed_at=DECLARED + H / 2,
                       lifted_at=DECLARED + H)
    holding = firebreak("kill-switch", "refund-agent", state=State.EXECUTED, executed_at=DECLARED + H)
    failed = firebreak("rate-limit", "api", state=State.FAILED)
    assert firebreak_views([lifted, holding, failed], for_slack=False) == [
        FirebreakView("rollback", "support <prompt>", KINDS["rollback"], "2026-11-23 02:35 UTC",
                      "2026-11-23 03:05 UTC", False),
        FirebreakView("kill-switch", "refund-agent", KINDS["kill-switch"], "2026-11-23 03:05 UTC", None, True),
    ]


def test_a_firebreak_target_is_escaped_for_slack():
    (view,) = firebreak_views([firebreak("rollback", "support <prompt> & co", state=State.EXECUTED,
                                         executed_at=DECLARED)], for_slack=True)
    assert view.target == "support &lt;prompt&gt; &amp; co"
