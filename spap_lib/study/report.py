"""What the study chapter shows, computed from the archive: tables with intervals, the verdict, power,
curves, samples and the attention of a trained SPAP. The notebook only glues these.

Claims tested (the paper's numbers from ``paper_tables.csv``; "effect" = relative change against vanilla):
* Table 1 (synthesis): FID of each variant against vanilla; the paper's effect is its median over runs
  (SPAP c2f 26.11 -> 20.11, -23%). The headline claim is SPAP coarse-to-fine on FID. The paper gives
  SELF-MOD's best run only (22.51), so its effect is best against best (vanilla 25.42, -11%), labelled so.
* Table 3 (translation, facades): PSNR and SSIM of both directions; the paper's effect is its single number.
* Table 1 at 64x64 (synthesis64): FID as at 32 px, with precision/recall/density/coverage beside it (no paper
  numbers); the scale section sets each effect at 32 px beside the one at 64 px.
* Table 2 (streets): the FCN scores of both directions (pixel accuracy, mean class accuracy, mean class IoU);
  the paper's effect is its single number on Cityscapes.
The claims of ``CLAIMS`` form one family: beside each per-claim verdict (95%) stand the Holm-adjusted p-value
and the verdict read from Bonferroni's simultaneous intervals (family-wise 95%).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from spap_lib.models import CYCLEGAN_LABELS, SNDCGAN_LABELS
from spap_lib.paper import paper_value, paper_value_or_nan
from spap_lib.study import plan
from spap_lib.study.archive import load_recipe_pilots, load_runs, trained_generator
from spap_lib.study.stats import (
    LEVEL,
    holm,
    mean_ci,
    paired,
    paired_p,
    power_at,
    seeds_needed,
    verdict,
    welch,
)
from spap_lib.training.config import config_from_dict

HEADLINE = ("synthesis", "spap_c2f", "FID")


@dataclass(frozen=True)
class Metric:
    """One score of a part: how to read it from a run record, which way is better, the paper's numbers."""

    name: str
    path: tuple[str, ...]  # keys into run["final"]
    paper: tuple[str, str, str] | None  # (metric, direction, dataset) in paper_tables.csv
    # the paper's metric to compare instead where it lacks ``paper[0]`` for a variant
    paper_fallback: str | None = None

    def value(self, run: dict[str, Any]) -> float:
        v: Any = run["final"]
        for k in self.path:
            v = v[k]
        return float(v)


SYNTHESIS_METRICS = (
    Metric("FID", ("value",), ("fid_median", "", ""), paper_fallback="fid_best"),
    Metric("KID", ("kernel_value",), None),
)
PRDC_METRICS = tuple(Metric(m, ("prdc", m), None) for m in ("precision", "recall", "density", "coverage"))
METRICS: dict[str, tuple[Metric, ...]] = {
    "synthesis": SYNTHESIS_METRICS,
    "translation": tuple(
        Metric(f"{label} {m.upper()}", (direction, m), (m, direction, "facades"))
        for direction, label in (("facades_to_labels", "F→L"), ("labels_to_facades", "L→F"))
        for m in ("psnr", "ssim")
    ),
    "synthesis64": (*SYNTHESIS_METRICS, *PRDC_METRICS),
    "streets": tuple(
        Metric(f"{label} {name}", (direction, key), (paper_key, direction, "cityscapes"))
        for direction, label in (("labels_to_photo", "L→P"), ("photo_to_labels", "P→L"))
        for key, paper_key, name in (
            ("pixel_acc", "pixel_acc", "pixel acc."),
            ("mean_class_acc", "class_acc", "class acc."),
            ("mean_class_iou", "class_iou", "class IoU"),
        )
    ),
}


def _paper_row(part: str, variant: str, name: str, metric: Metric) -> tuple[str, str, str, str, str]:
    """Where the paper's ``name`` number for ``variant`` sits: (table, method, metric, direction, dataset)."""
    _, direction, dataset = metric.paper
    labels = SNDCGAN_LABELS if plan.PARTS[part].kind == "gan" else CYCLEGAN_LABELS
    return plan.PARTS[part].table, labels[variant], name, direction, dataset


def paper_basis(part: str, variant: str, metric: Metric) -> str | None:
    """Which of the paper's numbers its effect for ``variant`` compares: ``metric.paper``'s, or the fallback
    where the paper lacks that number for the variant (SELF-MOD has no median); None without a paper number."""
    if metric.paper is None or variant == "vanilla":
        return None
    name = metric.paper[0]
    if metric.paper_fallback and np.isnan(paper_value_or_nan(*_paper_row(part, variant, name, metric))):
        return metric.paper_fallback
    return name


def paper_effect(part: str, variant: str, metric: Metric) -> float | None:
    """The paper's relative change of ``metric`` for ``variant`` against vanilla (on :func:`paper_basis`)."""
    name = paper_basis(part, variant, metric)
    if name is None:
        return None
    ours = paper_value(*_paper_row(part, variant, name, metric))
    return ours / paper_value(*_paper_row(part, "vanilla", name, metric)) - 1.0


def paper_effect_text(part: str, variant: str, metric: Metric, brief: bool = False) -> str:
    """The paper's effect for reading, its basis named where it is not the metric's usual one ("(best runs)";
    ``brief``: a "†" that the table's legend explains)."""
    basis = paper_basis(part, variant, metric)
    text = _pct(paper_effect(part, variant, metric))
    if basis is None or basis == metric.paper[0]:
        return text
    return f"{text}†" if brief else f"{text} ({basis.removeprefix('fid_')} runs)"


def values_by_variant(runs: list[dict], metric: Metric) -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = {}
    for run in runs:
        out.setdefault(run["variant"], {})[run["seed"]] = metric.value(run)
    return out


