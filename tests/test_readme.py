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
