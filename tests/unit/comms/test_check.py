"""`firehouse templates check`: every template, rendered in every situation it may meet."""

from pathlib import Path

import pytest

from firehouse.comms.check import check_templates
from firehouse.comms.templates import TemplateCatalogue
from firehouse.domain.classes import Catalog, IncidentClass
from firehouse.domain.clocks import REGIMES
from firehouse.domain.lifecycle import Status

STAGES = ("initial", "intermediate", "final")
TWO_CLASSES = Catalog(classes={"output": IncidentClass("output", "wrong output", ("product",)),
                               "data": IncidentClass("data", "data exposure", ("legal",), private=True)})


def catalogue_of(tmp_path: Path, **templates: str) -> TemplateCatalogue:
    """Only the given templates: `legal__x="…"` is legal/x."""
    for name, text in templates.items():
        path = tmp_path / (name.replace("__", "/") + ".md.j2")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return TemplateCatalogue((tmp_path,))


def situations(lane: str, catalog: Catalog = TWO_CLASSES) -> int:
    """How many renders one template of `lane` gets: every class and status, with and without facts,
    and for legal every regime and stage (and none), for internal with and without an update."""
    per_lane = {"legal": 1 + len(REGIMES) * len(STAGES), "internal": 2}.get(lane, 1)
    return len(catalog.classes) * len(Status) * 2 * per_lane


def test_the_shipped_templates_pass_in_every_situation():
    problems, renders = check_templates(TemplateCatalogue(), Catalog())
    assert problems == []
    catalogue = TemplateCatalogue()
    assert renders == sum(situations(name.split("/")[0], Catalog()) for name in catalogue.names())


def test_each_lane_is_rendered_for_its_own_situations(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, product__x="{{ incident.title }}", legal__x="{{ incident.title }}",
                             internal__x="{{ incident.title }}")
    problems, renders = check_templates(catalogue, TWO_CLASSES)
    assert problems == []
    assert renders == situations("product") + situations("legal") + situations("internal")


def test_echoing_user_text_is_fine_because_it_is_never_evaluated(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, product__x="# {{ incident.title }}\n{{ facts.feature }} {{ incident.summary }}")
    assert check_templates(catalogue, TWO_CLASSES)[0] == []


def test_a_template_whose_output_shows_the_sample_title_evaluated_is_reported(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, product__x="{{ incident.title }} {{ 1234 * 5 }}")
    problems, renders = check_templates(catalogue, TWO_CLASSES)
    assert problems == ["Template `product/x` evaluated user text as a template."]
    assert renders == situations("product")  # it rendered; what it showed is the problem


def test_a_broken_template_is_reported_once_with_its_line(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, internal__x="fine\n{% if incident.title %}\n", product__ok="ok")
    problems, renders = check_templates(catalogue, TWO_CLASSES)
    assert len(problems) == 1 and problems[0].startswith("Template `internal/x`, line 2 is broken:")
    assert renders == situations("product")  # the broken one never rendered


def test_a_variable_no_situation_provides_is_reported(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, product__x="{{ incident.title }}\n{{ customer_name }}")
    assert check_templates(catalogue, TWO_CLASSES)[0] == [
        "Template `product/x`, line 2 is broken: 'customer_name' is undefined"]


def test_each_broken_template_is_reported(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, product__a="{{ nope_a }}", product__b="{{ nope_b }}")
    assert check_templates(catalogue, TWO_CLASSES)[0] == [
        "Template `product/a`, line 1 is broken: 'nope_a' is undefined",
        "Template `product/b`, line 1 is broken: 'nope_b' is undefined"]


def reported(tmp_path: Path, lane: str, condition: str, catalog: Catalog = TWO_CLASSES) -> bool:
    """Whether a template of `lane` that breaks only when `condition` holds is caught by the check."""
    catalogue = catalogue_of(tmp_path, **{f"{lane}__x": f"ok{{% if {condition} %}}{{{{ nope }}}}{{% endif %}}"})
    return bool(check_templates(catalogue, catalog)[0])


