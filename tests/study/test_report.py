"""The chapter's headline sentence (computed from the paired seeds, provisional until every planned seed is in)
and the paper's effect each variant is compared with."""

import warnings

import numpy as np
import pytest

from spap_lib.study import plan
from spap_lib.study.report import (
    METRICS,
    claims_table,
    comparisons,
    compute_spent,
    evaluation_noise,
    flatness_text,
    headline,
    paper_basis,
    paper_effect,
    paper_effect_text,
    projected_core_hours,
    spread_sentence,
)
from spap_lib.training.config import config_to_dict


def _run(variant: str, seed: int, fid: float) -> dict:
    return {"variant": variant, "seed": seed, "final": {"value": fid, "kernel_value": fid / 1000}}


def _runs(seeds: int) -> dict[str, list[dict]]:
    runs = [_run("vanilla", s, 200.0 + 3 * s) for s in range(seeds)]
    runs += [_run("spap_c2f", s, 150.0 + 2 * s) for s in range(seeds)]  # -25%: the paper's size, every seed
    return {"synthesis": runs, "translation": []}


def test_provisional_until_every_planned_seed_is_archived():
    planned = len(plan.PARTS["synthesis"].seeds)
    early = headline(_runs(2))
    assert early["verdict"] == "supports" and early["seeds"] == 2
    assert f"Provisional: 2 of the {planned} planned seeds" in early["sentence"]
    done = headline(_runs(planned))
    assert done["verdict"] == "supports" and "Provisional" not in done["sentence"]


def test_one_seed_gives_no_verdict():
    out = headline(_runs(1))
    assert out["verdict"] == "not yet measured" and "1 paired seed(s)" in out["sentence"]


def test_selfmod_is_compared_best_against_best_and_says_so():
    fid = METRICS["synthesis"][0]
    # the paper's Table 1 gives SELF-MOD's best run only: 22.51 against vanilla's best 25.42
    assert paper_basis("synthesis", "selfmod", fid) == "fid_best"
    assert abs(paper_effect("synthesis", "selfmod", fid) - (22.51 / 25.42 - 1)) < 1e-12
    assert paper_effect_text("synthesis", "selfmod", fid) == "-11.4% (best runs)"
    assert paper_effect_text("synthesis", "selfmod", fid, brief=True) == "-11.4%†"
    # the others keep the medians, and need no label
    assert paper_basis("synthesis", "spap_c2f", fid) == "fid_median"
    assert paper_effect_text("synthesis", "spap_c2f", fid) == "-23.0%"
    assert paper_basis("synthesis", "vanilla", fid) is None


def test_compute_counts_busy_training_not_the_hours_a_run_stood_paused():
    config = plan.RunSpec("synthesis", "vanilla", 0).config()

    def run(name: str, wall_s: float) -> dict:
        prov = {"train_wall_s": wall_s, "eval_wall_s": 360.0, "median_step_s": 0.12, "threads": 1}
        prov |= {"cpu_model": "x", "torch": "t", "git_commit": "c", "finished_utc": "u"}
        return {
            "name": name,
            "part": "synthesis",
            "variant": "vanilla",
            "config": config_to_dict(config),
            "provenance": prov,
        }

    steady, paused = run("synthesis-vanilla-s0", 720.0), run("synthesis-vanilla-s1", 720.0 + 5 * 3600)
    spent = compute_spent([steady, paused])
    busy = 0.12 * config.steps / 3600  # 0.2 h of training each
    assert abs(spent["train_hours"] - 2 * busy) < 1e-9 and abs(spent["eval_hours"] - 0.2) < 1e-9
    assert abs(spent["train_wall_hours"] - (2 * 0.2 + 5)) < 1e-9  # the pause shows on the wall clock only
    assert abs(spent["core_hours"] - 2 * (busy + 0.1)) < 1e-9
    # every planned run costs what the archived ones of its part cost on average (none archived: nothing yet)
    expected = len(plan.study_plan("synthesis")) * (busy + 0.1)
    assert abs(projected_core_hours([steady, paused]) - expected) < 1e-9


def test_translation_claims_include_the_papers_own_degradations():
    # Table 3 shows ASPP below CycleGAN on facades to labels (PSNR 7.69 vs 8.73): the verdict tests that claim
    def run(variant: str, seed: int, psnr: float) -> dict:
        scores = {"psnr": psnr, "ssim": psnr / 50}
        return {
            "variant": variant,
            "seed": seed,
            "final": {"facades_to_labels": scores, "labels_to_facades": scores},
        }

    runs = [run("vanilla", s, 6.0 + 0.1 * s) for s in range(3)] + [
        run("aspp", s, 5.0 + 0.1 * s) for s in range(3)
    ]
    t = comparisons(runs, "translation").set_index(["metric", "variant"])
    row = t.loc[("F→L PSNR", "aspp")]
    assert row["paper effect"] < 0 and row["verdict"] == "supports"  # lower, as the paper's table says


