"""An installed Firehouse (not just a source checkout) ships its reviewed templates and its migrations."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_carries_every_message_template(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
                   check=True, timeout=300)
    (wheel,) = tmp_path.glob("firehouse-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"firehouse/message_templates/{p.relative_to(ROOT / 'message_templates')}"
               for p in (ROOT / "message_templates").rglob("*.md.j2")}
    assert len(shipped) >= 9
    assert shipped <= names
    assert "firehouse/cli/__init__.py" in names
    scenarios = {f"firehouse/drills/{p.name}" for p in (ROOT / "drills").glob("*.toml")}
    assert len(scenarios) >= 4 and scenarios <= names
    migrations = {f"firehouse/store/migrations/{p.relative_to(ROOT / 'src/firehouse/store/migrations')}"
                  for p in (ROOT / "src/firehouse/store/migrations").rglob("*") if p.suffix in (".py", ".mako")}
    assert "firehouse/store/migrations/versions/0001_baseline.py" in migrations
    assert migrations <= names
