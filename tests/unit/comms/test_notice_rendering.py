"""Rendering a lane's notice: which template, and for legal fact sheets which regime, stage and deadline.

(Named apart from tests/e2e/test_notices.py: test files share one namespace.)
"""

from datetime import UTC, datetime, timedelta

import pytest

from firehouse.comms.notices import render_notice
from firehouse.comms.templates import TemplateCatalogue
from firehouse.domain.classes import Catalog
from firehouse.domain.firebreaks import Firebreak, State
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity

DECLARED = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)
NOW = DECLARED + timedelta(minutes=30)
H = timedelta(hours=1)
CATALOG = Catalog()
TEMPLATES = TemplateCatalogue()
ALL = {"gdpr": ("data", "compliance"), "eu_ai_act": ("output", "action"), "nis2": ("data", "action"),
       "dora": ("output", "action", "data")}


def incident(class_id="data", **facts) -> Incident:
    made, _ = Incident.declare(title="Tenant A sees tenant B's invoices", severity=Severity.SEV2,
                               incident_class=CATALOG.classes[class_id], by="UALICE", at=DECLARED)
    made.id = 7
    made.record_facts(facts, by="UALICE", at=DECLARED)
    return made


def render(made: Incident, lane: str, regimes=ALL, **options):
    return render_notice(made, templates=TEMPLATES, catalog=CATALOG, regimes=regimes, lane=lane, now=NOW, **options)


def test_a_product_notice_uses_the_template_of_the_incident_class():
    rendered = render(incident("output"), "product")
    assert (rendered.name, rendered.regime, rendered.stage) == ("product/output", None, None)
    assert rendered.title == "Customer notice: wrong or unsafe output"


def test_a_class_without_its_own_template_falls_back_to_the_lane_default():
    assert render(incident("cost"), "product").name == "product/default"


def test_a_named_template_wins_over_the_class():
    assert render(incident("output"), "product", template="default").name == "product/default"


def test_a_product_notice_never_carries_a_regime_even_when_asked():
    rendered = render(incident("data"), "product", regime="gdpr", stage="final")
    assert (rendered.regime, rendered.stage) == (None, None)


def test_missing_facts_are_listed_and_shown_as_placeholders():
    rendered = render(incident("output"), "product")
    assert rendered.missing == ("feature", "window_start")
    assert "[missing: feature]" in rendered.text
    filled = render(incident("output", feature="the support bot", window_start="2026-11-23 09:00 UTC"), "product")
    assert filled.missing == () and "Incorrect answers from the support bot" in filled.text


def test_a_product_notice_shows_the_time_and_the_next_update():
    made = incident("output", feature="search", window_start="09:00")
    made.retime(old=None, new=15 * timedelta(minutes=1), now=DECLARED)
    text = render(made, "product").text
    assert "**Investigating** · 2026-11-23 14:35 UTC" in text
    assert "**Next update:** by 14:20 UTC" in text


def test_a_legal_fact_sheet_defaults_to_the_first_regime_that_covers_the_class_at_the_initial_stage():
    rendered = render(incident("output"), "legal")  # gdpr does not cover output; the EU AI Act does
    assert (rendered.name, rendered.regime, rendered.stage) == ("legal/default", "eu_ai_act", "initial")
    assert "# INITIAL · EU AI Act Art. 73:" in rendered.text


def test_without_a_regime_covering_the_class_the_first_enabled_one_is_drafted():
    rendered = render(incident("cost"), "legal", regimes={"nis2": ("data",), "gdpr": ("data",)})
    assert rendered.regime == "nis2"


def test_with_no_regime_enabled_the_fact_sheet_says_there_is_nothing_to_draft():
    rendered = render(incident("data"), "legal", regimes={})
    assert rendered.regime is None
    assert "No regulatory regime is enabled for this deployment" in rendered.text


def test_a_fact_sheet_for_a_chosen_regime_and_stage_shows_that_stages_deadline():
    rendered = render(incident("data"), "legal", template="fact_sheet", regime="nis2", stage="final")
    assert (rendered.name, rendered.regime, rendered.stage) == ("legal/fact_sheet", "nis2", "final")
    assert "# FINAL · NIS2 Art. 23: final report (Art. 23(4)(d))" in rendered.text
    assert "- **Deadline:** 2026-12-26 14:05 UTC" in rendered.text  # a month after the 72-hour notification


