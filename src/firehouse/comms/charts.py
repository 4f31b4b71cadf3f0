"""Charts as PNG images, drawn with matplotlib off-screen: a bare `Figure` on the Agg canvas, never pyplot,
so nothing global is touched and charts can be drawn from several threads at once.

Every chart has the same size in pixels (`SIZE`): Slack shows it whole, and a test can check it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SIZE = (1200, 600)  # width and height in pixels
DPI = 100


def png(draw: Callable[[Figure], None]) -> bytes:
    """The PNG of a figure of `SIZE` that `draw` fills in."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # imported late: matplotlib takes a while
    from matplotlib.figure import Figure

    figure = Figure(figsize=(SIZE[0] / DPI, SIZE[1] / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    draw(figure)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)  # no tight bounding box: the size stays exactly SIZE
    return out.getvalue()