def test_a_template_broken_only_for_closed_incidents_is_caught(tmp_path: Path):
    assert reported(tmp_path, "product", 'incident.status == "closed"')


def test_a_template_broken_only_for_one_class_is_caught(tmp_path: Path):
    assert reported(tmp_path, "product", 'incident.class_id == "data"')


def test_a_template_broken_only_without_facts_is_caught(tmp_path: Path):
    assert reported(tmp_path, "product", 'not facts.has("feature")')


def test_a_template_broken_only_with_every_fact_recorded_is_caught(tmp_path: Path):
    assert reported(tmp_path, "product", 'facts.has("contact") and facts.ai_act_case == "standard"')


def test_a_legal_template_broken_only_for_one_regime_and_stage_is_caught(tmp_path: Path):
    assert reported(tmp_path, "legal", 'regime is not none and regime.id == "dora" and regime.stage == "final"')


def test_a_legal_template_broken_only_without_a_regime_is_caught(tmp_path: Path):
    assert reported(tmp_path, "legal", "regime is none")


def test_an_internal_template_broken_only_when_an_update_came_is_caught(tmp_path: Path):
    assert reported(tmp_path, "internal", "update is not none")


def test_only_the_legal_lane_meets_regimes_and_only_the_internal_lane_updates(tmp_path: Path):
    assert not reported(tmp_path / "p", "product", "regime is not none or update is not none")
    assert not reported(tmp_path / "i", "internal", "regime is not none")
    assert not reported(tmp_path / "l", "legal", "update is not none")


def test_the_sample_situations_are_consistent_with_themselves(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, legal__x=(
        '{% if incident.status != "investigating" %}{{ incident.contained_at[:4] }}{% endif %}'
        '{% if incident.status in ["resolved", "closed"] %}{{ incident.resolved_at[:4] }}{% endif %}'
        "{{ incident.id + 1 }} {{ incident.severity[:3] }} {{ incident.declared_at[:4] }} {{ incident.captain[1:] }}"
        "{{ decision.reason[:2] }} {{ decision.decided_by[1:] }} {{ decision.decided_at[:4] }}"
        "{{ last_update_at[:2] }} {{ next_update_at[:2] }} {{ now[:4] }}"
        "{% if regime is not none %}{{ regime.deadline[:4] }} {{ regime.name[:2] }} {{ regime.authority[:2] }}"
        "{% endif %}"))
    assert check_templates(catalogue, TWO_CLASSES)[0] == []


def test_an_internal_update_has_its_text_author_and_time(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, internal__x=(
        "{% if update is not none %}{{ update.text[:2] }} {{ update.author[1:] }} {{ update.posted_at[:2] }}"
        "{% endif %}"))
    assert check_templates(catalogue, TWO_CLASSES)[0] == []


def test_the_sample_incident_is_never_left_open_when_its_status_is_resolved(tmp_path: Path):
    assert not reported(tmp_path / "a", "product", 'incident.status == "investigating" and incident.contained_at')
    assert not reported(tmp_path / "b", "product", 'incident.status == "monitoring" and incident.resolved_at')


def test_a_template_broken_in_one_situation_is_still_rendered_in_all_the_others(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, legal__x="ok{% if regime is none %}{{ nope }}{% endif %}")
    problems, renders = check_templates(catalogue, TWO_CLASSES)
    assert len(problems) == 1
    assert renders == situations("legal") // (1 + len(REGIMES) * len(STAGES)) * len(REGIMES) * len(STAGES)


def test_every_template_that_shows_user_text_evaluated_is_reported(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, product__a="{{ 1234 * 5 }}", product__b="{{ 6170 }}")
    assert check_templates(catalogue, TWO_CLASSES)[0] == [
        "Template `product/a` evaluated user text as a template.",
        "Template `product/b` evaluated user text as a template."]


def test_the_initial_and_intermediate_stages_are_rendered_too(tmp_path: Path):
    assert reported(tmp_path / "i", "legal", 'regime is not none and regime.stage == "initial"')
    assert reported(tmp_path / "m", "legal", 'regime is not none and regime.stage == "intermediate"')


