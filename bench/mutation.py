"""Mutation score: how many small deliberate bugs in a package the fast unit tests catch.

Runs mutmut 3 (pinned below; not a dependency of Firehouse) on a snapshot of the checkout in `.mutation/`,
so edits made while it runs do not leak into the mutants. Every mutant is judged by `tests/unit` only, with
the `[tool.mutmut]` settings from pyproject.toml and `only_mutate` narrowed to the paths given. Prints
killed / survived / no tests per module and the killed percentage per area (one area per path given).

    pip install "mutmut==3.8.1"
    python bench/mutation.py src/firehouse/domain src/firehouse/comms
    python bench/mutation.py src/firehouse/domain/clocks.py --survivors    # one module, with the diffs
    python bench/mutation.py src/firehouse/domain --fail-under 90
    python bench/mutation.py src/firehouse/commands --fail-under 89       # the `/incident` words

The snapshot stays in `.mutation/` afterwards: `cd .mutation && mutmut show <mutant>` or `mutmut browse`.
Mutation runs are CPU-heavy: while iterating on tests, run one module at a time.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

MUTMUT = "3.8.1"
ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".mutation"
COPIED = ("src", "tests", "message_templates", "drills", "README.md", "docs", "pyproject.toml")  # what the tests read
CLI = "from mutmut.__main__ import cli; cli()"

# mutmut's exit codes, as its own stats module reads them; anything else counts as "other"
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 24: "timeout", -24: "timeout",
          152: "timeout", 255: "timeout", 36: "timeout", None: "not checked"}
COLUMNS = ("killed", "timeout", "survived", "no tests", "other")


@dataclass
class Score:
    """Mutant outcomes of one module or one area."""

    counts: Counter

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def caught(self) -> int:
        """Killed by a failing test, or stopped by the timeout (an endless loop is caught too)."""
        return self.counts["killed"] + self.counts["timeout"]

    @property
    def percent(self) -> float | None:
        return 100 * self.caught / self.total if self.total else None

    def row(self, name: str) -> str:
        percent = "-" if self.percent is None else f"{self.percent:5.1f}%"
        return f"{name:<42}" + "".join(f"{self.counts[c]:>10}" for c in COLUMNS) + f"{self.total:>8}{percent:>9}"


def check_mutmut() -> None:
    try:
        found = metadata.version("mutmut")
    except metadata.PackageNotFoundError:
        sys.exit(f'mutmut is not installed for {sys.executable}: pip install "mutmut=={MUTMUT}"')
    if found != MUTMUT:
        print(f'warning: mutmut {found} is installed; scores here are measured with {MUTMUT} '
              f'(pip install "mutmut=={MUTMUT}")', file=sys.stderr)


def module_paths(targets: list[str]) -> list[str]:
    """The targets as repository-relative paths under src/, checked to exist."""
    paths = []
    for target in targets:
        path = (ROOT / target).resolve() if not Path(target).is_absolute() else Path(target)
        if not path.exists() or ROOT / "src" not in path.parents:
            sys.exit(f"{target}: not a package or module under src/")
        paths.append(path.relative_to(ROOT).as_posix())
    return paths


def toml_value(value: object) -> str:
    """Strings, numbers, booleans and lists of them: JSON's spelling is TOML's."""
    return json.dumps(value)


def snapshot(patterns: list[str], tests: list[str] | None) -> None:
    """A fresh copy of the checkout in WORK, with `only_mutate` narrowed to `patterns` (and the tests to
    `tests`, when given)."""
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, WORK / name, ignore=ignore)
        else:
            shutil.copy2(source, WORK / name)
    text = (ROOT / "pyproject.toml").read_text()
    settings = dict(tomllib.loads(text).get("tool", {}).get("mutmut", {}))
    settings["only_mutate"] = patterns
    if tests:
        settings["pytest_add_cli_args_test_selection"] = tests
    # drop the checked-in [tool.mutmut] table (up to the next table) and write the narrowed one
    text = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", text)
    table = "\n".join(f"{key} = {toml_value(value)}" for key, value in settings.items())
    (WORK / "pyproject.toml").write_text(text.rstrip() + "\n\n[tool.mutmut]\n" + table + "\n")


def run_mutmut(max_children: int | None) -> int:
    command = [sys.executable, "-c", CLI, "run"]
    if max_children:
        command += ["--max-children", str(max_children)]
    with (WORK / "mutmut.log").open("w") as log:
        return subprocess.run(command, cwd=WORK, stdout=log, stderr=subprocess.STDOUT, check=False).returncode


def log_tail(lines: int = 60) -> str:
    """The end of mutmut's log without its progress spinner (redrawn with carriage returns)."""
    text = (WORK / "mutmut.log").read_text(errors="replace")
    kept = [line.rsplit("\r", 1)[-1] for line in text.splitlines()]
    return "\n".join(line for line in kept if not re.match(r"[\u2800-\u28ff] ", line))[-lines * 200:]


