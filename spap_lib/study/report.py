"""What the study chapter shows, computed from the archive: tables with intervals, the verdict, power,
curves, samples and the attention of a trained SPAP. The notebook only glues these.

Claims tested (the paper's numbers from ``paper_tables.csv``; "effect" = relative change against vanilla):
* Table 1 (synthesis): FID of each variant against vanilla; the paper's effect is its median over runs
  (SPAP c2f 26.11 -> 20.11, -23%). The headline claim is SPAP coarse-to-fine on FID. The paper gives
  SELF-MOD's best run only (22.51), so its effect is best against best (vanilla 25.42, -11%), labelled so.
* Table 3 (translation, facades): PSNR and SSIM of both directions; the paper's effect is its single number.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from spap_lib.models import CYCLEGAN_LABELS, SNDCGAN_LABELS, build_sndcgan
from spap_lib.paper import paper_value, paper_value_or_nan
from spap_lib.study import plan as P
from spap_lib.study.archive import load_runs
from spap_lib.study.stats import mean_ci, paired, power_at, seeds_needed, verdict
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


METRICS: dict[str, tuple[Metric, ...]] = {
    "synthesis": (
        Metric("FID", ("value",), ("fid_median", "", ""), paper_fallback="fid_best"),
        Metric("KID", ("kernel_value",), None),
    ),
    "translation": tuple(
        Metric(f"{label} {m.upper()}", (direction, m), (m, direction, "facades"))
        for direction, label in (("facades_to_labels", "F→L"), ("labels_to_facades", "L→F"))
        for m in ("psnr", "ssim")
    ),
}


def _paper_row(part: str, variant: str, name: str, metric: Metric) -> tuple[str, str, str, str, str]:
    """Where the paper's ``name`` number for ``variant`` sits: (table, method, metric, direction, dataset)."""
    _, direction, dataset = metric.paper
    labels = SNDCGAN_LABELS if part == "synthesis" else CYCLEGAN_LABELS
    return P.PARTS[part].table, labels[variant], name, direction, dataset


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
        for variant in P.PARTS[part].variants:
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
                if effect is not None:
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
                f"Not measured yet: the study has archived {len(runs)} of its {len(P.study_plan(part))} "
                f"{part} runs, {pairs} paired seed(s) of SPAP coarse-to-fine and vanilla; a verdict needs two "
                "or more (python -m spap_lib study run --resume adds the rest)."
            ),
        }
    r = row.iloc[0]
    planned = len(P.PARTS[part].seeds)
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
    pilot = [values.get("vanilla", {})[s] for s in P.PILOT_SEEDS if s in values.get("vanilla", {})]
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
        "seeds_run": len(P.PARTS[part].seeds),
        "power_at_seeds_run_assumed": power_at(sd_assumed, effect, len(P.PARTS[part].seeds)),
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
    for run in runs:
        curve = run["curve"]
        total = curve[-1]["step"]
        start = min(curve, key=lambda p: abs(p["step"] - FLAT_FROM * total))
        for metric, get in _curve_metrics(part).items():
            a, b = get(start), get(curve[-1])
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
        if run.get("fid_at"):
            a, b = run["fid_at"]["value"], run["final"]["value"]
            rows.append(
                {
                    "run": run["name"],
                    "variant": run["variant"],
                    "seed": run["seed"],
                    "curve metric": "FID",
                    "at 80%": a,
                    "at 100%": b,
                    "change": b / a - 1.0,
                }
            )
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
    if part == "synthesis":
        return {"FD-synth": lambda p: p["FD-synth"]}
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
        for variant in P.PARTS[part].variants:
            curves = [r["curve"] for r in runs if r["variant"] == variant]
            if not curves:
                continue
            n = min(len(c) for c in curves)
            steps = [p["step"] for p in curves[0][:n]]
            y = np.array([[get(p) for p in c[:n]] for c in curves])
            line = ax.plot(steps, np.median(y, axis=0), label=f"{variant} ({len(curves)})", lw=1.5)
            ax.fill_between(steps, y.min(axis=0), y.max(axis=0), color=line[0].get_color(), alpha=0.15)
        freeze = P.PARTS[part].overrides
        at = freeze.get("freeze_steps") or freeze["freeze_epochs"] * freeze["max_iters_per_epoch"]
        ax.axvline(at, color="grey", lw=0.8, ls="--")
        ax.set_xlabel("training step (dashed: pyramid starts training)")
        ax.set_title(name, fontsize=10)
        if part == "synthesis":
            ax.set_yscale("log")
    axes[0].legend(fontsize=8, title="variant (seeds)", title_fontsize=8)
    fig.tight_layout()
    return fig


