from datetime import UTC, datetime
from pathlib import Path

import pytest

import firehouse
from firehouse.comms import templates as templates_module
from firehouse.comms.context import template_context
from firehouse.comms.templates import FrontMatter, Facts, TemplateCatalogue, TemplateProblem, default_folder
from firehouse.domain.classes import Catalog
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity
from firehouse.comms.mrkdwn import escape

NOW = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)


def incident(title="Bot answers wrongly", class_id="output") -> Incident:
    made, _ = Incident.declare(title=title, severity=Severity.SEV2, incident_class=Catalog().classes[class_id],
                               by="U1", at=NOW)
    made.id = 3
    return made


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def test_missing_facts_show_as_placeholders_and_are_listed():
    facts = Facts({"feature": "search"}, str)
    assert facts.feature == "search" and facts.has("feature")
    assert facts.window_start == "[missing: window_start]" and not facts.has("window_start")
    assert facts.missing == ["window_start"]


def test_the_shipped_catalogue_resolves_class_then_default():
    catalogue = TemplateCatalogue()
    assert catalogue.resolve("product", class_id="output") == "product/output"
    assert catalogue.resolve("product", class_id="cost") == "product/default"
    assert catalogue.resolve("legal", class_id="data", template="individuals") == "legal/individuals"
    with pytest.raises(TemplateProblem, match="There is no product template `tweet`"):
        catalogue.resolve("product", class_id="output", template="tweet")
    front = catalogue.front_matter("product/output")
    assert front.title == "Customer notice: wrong or unsafe output" and "feature" in front.needs


def test_an_override_folder_shadows_the_defaults_file_by_file(tmp_path: Path):
    write(tmp_path, "product/output.md.j2", "{#-\ntitle: Ours\nneeds: feature\n-#}\nOur notice about {{ facts.feature }}\n")
    catalogue = TemplateCatalogue.with_override(tmp_path)
    context = template_context(incident(), catalog=Catalog(), facts={}, now=NOW, for_slack=False)
    rendered = catalogue.render("product/output", context)
    assert rendered.text == "Our notice about [missing: feature]" and rendered.missing == ("feature",)
    assert "product/data" in catalogue.names("product")  # the defaults still serve the rest


def test_user_text_is_data_and_escaped_for_slack(tmp_path: Path):
    write(tmp_path, "internal/x.md.j2", "{{ incident.title }} / {{ facts.feature }}")
    catalogue = TemplateCatalogue((tmp_path,))
    context = template_context(incident(title="{{ 7*7 }} <!channel>"), catalog=Catalog(),
                               facts={"feature": "{% for x in range(9) %}x{% endfor %}"}, now=NOW, for_slack=True)
    text = catalogue.render("internal/x", context).text
    assert text == "{{ 7*7 }} &lt;!channel&gt; / {% for x in range(9) %}x{% endfor %}"


def test_the_sandbox_refuses_reaching_into_python(tmp_path: Path):
    write(tmp_path, "internal/evil.md.j2", "{{ facts.__class__.__mro__ }}")
    catalogue = TemplateCatalogue((tmp_path,))
    context = template_context(incident(), catalog=Catalog(), facts={}, now=NOW, for_slack=False)
    with pytest.raises(TemplateProblem, match="Template `internal/evil`, line 1 is broken"):
        catalogue.render("internal/evil", context)


def test_syntax_errors_name_the_template_and_line(tmp_path: Path):
    write(tmp_path, "legal/broken.md.j2", "one\ntwo\n{% if %}\n")
    with pytest.raises(TemplateProblem, match=r"Template `legal/broken`, line 3 is broken"):
        TemplateCatalogue((tmp_path,)).render("legal/broken", {"facts": Facts({}, escape)})


def test_discreet_context_names_a_private_incident_by_number():
    context = template_context(incident("Tenant A sees B's data", "data"), catalog=Catalog(), facts={}, now=NOW,
                               for_slack=True, discreet=True)
    assert context["incident"].title == "private incident"


def test_the_default_folder_holds_the_shipped_templates():
    assert (default_folder() / "internal" / "update.md.j2").is_file()


def catalogue_of(tmp_path: Path, **templates: str) -> TemplateCatalogue:
    """A catalogue of only the given templates: `internal__x="…"` is internal/x."""
    for name, text in templates.items():
        write(tmp_path, name.replace("__", "/") + ".md.j2", text)
    return TemplateCatalogue((tmp_path,))


def test_a_variable_the_context_lacks_is_a_broken_template_that_names_it(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, internal__x="Hello\n{{ incident.title }} {{ nope }}\n")
    context = template_context(incident(), catalog=Catalog(), facts={}, now=NOW, for_slack=False)
    with pytest.raises(TemplateProblem) as err:
        catalogue.render("internal/x", context)
    assert err.value.reply == "Template `internal/x`, line 2 is broken: 'nope' is undefined"


def test_a_missing_template_is_named(tmp_path: Path):
    with pytest.raises(TemplateProblem, match=r"^There is no template `internal/ghost`\.$"):
        catalogue_of(tmp_path).render("internal/ghost", {})


