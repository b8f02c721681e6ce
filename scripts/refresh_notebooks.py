"""Re-execute the committed notebooks in place at their default parameters (what nbval compares against).

Run after the smoke book (``make smoke-book``), whose run folders the defaults point to, whenever a change
alters what a notebook prints: ``python -m scripts.refresh_notebooks [NAME ...]`` (``make notebooks``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import papermill

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def refresh(names: list[str]) -> None:
    paths = [NOTEBOOKS / f"{n.removesuffix('.ipynb')}.ipynb" for n in names] or sorted(
        NOTEBOOKS.glob("*.ipynb")
    )
    for path in paths:
        print(f"executing {path.relative_to(ROOT)}", flush=True)
        papermill.execute_notebook(
            str(path), str(path), cwd=str(NOTEBOOKS), kernel_name="python3", progress_bar=False
        )


if __name__ == "__main__":
    refresh(sys.argv[1:])
