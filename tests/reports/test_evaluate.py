"""Evaluation of finished runs: metrics.json with honestly named metrics, every direction scored."""

import json
import math

import pytest

from spap_lib.data.registry import DATASETS
from spap_lib.errors import ConfigError
from spap_lib.reports.evaluate import evaluate_translation, read_metrics


def test_gan_metrics_are_named_by_backbone(smoke_runs):
    m = smoke_runs["gan"]["metrics"]
    assert m["metric"] == "FD-synth" and m["kernel_metric"] == "KD-synth"
    assert m["value"] >= 0 and math.isfinite(m["value"])
    assert m["n_generated"] == m["n_reference"] > 0
    on_disk = read_metrics(smoke_runs["runs"] / "sndcgan-spap_c2f-s0")
    assert on_disk == json.loads(json.dumps(m))
    assert "FID" not in json.dumps(on_disk)


@pytest.mark.parametrize("dataset", ["streets", "maps"])
def test_cyclegan_scores_both_directions(smoke_runs, dataset):
    m = smoke_runs[dataset]["metrics"]
    assert set(m["directions"]) == set(DATASETS[dataset].directions)
    for scores in m["directions"].values():
        if dataset == "streets":
            assert 0 <= scores["pixel_acc"] <= 1 and 0 <= scores["mean_class_iou"] <= 1
        else:
            assert scores["psnr"] > 0 and -1 <= scores["ssim"] <= 1


def test_evaluation_is_deterministic(smoke_runs):
    run = smoke_runs["runs"] / "cyclegan-maps-spap_c2f"
    again = evaluate_translation(run, data_root=smoke_runs["data"], preset="smoke")
    assert again == smoke_runs["maps"]["metrics"]


def test_wrong_kind_is_a_clear_error(smoke_runs):
    with pytest.raises(ConfigError, match="gan run: use evaluate_gan"):
        evaluate_translation(smoke_runs["runs"] / "sndcgan-spap_c2f-s0", smoke_runs["data"])
    with pytest.raises(ConfigError, match="metrics.json"):
        read_metrics(smoke_runs["runs"] / "nope")
