"""What the benchmarks share: the bare baseline app in a process of its own, and the figures they print.

A benchmark runs its bare app as `python <its own file> --serve-bare <port>` (so the baseline is served the
same way as `firehouse serve`: the same waitress server and settings, a Python process of its own), and
reports percentiles of what it measured.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

from botprocess import free_port, serve, stop


class BareProcess:
    """A benchmark's bare app, `script --serve-bare <port>`, logging to `workdir/bare.log`; the environment is
    this process's without Slack's and Firehouse's variables, plus `env`."""

    def __init__(self, script: str, *, workdir: Path, env: dict[str, str] | None = None) -> None:
        self.script, self.workdir, self.extra_env = script, workdir, env or {}
        self.port = 0
        self.process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self, timeout: float = 20.0) -> BareProcess:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FIREHOUSE_"))}
        env.update({**self.extra_env, "PYTHONUNBUFFERED": "1"})
        self.process = serve([sys.executable, str(Path(self.script).resolve()), "--serve-bare", str(self.port)],
                             cwd=self.workdir, env=env, log_path=self.workdir / "bare.log", port=self.port,
                             what="the bare app", timeout=timeout)
        return self

    def stop(self) -> None:
        stop(self.process)

    def log(self) -> str:
        path = self.workdir / "bare.log"
        return path.read_text() if path.exists() else ""


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between the closest ranks; NaN for none."""
    ordered = sorted(v for v in values if not math.isnan(v))
    if not ordered:
        return float("nan")
    rank = p / 100 * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"