def test_brief_claims_fold_seeds_into_the_verdict_and_agree_with_the_full_table():
    runs = _runs(len(plan.PARTS["synthesis"].seeds))
    full, brief = claims_table(runs), claims_table(runs, brief=True)
    assert list(brief.columns) == ["paper", "ours (95% CI)", "verdict"]
    assert list(brief.index) == list(full.index)
    row, short = full.loc["T1 SPAP c2f, FID"], brief.loc["T1 SPAP c2f, FID"]
    assert short["verdict"] == f"{row['verdict']} ({row['seeds']})"
    assert short["ours (95% CI)"].split(" [")[0] == row["our Δ (95% CI)"].split(" [")[0]
    assert "%" not in short["ours (95% CI)"].split(" [")[1]  # the bounds in percent, without the sign
    assert brief.loc["T1 SELF-MOD, FID", "verdict"] == "not yet measured"  # no SELF-MOD runs here


def test_flatness_counts_runs_over_the_limit_and_measures_the_curves_own_movement():
    def run(name: str, fd: list[float], fid: tuple[float, float] | None = None) -> dict:
        curve = [{"step": 100 * (i + 1), "FD-synth": v} for i, v in enumerate(fd)]
        out = {
            "name": name,
            "variant": "vanilla",
            "seed": 0,
            "curve": curve,
            "final": {"value": fid and fid[1]},
        }
        return out | ({"fid_at": {"value": fid[0]}} if fid else {})

    # 10 evaluations; the last 20% (steps 800-1000) are the last three
    flat_run = run("a", [50, 40, 30, 20, 15, 12, 11, 10, 10.5, 10.2], fid=(100.0, 95.0))  # FD +2%, FID -5%
    moving = run("b", [50, 40, 30, 20, 15, 12, 11, 10, 12, 8.5])  # -15% over the stretch
    assert evaluation_noise([flat_run], "synthesis")["FD-synth"] == pytest.approx(
        np.median([0.05, abs(10.2 / 10.5 - 1)])
    )
    text = flatness_text([flat_run, moving], "synthesis").splitlines()
    assert text[0].startswith(
        "- FD-synth: 1 of 2 runs change by 10% or more over their last 20% (largest 15.0%)"
    )
    assert "from one evaluation to the next" in text[0]
    assert text[1] == "- FID: 0 of 1 runs change by 10% or more over their last 20% (largest 5.0%)."


def test_family_correction_on_the_archive_recomputes_the_independent_review():
    """The six 32 px claims: paired-t p-values 0.0086, 0.011, 0.033, 0.071, 0.12, 0.12 and a smallest Holm
    p of about 0.052, as recomputed outside the project from the archive."""
    from spap_lib.study.report import correction_sentence, family_table, runs_by_part

    runs = runs_by_part()
    runs = {part: runs[part] for part in ("synthesis", "translation")}  # the archive of plan versions 1-2
    table = family_table(runs).set_index("claim")
    assert len(table) == 6
    assert sorted(table["p"].round(2)) == pytest.approx([0.01, 0.01, 0.03, 0.07, 0.12, 0.12])
    assert table["Holm p"].min() == pytest.approx(0.0516, abs=0.001)
    assert (table["Holm p"] >= table["p"]).all()
    # the simultaneous intervals are wider: a verdict can only weaken, never flip to the other side
    weaker = {"supports": "inconclusive at this scale", "contradicts": "does not support"}
    for _, r in table.iterrows():
        assert r["verdict, family-wise"] in (
            r["verdict"],
            weaker.get(r["verdict"]),
            "inconclusive at this scale",
        )
    sentence = correction_sentence(runs)
    assert "6 claims" in sentence and "no claim's change differs from zero" in sentence