def comparisons(runs: list[dict], part: str) -> pd.DataFrame:
    """One row per (metric, variant): mean [CI] over seeds, paired difference to vanilla [CI], verdict."""
    rows = []
    for metric in METRICS[part]:
        values = values_by_variant(runs, metric)
        for variant in plan.PARTS[part].variants:
            v = values.get(variant, {})
            row: dict[str, Any] = {"metric": metric.name, "variant": variant, "seeds": len(v)}
            if len(v) >= 2:
                ci = mean_ci(list(v.values()))
                row.update(mean=ci.mean, low=ci.low, high=ci.high)
            effect = paper_effect(part, variant, metric)
            row["paper effect"] = effect
            row["paper Δ"] = paper_effect_text(part, variant, metric)
            if variant != "vanilla" and len(set(v) & set(values.get("vanilla", {}))) >= 2:
                p = paired(values, variant)
                row.update(
                    diff=p.difference.mean,
                    diff_low=p.difference.low,
                    diff_high=p.difference.high,
                    rel=p.relative.mean,
                    rel_low=p.relative.low,
                    rel_high=p.relative.high,
                )
                if effect == 0:  # the paper's own numbers show no change: no direction to test
                    row["verdict"] = "– (paper: no change)"
                elif effect is not None:
                    row["verdict"] = verdict(p.relative, effect)
            rows.append(row)
    return pd.DataFrame(rows)


def headline(runs_by_part: dict[str, list[dict]]) -> dict[str, Any]:
    """The verdict on the paper's main claim (SPAP c2f lowers FID) with the numbers that decide it."""
    part, variant, metric_name = HEADLINE
    table = comparisons(runs_by_part.get(part, []), part)
    row = table[(table.metric == metric_name) & (table.variant == variant)]
    if row.empty or "verdict" not in row or pd.isna(row.iloc[0].get("verdict")):
        runs = runs_by_part.get(part, [])
        seeds = {v: {r["seed"] for r in runs if r["variant"] == v} for v in (variant, "vanilla")}
        pairs = len(seeds[variant] & seeds["vanilla"])
        return {
            "verdict": "not yet measured",
            "sentence": (
                f"Not measured yet: the study has archived {len(runs)} of its {len(plan.study_plan(part))} "
                f"{part} runs, {pairs} paired seed(s) of SPAP coarse-to-fine and vanilla; a verdict needs two "
                "or more (python -m spap_lib study run --resume adds the rest)."
            ),
        }
    r = row.iloc[0]
    planned = len(plan.PARTS[part].seeds)
    sentence = (
        f"SPAP (coarse-to-fine) against the vanilla SNDCGAN over {int(r.seeds)} paired seeds: FID "
        f"{r.rel * 100:+.1f}% (95% CI {r.rel_low * 100:+.1f}% to {r.rel_high * 100:+.1f}%) where the paper "
        f"reports {r['paper effect'] * 100:+.1f}% -- {r.verdict}."
    )
    if int(r.seeds) < planned:  # the verdict of the seeds so far; more seeds narrow the interval
        sentence += (
            f" Provisional: {int(r.seeds)} of the {planned} planned seeds are archived "
            "(python -m spap_lib study run adds the rest)."
        )
    return {
        "verdict": r.verdict,
        "sentence": sentence,
        "rel": r.rel,
        "rel_low": r.rel_low,
        "rel_high": r.rel_high,
        "paper": r["paper effect"],
        "seeds": int(r.seeds),
    }


def power_analysis(runs: list[dict], part: str = "synthesis") -> dict[str, Any]:
    """The seed count from the pilot (vanilla seeds) and, once paired runs exist, the achieved power.

    Before pairs exist, paired differences are assumed no more correlated than independent runs:
    sd_diff = sqrt(2) * sd_vanilla (pairing can only lower it when runs of a seed are alike).
    """
    metric = METRICS[part][0]
    values = values_by_variant(runs, metric)
    pilot = [values.get("vanilla", {})[s] for s in plan.PILOT_SEEDS if s in values.get("vanilla", {})]
    if len(pilot) < 2:
        return {}
    pilot_ci = mean_ci(pilot)
    variant = "spap_c2f"  # the headline variant in both parts
    effect_rel = paper_effect(part, variant, metric)
    effect = abs(effect_rel) * pilot_ci.mean
    sd_assumed = np.sqrt(2) * pilot_ci.sd
    out: dict[str, Any] = {
        "metric": metric.name,
        "pilot_values": pilot,
        "pilot_mean": pilot_ci.mean,
        "pilot_sd": pilot_ci.sd,
        "pilot_cv": pilot_ci.sd / pilot_ci.mean,
        "effect_rel": effect_rel,
        "effect_abs": effect,
        "sd_diff_assumed": sd_assumed,
        "seeds_needed_assumed": seeds_needed(sd_assumed, effect),
        "seeds_run": len(plan.PARTS[part].seeds),
        "power_at_seeds_run_assumed": power_at(sd_assumed, effect, len(plan.PARTS[part].seeds)),
    }
    if len(set(values.get(variant, {})) & set(values.get("vanilla", {}))) >= 2:
        p = paired(values, variant)
        out.update(
            sd_diff_observed=p.difference.sd,
            seeds_needed_observed=seeds_needed(p.difference.sd, effect),
            power_observed=power_at(p.difference.sd, effect, p.difference.n),
            correlation=_correlation(values, variant),
        )
    return out


def _correlation(values: dict[str, dict[int, float]], variant: str) -> float:
    seeds = sorted(set(values[variant]) & set(values["vanilla"]))
    if len(seeds) < 3:
        return float("nan")
    a = [values[variant][s] for s in seeds]
    b = [values["vanilla"][s] for s in seeds]
    return float(np.corrcoef(a, b)[0, 1])


FLAT_FROM = 0.8  # the criterion looks at the last 20% of training ...
FLAT_LIMIT = 0.10  # ... which must change the curve by less than 10%


def flatness(runs: list[dict], part: str) -> pd.DataFrame:
    """Per run: the curve's relative change over the last 20% of training (criterion: under ``FLAT_LIMIT``)."""
    rows = []

    def row(run: dict, metric: str, a: float, b: float) -> None:
        rows.append(
            {
                "run": run["name"],
                "variant": run["variant"],
                "seed": run["seed"],
                "curve metric": metric,
                "at 80%": a,
                "at 100%": b,
                "change": b / a - 1.0,
            }
        )

    for run in runs:
        curve = run["curve"]
        total = curve[-1]["step"]
        start = min(curve, key=lambda p: abs(p["step"] - FLAT_FROM * total))
        for metric, get in _curve_metrics(part).items():
            row(run, metric, get(start), get(curve[-1]))
        fid_points = {p["step"]: p["value"] for p in run.get("fid_curve", [])}
        if fid_points:  # version 3: FID itself at 60/80/100% of every run
            last = max(fid_points)
            row(
                run,
                "FID",
                fid_points[min(fid_points, key=lambda s: abs(s - FLAT_FROM * last))],
                fid_points[last],
            )
        if run.get("fid_at"):
            row(run, "FID", run["fid_at"]["value"], run["final"]["value"])
    return pd.DataFrame(rows)


