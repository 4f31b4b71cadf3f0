"""One pipeline: nothing outside `store/` and `usecases/pipeline.py` commits a transaction.

A use case that wants to change state goes through `pipeline.change` (or `open_incident`, or `record` for
work about no one incident), which owns the transaction; the scheduler, the outbox and the edge ask a use
case or the store. This walks every module's syntax tree for a `.commit()` call.
"""

import ast
from pathlib import Path

import firehouse

PACKAGE = Path(firehouse.__file__).parent
ALLOWED = ("store", "usecases/pipeline.py")


def commits(source: str) -> list[int]:
    """The lines of `source` that call a method named `commit`."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"]


def test_only_the_store_and_the_pipeline_commit():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if not relative.startswith(ALLOWED):
            found += [f"{relative}:{line}" for line in commits(path.read_text())]
    assert found == []


def test_the_pipeline_does_commit():
    """The allowed places are real: the pipeline module holds the commits the use cases no longer make."""
    assert len(commits((PACKAGE / "usecases" / "pipeline.py").read_text())) >= 2


def test_the_rule_catches_a_commit():
    source = "def save(uow):\n    with uow:\n        uow.session.commit()\n"
    assert commits(source) == [3]
    assert commits("def save(uow):\n    uow.committed = True\n") == []