def test_scale_shift_reads_the_direction_toward_the_papers_effect():
    from spap_lib.study.report import scale_sentence, scale_shift

    def part(rel: list[float]) -> list[dict]:
        runs = [_run("vanilla", s, 200.0) for s in range(len(rel))]
        return runs + [_run("spap_c2f", s, 200.0 * (1 + r)) for s, r in enumerate(rel)]

    small = part([-0.05, -0.06, -0.04, -0.05, -0.055])
    toward = scale_shift({"synthesis": small, "synthesis64": part([-0.2, -0.22, -0.19, -0.21, -0.2])})
    assert toward["verdict"] == "moves toward the paper's" and toward["shift"] < 0
    away = scale_shift({"synthesis": small, "synthesis64": part([0.05, 0.06, 0.04, 0.05, 0.07])})
    assert away["verdict"] == "moves away from the paper's"
    same = scale_shift({"synthesis": small, "synthesis64": part([-0.1, 0.0, -0.08, 0.02, -0.04])})
    assert same["verdict"] == "does not move detectably"
    assert "Not measured yet at 64 px" in scale_sentence({"synthesis": small, "synthesis64": part([-0.1])})
    assert "excludes the paper's effect" in scale_sentence(
        {"synthesis": small, "synthesis64": part([0.05] * 5)}
    )


def test_a_paper_effect_of_no_change_gets_no_verdict():
    # Table 2: ASPP's labels->photo pixel accuracy equals CycleGAN's (0.52): no direction to test
    pixel = METRICS["streets"][0]
    assert paper_effect("streets", "aspp", pixel) == 0
    runs = []
    for s in range(3):
        for v, acc in (("vanilla", 0.5), ("aspp", 0.52 + 0.01 * s)):
            px = {"pixel_acc": acc, "mean_class_acc": acc / 2, "mean_class_iou": acc / 3}
            runs.append({"variant": v, "seed": s, "final": {"labels_to_photo": px, "photo_to_labels": px}})
    table = comparisons(runs, "streets")
    row = table[(table.metric == pixel.name) & (table.variant == "aspp")].iloc[0]
    assert row["verdict"] == "– (paper: no change)" and row["rel"] > 0


def test_prdc_sentence_names_what_the_worst_generator_lost():
    import pandas as pd

    from spap_lib.study.report import prdc32_sentence

    table = pd.DataFrame(
        {
            "FID": [230.0, 400.0, 210.0],
            "precision": [0.50, 0.45, 0.52],
            "recall": [0.30, 0.02, 0.31],
            "density": [0.40, 0.38, 0.42],
            "coverage": [0.35, 0.05, 0.36],
        },
        index=pd.Index(["vanilla", "aspp", "spap_c2f"], name="variant"),
    )
    text = prdc32_sentence(table)
    assert text.startswith("Of the seed-0 generators, aspp has the worst FID (400.0")
    assert "loses more diversity than fidelity" in text
    assert "Not scored yet" in prdc32_sentence(None)
    zero = table.copy()
    zero.loc["vanilla", ["precision", "density", "coverage"]] = 0.0  # as the archived 32 px generators score
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the chapter's page must not print a division warning
        text = prdc32_sentence(zero)
    assert "Vanilla itself scores 0 on precision, density, coverage" in text


def test_recipe_table_puts_the_kept_candidates_beside_the_chosen_pilot(tmp_path):
    """The 64 px recipe candidates: those kept under RECIPE_PILOTS and the plan's vanilla-s0, marked as the plan's."""
    import json
    import shutil
    from pathlib import Path

    from spap_lib.study.report import display_recipes, recipe_figure, recipe_table

    src = sorted(Path(plan.ARCHIVE_ROOT).glob("synthesis64*/*/run.json"))[0].parent  # any archived 64 px run
    kept = tmp_path / plan.RECIPE_PILOTS / "synthesis64-vanilla-s0-other"
    shutil.copytree(src, kept)
    record = json.loads((kept / "run.json").read_text())
    record["config"]["width"] = 0.125  # another recipe than the plan's
    (kept / "run.json").write_text(json.dumps(record))
    assert recipe_table(tmp_path / "empty") is None
    table = recipe_table(tmp_path)
    assert list(table.index) == [f"width 0.125, {record['config']['steps']:,} steps"]
    assert table["in the plan"].tolist() == [""]
    fid = {p["step"]: p["value"] for p in record["fid_curve"]}
    steps = sorted(fid)
    assert table["FID at 100%"].iloc[0] == fid[steps[-1]]
    assert table["change, last 20%"].iloc[0] == pytest.approx(fid[steps[-1]] / fid[steps[-2]] - 1)
    assert table["precision"].iloc[0] == record["final"]["prdc"]["precision"]
    assert display_recipes(table)["FID at 60%"].iloc[0] == f"{fid[steps[0]]:.1f}"
    assert recipe_figure(tmp_path) is not None


