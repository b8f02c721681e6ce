"""Trainers of the baselines: SELF-MOD (the SNDCGAN recipe with variant ``selfmod``), Pix2Pix and SCAN --
configs and presets, one-line errors, smoke runs, exact resume, SCAN's progressive protocol."""

import json

import pytest
import torch
from tiny_data import TinyPairs

from spap_lib.cli import main
from spap_lib.errors import ConfigError
from spap_lib.models import SCANGenerator, SelfModulatedBatchNorm, SNDCGANGenerator, UnetGenerator
from spap_lib.training import (
    Pix2PixConfig,
    SCANConfig,
    linear_decay_factor,
    load_generators,
    make_config,
    sample,
    train,
)
from spap_lib.training.data import build_dataset
from spap_lib.training.rundir import load_checkpoint
from spap_lib.training.runtime import init_weights
from spap_lib.training.scan import STAGE_NETS

NETS = {
    "gan": ("G", "D"),
    "pix2pix": ("G", "D"),
    "scan": STAGE_NETS[1] + STAGE_NETS[2],
}


@pytest.fixture
def scan_pairs() -> TinyPairs:
    return TinyPairs(size=64)  # the scan smoke preset's crop (stage 1 at 32 px)


def _weights(run, kind):
    ckpt = load_checkpoint(run / "checkpoints/last.pt")
    return {f"{n}.{k}": v for n in NETS[kind] for k, v in ckpt[n].items()}, ckpt


def _log(run):
    return [
        {k: v for k, v in json.loads(ln).items() if k != "step_s"}
        for ln in (run / "log.jsonl").read_text().splitlines()
    ]


# --- configs -------------------------------------------------------------------------------------------------


def test_paper_presets_are_the_reference_recipes():
    p = make_config("pix2pix", "paper")
    assert isinstance(p, Pix2PixConfig) and p.variant == "vanilla"
    assert (p.lr, p.beta1, p.beta2, p.batch_size) == (2e-4, 0.5, 0.999, 1)
    assert (p.n_epochs, p.n_epochs_decay, p.gan_mode, p.lambda_l1) == (100, 100, "bce", 100.0)
    assert (p.load_size, p.crop_size, p.ngf, p.ndf, p.n_layers, p.direction) == (286, 256, 64, 64, 3, "AtoB")
    s = make_config("scan", "paper")
    assert isinstance(s, SCANConfig)
    assert (s.stage1_n_epochs, s.stage1_n_epochs_decay, s.n_epochs, s.n_epochs_decay) == (100, 100, 100, 100)
    assert (s.lambda_cyc, s.lambda_identity, s.pool_size, s.gan_mode, s.lr) == (10.0, 0.5, 50, "lsgan", 2e-4)
    assert (s.crop_size, s.n_blocks, s.stage1_n_blocks, s.batch_size) == (256, 9, 6, 1)


@pytest.mark.parametrize("preset", ["cpu", "smoke"])
def test_cpu_and_smoke_presets_mirror_the_cyclegan_ones(preset):
    c, p, s = (make_config(k, preset) for k in ("cyclegan", "pix2pix", "scan"))
    assert (p.crop_size, p.ngf, p.ndf, p.max_iters_per_epoch) == (
        c.crop_size,
        c.ngf,
        c.ndf,
        c.max_iters_per_epoch,
    )
    assert p.n_epochs + p.n_epochs_decay == c.n_epochs + c.n_epochs_decay
    total = s.stage1_n_epochs + s.stage1_n_epochs_decay + s.n_epochs + s.n_epochs_decay
    assert total == c.n_epochs + c.n_epochs_decay  # the cyclegan run, split in two stages
    assert s.crop_size == max(c.crop_size, 64)  # the stage-1 PatchGAN needs >= 24 px
    for cfg in (p, s):
        assert cfg.device == "cpu" and cfg.precision == "fp32"


@pytest.mark.parametrize(
    "kind, overrides, words",
    [
        ("cyclegan", {"variant": "selfmod"}, "variant 'selfmod' exists only for gan, not for cyclegan"),
        ("pix2pix", {"variant": "spap_c2f"}, "not for pix2pix: choose one of vanilla"),
        ("scan", {"variant": "aspp"}, "not for scan"),
        ("gan", {"variant": "self_mod"}, "unknown variant"),
        ("pix2pix", {"crop_size": 48, "load_size": 64}, "power of two"),
        ("pix2pix", {"crop_size": 16, "load_size": 16}, "power of two"),
        ("pix2pix", {"n_layers": 5}, "fewer n_layers"),
        ("pix2pix", {"lambda_l1": -1}, "lambda_l1 must be >= 0"),
        ("pix2pix", {"dataset": "faces"}, "unknown translation dataset"),
        ("pix2pix", {"direction": "both"}, "direction must be one of AtoB, BtoA"),
        ("scan", {"crop_size": 36, "load_size": 64}, "divisible by 8"),
        ("scan", {"crop_size": 40, "load_size": 64}, "no output"),
        (
            "scan",
            {"stage1_n_epochs": 0, "stage1_n_epochs_decay": 0},
            "stage1_n_epochs + stage1_n_epochs_decay",
        ),
        ("scan", {"stage1_n_blocks": 0}, "stage1_n_blocks must be >= 1"),
        ("scan", {"lambda_l1": 10}, "unknown scan config key"),
    ],
)
def test_bad_configs_give_one_line_errors(kind, overrides, words):
    with pytest.raises(ConfigError) as err:
        make_config(kind, "smoke", overrides)
    assert words in str(err.value)
    assert "\n" not in str(err.value)


