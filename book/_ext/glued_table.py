"""Sphinx extension of the book: ``glued-table``, a glued DataFrame numbered and captioned as a table.

myst-nb's ``glue:figure`` wraps any glued output in a figure, so a glued table is captioned "Fig. N". This
directive pastes the same output (it is myst-nb's own ``glue:figure`` underneath) into a node Sphinx numbers
as a *table*: "Table N", caption above, ``:name:`` for ``{numref}`` cross-references like the paper's tables::

    ```{glued-table} table1
    :name: tbl-table1

    Table 1, ours beside the paper's.
    ```
"""

from __future__ import annotations

from docutils import nodes
from myst_nb.ext.glue.directives import PasteFigureDirective
from sphinx.application import Sphinx
from sphinx.writers.html5 import HTML5Translator


class glued_table(nodes.figure):  # noqa: N801 (docutils node classes are lower case)
    """A pasted table with a caption, enumerated as a table."""


class GluedTableDirective(PasteFigureDirective):
    def run(self) -> list[nodes.Node]:
        result = super().run()
        figure = result[0]
        if not isinstance(figure, nodes.figure):
            return result
        node = glued_table(figure.rawsource, **figure.attributes)
        captions = [c for c in figure.children if isinstance(c, nodes.caption)]
        node += captions  # the caption above the table, as tables are captioned
        node += [c for c in figure.children if not isinstance(c, nodes.caption)]
        node["classes"] += ["glued-table"]  # wide tables scroll sideways (custom.css)
        for node_id in node["ids"]:  # the label points here, not at the figure it replaces
            self.state.document.ids[node_id] = node
        return [node, *result[1:]]


def _visit_html(self: HTML5Translator, node: glued_table) -> None:
    self.visit_figure(node)


def _depart_html(self: HTML5Translator, node: glued_table) -> None:
    self.depart_figure(node)


def _visit_latex(self, node: glued_table) -> None:
    self.visit_figure(node)


def _depart_latex(self, node: glued_table) -> None:
    self.depart_figure(node)


def _caption_text(node: glued_table) -> str:
    return next((c.astext() for c in node.children if isinstance(c, nodes.caption)), "")


def setup(app: Sphinx) -> dict:
    app.add_enumerable_node(
        glued_table,
        "table",
        _caption_text,
        html=(_visit_html, _depart_html),
        latex=(_visit_latex, _depart_latex),
        text=(lambda self, node: None, lambda self, node: None),
    )
    app.add_directive("glued-table", GluedTableDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
