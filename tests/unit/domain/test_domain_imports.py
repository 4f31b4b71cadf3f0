"""The domain stays pure: it imports the standard library and itself, nothing else."""

import ast
import sys
from pathlib import Path

import firehouse.domain

DOMAIN = Path(firehouse.domain.__file__).parent
ALLOWED_OWN = {"firehouse.domain", "firehouse.errors"}


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_domain_imports_only_the_standard_library():
    files = sorted(DOMAIN.glob("*.py"))
    assert len(files) >= 4
    for path in files:
        for name in imported_modules(path):
            top = name.split(".")[0]
            own = any(name == allowed or name.startswith(allowed + ".") for allowed in ALLOWED_OWN)
            assert own or top in sys.stdlib_module_names or top == "__future__", f"{path.name} imports {name}"