def test_selfmod_config_and_roundtrip():
    from spap_lib.training import config_from_dict
    from spap_lib.training.config import config_to_dict

    for kind, overrides in (
        ("gan", {"variant": "selfmod"}),
        ("pix2pix", {"direction": "BtoA"}),
        ("scan", {}),
    ):
        c = make_config(kind, "cpu", overrides)
        assert config_from_dict(json.loads(json.dumps(config_to_dict(c)))) == c


# --- SELF-MOD --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("paired", [None, 7])
def test_init_weights_keeps_the_scale_bias_at_one(paired):
    g = SNDCGANGenerator("selfmod", 16, 1 / 16)
    init_weights(g, 0.02, paired, prefix="G/")
    mods = [m for m in g.modules() if isinstance(m, SelfModulatedBatchNorm)]
    assert len(mods) == 4
    for m in mods:
        assert torch.equal(m.gamma.bias, torch.ones_like(m.gamma.bias))
        assert torch.equal(m.beta.bias, torch.zeros_like(m.beta.bias))
        assert torch.equal(m.hidden.bias, torch.zeros_like(m.hidden.bias))
        w = m.gamma.parametrizations.weight.original.detach()  # N(0, 0.02) as every other linear
        assert abs(float(w.std()) - 0.02) < 0.005 and abs(float(w.mean())) < 0.005


def test_selfmod_smoke_run_and_exact_resume(tmp_path, faces):
    config = make_config("gan", "smoke", {"variant": "selfmod", "checkpoint_every": 100})
    straight = train(config, tmp_path / "a", dataset=faces)
    split = train(config, tmp_path / "b", dataset=faces, until_step=3)
    assert _weights(split, "gan")[1]["step"] == 3
    train(config, split, dataset=faces)
    wa, _ = _weights(straight, "gan")
    wb, _ = _weights(split, "gan")
    assert wa.keys() == wb.keys() and any(".gamma." in k for k in wa)
    assert all(torch.equal(wa[k], wb[k]) for k in wa), [k for k in wa if not torch.equal(wa[k], wb[k])]
    assert _log(straight) == _log(split) and len(_log(straight)) == 6
    G = load_generators(straight)["G"]
    assert isinstance(G.bn0, SelfModulatedBatchNorm)
    x = sample(G, 4, seed=1)
    assert x.shape == (4, 3, 16, 16) and torch.equal(x, sample(G, 4, seed=1))


# --- Pix2Pix ---------------------------------------------------------------------------------------------------


def test_pix2pix_smoke_run_writes_everything(tmp_path, pairs):
    run = train(make_config("pix2pix", "smoke"), tmp_path / "r", dataset=pairs)
    log = _log(run)
    assert [r["epoch"] for r in log] == [0, 0, 1, 1, 2, 2, 3, 3]  # 2 + 2 epochs of 2 iterations
    for r in log:
        assert r["lr"] == pytest.approx(2e-4 * linear_decay_factor(r["epoch"], 2, 2))
        assert r["loss_G"] == pytest.approx(r["loss_G_gan"] + r["loss_G_l1"], abs=1e-5)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["kind"] == "pix2pix" and summary["steps"] == 8 and list((run / "samples").glob("*.png"))
    gens = load_generators(run)
    assert set(gens) == {"G"} and isinstance(gens["G"], UnetGenerator) and not gens["G"].training
    with torch.no_grad():
        assert gens["G"](pairs[0]["A"][None]).shape == (1, 3, 32, 32)


def test_pix2pix_resume_is_bit_exact(tmp_path, pairs):
    config = make_config("pix2pix", "smoke", {"checkpoint_every": 100})
    straight = train(config, tmp_path / "a", dataset=pairs)
    split = train(config, tmp_path / "b", dataset=pairs, until_step=4)
    assert _weights(split, "pix2pix")[1]["step"] == 4
    train(config, split, dataset=pairs)
    wa, ca = _weights(straight, "pix2pix")
    wb, cb = _weights(split, "pix2pix")
    assert wa.keys() == wb.keys() and any("running_mean" in k for k in wa)  # BN statistics included
    assert all(torch.equal(wa[k], wb[k]) for k in wa), [k for k in wa if not torch.equal(wa[k], wb[k])]
    assert ca["step"] == cb["step"] == 8
    assert _log(straight) == _log(split)
    assert json.loads((split / "summary.json").read_text())["resumed_at_step"] == 4


