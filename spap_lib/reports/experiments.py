"""What an experiment notebook does, as functions a test can call: train (or resume) one run, evaluate
it, and describe it. The notebooks in ``notebooks/train_*.ipynb`` are thin wrappers around these.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from spap_lib.errors import ConfigError
from spap_lib.io import TMP_SUFFIX, read_json
from spap_lib.metrics.backbones import BACKBONE_KINDS
from spap_lib.reports.evaluate import evaluate_gan, evaluate_translation, fid_protocol
from spap_lib.training import load_config, make_config, train
from spap_lib.training.config import RECIPE_SPECS, check_type, parse_overrides, parse_value


def _overrides(fields: dict, overrides: dict | list[str] | None) -> dict:
    """Notebook fields plus the user's overrides (a dict, or ``["key=value", ...]`` parsed as on the CLI)."""
    if overrides is not None and not isinstance(overrides, dict | list):
        raise ConfigError(f"overrides {overrides!r} must be key=value strings or a dict")
    return {**fields, **parse_overrides(overrides)}


# What a run folder holds when our code wrote it (training, evaluation, the book's executed notebook).
RUN_FILES = frozenset(
    {
        "config.json",
        "log.jsonl",
        "summary.json",
        "metrics.json",
        "samples",
        "checkpoints",
        "notebook.ipynb",
        "notebook.failed.ipynb",
        ".notebook.ipynb.tmp.ipynb",  # the book pipeline's copy while the notebook runs (pipeline.execute)
        "notebook.key",
        ".lock",
        "study_state.json",
    }
)


def notebook_value(name: str, value: Any, typ: type) -> Any:
    """A notebook parameter as ``typ``: papermill passes ``-p fresh false`` as the string "false", which
    Python reads as true; strings are parsed as ``--set`` values are (``true``/``false``, numbers), else
    refused with one line."""
    if isinstance(value, str) and typ is not str:
        value = parse_value(value)
    return check_type(name, value, typ)


def _written_by_a_run(name: str) -> bool:
    """An entry of a run folder that a run writes: a run file, or a temporary file an interrupted write left."""
    return name in RUN_FILES or (name.startswith(".") and name.endswith(TMP_SUFFIX))


PAPERMILL_MARK = "# Parameters"  # the first line of the cell papermill injects (its Python translator)


def assigned_names(source: str) -> list[str]:
    """The names a cell assigns at top level (``x = 1``, ``x: int = 1``), in order."""
    import ast

    names = []
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        names += [t.id for t in targets if isinstance(t, ast.Name) and t.id not in names]
    return names


def unknown_parameters(history: list[str]) -> tuple[list[str], list[str]]:
    """(unknown, declared) from a kernel's executed cell sources (IPython's ``In``): papermill runs the cell
    it injects right after the notebook's ``parameters`` cell, so every name the injected cell assigns must
    be one the cell before it declares. papermill itself only logs "Passed unknown parameter" and runs on."""
    injected = [i for i, src in enumerate(history) if src.lstrip().startswith(PAPERMILL_MARK)]
    if not injected or injected[-1] == 0:
        return [], []
    i = injected[-1]
    declared = assigned_names(history[i - 1])
    passed = [n for n in assigned_names(history[i]) if not n.startswith("PM_")]  # --inject-paths
    return [n for n in passed if n not in declared], declared


def check_parameters(history: list[str] | None = None) -> None:
    """Fail the notebook, in one line, when papermill passed a parameter its ``parameters`` cell does not
    declare (``-p steps 500`` for a notebook without ``steps`` would otherwise run with the defaults).
    Called in the cell after the parameters cell; ``history`` defaults to the kernel's ``In``."""
    if history is None:
        from IPython import get_ipython

        shell = get_ipython()
        history = list(shell.user_ns.get("In", [])) if shell is not None else []
    unknown, declared = unknown_parameters(history)
    if unknown:
        raise ConfigError(
            f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: this notebook's "
            f"parameters are {', '.join(declared)}"
        )


