"""The README stays true: its configuration example loads, and its command list matches the grammar."""

import re
from pathlib import Path

from firehouse.config import load_settings
from firehouse.domain.classes import Catalog
from firehouse.bolt.table import COMMANDS, reference

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_the_configuration_example_is_accepted(tmp_path):
    (example,) = [block for block in re.findall(r"```toml\n(.*?)```", README, re.S) if "[permissions]" in block]
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

    (example,) = [block for block in re.findall(r"```toml\n(.*?)```", README, re.S) if "[[injects]]" in block]
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
    root = Path(__file__).resolve().parents[1]
    linked = set(re.findall(r"\]\((docs/[\w-]+\.md)\)", README))
    pages = {f"docs/{page.name}" for page in (root / "docs").glob("*.md")}
    assert linked == pages and len(pages) >= 2
