"""Read finished run folders and turn them into the book's tables and figures, beside the paper's numbers.

A run folder (see ``spap_lib.training.rundir``) holds ``config.json``, ``log.jsonl``, ``summary.json``,
``checkpoints/`` and, once evaluated, ``metrics.json`` (``spap_lib.reports.evaluate``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from spap_lib.data.registry import dataset_spec
from spap_lib.errors import ConfigError
from spap_lib.metrics import summarize_seeds, to_uint8
from spap_lib.models import CYCLEGAN_LABELS, SNDCGAN_LABELS, VARIANTS, variants_for
from spap_lib.paper import paper_value_or_nan
from spap_lib.reports.evaluate import (
    dataset_folder,
    evaluate_segmenter,
    paired_test_set,
    read_metrics,
    segmenter_config,
    translate,
    translation_generators,
    write_metrics,
)
from spap_lib.reports.figures import image_grid
from spap_lib.training import load_config, make_config
from spap_lib.training.rundir import read_log  # noqa: F401 - the notebooks and the book read logs from here

FCN_METRICS = {
    "pixel_acc": "pixel_acc",
    "mean_class_acc": "class_acc",
    "mean_class_iou": "class_iou",
}


def loss_keys(log: list[dict], most: int = 4) -> tuple[str, ...]:
    """The loss fields a run logged (``loss_*``), in logged order, at most ``most`` for one curves figure."""
    return tuple(k for k in (log[0] if log else {}) if k.startswith("loss"))[:most]


def find_runs(runs_root: str | Path, prefix: str) -> list[Path]:
    """Evaluated run folders under ``runs_root`` whose name starts with ``prefix``."""
    root = Path(runs_root)
    if not root.is_dir():
        raise ConfigError(
            f"no runs under {root}: run the experiment notebooks first (python -m spap_lib book)"
        )
    return sorted(p for p in root.iterdir() if p.name.startswith(prefix) and (p / "metrics.json").is_file())


def direction_table(metrics: dict) -> pd.DataFrame:
    """One row per translation direction of a CycleGAN run, its scores as columns."""
    rows = {}
    for direction, scores in metrics["directions"].items():
        rows[direction] = {k: v for k, v in scores.items() if isinstance(v, float | int) and k != "pixels"}
    return pd.DataFrame(rows).T


def gan_table(runs_root: str | Path) -> tuple[pd.DataFrame, str]:
    """Table 1: best and median Fréchet distance over seeds per variant, parameters, paper beside ours.

    Returns the table and the metric's name ("FID" or "FD-synth"), which names the columns.
    """
    runs = find_runs(runs_root, "sndcgan-")
    by_variant: dict[str, list[dict]] = {}
    for run in runs:
        m = read_metrics(run)
        by_variant.setdefault(m["variant"], []).append(m)
    if not by_variant:
        raise ConfigError(f"no evaluated SNDCGAN runs under {runs_root}")
    metric_names = {m["metric"] for ms in by_variant.values() for m in ms}
    if len(metric_names) != 1:
        raise ConfigError(f"runs were evaluated with different backbones {metric_names}: re-evaluate them")
    metric = metric_names.pop()
    rows = []
    for variant in variants_for("gan"):  # the paper's variants and the SELF-MOD baseline
        ms = by_variant.get(variant, [])
        label = SNDCGAN_LABELS[variant]
        summary = summarize_seeds({m["seed"]: m["value"] for m in ms}) if ms else None
        rows.append(
            {
                "method": label,
                "seeds": len(ms),
                f"{metric} best (ours)": summary.best if summary else np.nan,
                f"{metric} median (ours)": summary.median if summary else np.nan,
                "FID best (paper)": paper_value_or_nan("table1", label, "fid_best"),
                "FID median (paper)": paper_value_or_nan("table1", label, "fid_median"),
                "G params (ours)": ms[0]["params_G"] if ms else np.nan,
                "G params (paper)": paper_value_or_nan("table1", label, "params_G_millions") * 1e6,
            }
        )
    return pd.DataFrame(rows).set_index("method"), metric


# Tables 2-3 rows: (label in paper_tables.csv, run folder name pattern); the baselines after the variants.
BASELINE_ROWS = (("SCAN", "scan-{dataset}"), ("Pix2Pix", "pix2pix-{dataset}-{direction}"))


def translation_table(runs_root: str | Path, datasets: tuple[str, ...]) -> pd.DataFrame:
    """Tables 2-3: every direction's scores per method -- the paper's variants, then SCAN and Pix2Pix where
    the paper reports them (Pix2Pix: Table 2 only, one run per direction) -- the paper's value beside ours."""
    rows = []
    methods = [(CYCLEGAN_LABELS[v], f"cyclegan-{{dataset}}-{v}") for v in VARIANTS] + list(BASELINE_ROWS)
    for label, pattern in methods:
        row: dict = {"method": label}
        for dataset in datasets:
            spec = dataset_spec(dataset, "translation")
            for direction, gen in spec.directions.items():
                run = Path(runs_root) / pattern.format(
                    dataset=dataset, direction="AtoB" if gen == "G_AB" else "BtoA"
                )
                metrics = read_metrics(run) if (run / "metrics.json").is_file() else None
                scores = metrics["directions"].get(direction, {}) if metrics else {}
                names = FCN_METRICS if spec.score == "fcn" else {"psnr": "psnr", "ssim": "ssim"}
                for ours, theirs in names.items():
                    row[(direction, theirs, "ours")] = scores.get(ours, np.nan)
                    row[(direction, theirs, "paper")] = paper_value_or_nan(
                        spec.table, label, theirs, direction=direction, dataset=spec.paper_name
                    )
        has_paper = any(not np.isnan(v) for k, v in row.items() if k != "method" and k[2] == "paper")
        has_ours = any(not np.isnan(v) for k, v in row.items() if k != "method" and k[2] == "ours")
        if has_paper or has_ours:  # Pix2Pix has no row in Table 3
            rows.append(row)
    df = pd.DataFrame(rows).set_index("method")
    df.columns = pd.MultiIndex.from_tuples(df.columns, names=["direction", "metric", "source"])
    return df