def test_block_tags_leave_neither_blank_lines_nor_indentation_behind(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, internal__x="a\n    {% if true %}\n- b\n    {% endif %}\nc\n")
    assert catalogue.render("internal/x", {}).text == "a\n- b\nc"


def test_rendered_text_keeps_single_blank_lines_and_indentation_but_not_trailing_spaces(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, internal__x="\n\n# Title  \nline\n\n\n\n- item\n  - nested   \n\n\n")
    assert catalogue.render("internal/x", {}).text == "# Title\nline\n\n- item\n  - nested"


def test_a_run_of_blank_lines_after_text_becomes_one(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, internal__x="a\nb\n\n\nc")
    assert catalogue.render("internal/x", {}).text == "a\nb\n\nc"


def test_the_front_matter_gives_the_title_and_the_facts_needed_or_used(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, product__x="{#-\ntitle: Ours\nneeds: feature, window_start\n"
                                                  "optional: workaround,  recheck ,\n-#}\nbody")
    assert catalogue.front_matter("product/x") == FrontMatter("Ours", ("feature", "window_start"),
                                                              ("workaround", "recheck"))


def test_a_template_without_front_matter_is_titled_by_its_name_and_needs_nothing(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, internal__plain="just text")
    assert catalogue.front_matter("internal/plain") == FrontMatter("internal/plain")
    rendered = catalogue.render("internal/plain", {"facts": Facts({}, str)})
    assert (rendered.name, rendered.title, rendered.text, rendered.missing) == (
        "internal/plain", "internal/plain", "just text", ())


def test_missing_facts_are_the_needed_ones_first_then_those_the_text_used_each_once(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, product__x="{#-\ntitle: T\nneeds: feature, contact\n-#}\n"
                                                  "{{ facts.workaround }} {{ facts.feature }} {{ facts.workaround }}")
    rendered = catalogue.render("product/x", {"facts": Facts({"contact": "dpo@example.com"}, str)})
    assert rendered.missing == ("feature", "workaround")
    assert rendered.title == "T"


def test_nothing_is_missing_when_every_needed_fact_is_recorded(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, product__x="{#-\ntitle: T\nneeds: feature\n-#}\n{{ facts.feature }}")
    assert catalogue.render("product/x", {"facts": Facts({"feature": "search"}, str)}).missing == ()


def test_without_facts_in_the_context_every_needed_fact_is_missing(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, product__x="{#-\ntitle: T\nneeds: feature\n-#}\nno facts here")
    assert catalogue.render("product/x", {}).missing == ("feature",)


def test_an_empty_fact_counts_as_missing():
    facts = Facts({"feature": ""}, str)
    assert not facts.has("feature") and facts["feature"] == "[missing: feature]"


def test_private_names_are_never_facts():
    facts = Facts({}, str)
    with pytest.raises(AttributeError, match="_values_copy"):
        getattr(facts, "_values_copy")  # noqa: B009 - the lookup itself is what is tested
    assert not hasattr(facts, "__html__") and facts.missing == []


def test_names_lists_every_lane_or_one():
    catalogue = TemplateCatalogue()
    assert catalogue.names("product") == ["product/action", "product/data", "product/default", "product/output"]
    assert {"internal/update", "legal/fact_sheet", "product/output"} <= set(catalogue.names())


def test_an_unknown_template_lists_the_ones_the_lane_has(tmp_path: Path):
    with pytest.raises(TemplateProblem) as err:
        TemplateCatalogue().resolve("product", class_id="output", template="tweet")
    assert err.value.reply == "There is no product template `tweet`. Available: action, data, default, output."
    with pytest.raises(TemplateProblem, match=r"Available: none\.$"):
        catalogue_of(tmp_path, internal__x="x").resolve("legal", class_id="data", template="fact_sheet")


def test_without_an_override_only_the_shipped_templates_are_used():
    assert TemplateCatalogue.with_override(None).folders == (default_folder(),)
    assert TemplateCatalogue.with_override(None).names() == TemplateCatalogue().names()


def test_the_shipped_templates_sit_beside_the_package_or_at_the_top_of_the_checkout():
    package = Path(firehouse.__file__).resolve().parent
    assert default_folder() in (package / "message_templates", package.parents[1] / "message_templates")


def test_an_installed_package_serves_the_templates_inside_it(tmp_path: Path, monkeypatch):
    (tmp_path / "message_templates" / "internal").mkdir(parents=True)
    monkeypatch.setattr(templates_module.resources, "files", lambda package: tmp_path)
    assert default_folder() == tmp_path / "message_templates"


def test_an_expression_that_fails_in_python_is_a_broken_template_too(tmp_path: Path):
    catalogue = catalogue_of(tmp_path, internal__x="fine\n{{ '(' in none }}\n")
    with pytest.raises(TemplateProblem, match=r"^Template `internal/x`, line 2 is broken"):
        catalogue.render("internal/x", {})
