"""The layers import one way: each package may import only the packages below it.

    cli, bootstrap, server, ops  the composition root, the process, health, metrics, doctor
    bolt, intake               inbound: from Slack (command table, handlers, listeners); from other systems (alerts)
    scheduler                  the leader, one job per incident, the leader's upkeep (it decides nothing)
    slack, integrations        outbound: to Slack (gateway, Block Kit views, outbox); to other systems
    usecases                   one pipeline: load → permit → decide → save → publish, effects through a port
    commands                   the `/incident` words: each command's dataclass, parser, usage form and description
    comms, store, config       templates, persistence, settings
    domain                     pure rules, returning events
    errors, logs               the error tree, and the fields every log line carries
"""

import ast
import sys
from pathlib import Path

import pytest

import firehouse

PACKAGE = Path(firehouse.__file__).parent
LAYERS = [("cli", "bootstrap", "server", "ops", "statuspage"), ("bolt", "intake"), ("scheduler",),
          ("slack", "integrations"), ("usecases",), ("commands",), ("comms", "store", "config"), ("domain",), ("errors", "logs")]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
# The log context is standard library only, like `logging` itself: any layer may say what its work is about
# (the incident it found, the job it runs). The test below keeps it that way.
# Slack's libraries belong to the edges: Bolt to the inbound side, slack_sdk to both edges.
THIRD_PARTY = {"slack_bolt": RANK["bolt"], "slack_sdk": RANK["slack"]}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "firehouse" and len(parts) > 1 else None


def imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE or p.stem in RANK)


def test_every_module_sits_in_a_layer():
    for path in PACKAGE.rglob("*.py"):
        place = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        assert place in RANK or place == "__init__", f"{path.relative_to(PACKAGE)} is in no layer"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_layer_above_its_own(path):
    own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    for name in imports(path):
        target = layer_of(name)
        if target in RANK and target != own:
            assert RANK[target] > RANK[own] or RANK[target] == RANK[own] == 0, f"{own} imports {name}"
        top = name.split(".")[0]
        if top in THIRD_PARTY:
            assert RANK[own] <= THIRD_PARTY[top], f"{own} imports {name}"


def test_the_bottom_layer_imports_only_the_standard_library():
    """`errors` and `logs` are imported from every layer, so they may import nothing of Firehouse's."""
    for name in ("errors", "logs"):
        found = {module.split(".")[0] for module in imports(PACKAGE / f"{name}.py")}
        assert found <= sys.stdlib_module_names | {"__future__"}, name


def test_the_rule_catches_an_upward_import(tmp_path):
    """The check itself can fail: a use case importing a Block Kit builder is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from firehouse.slack.blocks import kickoff\nimport slack_sdk\n")
    assert [layer_of(n) for n in imports(bad)] == ["slack", None]
    assert RANK["slack"] < RANK["usecases"] and THIRD_PARTY["slack_sdk"] < RANK["usecases"]