def translation_figure(run_dir: str | Path, cache_root: str | Path, n: int = 4) -> Figure:
    """Figs. 5-6: for each direction, inputs, our translations and the ground truth, one row each."""
    config = load_config(run_dir)
    folder = dataset_folder(config, cache_root if config.data_source == "synthetic" else "")
    gens = translation_generators(run_dir, config)
    A, B = paired_test_set(folder, config.crop_size, n)
    rows = {}
    for direction, gen_name in dataset_spec(config.dataset).directions.items():
        if gen_name not in gens:  # a Pix2Pix run translates one way
            continue
        src, dst = (A, B) if gen_name == "G_AB" else (B, A)
        with torch.no_grad():
            out = translate(gens[gen_name], src)
        name = direction.replace("_to_", "→")
        rows[f"{name}: input"] = to_uint8(src)
        rows[f"{name}: {config.variant if config.kind == 'cyclegan' else config.kind}"] = to_uint8(out)
        rows[f"{name}: ground truth"] = to_uint8(dst)
    return image_grid(rows, ncols=n, size=1.9)


def train_segmenter_run(
    dataset: str, preset: str, data_root: str, run_dir: str, cache_root: str, size: int = 0
) -> dict:
    """Train (or load) the FCN-score segmenter for a preset and score it on the real test photos."""
    from spap_lib.reports.experiments import notebook_value

    config = make_config("cyclegan", preset, {"dataset": dataset, "data_root": data_root})
    size = notebook_value("size", size, int) or config.crop_size
    folder = dataset_folder(config, data_root)
    result = evaluate_segmenter(dataset, preset, size, folder, cache_root)
    recipe = segmenter_config(dataset, preset, size)
    scores = result["scores"]
    table = pd.DataFrame(
        {
            "real test photos": [
                scores["pixel_acc"],
                scores["mean_class_acc"],
                scores["mean_class_iou"],
            ]
        },
        index=["per-pixel acc.", "per-class acc.", "class IoU"],
    )
    Path(run_dir).mkdir(parents=True, exist_ok=True)
    write_metrics(run_dir, {"kind": "segmenter", "dataset": dataset, **result})
    n_train = len(list((folder / "train").glob("*"))) if (folder / "train").is_dir() else 0
    return {
        "table": table,
        "steps": recipe.steps,
        "n_train": n_train,
        "labelled_fraction": result["labelled_fraction"],
        "scores": scores,
    }