def evaluation_noise(runs: list[dict], part: str) -> dict[str, float]:
    """Per curve metric: the median relative change between consecutive evaluations in the last 20% of
    training, over all runs -- how far the curve moves from one evaluation to the next by noise and trend
    together, the scale below which the flatness criterion cannot resolve a trend."""
    out = {}
    for metric, get in _curve_metrics(part).items():
        changes = []
        for run in runs:
            late = [get(p) for p in run["curve"] if p["step"] >= FLAT_FROM * run["curve"][-1]["step"]]
            changes += [abs(b / a - 1.0) for a, b in zip(late, late[1:])]
        out[metric] = float(np.median(changes)) if changes else float("nan")
    return out


def flatness_text(runs: list[dict], part: str) -> str:
    """The flatness criterion as a Markdown list, a line per metric: how many runs change by 10% or more
    over their last 20% (the largest change), and, for the curve metrics, their evaluation-to-evaluation
    movement."""
    flat = flatness(runs, part)
    noise = evaluation_noise(runs, part)
    parts = []
    for metric, rows in flat.groupby("curve metric", sort=False):
        over = int((rows["change"].abs() >= FLAT_LIMIT).sum())
        text = (
            f"- {metric}: {over} of {len(rows)} runs change by {FLAT_LIMIT:.0%} or more over their last 20% "
            f"(largest {rows['change'].abs().max():.1%})"
        )
        if metric in noise:
            text += (
                f"; from one evaluation to the next in that stretch it moves by {noise[metric]:.1%} (median)"
            )
        parts.append(text + ".")
    return "\n".join(parts)


def _curve_metrics(part: str) -> dict[str, Any]:
    if plan.PARTS[part].kind == "gan":
        return {"FD-synth": lambda p: p["FD-synth"]}
    if plan.PARTS[part].dataset == "streets":
        return {
            "L→P pixel acc.": lambda p: p["labels_to_photo"]["pixel_acc"],
            "P→L pixel acc.": lambda p: p["photo_to_labels"]["pixel_acc"],
        }
    return {
        "F→L PSNR": lambda p: p["facades_to_labels"]["psnr"],
        "L→F PSNR": lambda p: p["labels_to_facades"]["psnr"],
    }


def curves_figure(runs: list[dict], part: str) -> Figure:
    """Curve metric over training: median over seeds per variant, band from min to max."""
    metrics = _curve_metrics(part)
    fig = Figure(figsize=(5.0 * len(metrics), 3.4), facecolor="white")
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, (name, get) in zip(axes, metrics.items()):
        for variant in plan.PARTS[part].variants:
            curves = [r["curve"] for r in runs if r["variant"] == variant]
            if not curves:
                continue
            n = min(len(c) for c in curves)
            steps = [p["step"] for p in curves[0][:n]]
            y = np.array([[get(p) for p in c[:n]] for c in curves])
            line = ax.plot(steps, np.median(y, axis=0), label=f"{variant} ({len(curves)})", lw=1.5)
            ax.fill_between(steps, y.min(axis=0), y.max(axis=0), color=line[0].get_color(), alpha=0.15)
        freeze = plan.PARTS[part].overrides
        at = freeze.get("freeze_steps") or freeze["freeze_epochs"] * freeze["max_iters_per_epoch"]
        ax.axvline(at, color="grey", lw=0.8, ls="--")
        ax.set_xlabel("training step (dashed: pyramid starts training)")
        ax.set_title(name, fontsize=10)
        if plan.PARTS[part].kind == "gan":
            ax.set_yscale("log")
    axes[0].legend(fontsize=8, title="variant (seeds)", title_fontsize=8)
    fig.tight_layout()
    return fig


def run_hours(run: dict) -> dict[str, float]:
    """A run's time in hours. ``train``: busy training, its median step time x its steps (the wall clock also
    counts the hours a run stood paused while the machine did other work); ``train_wall``: that wall clock;
    ``eval``: scoring, by the wall clock."""
    p = run["provenance"]
    steps = plan.total_steps(config_from_dict(run["config"]))
    return {
        "train": p["median_step_s"] * steps / 3600,
        "train_wall": p["train_wall_s"] / 3600,
        "eval": p.get("eval_wall_s", 0.0) / 3600,
    }


def _core_hours(run: dict) -> float:
    h = run_hours(run)
    return (h["train"] + h["eval"]) * run["provenance"]["threads"]


def compute_spent(runs: list[dict]) -> dict[str, Any]:
    """The compute the archived runs took (:func:`run_hours`; core-hours at each run's thread count) and
    where they ran."""
    hours = [run_hours(r) for r in runs]
    provs = [r["provenance"] for r in runs]
    return {
        "runs": len(runs),
        "train_hours": sum(h["train"] for h in hours),
        "train_wall_hours": sum(h["train_wall"] for h in hours),
        "eval_hours": sum(h["eval"] for h in hours),
        "core_hours": sum(_core_hours(r) for r in runs),
        "cpu": sorted({p["cpu_model"] for p in provs}),
        "torch": sorted({p["torch"] for p in provs}),
        "commits": sorted({(p["git_commit"] or "unknown")[:12] for p in provs}),
        "first": min((p["finished_utc"] for p in provs), default=""),
        "last": max((p["finished_utc"] for p in provs), default=""),
    }


def projected_core_hours(runs: list[dict]) -> float:
    """Core-hours the whole plan takes: archived runs as measured (:func:`compute_spent`), each missing run
    as the mean of the archived runs of its (part, variant), else of its part."""
    done = {r["name"]: _core_hours(r) for r in runs}
    total = 0.0
    for spec in plan.study_plan():
        if spec.name in done:
            total += done[spec.name]
            continue
        alike = [_core_hours(r) for r in runs if r["part"] == spec.part and r["variant"] == spec.variant]
        alike = alike or [_core_hours(r) for r in runs if r["part"] == spec.part]
        total += float(np.mean(alike)) if alike else 0.0
    return total


def runs_by_part(root: str | Path = plan.ARCHIVE_ROOT) -> dict[str, list[dict]]:
    return {part: load_runs(root, part) for part in plan.PARTS}


# --- the chapter -------------------------------------------------------------------------------------------


