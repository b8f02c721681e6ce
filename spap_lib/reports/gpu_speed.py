"""The GPU benchmark of the paper presets as the book's tables: the configuration grid ``benchmarks/bench_gpu.py``
measures, the archived result (``results/gpu/benchmark.json``) checked and read, and what it says.

Each row is one configuration (network, variant, precision, channels_last, torch.compile) trained through the
real trainer on in-memory random data of the paper's size: the median step time over the timed steps, images
per second, peak GPU memory, and the projected time of the paper's full run at that step time (the paper
preset's SNDCGAN steps; its CycleGAN epochs of each dataset's training split, batch 1). A result may lack configurations
(a device call cut short): `missing` names them, and the page says so beside the tables.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pandas as pd

from spap_lib.errors import DataError
from spap_lib.io import read_json
from spap_lib.training import make_config

KINDS = ("gan", "cyclegan")
NETWORKS = {"gan": "SNDCGAN 128 px, batch 64", "cyclegan": "CycleGAN 256 px, batch 1"}
VARIANTS = ("vanilla", "spap_c2f")
PRECISIONS = ("bf16", "fp32")
CONFIG_KEYS = ("kind", "variant", "precision", "channels_last", "compile")
ROW_KEYS = (*CONFIG_KEYS, "median_step_s", "images_per_s", "peak_memory_gib", "projected_paper_run_h")
RESULT_KEYS = ("device", "torch", "git_commit", "steps", "warmup", "rows")
# the paper's CycleGAN runs: iterations per epoch at batch 1 = the pix2pix training split, smallest first
CYCLEGAN_ITERS_PER_EPOCH = {"facades": 400, "maps": 1096, "cityscapes": 2975}


def grid(kinds=KINDS, variants=VARIANTS, compiled=(False, True)) -> list[tuple]:
    """The configurations, eager ones first (compiling takes about a minute each: a run cut short by its
    time limit still has every eager row)."""
    return sorted(_product(kinds, variants, compiled), key=lambda c: c[4])  # stable: product order within


def _product(kinds=KINDS, variants=VARIANTS, compiled=(False, True)) -> list[tuple]:
    return list(itertools.product(kinds, variants, PRECISIONS, (False, True), compiled))


def config_of(row: dict) -> tuple:
    return tuple(row[k] for k in CONFIG_KEYS)


def load_benchmark(path: str | Path) -> dict[str, Any]:
    """The archived benchmark result, checked: every field present, every row a configuration of the grid."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no GPU benchmark at {path}: run `bash benchmarks/gpu.sh` on a CUDA machine")
    try:
        result = read_json(path)
    except json.JSONDecodeError as e:
        raise DataError(f"{path} is not JSON ({e}): re-run `bash benchmarks/gpu.sh`") from e
    if missing_keys := [k for k in RESULT_KEYS if k not in result]:
        raise DataError(f"{path} lacks {', '.join(missing_keys)}: re-run `bash benchmarks/gpu.sh`")
    known = set(grid())
    for i, row in enumerate(result["rows"]):
        if missing_keys := [k for k in ROW_KEYS if k not in row]:
            raise DataError(
                f"{path}: row {i} lacks {', '.join(missing_keys)}: re-run `bash benchmarks/gpu.sh`"
            )
        if config_of(row) not in known:
            raise DataError(f"{path}: row {i} is no configuration of the benchmark: {config_of(row)}")
    if len({config_of(r) for r in result["rows"]}) != len(result["rows"]):
        raise DataError(f"{path}: a configuration appears twice: re-run `bash benchmarks/gpu.sh`")
    return result


def missing(result: dict) -> list[tuple]:
    """The configurations of the grid the result has no row for."""
    have = {config_of(r) for r in result["rows"]}
    return [c for c in grid() if c not in have]


def missing_text(result: dict) -> str:
    """The missing configurations in words ("none" when the result is complete)."""
    words = [
        f"{NETWORKS[c[0]].split()[0]} {c[1]} ({settings_text(dict(zip(CONFIG_KEYS, c)))})"
        for c in missing(result)
    ]
    return "; ".join(words) or "none"


def _rows(result: dict, kind: str) -> list[dict]:
    order = {c: i for i, c in enumerate(_product())}  # variant by variant, as the table reads
    return sorted((r for r in result["rows"] if r["kind"] == kind), key=lambda r: order[config_of(r)])