def test_the_deadline_counts_from_awareness_not_from_the_declaration():
    made = incident("data")
    made.set_moment("aware", DECLARED - 10 * H, by="ULAW", at=DECLARED)
    rendered = render(made, "legal", template="fact_sheet", regime="gdpr")
    assert "- **Deadline:** 2026-11-26 04:05 UTC" in rendered.text


def test_the_dora_deadline_counts_from_the_classification():
    made = incident("output")
    made.change_class(CATALOG.classes["action"], by="UALICE", at=DECLARED + H)
    rendered = render(made, "legal", template="fact_sheet", regime="dora")
    assert "- **Deadline:** 2026-11-23 19:05 UTC" in rendered.text


def test_the_eu_ai_act_deadline_follows_the_recorded_case():
    rendered = render(incident("output", ai_act_case="death"), "legal", template="fact_sheet", regime="eu_ai_act")
    assert "- **Deadline:** 2026-12-03 14:05 UTC" in rendered.text


def test_a_stage_the_regime_does_not_have_leaves_the_deadline_to_confirm():
    rendered = render(incident("data"), "legal", template="fact_sheet", regime="gdpr", stage="final")
    assert "- **Deadline:** [to confirm: deadline, see /incident clock]" in rendered.text


def test_the_individuals_notice_is_not_drafted_per_regime():
    rendered = render(incident("data"), "legal", template="individuals", regime="gdpr", stage="final")
    assert (rendered.name, rendered.regime, rendered.stage) == ("legal/individuals", None, None)


def test_a_not_reportable_record_shows_the_decision_who_made_it_and_when():
    made = incident("data")
    made.decide_not_reportable("gdpr", "synthetic test data only", by="ULAW", at=DECLARED + 2 * H)
    rendered = render(made, "legal", template="not_reportable", regime="gdpr")
    assert (rendered.regime, rendered.stage) == ("gdpr", "initial")
    assert "- **Reason:** synthetic test data only" in rendered.text
    assert "- **Decided by:** @ULAW" in rendered.text
    assert "- **Decided at:** 2026-11-23 16:05 UTC" in rendered.text


@pytest.mark.parametrize("stage", ["initial", "intermediate", "final"])
def test_every_stage_of_a_regime_can_be_drafted(stage):
    rendered = render(incident("data"), "legal", template="fact_sheet", regime="dora", stage=stage)
    assert rendered.stage == stage and f"# {stage.upper()} · DORA Art. 19:" in rendered.text


def test_a_fact_sheet_is_addressed_to_the_regimes_authority():
    rendered = render(incident("data"), "legal", template="fact_sheet", regime="nis2")
    assert "- **To:** the CSIRT or competent authority" in rendered.text


def test_a_notice_is_plain_markdown_not_escaped_for_slack():
    rendered = render(incident("output", feature="search & answers <beta>", window_start="09:00"), "product")
    assert "Incorrect answers from search & answers <beta>" in rendered.text


def test_every_notice_template_may_ask_whether_there_is_a_regime_or_a_decision(tmp_path):
    (tmp_path / "legal").mkdir()
    (tmp_path / "legal" / "letter.md.j2").write_text(
        "{{ 'regime' if regime else 'no regime' }}, {{ 'decided' if decision else 'undecided' }}")
    rendered = render_notice(incident("data"), templates=TemplateCatalogue.with_override(tmp_path), catalog=CATALOG,
                             regimes=ALL, lane="legal", now=NOW, template="letter", regime="gdpr")
    assert (rendered.text, rendered.regime) == ("no regime, undecided", None)


def test_a_product_notice_lists_the_firebreaks_in_force_as_typed():
    holding = Firebreak(incident_id=7, kind="kill-switch", target="refunds & returns <beta>", executor="unleash",
                        requested_by="UBOB", requested_at=DECLARED, state=State.EXECUTED, executed_at=DECLARED + H)
    lifted = Firebreak(incident_id=7, kind="rollback", target="support prompt", executor="webhook",
                       requested_by="UBOB", requested_at=DECLARED, state=State.LIFTED, executed_at=DECLARED,
                       lifted_at=DECLARED + H)
    rendered = render_notice(incident("output", feature="search", window_start="09:00"), templates=TEMPLATES,
                             catalog=CATALOG, regimes=ALL, lane="product", now=NOW, firebreaks=[holding, lifted])
    assert "- refunds & returns <beta>: turn the feature off, since 2026-11-23 15:05 UTC" in rendered.text
    assert "support prompt" not in rendered.text  # lifted: no longer disabled
