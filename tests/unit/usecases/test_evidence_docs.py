"""docs/evidence.md and the README's section stay true: the settings example loads, and the tree of what is inside
names exactly the files a real pack holds."""

from __future__ import annotations

import re
from pathlib import Path

from unit.usecases.test_evidence_pack import declare, packs  # noqa: F401

from firehouse.config import load_settings

ROOT = Path(__file__).resolve().parents[3]
PAGE = (ROOT / "docs" / "evidence.md").read_text()


def test_the_settings_example_loads(tmp_path):
    (example,) = re.findall(r"```toml\n(.*?)```", PAGE, re.S)
    (tmp_path / "firehouse.toml").write_text(example)
    evidence = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, cwd=tmp_path).evidence
    assert (evidence.organization, evidence.contact, evidence.tsa_ca.name) == ("Acme Ltd", "dpo@acme.example",
                                                                                "tsa-ca.pem")


def test_the_tree_names_every_file_a_pack_holds(packs, tmp_path):  # noqa: F811
    service, pack = packs()
    incident = declare(service)
    folder = tmp_path / "bag"
    pack.export(incident.id, by="dpo (CLI)", folder=folder)
    tree = PAGE.split("## What is inside", 1)[1].split("```", 2)[1]
    named = set(re.findall(r"([\w.-]+\.(?:txt|json|jsonl|md|tsr|pem)|[\w-]+/)(?=\s)", tree))
    top = {p.name for p in (folder / "data").iterdir()}
    shown = {name.rstrip("/") for name in named}
    assert {p.name for p in folder.iterdir() if p.is_file()} <= shown  # the tag files (the stamp's aside)
    assert top <= shown, top - shown