def run_hours(run: dict) -> dict[str, float]:
    """A run's time in hours. ``train``: busy training, its median step time x its steps (the wall clock also
    counts the hours a run stood paused while the machine did other work); ``train_wall``: that wall clock;
    ``eval``: scoring, by the wall clock."""
    p = run["provenance"]
    steps = P.total_steps(config_from_dict(run["config"]))
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
    for spec in P.study_plan():
        if spec.name in done:
            total += done[spec.name]
            continue
        alike = [_core_hours(r) for r in runs if r["part"] == spec.part and r["variant"] == spec.variant]
        alike = alike or [_core_hours(r) for r in runs if r["part"] == spec.part]
        total += float(np.mean(alike)) if alike else 0.0
    return total


def trained_generator(root: str | Path, variant: str, seed: int = 0) -> torch.nn.Module | None:
    """The archived (fp16) generator of a synthesis run, in fp32 and eval mode, or None if not archived."""
    path = Path(root) / "synthesis" / f"synthesis-{variant}-s{seed}" / "generator_fp16.pt"
    if not path.is_file():
        return None
    c = P.SYNTHESIS.overrides
    G, _ = build_sndcgan(variant, c["image_size"], c["width"])
    state = torch.load(path, map_location="cpu", weights_only=True)["G"]
    G.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    G.z_dist = "uniform"
    return G.eval()


def runs_by_part(root: str | Path = P.ARCHIVE_ROOT) -> dict[str, list[dict]]:
    return {part: load_runs(root, part) for part in P.PARTS}


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
    from PIL import Image

    grids = {}
    for variant in P.PARTS[part].variants:
        path = Path(root) / part / f"{part}-{variant}-s{seed}" / "samples.png"
        if path.is_file():
            grids[variant] = np.asarray(Image.open(path).convert("RGB"))
    if not grids:
        return None
    fig = Figure(figsize=(3.2 * len(grids), 3.4), facecolor="white")
    for i, (variant, img) in enumerate(grids.items(), 1):
        ax = fig.add_subplot(1, len(grids), i)
        ax.imshow(img, interpolation="nearest")
        ax.set_title(variant, fontsize=10)
        ax.axis("off")
    fig.tight_layout()
    return fig


def trained_attention(root: str | Path, variant: str, n: int = 4):
    """Samples and attention maps of the archived trained SPAP generator (seed 0), or None."""
    from spap_lib.metrics import to_uint8
    from spap_lib.models import capture_attention
    from spap_lib.training import sample

    G = trained_generator(root, variant)
    if G is None:
        return None
    with capture_attention(G) as maps:
        images = to_uint8(sample(G, n, seed=0))
    return {
        "images": images,
        "maps": {k.split("/")[-1]: v[0][:, 0].numpy() for k, v in maps.items()},
    }


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
)


def claims_table(runs: dict[str, list[dict]], brief: bool = False) -> pd.DataFrame:
    """The paper's claims and ours side by side: its relative change, ours with its 95% CI, the verdict.
    ``brief``: three narrow columns for the book's opening page (the interval's bounds without "%", the seeds
    in brackets after the verdict, "†" for a paper effect on best runs)."""
    tables = {part: comparisons(runs[part], part) if runs.get(part) else None for part in P.PARTS}
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