def test_recipe_sentence_checks_the_bar_and_projects_the_pairs_cost(tmp_path):
    """The sentence says how many candidates beat the 32 px vanilla run and, once the plan's seed-0 pair is
    archived, projects the pair's cost on every seed at each candidate from the measured core hours."""
    import json
    import shutil
    from pathlib import Path

    from spap_lib.study.report import _core_hours, recipe_sentence

    def copy(src: Path, dst: Path, **changes) -> dict:
        shutil.copytree(src, dst)
        record = json.loads((dst / "run.json").read_text())
        for key, value in changes.items():
            record[key] = value
        (dst / "run.json").write_text(json.dumps(record))
        return record

    archive = Path(plan.ARCHIVE_ROOT)
    v64 = archive / plan.SYNTHESIS_64.name / "synthesis64-vanilla-s0"
    v32 = archive / plan.SYNTHESIS.name / "synthesis-vanilla-s0"
    vanilla = copy(v64, tmp_path / plan.SYNTHESIS_64.name / v64.name)
    fid64 = vanilla["fid_curve"][-1]["value"]
    copy(v32, tmp_path / plan.SYNTHESIS.name / v32.name, final={"value": fid64 + 1.0})
    text = recipe_sentence(tmp_path)
    assert "so 1 of 1 clears the bar" in text
    assert "projected" not in text  # no c2f run of the plan archived: no projection
    copy(
        v64,
        tmp_path / plan.SYNTHESIS_64.name / "synthesis64-spap_c2f-s0",
        variant="spap_c2f",
        name="synthesis64-spap_c2f-s0",
    )
    text = recipe_sentence(tmp_path)
    pair = 2 * _core_hours(vanilla)
    assert (
        f"{pair:.1f} core hours, width 0.25, 6,000 steps {pair * len(plan.SYNTHESIS_64.seeds):.0f} core"
        in text
    )


def test_a_relative_change_against_a_zero_baseline_is_undefined_not_an_error():
    """A precision of 0 for vanilla (the 64 px runs) leaves the relative change undefined: NaN per seed, no
    interval in the scale table, n/a in the figure, and a NaN relative interval in the paired comparison."""
    import math

    import pandas as pd

    from spap_lib.study.report import METRICS, relative_per_seed, scale_figure, scale_table
    from spap_lib.study.stats import paired

    precision = next(m for m in METRICS["synthesis64"] if m.name == "precision")
    runs = []
    for seed in (0, 1):
        for variant, value in (("vanilla", 0.0), ("spap_c2f", 0.01 * (seed + 1))):
            runs.append(
                {
                    "part": "synthesis64",
                    "name": f"synthesis64-{variant}-s{seed}",
                    "variant": variant,
                    "seed": seed,
                    "final": {
                        "value": 100.0 + seed,
                        "kernel_value": 0.1 + seed,
                        "prdc": {k: value for k in ("precision", "recall", "density", "coverage")},
                    },
                }
            )
    rel = relative_per_seed(runs, precision, "spap_c2f")
    assert len(rel) == 2 and all(math.isnan(v) for v in rel)
    table = scale_table({"synthesis64": runs})
    row = table[(table.metric == "precision") & (table["image size"] == "64 px")].iloc[0]
    assert row["seeds"] == 2 and pd.isna(row["rel"])
    assert scale_figure({"synthesis64": runs}) is not None
    p = paired({"vanilla": {0: 0.0, 1: 0.0}, "spap_c2f": {0: 0.01, 1: 0.02}}, "spap_c2f")
    assert math.isnan(p.relative.mean) and p.difference.mean == 0.015


def test_spread_sentence_places_the_cv_against_both_references_and_flags_few_seeds():
    """CV = sd / mean over seeds: with 5 seeds a plain comparison, with 2 a rough one, and one variant is
    named rather than called a range."""
    five = {"synthesis": [_run("vanilla", s, 100.0 + 10 * (s - 2)) for s in range(5)]}  # CV 15.8%
    text = spread_sentence(five)
    assert text.startswith(
        "At 32 px the coefficient of variation of FID over training seeds (sd / mean) is 15.8%"
    )
    assert (
        "for vanilla (5 seeds): above the 2% to 6% Lucic et al. (2018) report, and above the 1% to 2%" in text
    )
    assert "rough" not in text and "across" not in text
    two = {"synthesis64": [_run("vanilla", 0, 100.0), _run("vanilla", 1, 102.0)]}  # CV 1.4%
    text = spread_sentence(two)
    assert "At 64 px" in text and "1.4% for vanilla (2 seeds): below the 2% to 6%" in text
    assert "overlapping the 1% to 2% reported for training at scale" in text
    assert "uncertain by about 71% of its value" in text
    assert (
        spread_sentence({"synthesis": [_run("vanilla", 0, 100.0)]})
        == "No synthesis variant has two seeds yet."
    )
