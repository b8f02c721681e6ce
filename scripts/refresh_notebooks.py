"""Re-execute the committed notebooks in place at their default parameters (what nbval compares against).

Run after the smoke book (``make smoke-book``), whose run folders the defaults point to, whenever a change
alters what a notebook prints: ``python -m scripts.refresh_notebooks [NAME ...]`` (``make notebooks``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import papermill

from spap_lib.reports.pipeline import ipc_kernel_manager

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


SCRATCH = ROOT / "outputs" / "refresh"  # executed copies; one replaces its notebook only when every cell ran


def refresh(names: list[str]) -> None:
    paths = [NOTEBOOKS / f"{n.removesuffix('.ipynb')}.ipynb" for n in names] or sorted(
        NOTEBOOKS.glob("*.ipynb")
    )
    SCRATCH.mkdir(parents=True, exist_ok=True)
    for path in paths:
        print(f"executing {path.relative_to(ROOT)}", flush=True)
        executed = SCRATCH / path.name
        try:
            papermill.execute_notebook(
                str(path),
                str(executed),
                cwd=str(NOTEBOOKS),
                kernel_name="python3",
                kernel_manager_class=ipc_kernel_manager(),
                progress_bar=False,
            )
        except papermill.PapermillExecutionError:
            sys.exit(f"{path.name} failed and was left as it was: the executed copy is {executed}")
        os.replace(executed, path)


if __name__ == "__main__":
    refresh(sys.argv[1:])
