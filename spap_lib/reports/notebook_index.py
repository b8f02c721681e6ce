"""The book's notebook index: every notebook with its papermill parameters.

`notebook_parameter_table(notebook_dir)` reads each notebook's cell tagged `parameters` with
`papermill.inspect_notebook` (the same parser as `papermill --help-notebook`) and returns one row
per parameter, ready for `pandas.DataFrame(rows)` on a book page.

Choices: papermill names a type only when the parameter is annotated (`seed: int = 0`); for the
others the type is inferred here from the default's Python literal (`200` -> int, `"x"` -> str,
`None` -> None), and left empty when the default is an expression. A notebook without a
`parameters` cell is an error by default (every notebook of the book has one), so that the index
cannot silently miss a notebook.
"""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import nbformat
import papermill

from spap_lib.errors import DataError

_NO_TYPE = ("", "None")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _inspect(path: Path) -> dict:
    """papermill's view of the parameters cell; a parameter line it cannot parse is an error naming it
    (papermill only logs a warning, which would end up on the page)."""
    log = logging.getLogger("papermill")
    handler = _Collect()
    log.addHandler(handler)
    try:
        info = papermill.inspect_notebook(str(path))
    finally:
        log.removeHandler(handler)
    if handler.messages:
        raise DataError(
            f"{path}: papermill cannot parse its parameters cell ({handler.messages[0]}): keep each "
            "parameter on one line and its comment free of '=' and quotes"
        )
    return info


def _literal_type(default: str) -> str:
    try:
        value = ast.literal_eval(default)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return ""
    return "None" if value is None else type(value).__name__


def _has_parameters_cell(nb: nbformat.NotebookNode) -> bool:
    return any("parameters" in cell.get("metadata", {}).get("tags", []) for cell in nb.cells)


def notebook_parameter_table(
    notebook_dir: str | Path, require_parameters: bool = True
) -> list[dict[str, str]]:
    """One row per papermill parameter of every notebook under `notebook_dir` (recursive).

    Rows, sorted by notebook path then cell order: {"notebook": path relative to notebook_dir,
    "name", "type", "default" (source text), "help" (the line's trailing comment)}.
    Raises DataError for a missing folder, an unreadable notebook, or (with require_parameters)
    a notebook without a `parameters`-tagged cell.
    """
    root = Path(notebook_dir)
    if not root.is_dir():
        raise DataError(f"notebook folder {root} does not exist: pass the folder holding *.ipynb")
    paths = sorted(p for p in root.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.relative_to(root).parts)
    rows: list[dict[str, str]] = []
    for path in paths:
        rel = path.relative_to(root).as_posix()
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as exc:  # nbformat raises several types for a corrupt file
            raise DataError(f"{path}: not a readable notebook ({exc}); re-save it in Jupyter") from exc
        if not _has_parameters_cell(nb):
            if require_parameters:
                raise DataError(f"{path}: no cell tagged 'parameters'; tag the cell of defaults")
            continue
        if not nb.metadata.get("kernelspec", {}).get("name"):
            raise DataError(f"{path}: no kernelspec in its metadata; open and save it with a kernel")
        for name, info in _inspect(path).items():
            default = str(info.get("default", ""))
            kind = str(info.get("inferred_type_name", ""))
            rows.append(
                {
                    "notebook": rel,
                    "name": name,
                    "type": kind if kind not in _NO_TYPE else _literal_type(default),
                    "default": default,
                    "help": str(info.get("help", "")),
                }
            )
    return rows
