from datetime import UTC, datetime
from pathlib import Path

import pytest

from firehouse.comms.context import template_context
from firehouse.comms.templates import Facts, TemplateCatalogue, TemplateProblem, default_folder
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
