"""What the chart tests share: the figures a chart module draws, kept after each is saved as a PNG."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest

from firehouse.comms import charts


@pytest.fixture
def drawn_by(monkeypatch) -> Callable[[ModuleType], list]:
    """`drawn_by(module)`: the list the figures `module` draws are kept in, from now on."""
    def keep(module: ModuleType) -> list:
        figures = []

        def keeping(draw):
            def draw_and_keep(figure):
                draw(figure)
                figures.append(figure)
            return charts.png(draw_and_keep)

        monkeypatch.setattr(module, "png", keeping)
        return figures

    return keep
