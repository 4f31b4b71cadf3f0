"""`charts.png`: every chart is drawn on a bare figure of one size in pixels and saved as exactly that PNG."""

from __future__ import annotations

import struct

from firehouse.comms import charts


def png_size(image: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk, which comes first after the signature."""
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and image[12:16] == b"IHDR"
    return struct.unpack(">II", image[16:24])


def test_draw_gets_an_off_screen_figure_of_the_size_and_the_png_is_exactly_that_size():
    seen = []

    def draw(figure):
        width, height = figure.get_size_inches() * figure.dpi
        seen.append(((round(width), round(height)), figure.dpi, type(figure.get_layout_engine()).__name__,
                     type(figure.canvas).__name__))
        figure.add_subplot().set_title("a title far wider than the figure itself " * 8)  # never grows the image

    image = charts.png(draw)
    assert seen == [((1200, 600), 100, "ConstrainedLayoutEngine", "FigureCanvasAgg")]
    assert png_size(image) == charts.SIZE == (1200, 600)


def test_a_figure_left_empty_is_still_a_whole_png():
    image = charts.png(lambda figure: None)
    assert png_size(image) == (1200, 600) and image.endswith(b"IEND\xaeB`\x82")


def test_a_matplotlibrc_that_changes_the_defaults_changes_nothing():
    import matplotlib

    seen = []
    # a server's own matplotlibrc: other resolutions, and SVG as the format to save in
    with matplotlib.rc_context({"figure.dpi": 72, "savefig.dpi": 300, "savefig.format": "svg"}):
        image = charts.png(lambda figure: seen.append(figure.dpi))
    assert seen == [100]
    assert png_size(image) == (1200, 600)