def test_pix2pix_direction_swaps_the_aligned_halves(tmp_path):
    root = str(tmp_path / "data")
    ab, ba = (
        build_dataset(make_config("pix2pix", "smoke", {"data_root": root, "direction": d}))
        for d in ("AtoB", "BtoA")
    )
    assert len(ab) == len(ba) == 16
    for i in (0, 5):
        assert torch.equal(ab[i]["A"], ba[i]["B"]) and torch.equal(ab[i]["B"], ba[i]["A"])
        assert ab[i]["A"].shape == (3, 32, 32)


def test_cli_trains_pix2pix_in_the_chosen_direction(tmp_path, capsys):
    argv = ["train", "pix2pix", "--preset", "smoke", "--direction", "BtoA", "--quiet"]
    argv += ["--run-dir", str(tmp_path / "run"), "--set", f"data_root={tmp_path / 'data'}"]
    assert main(argv) == 0
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert (saved["kind"], saved["direction"]) == ("pix2pix", "BtoA")
    assert main(["train", "scan", "--preset", "smoke", "--dataset", "maps", "--show-config"]) == 0
    assert "stage1_n_epochs = 1" in capsys.readouterr().out


# --- SCAN ------------------------------------------------------------------------------------------------------


def test_scan_smoke_run_trains_stage_1_then_stage_2(tmp_path, scan_pairs):
    run = train(make_config("scan", "smoke"), tmp_path / "r", dataset=scan_pairs)
    log = _log(run)
    # smoke: stage 1 for 1 + 1 epochs, stage 2 for 1 + 1 epochs, 2 iterations each; lr per stage schedule
    assert [r["stage"] for r in log] == [1] * 4 + [2] * 4
    assert [r["epoch"] for r in log] == [0, 0, 1, 1, 2, 2, 3, 3]
    for r in log:
        stage_epoch = r["epoch"] - (0 if r["stage"] == 1 else 2)
        assert r["lr"] == pytest.approx(2e-4 * linear_decay_factor(stage_epoch, 1, 1))
        assert ("mask_mean" in r) == (r["stage"] == 2)
        assert r["stage"] == 1 or 0 <= r["mask_mean"] <= 1
    summary = json.loads((run / "summary.json").read_text())
    assert summary["kind"] == "scan" and summary["stage2_from_step"] == 4 and summary["steps"] == 8
    gens = load_generators(run)
    assert set(gens) == {"G_AB", "G_BA"} and all(isinstance(g, SCANGenerator) for g in gens.values())
    ckpt = load_checkpoint(run / "checkpoints/last.pt")
    assert all(torch.equal(v, ckpt["G1_AB"][k]) for k, v in gens["G_AB"].stage1.state_dict().items())
    assert all(torch.equal(v, ckpt["G2_BA"][k]) for k, v in gens["G_BA"].stage2.state_dict().items())
    with torch.no_grad():
        out, mask = gens["G_AB"](scan_pairs[0]["A"][None], return_mask=True)
    assert out.shape == (1, 3, 64, 64) and mask.min() >= 0 and mask.max() <= 1


@pytest.mark.parametrize("until", [4, 6])  # at the stage switch (N of 2N) and inside stage 2
def test_scan_resume_is_bit_exact(tmp_path, scan_pairs, until):
    config = make_config("scan", "smoke", {"checkpoint_every": 100})
    straight = train(config, tmp_path / "a", dataset=scan_pairs)
    split = train(config, tmp_path / "b", dataset=scan_pairs, until_step=until)
    assert _weights(split, "scan")[1]["step"] == until
    train(config, split, dataset=scan_pairs)
    wa, ca = _weights(straight, "scan")
    wb, cb = _weights(split, "scan")
    assert wa.keys() == wb.keys()
    assert all(torch.equal(wa[k], wb[k]) for k in wa), [k for k in wa if not torch.equal(wa[k], wb[k])]
    assert ca["step"] == cb["step"] == 8
    assert _log(straight) == _log(split)


def test_scan_stage_1_is_fixed_during_stage_2_and_stage_2_waits(tmp_path, scan_pairs):
    config = make_config("scan", "smoke", {"checkpoint_every": 100})
    run = tmp_path / "r"
    snaps = []
    for until in (0, 4, None):  # init, the switch, the end
        train(config, run, dataset=scan_pairs, until_step=until)
        snaps.append(load_checkpoint(run / "checkpoints/last.pt"))

    def same(a, b, name):
        return all(torch.equal(a[name][k], b[name][k]) for k in a[name])

    for name in STAGE_NETS[1]:
        assert not same(snaps[0], snaps[1], name), name  # stage 1 trains first ...
        assert same(snaps[1], snaps[2], name), name  # ... and is bit-unchanged during stage 2
    for name in STAGE_NETS[2]:
        assert same(snaps[0], snaps[1], name), name  # stage 2 waits ...
        assert not same(snaps[1], snaps[2], name), name  # ... then trains
