"""The README and the reference pages of `docs/` stay true: their examples load, the README's command list matches
the grammar, and the README links every page and every link leads somewhere."""

import re
from pathlib import Path

from firehouse.config import load_settings
from firehouse.domain.classes import Catalog
from firehouse.bolt.table import COMMANDS, reference

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
# The README and every reference page, by path: an example is checked wherever it is shown.
DOCUMENTS = {"README.md": README} | {f"docs/{page.name}": page.read_text()
                                     for page in sorted((ROOT / "docs").glob("*.md"))}


def toml_examples(containing: str) -> list[str]:
    return [block for text in DOCUMENTS.values() for block in re.findall(r"```toml\n(.*?)```", text, re.S)
            if containing in block]


def test_the_configuration_example_is_accepted(tmp_path):
    (example,) = toml_examples("[permissions]")
    (tmp_path / "firehouse.toml").write_text(example)
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, cwd=tmp_path)
    assert "hallucination" in settings.catalog.classes and "gate" not in settings.catalog.classes
    assert settings.regimes == {"gdpr": ("data", "compliance"), "eu_ai_act": ("output", "action", "compliance")}


def test_the_command_reference_is_the_command_table():
    section = README.split("## Commands", 1)[1].split("##", 1)[0]
    (block,) = re.findall(r"```\n(.*?)\n```", section, re.S)
    assert block == reference(Catalog())
    assert all(f"{row.usage(Catalog())}" in block for row in COMMANDS)


def test_the_drill_scenario_example_is_a_scenario_that_runs(tmp_path):
    from firehouse.config.scenarios import load

    (example,) = toml_examples("[[injects]]")
    (tmp_path / "coupon-leak.toml").write_text(example)
    scenarios = load(tmp_path, catalog=Catalog())
    assert scenarios.problems == {}
    assert scenarios.found["coupon-leak"].injects[0].text.startswith("Marketing asks")


def test_every_permission_action_is_named_where_the_readme_lists_them():
    from firehouse.domain.permissions import Action

    listed = README.split("The actions in `[permissions]` are ", 1)[1].split(". ", 1)[0]
    assert re.findall(r"`([a-z_]+)`", listed) == list(Action)


def test_every_reference_page_is_linked_from_the_readme_and_exists():
    """The README is the map: each page of `docs/` is linked from it, and each link leads to a page."""
    linked = set(re.findall(r"\]\((docs/[\w-]+\.md)\)", README))
    pages = {f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")}
    assert linked == pages and len(pages) >= 2


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives a Markdown file's headings (code blocks left out)."""
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#+ (.+)$", prose, re.M)}


def test_every_relative_link_of_the_readme_and_the_pages_leads_somewhere():
    """A link from a page of `docs/` to the repository goes up (`../`); one to a heading names a heading there."""
    broken = []
    for name, text in DOCUMENTS.items():
        prose = re.sub(r"```.*?```", "", text, flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", prose):
            if re.match(r"[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            path = (ROOT / name).parent / file if file else ROOT / name
            if not path.resolve().exists() or (anchor and anchor not in anchors(path.read_text())):
                broken.append(f"{name}: {target}")
    assert broken == []