def step_table(result: dict, kind: str) -> pd.DataFrame:
    """One network's rows, variant by variant: the settings in words, step time, peak GiB and the projected
    paper run in hours (CycleGAN: Cityscapes, the largest; `summary` gives the others' share). Images per
    second (batch / step time) and the other datasets' runs are in the result but not the table, which
    stays within the page."""
    records = [
        {
            "variant": r["variant"],
            "settings": settings_text(r),
            "ms/step": round(r["median_step_s"] * 1000, 1),
            "GiB": round(r["peak_memory_gib"], 2),
            "paper run (h)": round(paper_run_hours(r), 1),  # CycleGAN: Cityscapes (the caption says so)
        }
        for r in _rows(result, kind)
    ]
    return pd.DataFrame(records).set_index(["variant", "settings"])


def fastest(result: dict, kind: str, variant: str) -> dict | None:
    """The row with the shortest step time among one network's variant, or None if none was measured."""
    rows = [r for r in result["rows"] if r["kind"] == kind and r["variant"] == variant]
    return min(rows, key=lambda r: r["median_step_s"]) if rows else None


def settings_text(row: dict) -> str:
    """A row's settings in words, e.g. "bf16, channels_last, compiled"."""
    parts = [row["precision"]]
    parts += ["channels_last"] if row["channels_last"] else []
    parts += ["compiled"] if row["compile"] else ["eager"]
    return ", ".join(parts)


def paper_run_hours(row: dict) -> float:
    """The projected paper run of a row in hours (CycleGAN: the largest dataset, Cityscapes)."""
    projected = row["projected_paper_run_h"]
    return projected if isinstance(projected, float | int) else projected["cityscapes"]


def effect(result: dict, kind: str, variant: str, key: str, on: Any = True, off: Any = False) -> float | None:
    """Median, over the other settings, of the step-time ratio with ``key`` set to ``on`` vs ``off`` (e.g.
    "compile", or "precision" bf16 vs fp32): below 1 means faster. None where no pair was measured."""
    by_config = {config_of(r): r["median_step_s"] for r in result["rows"]}
    i = CONFIG_KEYS.index(key)
    ratios = []
    for config, s in by_config.items():
        if config[:2] == (kind, variant) and config[i] == on:
            other = by_config.get(config[:i] + (off,) + config[i + 1 :])
            if other:
                ratios.append(s / other)
    return float(pd.Series(ratios).median()) if ratios else None


def _ratio_text(ratio: float | None) -> str:
    return "not measured" if ratio is None else f"×{ratio:.2f}"


def summary(result: dict, kind: str) -> str:
    """One network's findings as a Markdown list: the fastest settings per variant with the projected paper
    run, SPAP's cost per step, and what bf16, channels_last and compile change (median ratios)."""
    best = {v: fastest(result, kind, v) for v in VARIANTS}
    if best["vanilla"] is None:
        return f"{NETWORKS[kind]}: not measured."
    paper = make_config(kind, "paper", [])
    if kind == "gan":
        run = f"the paper's {paper.steps:,} steps"
    else:
        run = f"the paper's Cityscapes run ({paper.n_epochs + paper.n_epochs_decay} epochs)"
    lines = [
        f"- {variant} is fastest in {settings_text(row)}: {row['median_step_s'] * 1000:.1f} ms a step, "
        f"{run} in {paper_run_hours(row):.1f} h."
        for variant, row in best.items()
        if row is not None
    ]
    if best["spap_c2f"] is not None:
        cost = best["spap_c2f"]["median_step_s"] / best["vanilla"]["median_step_s"]
        lines.append(f"- SPAP costs ×{cost:.2f} a step, fastest against fastest.")
    if kind == "cyclegan":
        iters = CYCLEGAN_ITERS_PER_EPOCH
        shares = ", ".join(
            f"{d} {n / iters['cityscapes']:.2f} ({n:,})" for d, n in iters.items() if d != "cityscapes"
        )
        lines.append(
            f"- The runs on the other datasets take this share of the Cityscapes run "
            f"({iters['cityscapes']:,} training images): {shares}."
        )
    for name, key, values in (
        ("bf16 instead of fp32", "precision", ("bf16", "fp32")),
        ("channels_last", "channels_last", ()),
        ("torch.compile", "compile", ()),
    ):
        ratios = ", ".join(f"{_ratio_text(effect(result, kind, v, key, *values))} ({v})" for v in VARIANTS)
        lines.append(f"- {name} changes the step time by {ratios} (median over the other settings).")
    return "\n".join(lines)


def provenance(result: dict) -> pd.DataFrame:
    """How many rows each source commit measured (a result re-measured in part keeps earlier rows)."""
    commits = pd.Series([r.get("git_commit") or result["git_commit"] for r in result["rows"]])
    counts = commits.str[:10].value_counts(sort=False)
    return counts.rename("configurations").rename_axis("commit").to_frame()