def remove_run(run_dir: str | Path) -> None:
    """Delete a run folder for ``fresh=True`` -- only if every entry in it, dot-files included, is what a run
    writes. Called only once every parameter has been checked (the run is about to start)."""
    run_dir = Path(run_dir)
    if run_dir.is_symlink():
        raise ConfigError(
            f"run_dir {run_dir} is a symbolic link: fresh=True deletes only a real run folder; pass the folder "
            "it points at, or choose another run_dir"
        )
    if not run_dir.exists():
        return
    if not run_dir.is_dir():
        raise ConfigError(f"run_dir {run_dir} is a file, not a run folder: choose another run_dir")
    try:
        foreign = sorted(p.name for p in run_dir.iterdir() if not _written_by_a_run(p.name))
    except OSError as exc:
        raise ConfigError(f"cannot list run_dir {run_dir} ({exc.strerror}): choose another run_dir") from None
    if foreign:
        raise ConfigError(
            f"run_dir {run_dir} holds files a run does not write ({', '.join(foreign[:3])}): fresh=True deletes "
            "only run folders; choose another run_dir"
        )
    shutil.rmtree(run_dir)


def run_experiment(
    recipe: str,
    variant: str,
    seed: int,
    preset: str,
    data_root: str,
    run_dir: str,
    dataset: str | None = None,
    direction: str = "AtoB",
    overrides: dict | list[str] | None = None,
    cache_root: str = "../data",
    backbone: str = "default",
    fresh: bool = False,
) -> dict:
    """Train (or resume, or reuse) one run of any recipe of ``RECIPE_SPECS`` and evaluate it with the
    evaluator of its dataset kind (``evaluate_gan`` or ``evaluate_translation``); return its config, summary and metrics.

    ``dataset``: a translation recipe's dataset (its config's default when None); ``direction``: Pix2Pix's
    one direction (AtoB or BtoA). ``backbone`` (synthesis only): "default" scores with the preset's protocol
    (``evaluate.FID_PROTOCOLS``: backbone and image counts), "auto", "inception" or "synth" picks the backbone
    with the preset's counts. Every parameter is checked before anything is deleted or trained.
    """
    seed, fresh = notebook_value("seed", seed, int), notebook_value("fresh", fresh, bool)
    if recipe not in RECIPE_SPECS:
        raise ConfigError(f"unknown recipe {recipe!r}: choose one of {', '.join(RECIPE_SPECS)}")
    kind = RECIPE_SPECS[recipe].dataset_kind
    fields = {"variant": variant, "seed": seed, "data_root": data_root, "progress": False}
    if kind == "translation" and dataset is not None:
        fields["dataset"] = dataset
    if recipe == "pix2pix":
        fields["direction"] = direction
    config = make_config(recipe, preset, _overrides(fields, overrides))
    if backbone != "default" and (kind != "synthesis" or backbone not in BACKBONE_KINDS):
        raise ConfigError(
            f"backbone {backbone!r} is not for a {recipe} run: use default"
            + (f" or one of {BACKBONE_KINDS}" if kind == "synthesis" else " (translations have no backbone)")
        )
    if fresh:  # then delete: the run is about to start
        remove_run(run_dir)
    train(config, run_dir)
    if kind == "synthesis":
        protocol = fid_protocol(preset)
        metrics = evaluate_gan(
            run_dir,
            data_root=cache_root,
            backbone=protocol.backbone if backbone == "default" else backbone,
            n_images=protocol.n_generated,
            n_reference=protocol.n_reference,
        )
    else:
        metrics = evaluate_translation(run_dir, data_root=cache_root, preset=preset)
    return {
        "config": config,
        "summary": read_json(Path(run_dir) / "summary.json"),
        "metrics": metrics,
    }


def run_facts(run_dir: str | Path) -> pd.DataFrame:
    """The provenance of a run as a two-column table: preset-relevant config, hardware, time, commit."""
    run_dir = Path(run_dir)
    config = load_config(run_dir)
    summary = read_json(run_dir / "summary.json")
    steps = summary.get("steps")
    rows = {
        "variant": config.variant,
        "seed": config.seed,
        "data": config.dataset if config.data_source == "synthetic" else config.data_root,
        "data source": config.data_source,
        "steps": steps,
        "seconds per step (median)": f"{summary.get('median_step_s', float('nan')):.3f}",
        "wall time (s)": f"{summary.get('wall_time_s', float('nan')):.1f}",
        "device": f"{summary.get('device')} ({summary.get('threads')} threads)",
        "torch": summary.get("torch"),
        "git commit": (summary.get("git_commit") or "unknown")[:12],
    }
    return pd.DataFrame({"value": [str(v) for v in rows.values()]}, index=list(rows))
