"""Figures drawn from modules and runs: the SPAP diagram reflects the module it is given."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from spap_lib.models import SPAP  # noqa: E402
from spap_lib.reports.figures import attention_figure, draw_spap_diagram, save_figure  # noqa: E402


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_diagram_lists_levels_in_fusing_order():
    for order in ("coarse_to_fine", "fine_to_coarse"):
        block = SPAP(8, (6, 12, 18), order=order)
        texts = _texts(draw_spap_diagram(block))
        positions = [texts.index(name) for name in block.level_names]
        assert positions == sorted(positions)
        assert "C3D18" in texts


def test_attention_figure_has_colour_bar_and_saves(tmp_path):
    images = np.zeros((2, 16, 16, 3), dtype=np.uint8)
    maps = {f"fuse {i}": np.random.default_rng(i).random((2, 8, 8)) for i in range(4)}
    fig = attention_figure(images, maps, "t")
    assert any(ax.get_ylabel() == "attention $\\alpha$" for ax in fig.axes)
    path = save_figure(fig, tmp_path / "figs", "a.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