def number_text(value: Any, fmt: str) -> str:
    """``value`` formatted for the chapter's text, or "n/a" while it cannot be computed yet."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "n/a"
    return f"{value:{fmt}}"


NBSP = "\u00a0"  # inside an interval: a narrow table column wraps before "[", never inside the brackets


def _interval(low: float, high: float, fmt: str) -> str:
    return f"[{low:{fmt}},{NBSP}{high:{fmt}}]"


def _pct(v: float | None) -> str:
    return "–" if v is None or pd.isna(v) else f"{v * 100:+.1f}%"


def display_comparisons(table: pd.DataFrame, fmt: str) -> pd.DataFrame:
    """The comparison table for reading: mean [95% CI], paired change to vanilla [95% CI], verdict."""
    out = pd.DataFrame(
        {
            "metric": table["metric"],
            "variant": table["variant"],
            "seeds": table["seeds"],
            "mean (95% CI)": [
                "–" if pd.isna(r.get("mean")) else f"{r['mean']:{fmt}} {_interval(r['low'], r['high'], fmt)}"
                for _, r in table.iterrows()
            ],
            "Δ vs vanilla (95% CI)": [
                "–"
                if pd.isna(r.get("rel"))
                else f"{_pct(r['rel'])} [{_pct(r['rel_low'])},{NBSP}{_pct(r['rel_high'])}]"
                for _, r in table.iterrows()
            ],
            "paper Δ": table["paper Δ"],
            "verdict": table.get("verdict", pd.Series(["–"] * len(table))).fillna("–"),
        }
    )
    return out.set_index(["metric", "variant"])


def samples_figure(root: str | Path, part: str, seed: int = 0) -> Figure | None:
    """The archived sample grid of each variant's seed-``seed`` run, side by side, pixels kept sharp."""
    folders = {v: Path(root) / part / f"{part}-{v}-s{seed}" for v in plan.PARTS[part].variants}
    return sample_grids_figure([(v, f / "samples.png") for v, f in folders.items()], width=3.2)


