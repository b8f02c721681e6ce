"""spap_lib.reports.gpu_speed: the GPU benchmark's grid, its archived result checked, its tables and summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spap_lib.errors import DataError
from spap_lib.reports import gpu_speed as g
from spap_lib.reports.plan import GPU_BENCHMARK


def _row(kind, variant, precision, channels_last, compile_, ms, commit="c" * 40):
    s = ms / 1000
    projected = (
        100_000 * s / 3600
        if kind == "gan"
        else {d: 200 * n * s / 3600 for d, n in g.CYCLEGAN_ITERS_PER_EPOCH.items()}
    )
    return {
        "git_commit": commit,
        "kind": kind,
        "variant": variant,
        "precision": precision,
        "channels_last": channels_last,
        "compile": compile_,
        "steps": 50,
        "median_step_s": s,
        "images_per_s": (64 if kind == "gan" else 1) / s,
        "peak_memory_gib": 1.5,
        "wall_s": 10.0,
        "projected_paper_run_h": projected,
    }


def _result(rows):
    return {
        "device": "GPU X",
        "torch": "2.0",
        "python": "3.12",
        "git_commit": "c" * 40,
        "steps": 50,
        "warmup": 10,
        "rows": rows,
    }


def _complete():
    # every configuration: vanilla 10 ms, SPAP 20 ms; bf16 halves fp32's time, compile takes 0.8 of it,
    # channels_last changes nothing
    rows = []
    for kind, variant, precision, cl, comp in g.grid():
        ms = (10 if variant == "vanilla" else 20) * (1 if precision == "bf16" else 2) * (0.8 if comp else 1)
        rows.append(_row(kind, variant, precision, cl, comp, ms))
    return _result(rows)


def test_grid_is_every_configuration_eager_first():
    configs = g.grid()
    assert len(configs) == len(set(configs)) == 2 * 2 * 2 * 2 * 2
    compiled = [c[4] for c in configs]
    assert compiled == sorted(compiled)  # eager first: a run cut short keeps the eager rows


def test_load_checks_fields_and_configurations(tmp_path):
    path = tmp_path / "benchmark.json"
    with pytest.raises(DataError, match="no GPU benchmark at .*benchmarks/gpu.sh"):
        g.load_benchmark(path)
    path.write_text("{")
    with pytest.raises(DataError, match="is not JSON"):
        g.load_benchmark(path)
    result = _complete()
    path.write_text(json.dumps({k: v for k, v in result.items() if k != "device"}))
    with pytest.raises(DataError, match="lacks device"):
        g.load_benchmark(path)
    bad = _complete()
    del bad["rows"][3]["median_step_s"]
    path.write_text(json.dumps(bad))
    with pytest.raises(DataError, match="row 3 lacks median_step_s"):
        g.load_benchmark(path)
    bad = _complete()
    bad["rows"][0]["variant"] = "aspp"
    path.write_text(json.dumps(bad))
    with pytest.raises(DataError, match="no configuration of the benchmark"):
        g.load_benchmark(path)
    bad = _complete()
    bad["rows"].append(bad["rows"][0])
    path.write_text(json.dumps(bad))
    with pytest.raises(DataError, match="appears twice"):
        g.load_benchmark(path)
    path.write_text(json.dumps(result))
    assert g.load_benchmark(path) == result


def test_missing_and_its_words():
    result = _complete()
    assert g.missing(result) == [] and g.missing_text(result) == "none"
    result["rows"] = [r for r in result["rows"] if not (r["kind"] == "cyclegan" and r["compile"])]
    assert len(g.missing(result)) == 8
    assert "CycleGAN spap_c2f (fp32, channels_last, compiled)" in g.missing_text(result)


def test_effects_and_fastest_on_known_numbers():
    result = _complete()
    assert g.effect(result, "gan", "vanilla", "precision", "bf16", "fp32") == pytest.approx(0.5)
    assert g.effect(result, "gan", "spap_c2f", "compile") == pytest.approx(0.8)
    assert g.effect(result, "cyclegan", "vanilla", "channels_last") == pytest.approx(1.0)
    best = g.fastest(result, "gan", "spap_c2f")
    assert best["precision"] == "bf16" and best["compile"] and best["median_step_s"] == pytest.approx(0.016)
    assert g.settings_text(best) in ("bf16, compiled", "bf16, channels_last, compiled")
    result["rows"] = [r for r in result["rows"] if not r["compile"]]
    assert g.effect(result, "gan", "vanilla", "compile") is None
    assert g.fastest(_result([]), "gan", "vanilla") is None


def test_summary_and_tables():
    result = _complete()
    text = g.summary(result, "gan")
    assert "SPAP costs ×2.00 a step" in text
    assert "the paper's 100,000 steps in 0.2 h" in text  # 8 ms x 100k steps
    assert "torch.compile changes the step time by ×0.80 (vanilla), ×0.80 (spap_c2f)" in text
    assert "bf16 instead of fp32 changes the step time by ×0.50 (vanilla)" in text
    cyc = g.summary(result, "cyclegan")
    assert "Cityscapes run (200 epochs)" in cyc
    assert g.summary(_result([]), "gan").endswith("not measured.")
    table = g.step_table(result, "cyclegan")
    assert list(table.columns) == ["ms/step", "GiB", "paper run (h)"]
    assert "(2,975 training images): facades 0.13 (400), maps 0.37 (1,096)." in cyc
    assert len(table) == 16 and table.index.names == ["variant", "settings"]
    assert list(table.index[:2]) == [("vanilla", "bf16, eager"), ("vanilla", "bf16, compiled")]
    assert list(g.step_table(result, "gan").columns) == ["ms/step", "GiB", "paper run (h)"]


def test_provenance_counts_rows_per_commit():
    result = _complete()
    result["rows"][0]["git_commit"] = "d" * 40
    del result["rows"][1]["git_commit"]  # a first result's rows carry only the top-level commit
    counts = g.provenance(result)["configurations"]
    assert counts["dddddddddd"] == 1 and counts["cccccccccc"] == 31


def test_the_archived_benchmark_is_valid():
    root = Path(__file__).resolve().parents[2]
    result = g.load_benchmark(root / GPU_BENCHMARK / "benchmark.json")
    assert result["rows"] and all(r["median_step_s"] > 0 and r["peak_memory_gib"] > 0 for r in result["rows"])
    assert all(len(r.get("git_commit") or result["git_commit"]) == 40 for r in result["rows"])