def outcomes(module: Path) -> dict[str, str]:
    """mutant name → status, from the metadata mutmut keeps beside each mutated module."""
    meta = WORK / "mutants" / (module.as_posix() + ".meta")
    if not meta.exists():
        return {}
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    return {name: STATUS.get(code, "other") for name, code in codes.items()}


def modules_of(path: str) -> list[Path]:
    """The modules under `path` as they were snapshotted (and so mutated)."""
    target = WORK / path
    return sorted(p.relative_to(WORK) for p in (target.rglob("*.py") if target.is_dir() else [target]))


def show_survivors(names: list[str]) -> None:
    """The diff of each surviving mutant, read by mutmut itself in one process."""
    program = (
        "import sys\n"
        "from mutmut.mutation.diff_apply import get_diff_for_mutant\n"
        "for name in sys.argv[1:]:\n"
        "    print(get_diff_for_mutant(name)); print()\n"
    )
    subprocess.run([sys.executable, "-c", program, *names], cwd=WORK, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="packages or modules under src/, e.g. src/firehouse/domain")
    parser.add_argument("--survivors", action="store_true", help="print the diff of every surviving mutant")
    parser.add_argument("--max-children", type=int, help="parallel workers (default: one per CPU)")
    parser.add_argument("--tests", nargs="+", metavar="PATH",
                        help="narrow the tests below tests/unit, e.g. tests/unit/domain (default: all of tests/unit)")
    parser.add_argument("--fail-under", type=float, help="exit 1 when an area's killed %% is below this")
    args = parser.parse_args(argv)

    check_mutmut()
    paths = module_paths(args.paths)
    if args.tests and not all(Path(t).as_posix().startswith("tests/unit") for t in args.tests):
        sys.exit("--tests: only the fast tests below tests/unit judge mutants")
    snapshot([f"{p}/*" if (ROOT / p).is_dir() else p for p in paths], args.tests)
    tests = ", ".join(args.tests or ["tests/unit"])
    print(f"mutating {', '.join(paths)}; tests: {tests}; log: {(WORK / 'mutmut.log').relative_to(ROOT)}")
    code = run_mutmut(args.max_children)
    if code != 0:
        print(log_tail(), file=sys.stderr)
        sys.exit(f"mutmut run failed (exit {code}); the unit tests must pass before mutants can be judged")

    print("\n" + f"{'module':<42}" + "".join(f"{c:>10}" for c in COLUMNS) + f"{'total':>8}{'killed':>9}")
    areas: dict[str, Score] = {}
    survivors: list[str] = []
    for path in paths:
        area = Score(Counter())
        for module in modules_of(path):
            found = outcomes(module)
            if not found:
                continue
            score = Score(Counter(found.values()))
            area.counts += score.counts
            survivors += [name for name, status in found.items() if status in ("survived", "no tests")]
            print(score.row(module.relative_to("src").as_posix()))
        areas[path] = area
    print()
    for path, area in areas.items():
        print(area.row(f"area {Path(path).relative_to('src').as_posix()}"))
    if len(areas) > 1:
        print(Score(sum((a.counts for a in areas.values()), Counter())).row("all"))

    if args.survivors and survivors:
        print(f"\n{len(survivors)} mutants not killed:\n")
        show_survivors(sorted(survivors))
    below = [p for p, a in areas.items() if args.fail_under is not None and (a.percent or 0) < args.fail_under]
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