def sample_grids_figure(panels: list[tuple[str, Path]], width: float = 3.4) -> Figure | None:
    """Archived sample grids side by side, each under its title, pixels kept sharp; missing files are left out
    (None if none exists)."""
    from PIL import Image

    grids = [(title, np.asarray(Image.open(path).convert("RGB"))) for title, path in panels if path.is_file()]
    if not grids:
        return None
    fig = Figure(figsize=(width * len(grids), width + 0.2), facecolor="white")
    for i, (title, img) in enumerate(grids, 1):
        ax = fig.add_subplot(1, len(grids), i)
        ax.imshow(img, interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.tight_layout()
    return fig


def trained_attention(root: str | Path, variant: str, n: int = 4) -> dict | None:
    """Samples and attention maps of the archived trained SPAP generator (seed 0), or None."""
    from spap_lib.training import sample_attention

    G = trained_generator(root, variant)
    return None if G is None else sample_attention(G, n, seed=0)


def fid_vs_n_table(root: str | Path) -> pd.DataFrame | None:
    from spap_lib.study.archive import read_fid_vs_n

    rec = read_fid_vs_n(root)
    if rec is None:
        return None
    df = pd.DataFrame(rec["rows"])
    largest = df[df.images == "generated"].n.max()
    ref = df[(df.images == "generated") & (df.n == largest)].FID.iloc[0]
    df["FID / FID at largest n"] = df.FID / ref
    return df.rename(columns={"images": "images scored", "n": "n images"})


CLAIMS = (  # (part, variant, metric, the claim in a few words: table, variant, metric)
    ("synthesis", "spap_c2f", "FID", "T1 SPAP c2f, FID"),
    ("synthesis", "spap_f2c", "FID", "T1 SPAP f2c, FID"),
    ("synthesis", "aspp", "FID", "T1 ASPP, FID"),
    ("synthesis", "selfmod", "FID", "T1 SELF-MOD, FID"),
    ("translation", "spap_c2f", "L→F PSNR", "T3 SPAP c2f, L→F PSNR"),
    ("translation", "spap_c2f", "F→L PSNR", "T3 SPAP c2f, F→L PSNR"),
    ("synthesis64", "spap_c2f", "FID", "T1 SPAP c2f, FID 64px"),
    ("streets", "spap_c2f", "L→P pixel acc.", "T2 SPAP c2f, L→P acc."),
    ("streets", "spap_c2f", "P→L pixel acc.", "T2 SPAP c2f, P→L acc."),
)


def claims_table(runs: dict[str, list[dict]], brief: bool = False) -> pd.DataFrame:
    """The paper's claims and ours side by side: its relative change, ours with its 95% CI, the verdict.
    ``brief``: three narrow columns for the book's opening page (the interval's bounds without "%", the seeds
    in brackets after the verdict, "†" for a paper effect on best runs)."""
    tables = {part: comparisons(runs[part], part) if runs.get(part) else None for part in plan.PARTS}
    rows = []
    for part, variant, metric, claim in CLAIMS:
        t = tables[part]
        r = None if t is None else t[(t.metric == metric) & (t.variant == variant)]
        ok = r is not None and not r.empty and "rel" in r and not pd.isna(r.iloc[0].get("rel"))
        row = r.iloc[0] if ok else None
        paper = paper_effect_text(part, variant, _metric(part, metric), brief)
        verdict = row.get("verdict", "–") if ok else "not yet measured"
        if brief:
            bounds = f"[{row['rel_low'] * 100:+.1f},{NBSP}{row['rel_high'] * 100:+.1f}]" if ok else ""
            rows.append(
                {
                    "claim": claim,
                    "paper": paper,
                    "ours (95% CI)": f"{_pct(row['rel'])} {bounds}" if ok else "–",
                    "verdict": f"{verdict} ({int(row['seeds'])})" if ok else verdict,
                }
            )
            continue
        rows.append(
            {
                "claim": claim,
                "paper Δ": paper,
                "our Δ (95% CI)": (
                    f"{_pct(row['rel'])} [{_pct(row['rel_low'])},{NBSP}{_pct(row['rel_high'])}]"
                    if ok
                    else "–"
                ),
                "seeds": int(row["seeds"]) if ok else 0,
                "verdict": verdict,
            }
        )
    return pd.DataFrame(rows).set_index("claim")


def _metric(part: str, name: str) -> Metric:
    return next(m for m in METRICS[part] if m.name == name)


# --- the family of claims: corrected for testing several -------------------------------------------------

FAMILY_ALPHA = 1 - LEVEL  # family-wise error rate of the claims tested together


def family_table(runs: dict[str, list[dict]]) -> pd.DataFrame:
    """Every claim of ``CLAIMS`` with paired seeds: its per-claim verdict (95%), the paired t-test's p-value,
    Holm's adjusted p-value over the claims measured so far (m of them), and the verdict read from
    Bonferroni's simultaneous interval (level 1 - 0.05 / m), which holds for all m claims at once."""
    measured = []
    for part, variant, metric_name, claim in CLAIMS:
        metric = _metric(part, metric_name)
        values = values_by_variant(runs.get(part, []), metric)
        if len(set(values.get(variant, {})) & set(values.get("vanilla", {}))) < 2:
            continue
        measured.append((part, variant, metric, claim, values))
    m = len(measured)
    rows = []
    for part, variant, metric, claim, values in measured:
        p = paired(values, variant)
        wide = paired(values, variant, level=1 - FAMILY_ALPHA / m)
        effect = paper_effect(part, variant, metric)
        rows.append(
            {
                "claim": claim,
                "seeds": p.difference.n,
                "our Δ": p.relative.mean,
                "p": paired_p(p.difference),
                "verdict": verdict(p.relative, effect),
                "fw_low": wide.relative.low,
                "fw_high": wide.relative.high,
                "verdict, family-wise": verdict(wide.relative, effect),
            }
        )
    table = pd.DataFrame(rows)
    if m:
        table["Holm p"] = holm(table["p"].tolist())
    return table


def display_family(table: pd.DataFrame) -> pd.DataFrame:
    """The family table for reading."""
    if table.empty:
        return pd.DataFrame()
    m = len(table)
    return pd.DataFrame(
        {
            "claim": table["claim"],
            "p": [f"{p:.3f}" for p in table["p"]],
            "Holm p": [f"{p:.3f}" for p in table["Holm p"]],
            "verdict (95%)": table["verdict"],
            f"Δ, simultaneous {1 - FAMILY_ALPHA:.0%} (m = {m})": [
                f"{_pct(r['our Δ'])} [{_pct(r['fw_low'])},{NBSP}{_pct(r['fw_high'])}]"
                for _, r in table.iterrows()
            ],
            "verdict, family-wise": table["verdict, family-wise"],
        }
    ).set_index("claim")


def correction_sentence(runs: dict[str, list[dict]]) -> str:
    """Which verdicts survive the correction for testing the claims together, as one or two sentences."""
    table = family_table(runs)
    if table.empty:
        return "No claim has two paired seeds yet: nothing to correct."
    m = len(table)
    kept = table[table["verdict"] == table["verdict, family-wise"]]
    changed = table[table["verdict"] != table["verdict, family-wise"]]
    significant = table[table["Holm p"] < FAMILY_ALPHA]
    text = f"Tested together ({m} claims, family-wise 95%), {len(kept)} of {m} verdicts stand" + (
        f" and {len(changed)} weaken: " if len(changed) else "."
    )
    if len(changed):
        text += "; ".join(
            f"{r['claim']} from '{r['verdict']}' to '{r['verdict, family-wise']}'"
            for _, r in changed.iterrows()
        )
        text += "."
    smallest = table["Holm p"].min()
    if len(significant):
        names = ", ".join(significant["claim"])
        text += f" After Holm's correction the change differs from zero for {names}."
    else:
        text += (
            f" After Holm's correction no claim's change differs from zero at the 5% family-wise level "
            f"(smallest adjusted p {smallest:.3f})."
        )
    return text


# --- two scales -------------------------------------------------------------------------------------------

SCALES = (("synthesis", "16x16"), ("synthesis64", "32x32"))  # (part, the map the pyramid pools)


def relative_per_seed(runs: list[dict], metric: Metric, variant: str) -> list[float]:
    """Per paired seed, (variant - vanilla) / vanilla's mean over those seeds: the samples whose mean is the
    paired relative effect; NaN for every seed where vanilla's mean is 0 (a precision of 0: no relative
    change is defined)."""
    values = values_by_variant(runs, metric)
    seeds = sorted(set(values.get(variant, {})) & set(values.get("vanilla", {})))
    if not seeds:
        return []
    base = float(np.mean([values["vanilla"][s] for s in seeds]))
    if base == 0:
        return [float("nan")] * len(seeds)
    return [(values[variant][s] - values["vanilla"][s]) / base for s in seeds]


def scale_table(runs: dict[str, list[dict]]) -> pd.DataFrame:
    """Each effect measured at both scales (the 64 px part's variants and metrics), a row per scale."""
    rows = []
    part64 = SCALES[1][0]
    for variant in plan.PARTS[part64].variants[1:]:
        for metric in METRICS[part64]:
            for part, pooled in SCALES:
                if metric not in METRICS[part]:
                    continue
                rel = relative_per_seed(runs.get(part, []), metric, variant)
                ci = mean_ci(rel) if len(rel) >= 2 and np.all(np.isfinite(rel)) else None
                rows.append(
                    {
                        "variant": variant,
                        "metric": metric.name,
                        "image size": f"{plan.PARTS[part].image_size} px",
                        "pyramid map": pooled,
                        "seeds": len(rel),
                        "rel": None if ci is None else ci.mean,
                        "rel_low": None if ci is None else ci.low,
                        "rel_high": None if ci is None else ci.high,
                        "paper effect": paper_effect(part, variant, metric),
                    }
                )
    return pd.DataFrame(rows)


def scale_shift(
    runs: dict[str, list[dict]], variant: str = "spap_c2f", metric: str = "FID"
) -> dict[str, Any]:
    """The effect at 64 px minus the effect at 32 px (Welch interval: separate runs), and whether it moves
    toward the paper's effect: the shift's interval excludes 0 on the paper's side of the 32 px effect."""
    m = _metric(SCALES[0][0], metric)
    small = relative_per_seed(runs.get(SCALES[0][0], []), m, variant)
    large = relative_per_seed(runs.get(SCALES[1][0], []), m, variant)
    paper = paper_effect(SCALES[0][0], variant, m)
    out: dict[str, Any] = {
        "variant": variant,
        "metric": metric,
        "paper": paper,
        "seeds": (len(small), len(large)),
    }
    if len(small) < 2 or len(large) < 2:
        out["verdict"] = "not yet measured"
        return out
    shift = welch(small, large)
    at32, at64 = float(np.mean(small)), float(np.mean(large))
    toward = np.sign(paper - at32)  # the direction from our 32 px effect to the paper's
    lo, hi = sorted((toward * shift.low, toward * shift.high))
    if lo > 0:
        moved = "moves toward the paper's"
    elif hi < 0:
        moved = "moves away from the paper's"
    else:
        moved = "does not move detectably"
    out.update(
        at32=at32,
        at64=at64,
        shift=shift.mean,
        shift_low=shift.low,
        shift_high=shift.high,
        verdict=moved,
        ci64=mean_ci(large),
    )
    return out


def scale_sentence(runs: dict[str, list[dict]]) -> str:
    """Does the headline effect move toward the paper's as the pyramid's map grows? One computed sentence."""
    s = scale_shift(runs)
    label = SNDCGAN_LABELS[s["variant"]]
    if s["verdict"] == "not yet measured":
        n32, n64 = s["seeds"]
        return (
            f"Not measured yet at 64 px: {n64} paired seed(s) of {label} and vanilla are archived (two or more "
            f"are needed; `python -m spap_lib study run --part synthesis64` adds them). At 32 px: {n32}."
        )
    ci = s["ci64"]
    covers = ci.low <= s["paper"] <= ci.high
    return (
        f"{label} changes {s['metric']} by {_pct(s['at32'])} at 32 px (a 16x16 map) and by {_pct(s['at64'])} "
        f"[{_pct(ci.low)}, {_pct(ci.high)}] at 64 px (32x32); the paper reports {_pct(s['paper'])} at 128 px "
        f"(64x64). Between the two scales the effect {s['verdict']} (shift {s['shift'] * 100:+.1f} points, "
        f"95% CI {s['shift_low'] * 100:+.1f} to {s['shift_high'] * 100:+.1f}, Welch), and the 64 px interval "
        + ("includes" if covers else "excludes")
        + " the paper's effect."
        + (
            f" Provisional: {ci.n} of the {len(plan.PARTS[SCALES[1][0]].seeds)} planned seeds at 64 px."
            if ci.n < len(plan.PARTS[SCALES[1][0]].seeds)
            else ""
        )
    )


def scale_figure(runs: dict[str, list[dict]]) -> Figure:
    """Each effect with its 95% CI at 32 and at 64 px side by side, a panel per metric, the paper's effect as
    a dashed line where the paper has one."""
    table = scale_table(runs)
    metrics = list(dict.fromkeys(table["metric"])) if not table.empty else []
    fig = Figure(figsize=(2.4 * max(1, len(metrics)), 3.2), facecolor="white")
    axes = fig.subplots(1, max(1, len(metrics)), squeeze=False)[0]
    for ax, name in zip(axes, metrics):
        rows = table[table.metric == name].reset_index(drop=True)
        for i, r in rows.iterrows():
            if r["rel"] is None or pd.isna(r["rel"]):
                ax.text(i, 0, "n/a", ha="center", va="center", fontsize=8, color="grey")
                continue
            err = [[(r["rel"] - r["rel_low"]) * 100], [(r["rel_high"] - r["rel"]) * 100]]
            ax.errorbar(i, r["rel"] * 100, yerr=err, fmt="o", capsize=4, color=f"C{i}")
        paper = rows["paper effect"].iloc[0]
        if paper is not None and not pd.isna(paper):
            ax.axhline(paper * 100, color="black", ls="--", lw=1, label="paper")
            ax.legend(fontsize=7, loc="best")
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_xticks(range(len(rows)), [f"{r['image size']}\n({r['seeds']})" for _, r in rows.iterrows()])
        ax.set_xlim(-0.6, len(rows) - 0.4)
        ax.set_title(name, fontsize=10)
    axes[0].set_ylabel("Δ vs vanilla, % (95% CI)")
    fig.tight_layout()
    return fig


# --- seed-to-seed spread against the literature ----------------------------------------------------------

# sd of FID over training seeds as a share of the mean: Lucic et al. 2018 (Are GANs created equal?) report
# about 2-6% (e.g. NS GAN on CelebA 55.0 +- 3.3); studies at scale report coefficients of variation of 1-2%.
LITERATURE_CV = {"Lucic et al. 2018": (0.02, 0.06), "at scale": (0.01, 0.02)}


def seed_spread(runs: dict[str, list[dict]]) -> pd.DataFrame:
    """FID's coefficient of variation over seeds, per synthesis part and variant (sd / mean)."""
    rows = []
    for part, _ in SCALES:
        values = values_by_variant(runs.get(part, []), METRICS[part][0])
        for variant in plan.PARTS[part].variants:
            v = list(values.get(variant, {}).values())
            if len(v) < 2:
                continue
            ci = mean_ci(v)
            rows.append(
                {
                    "image size": f"{plan.PARTS[part].image_size} px",
                    "variant": variant,
                    "seeds": len(v),
                    "mean FID": ci.mean,
                    "sd": ci.sd,
                    "CV": ci.sd / ci.mean,
                }
            )
    return pd.DataFrame(rows)


def _relation(low: float, high: float, ref: tuple[float, float]) -> str:
    """Where the range [low, high] lies against the range ``ref``: above, below or overlapping."""
    return "above" if low > ref[1] else "below" if high < ref[0] else "overlapping"


def spread_sentence(runs: dict[str, list[dict]]) -> str:
    """Our seed-to-seed spread of FID against the literature's, one sentence per scale measured.

    With n seeds the sample sd is itself uncertain by about 1 / sqrt(2 (n - 1)) of its value (normal data),
    71% at two seeds, 35% at five; the sentence says so when the fewest seeds behind a CV are under five.
    """
    table = seed_spread(runs)
    if table.empty:
        return "No synthesis variant has two seeds yet."
    lucic, at_scale = LITERATURE_CV["Lucic et al. 2018"], LITERATURE_CV["at scale"]
    out = []
    for size, rows in table.groupby("image size", sort=False):
        cvs, fewest = rows["CV"], int(rows["seeds"].min())
        if len(rows) == 1:
            ours = f"{cvs.iloc[0]:.1%} for {rows.variant.iloc[0]} ({fewest} seeds)"
        else:
            vanilla = rows[rows.variant == "vanilla"]
            van = (
                f"{vanilla['CV'].iloc[0]:.1%} for vanilla ({int(vanilla['seeds'].iloc[0])} seeds) and "
                if len(vanilla)
                else ""
            )
            ours = f"{van}{cvs.min():.1%} to {cvs.max():.1%} across the {len(rows)} variants"
        caveat = (
            f" With {fewest} seeds an sd is itself uncertain by about {1 / np.sqrt(2 * (fewest - 1)):.0%} "
            "of its value, so this is a rough estimate."
            if fewest < 5
            else ""
        )
        out.append(
            f"At {size} the coefficient of variation of FID over training seeds (sd / mean) is {ours}: "
            f"{_relation(cvs.min(), cvs.max(), lucic)} the {lucic[0]:.0%} to {lucic[1]:.0%} Lucic et al. "
            f"(2018) report, and {_relation(cvs.min(), cvs.max(), at_scale)} the {at_scale[0]:.0%} to "
            f"{at_scale[1]:.0%} reported for training at scale.{caveat}"
        )
    return " ".join(out)


# --- precision / recall / density / coverage of the archived 32 px generators ---------------------------------


def prdc32_table(root: str | Path = plan.ARCHIVE_ROOT) -> pd.DataFrame | None:
    """FID and precision/recall/density/coverage of every archived 32 px generator (seed 0 per variant)."""
    from spap_lib.io import read_json

    path = Path(root) / plan.SYNTHESIS.name / "prdc.json"
    if not path.is_file():
        return None
    rows = [
        {
            "variant": r["variant"],
            "seed": r["seed"],
            "FID": r["FID"],
            **{m.name: r["prdc"][m.name] for m in PRDC_METRICS},
        }
        for r in read_json(path)["rows"]
    ]
    return pd.DataFrame(rows).set_index("variant")


# --- Table 2's segmenter: the ceiling of labels->photo ------------------------------------------------------


def segmenter_ceiling(root: str | Path = plan.ARCHIVE_ROOT) -> dict[str, Any] | None:
    """The archived study segmenter's FCN scores on the real test photos (what a perfect labels->photo
    translation would score), or None before it is trained."""
    from spap_lib.io import read_json

    path = Path(root) / plan.STREETS.name / "segmenter.json"
    return read_json(path) if path.is_file() else None


def verifications_table(root: str | Path = plan.ARCHIVE_ROOT) -> pd.DataFrame:
    """The recorded ``study verify --record`` outcomes: what was re-trained and whether it matched."""
    from spap_lib.study.archive import read_verifications

    rows = [
        {
            "run": v["name"],
            "mode": v["mode"],
            "steps": v["steps"],
            "pyramid from": v["unfreeze_step"] if v["unfreeze_step"] is not None else "–",
            "losses": v["losses_compared"],
            "identical": "yes" if v["ok"] else "NO",
            "gamma": ", ".join(f"{g:.3g}" for g in v["gammas"]) or "–",
            "date": v["finished_utc"][:10],
        }
        for v in read_verifications(root)
    ]
    return pd.DataFrame(rows)


def prdc32_sentence(table: pd.DataFrame | None) -> str:
    """What precision/recall/coverage say about the 32 px generator with the worst FID, against vanilla's."""
    if table is None or "vanilla" not in table.index or len(table) < 2:
        return (
            "Not scored yet: `python -m spap_lib study run --part synthesis` adds the job (prdc-synthesis)."
        )
    worst = table.drop(index="vanilla")["FID"].idxmax()
    w, v = table.loc[worst], table.loc["vanilla"]
    scores = (
        f"Of the seed-0 generators, {worst} has the worst FID ({w['FID']:.1f}, vanilla {v['FID']:.1f}): "
        f"precision {w['precision']:.3f} (vanilla {v['precision']:.3f}), density {w['density']:.3f} "
        f"({v['density']:.3f}), recall {w['recall']:.3f} ({v['recall']:.3f}), coverage {w['coverage']:.3f} "
        f"({v['coverage']:.3f})"
    )
    # each side's worst ratio to vanilla; a score vanilla has at 0 gives no ratio
    ratios = {
        side: [w[k] / v[k] for k in keys if v[k] > 0]
        for side, keys in (("fidelity", ("precision", "density")), ("diversity", ("recall", "coverage")))
    }
    zero = [k for k in ("precision", "density", "recall", "coverage") if not v[k] > 0]
    if not ratios["fidelity"] or not ratios["diversity"]:
        return (
            f"{scores}. Vanilla itself scores 0 on {', '.join(zero)}: at k = 5 the generated faces lie outside "
            "the real faces' neighbourhoods, so these scores cannot say whether fidelity or diversity was lost "
            "more at this scale."
        )
    lost = "diversity" if min(ratios["diversity"]) < min(ratios["fidelity"]) else "fidelity"
    other = "fidelity" if lost == "diversity" else "diversity"
    return f"{scores}: it loses more {lost} than {other} against vanilla."


def ceiling_sentence(ceiling: dict[str, Any] | None) -> str:
    """The study segmenter's scores on real photos: how far Table 2's labels->photo scores can be trusted."""
    if ceiling is None:
        return (
            "The study's segmenter is not trained yet (`python -m spap_lib study run --part streets` trains and "
            "archives it first)."
        )
    s = ceiling["real_photos"]
    c = ceiling["segmenter"]["config"]
    return (
        f"The segmenter that reads the translated photos ({c['steps']} steps, width {c['width']}, trained once on "
        f"the training photos and archived with the study) scores the {ceiling['n_pairs']} real test photos at "
        f"pixel accuracy {s['pixel_acc']:.3f}, class accuracy {s['mean_class_acc']:.3f} and class IoU "
        f"{s['mean_class_iou']:.3f}: the ceiling of any labels→photo translation here, as the paper's Table 2 "
        "row for real photos is its FCN's."
    )


def compute_by_version(runs: dict[str, list[dict]]) -> pd.DataFrame:
    """Core-hours spent per plan version's parts (:func:`compute_spent`), against each version's budget."""
    rows = []
    for label, parts, budget in (
        ("versions 1-2: Table 1 at 32 px, Table 3", ("synthesis", "translation"), 12.0),
        ("version 3: Table 1 at 64 px, Table 2", ("synthesis64", "streets"), 18.0),
    ):
        done = [r for p in parts for r in runs.get(p, [])]
        planned = sum(len(plan.study_plan(p)) for p in parts)
        spent = compute_spent(done) if done else {"core_hours": 0.0}
        rows.append(
            {
                "plan": label,
                "runs archived": f"{len(done)} of {planned}",
                "core-hours spent": round(spent["core_hours"], 1),
                "budget (core-hours)": budget,
            }
        )
    return pd.DataFrame(rows).set_index("plan")


# --- the 64 px recipe, chosen by measurement ---------------------------------------------------------------


def recipe_label(run: dict) -> str:
    """A recipe candidate in a few words: its width and steps (what the candidates differ in)."""
    c = run["config"]
    return f"width {c['width']:g}, {c['steps']:,} steps"


def recipe_candidates(root: str | Path = plan.ARCHIVE_ROOT) -> list[tuple[dict, Path, bool]]:
    """(run record, its folder, in the plan) of every 64 px recipe candidate: those kept under
    ``RECIPE_PILOTS`` and the plan's own ``synthesis64-vanilla-s0`` (the pilot of the recipe the plan holds),
    if archived."""
    name = f"{plan.SYNTHESIS_64.name}-vanilla-s0"
    chosen = [r for r in load_runs(root, plan.SYNTHESIS_64.name) if r["name"] == name]
    return [(r, folder, False) for folder, r in load_recipe_pilots(root)] + [
        (r, Path(root) / plan.SYNTHESIS_64.name / name, True) for r in chosen
    ]


def recipe_table(root: str | Path = plan.ARCHIVE_ROOT) -> pd.DataFrame | None:
    """The 64 px recipe candidates (vanilla, seed 0) side by side: FID at 60/80/100% of training, its change
    over the last 20%, precision and recall, the step time, the core-hours one run took, and whether it is the
    plan's recipe; None before any."""
    rows = []
    for run, _, chosen in recipe_candidates(root):
        fid = {round(p["step"] / run["curve"][-1]["step"], 2): p["value"] for p in run["fid_curve"]}
        prdc = run["final"].get("prdc", {})
        rows.append(
            {
                "recipe": recipe_label(run),
                "FID at 60%": fid.get(0.6, float("nan")),
                "FID at 80%": fid.get(0.8, float("nan")),
                "FID at 100%": fid.get(1.0, float("nan")),
                "change, last 20%": fid.get(1.0, float("nan")) / fid.get(0.8, float("nan")) - 1.0,
                "precision": prdc.get("precision", float("nan")),
                "recall": prdc.get("recall", float("nan")),
                "s per step": run["provenance"]["median_step_s"],
                "core hours": _core_hours(run),
                "in the plan": "yes" if chosen else "",
            }
        )
    return pd.DataFrame(rows).set_index("recipe") if rows else None


def display_recipes(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`recipe_table` as text for the chapter."""
    out = table.copy()
    for col in ("FID at 60%", "FID at 80%", "FID at 100%"):
        out[col] = out[col].map(lambda v: f"{v:.1f}")
    out["change, last 20%"] = out["change, last 20%"].map(lambda v: f"{v:+.1%}")
    for col, fmt in (("precision", ".3f"), ("recall", ".3f"), ("s per step", ".2f"), ("core hours", ".1f")):
        out[col] = out[col].map(lambda v, fmt=fmt: format(v, fmt))
    return out


def recipe_figure(root: str | Path = plan.ARCHIVE_ROOT) -> Figure | None:
    """The archived samples of every 64 px recipe candidate, side by side."""
    panels = [
        (recipe_label(run) + (" (the plan's)" if chosen else ""), folder / "samples.png")
        for run, folder, chosen in recipe_candidates(root)
    ]
    return sample_grids_figure(panels)


def recipe_sentence(root: str | Path = plan.ARCHIVE_ROOT) -> str:
    """Which 64 px recipe candidate reached the lowest final FID, whether any candidate's vanilla beat the
    32 px vanilla run of the same seed (the bar the recipe had to clear), and what the plan's pair on all its
    seeds would cost at each candidate.

    The cost is projected from measurement: the core hours of the plan's seed-0 pair (vanilla and SPAP c2f,
    both archived) scaled by each candidate's vanilla core hours over the plan's, i.e. assuming SPAP's run
    grows with the recipe as vanilla's does; before the plan's c2f run is archived there is no projection."""
    table = recipe_table(root)
    if table is None:
        return "No 64 px recipe candidate is archived yet."
    best = table["FID at 100%"].idxmin()
    chosen = table.index[table["in the plan"] == "yes"]
    ref32 = [
        r for r in load_runs(root, plan.SYNTHESIS.name) if r["name"] == f"{plan.SYNTHESIS.name}-vanilla-s0"
    ]
    text = (
        f"Of the {len(table)} recipes tried (vanilla, seed 0), {best} reached the lowest final FID, "
        f"{table.loc[best, 'FID at 100%']:.1f}"
    )
    if ref32:
        fid32 = ref32[0]["final"]["value"]
        text += (
            f" ({table.loc[best, 'FID at 100%'] / fid32 - 1:+.0%} against the 32 px vanilla run of the same seed, "
            f"{fid32:.1f}; each size is scored against real faces rendered at that size)"
        )
        beaten = table.index[table["FID at 100%"] < fid32]
        text += (
            f", so {len(beaten)} of {len(table)} clear{'s' if len(beaten) == 1 else ''} the bar of a vanilla "
            "better than at 32 px"
        )
    if not len(chosen):
        return text + ". No candidate is in the plan yet."
    text += f". The plan uses {chosen[0]}"
    pair = {r["variant"]: r for r in load_runs(root, plan.SYNTHESIS_64.name) if r["seed"] == 0}
    if {"vanilla", "spap_c2f"} <= set(pair):
        base = float(table.loc[chosen[0], "core hours"])  # the plan's vanilla-s0, as the table holds it
        pair_hours = base + _core_hours(pair["spap_c2f"])
        n = len(plan.SYNTHESIS_64.seeds)
        costs = ", ".join(
            f"{recipe} {pair_hours * table.loc[recipe, 'core hours'] / base * n:.0f}"
            for recipe in table.index
        )
        text += (
            f"; the pair (vanilla and SPAP c2f) on all {n} seeds costs, projected from the seed-0 pair's "
            f"{pair_hours:.1f} core hours, {costs} core hours"
        )
    return text + "."
