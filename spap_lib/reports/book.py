"""What the report notebooks render: tables beside the paper's numbers, provenance, and figures.

Each function reads finished run folders (``outputs/<preset>/runs``) and returns a DataFrame, a dict of
numbers or a matplotlib figure; the notebooks only glue the results into the book's pages.
"""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from spap_lib.data import synthesize
from spap_lib.data.registry import DATASETS, dataset_spec
from spap_lib.errors import ConfigError
from spap_lib.io import read_json
from spap_lib.metrics import to_uint8
from spap_lib.models import SNDCGAN_LABELS, VARIANTS
from spap_lib.paper import paper_value
from spap_lib.reports.figures import attention_figure, curves_figure, image_grid
from spap_lib.reports.runs import (
    find_runs,
    gan_table,
    read_log,
    translation_figure,
    translation_table,
)
from spap_lib.reports.runs import read_metrics as _read_metrics
from spap_lib.training import load_config, load_generators, make_config, sample, sample_attention

__all__ = ["gan_table", "translation_table"]


def style_table1(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Table 1 formatted for reading: short two-level headers (ours / paper, best / median), distances to two
    decimals, parameters in millions to three; the caption's legend says what each column holds."""

    def num(v: float, fmt: str) -> str:
        return "–" if pd.isna(v) else f"{v:{fmt}}"

    columns = {
        ("", "seeds"): table["seeds"].map(str),
        (f"ours, {metric}", "best"): table[f"{metric} best (ours)"].map(lambda v: num(v, ".2f")),
        (f"ours, {metric}", "median"): table[f"{metric} median (ours)"].map(lambda v: num(v, ".2f")),
        ("paper, FID", "best"): table["FID best (paper)"].map(lambda v: num(v, ".2f")),
        ("paper, FID", "median"): table["FID median (paper)"].map(lambda v: num(v, ".2f")),
        ("G params (M)", "ours"): table["G params (ours)"].map(lambda v: num(v / 1e6, ".3f")),
        ("G params (M)", "paper"): table["G params (paper)"].map(lambda v: num(v / 1e6, ".3f")),
    }
    out = pd.DataFrame(columns)
    out.columns = pd.MultiIndex.from_tuples(out.columns)
    return out


def table1_numbers(table: pd.DataFrame, metric: str) -> dict:
    """The numbers the Table 1 page quotes in its text."""
    best, median = f"{metric} best (ours)", f"{metric} median (ours)"
    c2f, van = SNDCGAN_LABELS["spap_c2f"], SNDCGAN_LABELS["vanilla"]
    sentence = (
        "Ours is FID, the paper's metric: the FID Inception network (weights verified by their SHA-256, "
        "below), computed exactly as clean-fid's compute_fid in its clean mode -- on other data and at "
        "another scale, so compare the variants' ratios with the paper's, not the values."
        if metric == "FID"
        else "Ours is FD-synth, not FID: the Fréchet distance on the features of a small network we "
        "train on the synthetic data (this preset scores with it to stay fast; the cpu and paper presets "
        "use FID). Its values are not on FID's scale; compare variants with each other, not with the paper."
    )
    return {
        "metric_sentence": sentence,
        "c2f_best": float(table.loc[c2f, best]),
        "vanilla_best": float(table.loc[van, best]),
        "c2f_ratio": float(table.loc[c2f, best] / table.loc[van, best]),
        "paper_c2f_ratio": paper_value("table1", c2f, "fid_best") / paper_value("table1", van, "fid_best"),
        "max_spread": float(2 * (table[median] - table[best]).max()),
        "paper_aspp_best": paper_value("table1", SNDCGAN_LABELS["aspp"], "fid_best"),
        "paper_aspp_median": paper_value("table1", SNDCGAN_LABELS["aspp"], "fid_median"),
        "n_runs": int(table["seeds"].sum()),
        "n_seeds": int(table["seeds"].max()),
    }


def fd_facts(runs_root: str | Path) -> pd.DataFrame:
    """How Table 1's distance was computed (the same for every run, else an error): backbone, weights'
    SHA-256, images on each side, resize -- what ``metrics.json`` records beside each value."""
    records = [_read_metrics(r) for r in find_runs(runs_root, "sndcgan-")]
    if not records:
        raise ConfigError(f"no evaluated SNDCGAN runs under {runs_root}")
    keys = ("metric", "kernel_metric", "backbone", "weights_sha256", "n_generated", "n_reference", "resize")
    facts = {k: sorted({str(m.get(k, "not recorded")) for m in records}) for k in keys}
    mixed = [k for k, v in facts.items() if len(v) > 1 and k != "n_reference"]
    if mixed:
        raise ConfigError(f"runs under {runs_root} were scored differently ({mixed}): re-evaluate them")
    labels = {
        "metric": "distance",
        "kernel_metric": "kernel distance",
        "backbone": "backbone",
        "weights_sha256": "weights SHA-256",
        "n_generated": "generated images per run",
        "n_reference": "reference (training) images",
        "resize": "resize",
    }
    return pd.DataFrame({"value": [", ".join(facts[k]) for k in keys]}, index=[labels[k] for k in keys])


def provenance(runs_root: str | Path, prefix: str | tuple[str, ...], preset: str) -> pd.DataFrame:
    """Preset, training size, hardware, seeds, wall time and git commit of a group of runs."""
    prefixes = (prefix,) if isinstance(prefix, str) else prefix
    runs = [r for p in prefixes for r in find_runs(runs_root, p)]
    if not runs:
        raise ConfigError(f"no evaluated runs named {prefixes} under {runs_root}")
    summaries = [read_json(r / "summary.json") for r in runs]
    configs = [load_config(r) for r in runs]
    c = configs[0]
    if c.kind == "gan":
        size = f"{c.image_size}×{c.image_size}, width ×{c.width:g}, batch {c.batch_size}, {c.steps} steps"
        size += f" (pyramid frozen for {c.freeze_steps})"
    else:
        size = (
            f"{c.crop_size}×{c.crop_size}, ngf {c.ngf}, {c.n_blocks} blocks, "
            f"{c.n_epochs}+{c.n_epochs_decay} epochs (pyramid frozen for {c.freeze_epochs})"
        )
    commits = sorted({(s.get("git_commit") or "unknown")[:12] for s in summaries})
    rows = {
        "preset": preset,
        "training": size,
        "runs": str(len(runs)),
        "seeds": ", ".join(str(s) for s in sorted({cfg.seed for cfg in configs})),
        "device": f"{summaries[0].get('device')}, {summaries[0].get('threads')} threads "
        f"({platform.machine()})",
        "torch": str(summaries[0].get("torch")),
        "wall time, all runs (s)": f"{sum(s.get('wall_time_s', 0) for s in summaries):.0f}",
        "git commit": ", ".join(commits),
    }
    return pd.DataFrame({"value": list(rows.values())}, index=list(rows))


def _seed0_runs(runs_root: str | Path) -> dict[str, Path]:
    runs = {}
    for variant in VARIANTS:
        cands = find_runs(runs_root, f"sndcgan-{variant}-s")
        if cands:
            runs[variant] = cands[0]
    if not runs:
        raise ConfigError(f"no evaluated SNDCGAN runs under {runs_root}")
    return runs


def samples_figure(runs_root: str | Path, n: int = 6, seed: int = 0) -> Figure:
    """Figure 4: ``n`` samples of every variant, the same latent codes for all."""
    rows = {}
    for variant, run in _seed0_runs(runs_root).items():
        G = load_generators(run)["G"]
        rows[variant] = to_uint8(sample(G, n, seed=seed))
    return image_grid(rows, ncols=n)


def gan_curves_figure(runs_root: str | Path) -> Figure:
    logs = {variant: read_log(run) for variant, run in _seed0_runs(runs_root).items()}
    return curves_figure(logs, ("loss_D", "loss_G"))


def attention_maps(runs_root: str | Path, variant: str, n: int, seed: int = 0) -> dict:
    """Samples of a SPAP run and the attention maps of their generation: {"images", "maps": {fuse: (N,h,w)}}."""
    from spap_lib.reports.experiments import notebook_value

    n, seed = notebook_value("n_images", n, int), notebook_value("seed", seed, int)
    runs = find_runs(runs_root, f"sndcgan-{variant}-s{seed}")
    if not runs:
        raise ConfigError(f"no evaluated run sndcgan-{variant}-s{seed} under {runs_root}")
    return sample_attention(load_generators(runs[0])["G"], n, seed=seed)


def attention_plot(result: dict, title: str) -> Figure:
    return attention_figure(result["images"], result["maps"], title)


def attention_stats(results: dict[str, dict]) -> pd.DataFrame:
    """Mean attention and its spatial standard deviation per fuse, for each order."""
    rows = []
    for order, result in results.items():
        for i, (fuse, maps) in enumerate(result["maps"].items(), 1):
            rows.append(
                {
                    "order": order,
                    "fuse": f"{i}: {fuse}",
                    "mean α": float(maps.mean()),
                    "spatial std of α": float(maps.std(axis=(1, 2)).mean()),
                }
            )
    return pd.DataFrame(rows).set_index(["order", "fuse"]).round(3)


def style_translation(table: pd.DataFrame, directions: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Tables 2-3 formatted for reading: one row per (method, ours/paper), one column per (direction,
    metric), two decimals; ``directions`` keeps only those columns (Table 3 is shown per dataset)."""
    out = table.stack("source", future_stack=True)
    if directions is not None:
        out = out.loc[:, [c for c in out.columns if c[0] in directions]]
    out.columns = pd.MultiIndex.from_tuples(
        [(d.replace("_to_", "→").replace("_", " "), m.replace("_", " ")) for d, m in out.columns]
    )
    out = out.reindex(["ours", "paper"], level="source")
    return out.map(lambda v: "–" if pd.isna(v) else f"{v:.2f}")


def translation_numbers(table: pd.DataFrame, dataset: str) -> dict:
    """The numbers the Table 2/3 pages quote in their text."""
    from spap_lib.models import CYCLEGAN_LABELS

    c2f, van = CYCLEGAN_LABELS["spap_c2f"], CYCLEGAN_LABELS["vanilla"]
    if dataset_spec(dataset).score == "fcn":
        col = ("labels_to_photo", "pixel_acc", "ours")
        return {
            "c2f_l2p_pixel": float(table.loc[c2f, col]),
            "vanilla_l2p_pixel": float(table.loc[van, col]),
        }
    col = ("aerial_to_map", "psnr", "ours")
    return {
        "c2f_a2m_psnr": float(table.loc[c2f, col]),
        "vanilla_a2m_psnr": float(table.loc[van, col]),
    }


def segmenter_ceiling(runs_root: str | Path) -> pd.DataFrame:
    """The segmenter's scores on real test photos: the ceiling of the FCN score (the book's plan names the
    run ``segmenter-<dataset>`` after the one dataset scored by it)."""
    (dataset,) = (n for n, spec in DATASETS.items() if spec.needs_segmenter)
    m = _read_metrics(Path(runs_root) / f"segmenter-{dataset}")
    s = m["scores"]
    return pd.DataFrame(
        {"real test photos": [s["pixel_acc"], s["mean_class_acc"], s["mean_class_iou"]]},
        index=["per-pixel acc.", "per-class acc.", "class IoU"],
    ).round(3)


def translation_plot(
    runs_root: str | Path, *datasets: str, data_root: str | Path = "../data", n: int = 4
) -> Figure:
    """Figures 5-6: the vanilla and the SPAP coarse-to-fine translations of the first test pairs."""
    import matplotlib.pyplot as plt

    figs = []
    for dataset in datasets:
        for variant in ("vanilla", "spap_c2f"):
            run = Path(runs_root) / f"cyclegan-{dataset}-{variant}"
            figs.append(translation_figure(run, data_root, n))
    # stack the panels vertically into one figure
    images = []
    for f in figs:
        f.canvas.draw()
        images.append(np.asarray(f.canvas.buffer_rgba())[..., :3])
        plt.close(f)
    width = max(im.shape[1] for im in images)
    padded = [np.pad(im, ((0, 8), (0, width - im.shape[1]), (0, 0)), constant_values=255) for im in images]
    stacked = np.concatenate(padded)
    fig = plt.figure(figsize=(stacked.shape[1] / 100, stacked.shape[0] / 100), facecolor="white")
    ax = fig.add_axes([0, 0, 1, 1])
    ax.imshow(stacked)
    ax.axis("off")
    return fig


def dataset_overview(preset: str, data_root: str | Path, n_show: int = 6) -> dict:
    """The synthetic datasets of a preset: a table and one gallery figure per dataset."""
    gan = make_config("gan", preset, {"data_root": str(data_root)})
    cyc = make_config("cyclegan", preset, {"data_root": str(data_root)})
    sizes = {
        "synthesis": (gan.image_size, gan.data_n, gan.data_seed),
        "translation": (cyc.load_size, cyc.data_n, cyc.data_seed),
    }
    specs = {
        name: (f"{spec.title} (Table {spec.table[-1]})", *sizes[spec.kind]) for name, spec in DATASETS.items()
    }
    from PIL import Image

    rows, galleries = [], {}
    for name, (stands_for, size, n, seed) in specs.items():
        folder = synthesize(name, data_root, size=size, n=n, seed=seed)
        files = (
            sorted((folder / "images").glob("*.png"))
            if DATASETS[name].kind == "synthesis"
            else sorted((folder / "train").glob("*.png"))
        )
        test = sorted((folder / "test").glob("*.png")) if DATASETS[name].kind != "synthesis" else []
        rows.append(
            {
                "dataset": name,
                "stands in for": stands_for,
                "size": f"{size}×{size}",
                "train": n,
                "files": len(files) + len(test),
                "folder": folder.name,
            }
        )
        imgs = [np.asarray(Image.open(f).convert("RGB")) for f in files[:n_show]]
        if DATASETS[name].kind == "synthesis":
            galleries[name] = image_grid({name: np.stack(imgs)}, ncols=n_show)
        else:
            half = imgs[0].shape[1] // 2
            galleries[name] = image_grid(
                {"A": np.stack([i[:, :half] for i in imgs]), "B": np.stack([i[:, half:] for i in imgs])},
                ncols=n_show,
            )
    return {"table": pd.DataFrame(rows).set_index("dataset"), "galleries": galleries}


def baseline_sizes(runs_root: str | Path, dataset: str) -> dict[str, str]:
    """How much bigger the baselines' generators are than CycleGAN's (the paper: "SCAN has much bigger
    models"): at paper scale, counted from the built networks, and in this preset's runs (metrics.json)."""
    from spap_lib.models.checks import parameter_table

    paper = {(r["model"].split()[0], r["variant"]): r["params_G"] for r in parameter_table()}
    cyclegan, scan, pix2pix = (
        paper[("CycleGAN", "vanilla")],
        paper[("SCAN", "vanilla")],
        paper[("Pix2Pix", "vanilla")],
    )

    def preset_params(name: str) -> int | None:
        path = Path(runs_root) / name / "metrics.json"
        return _read_metrics(path.parent)["params_G"] if path.is_file() else None

    ours_cg, ours_scan = preset_params(f"cyclegan-{dataset}-vanilla"), preset_params(f"scan-{dataset}")
    preset = (
        f"; in this preset's runs {ours_scan:,} against {ours_cg:,} ({ours_scan / ours_cg:.2f}×)"
        if ours_cg and ours_scan
        else ""
    )
    return {
        "baseline_sizes": (
            f"SCAN's generator (one direction, both stages) has {scan:,} parameters at paper scale, "
            f"{scan / cyclegan:.2f}× CycleGAN's {cyclegan:,}{preset}; Pix2Pix's U-Net has {pix2pix:,} "
            f"({pix2pix / cyclegan:.1f}×)."
        )
    }
