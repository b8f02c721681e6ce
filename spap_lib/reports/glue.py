"""The one way the notebooks glue values into the book: :func:`glue`, myst-nb's ``glue`` with figures rendered
here rather than by the kernel.

Why: ``myst_nb.glue`` asks IPython's display formatters for a value's representations, and IPython formats a
matplotlib ``Figure`` as an image only after matplotlib-inline has registered its PNG formatter. That happens
when pyplot first resolves its backend (lazily, at the first ``plt.figure()``), so a ``Figure`` built with the
object API (``matplotlib.figure.Figure(...)``) before any pyplot figure, or any figure under the Agg
backend, is glued with ``text/plain`` alone and the page prints ``<Figure size 500x340 with 1 Axes>``. Here a
figure is drawn to PNG (and to SVG where that stays small) with matplotlib's own Agg/SVG writers, whatever the
kernel's backend, so a glued figure always carries an image.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib
from matplotlib.figure import Figure

DPI = 110  # the book's figure resolution (also figures.save_figure's default)
SVG_MAX_BYTES = 100_000  # above this (e.g. a grid of embedded images) a figure is glued as PNG only
_SVG_SALT = "spap-companion"  # fixed ids inside the SVG: the same figure gives the same bytes (nbval)


def figure_png(fig: Figure, dpi: int = DPI) -> bytes:
    """``fig`` as PNG bytes, on white, cropped to its content (no timestamp in the file)."""
    buf = io.BytesIO()
    fig.savefig(
        buf, format="png", dpi=dpi, facecolor="white", bbox_inches="tight", metadata={"Software": None}
    )
    return buf.getvalue()


def figure_svg(fig: Figure) -> str:
    """``fig`` as SVG text, byte-stable from run to run (fixed id salt, no date)."""
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": _SVG_SALT}):
        fig.savefig(buf, format="svg", facecolor="white", bbox_inches="tight", metadata={"Date": None})
    return buf.getvalue()


class RenderedFigure:
    """A matplotlib figure drawn once to PNG (and SVG if under ``svg_max_bytes``), displayed by IPython from its
    ``_repr_mimebundle_`` whatever the kernel's matplotlib backend."""

    def __init__(self, fig: Figure, dpi: int = DPI, svg_max_bytes: int = SVG_MAX_BYTES) -> None:
        self.png = figure_png(fig, dpi)
        svg = figure_svg(fig) if svg_max_bytes > 0 else ""
        self.svg = svg if 0 < len(svg.encode()) <= svg_max_bytes else None
        width, height = fig.get_size_inches() * dpi
        self.text = f"figure ({len(fig.axes)} axes, {width:.0f}x{height:.0f} px before cropping)"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        bundle = {"image/png": base64.b64encode(self.png).decode("ascii"), "text/plain": self.text}
        if self.svg is not None:
            bundle["image/svg+xml"] = self.svg
        return bundle


def gluable(value: Any) -> Any:
    """``value`` as it is glued: a matplotlib figure becomes a :class:`RenderedFigure`, the rest is unchanged."""
    return RenderedFigure(value) if isinstance(value, Figure) else value


def glue(name: str, value: Any, display: bool = False) -> None:
    """``myst_nb.glue(name, value, display)``, figures rendered to images first (see the module docstring)."""
    from myst_nb import glue as myst_glue

    myst_glue(name, gluable(value), display=display)