# --- postmortems: the whole record, and none of it ------------------------------------------------

def test_a_postmortem_template_is_rendered_with_the_whole_record_and_with_none(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, postmortem__x="# {{ incident.title }}")
    assert check_templates(catalogue, TWO_CLASSES) == ([], situations("postmortem"))


def test_a_postmortem_template_broken_only_for_an_empty_record_is_caught(tmp_path: Path):
    assert reported(tmp_path, "postmortem", "not timeline and not snapshots and not actions_open")


@pytest.mark.parametrize("part", ["timeline", "history", "snapshots", "firebreaks", "notices", "decisions",
                                  "actions_open", "actions_done", "fixtures", "cause", "notes.values() | sum(start=[])"])
def test_the_whole_record_reaches_postmortem_templates(tmp_path: Path, part):
    assert reported(tmp_path, "postmortem", part)


def test_user_text_anywhere_in_the_record_is_shown_not_evaluated(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, postmortem__x=(
        "{{ incident.summary }}{% for e in timeline %}{{ e.text }}{% endfor %}{% for d in decisions %}{{ d.reason }}"
        "{% endfor %}{% for n in notices %}{{ n.title }}{% endfor %}{% for a in actions_open %}{{ a }}{% endfor %}"
        "{% for f in fixtures %}{{ f.tags }}{% endfor %}{% for s, texts in notes.items() %}{{ texts }}{% endfor %}"))
    assert check_templates(catalogue, TWO_CLASSES)[0] == []


@pytest.mark.parametrize("branch", [
    ('firebreaks | selectattr("state", "equalto", "failed") | selectattr("answer") | selectattr("attempts", "gt", 1)'
     " | list"),
    ('firebreaks | selectattr("state", "equalto", "lifted") | selectattr("executed_at") | selectattr("lifted_at")'
     " | list"),
    ('notices | selectattr("sent_at") | selectattr("sent_by") | selectattr("approved_by") | selectattr("regime")'
     ' | selectattr("stage") | list'),
    'actions_open | rejectattr("owner") | rejectattr("done_at") | list',
    'actions_done | selectattr("owner") | selectattr("due") | selectattr("done_at") | list',
    'fixtures | selectattr("snapshot_id") | selectattr("forbidden") | selectattr("tags") | list',
    'snapshots | selectattr("verified") | list',
    'timeline | selectattr("author", "equalto", "Firehouse") | list',
    'history | selectattr("kind", "equalto", "class") | list',
    'decisions | selectattr("decided_by") | list',
    'cause and "(" in cause',
])
def test_the_whole_record_takes_every_branch_a_postmortem_may_take(tmp_path: Path, branch):
    assert reported(tmp_path, "postmortem", branch)


# --- the sample situations read like a real incident ----------------------------------------------------------


@pytest.mark.parametrize("lane", ["product", "postmortem"])
def test_the_sample_times_come_in_order_declared_contained_resolved_and_none_after_now(tmp_path: Path, lane):
    # the sample stamps are all "YYYY-MM-DD HH:MM UTC" of one day, so they compare as text
    assert not reported(tmp_path / "a", lane, "incident.contained_at and incident.declared_at >= incident.contained_at")
    assert not reported(tmp_path / "b", lane, "incident.resolved_at and incident.contained_at >= incident.resolved_at")
    assert not reported(tmp_path / "c", lane, "incident.resolved_at and incident.resolved_at > now")
    assert not reported(tmp_path / "d", lane, "now is none or incident.declared_at >= now")


def test_the_next_update_is_still_to_come(tmp_path: Path):
    assert not reported(tmp_path, "internal", "next_update_at is none or next_update_at <= now[11:]")


def test_templates_are_checked_as_markdown_outside_slack_not_with_slacks_escaping(tmp_path: Path):
    assert not reported(tmp_path / "a", "product", 'incident.captain.startswith("<")')
    assert reported(tmp_path / "b", "product", 'incident.captain == "@U0SAMPLE"')
