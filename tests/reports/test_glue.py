"""The glue helper: a matplotlib figure is glued as an image whatever the kernel's backend."""

import base64

import matplotlib

matplotlib.use("Agg")

import pytest
from IPython.core.formatters import format_display_data
from matplotlib.figure import Figure

from spap_lib.reports import glue as g


def _line_figure() -> Figure:
    fig = Figure(figsize=(3, 2))  # the object API: no pyplot, no inline backend
    fig.add_subplot().plot([0, 1, 2], [1, 0, 2])
    return fig


def test_bare_figure_alone_has_no_image():
    """The failure the helper exists for: IPython formats a bare Figure as text only outside inline."""
    bundle, _ = format_display_data(_line_figure())
    assert "image/png" not in bundle and bundle["text/plain"].startswith("<Figure size")


def test_glued_figure_is_png_and_svg():
    bundle, _ = format_display_data(g.gluable(_line_figure()))
    png = base64.b64decode(bundle["image/png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")
    assert "<Figure size" not in bundle["text/plain"]


def test_rendering_is_byte_stable():
    a, b = g.RenderedFigure(_line_figure()), g.RenderedFigure(_line_figure())
    assert a.png == b.png and a.svg == b.svg


def test_large_svg_is_left_out():
    bundle, _ = format_display_data(g.RenderedFigure(_line_figure(), svg_max_bytes=100))
    assert "image/svg+xml" not in bundle and "image/png" in bundle


@pytest.mark.parametrize("value", ["text", 3, None])
def test_other_values_pass_unchanged(value):
    assert g.gluable(value) is value


def test_notebooks_glue_through_the_helper():
    """No notebook calls myst_nb.glue directly: a figure glued past the helper could print its repr again."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "notebooks"
    direct = []
    for path in sorted(root.glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code" and "from myst_nb import glue" in "".join(cell["source"]):
                direct.append(path.name)
    assert not direct, f"notebooks importing myst_nb.glue instead of spap_lib.reports.glue: {direct}"
