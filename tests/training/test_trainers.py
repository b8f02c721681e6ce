import json
import math

import pytest
import torch
from tiny_data import TinyFaces

from spap_lib.models import VARIANTS, pyramid_parameters
from spap_lib.training import (
    NonFiniteLoss,
    linear_decay_factor,
    load_generators,
    make_config,
    sample,
    train_cyclegan,
    train_gan,
)
from spap_lib.training.cyclegan import build_networks
from spap_lib.training.rundir import load_checkpoint

NETS = {"gan": ("G", "D"), "cyclegan": ("G_AB", "G_BA", "D_A", "D_B")}


def _files_ok(run, kind):
    for name in ("config.json", "log.jsonl", "summary.json", "checkpoints/last.pt"):
        assert (run / name).is_file(), name
    assert list((run / "samples").glob("*.png"))
    assert json.loads((run / "config.json").read_text())["kind"] == kind
    log = [json.loads(ln) for ln in (run / "log.jsonl").read_text().splitlines()]
    assert log and all(math.isfinite(v) for r in log for k, v in r.items() if k.startswith("loss"))
    summary = json.loads((run / "summary.json").read_text())
    for key in ("final_losses", "steps", "wall_time_s", "seconds_per_step", "torch", "device"):
        assert key in summary
    assert all(math.isfinite(v) for v in summary["final_losses"].values())
    return log, summary


@pytest.mark.parametrize("variant", VARIANTS)
def test_gan_smoke_run_writes_everything(tmp_path, faces, variant):
    run = train_gan(make_config("gan", "smoke", {"variant": variant}), tmp_path / "r", dataset=faces)
    log, summary = _files_ok(run, "gan")
    assert summary["steps"] == 6 and [r["step"] for r in log] == list(range(1, 7))
    assert [r["pyramid_trainable"] for r in log] == [False] * 3 + [True] * 3
    G = load_generators(run)["G"]
    assert not G.training
    x = sample(G, 5, seed=3)
    assert x.shape == (5, 3, 16, 16) and x.abs().max() <= 1
    assert torch.equal(x, sample(G, 5, seed=3))


@pytest.mark.parametrize("variant", VARIANTS)
def test_cyclegan_smoke_run_writes_everything(tmp_path, pairs, variant):
    config = make_config("cyclegan", "smoke", {"variant": variant})
    run = train_cyclegan(config, tmp_path / "r", dataset=pairs)
    log, summary = _files_ok(run, "cyclegan")
    # smoke: 2 + 2 epochs of 2 iterations; lr follows the reference lambda_rule per epoch
    for r in log:
        assert r["lr"] == pytest.approx(2e-4 * linear_decay_factor(r["epoch"], 2, 2))
        assert r["pyramid_trainable"] == (r["epoch"] >= 2)
    assert [r["epoch"] for r in log] == [0, 0, 1, 1, 2, 2, 3, 3]
    gens = load_generators(run)
    assert set(gens) == {"G_AB", "G_BA"}
    with torch.no_grad():
        assert gens["G_AB"](pairs[0]["A"][None]).shape == (1, 3, 32, 32)


def _weights(path, kind):
    ckpt = load_checkpoint(path / "checkpoints/last.pt")
    return {f"{n}.{k}": v for n in NETS[kind] for k, v in ckpt[n].items()}, ckpt


@pytest.mark.parametrize("kind", ["gan", "cyclegan"])
def test_resume_is_bit_exact(tmp_path, faces, pairs, kind):
    # N = 3 steps, then resume for 3 more; the pyramid switches on at step 3 (the resume point)
    train = train_gan if kind == "gan" else train_cyclegan
    data = faces if kind == "gan" else pairs
    config = make_config(kind, "smoke", {"variant": "spap_c2f", "checkpoint_every": 100})
    straight = train(config, tmp_path / "a", dataset=data)
    split = train(config, tmp_path / "b", dataset=data, until_step=3)
    assert not (split / "summary.json").exists()
    assert _weights(split, kind)[1]["step"] == 3
    train(config, split, dataset=data)
    wa, ca = _weights(straight, kind)
    wb, cb = _weights(split, kind)
    assert wa.keys() == wb.keys()
    assert all(torch.equal(wa[k], wb[k]) for k in wa), [k for k in wa if not torch.equal(wa[k], wb[k])]
    assert ca["step"] == cb["step"] == 6 if kind == "gan" else 8

    def losses(run):
        return [
            {k: v for k, v in json.loads(ln).items() if k != "step_s"}
            for ln in (run / "log.jsonl").read_text().splitlines()
        ]

    assert losses(straight) == losses(split)
    assert json.loads((split / "summary.json").read_text())["resumed_at_step"] == 3
    # a finished run returns at once and changes nothing
    before = (split / "checkpoints/last.pt").stat().st_mtime_ns
    train(config, split, dataset=data)
    assert (split / "checkpoints/last.pt").stat().st_mtime_ns == before


def test_resume_with_a_different_recipe_is_refused(tmp_path, faces):
    config = make_config("gan", "smoke")
    train_gan(config, tmp_path, dataset=faces, until_step=2)
    with pytest.raises(Exception, match="lr_d"):
        train_gan(make_config("gan", "smoke", {"lr_d": 1e-3}), tmp_path, dataset=faces)


def _pyramid_names(module):
    ids = {id(p) for p in pyramid_parameters(module)}
    return {n for n, p in module.named_parameters() if id(p) in ids}


@pytest.mark.parametrize("kind", ["gan", "cyclegan"])
def test_freeze_schedule(tmp_path, faces, pairs, kind):
    train = train_gan if kind == "gan" else train_cyclegan
    data = faces if kind == "gan" else pairs
    switch = 3 if kind == "gan" else 4  # gan: freeze_steps 3; cyclegan: 2 epochs of 2 iterations
    config = make_config(kind, "smoke", {"variant": "spap_f2c", "checkpoint_every": 100})
    run = tmp_path / "r"
    snaps = []
    for until in (0, switch, None):
        train(config, run, dataset=data, until_step=until)
        snaps.append(_weights(run, kind)[0])
    if kind == "gan":
        from spap_lib.models import build_sndcgan

        nets = dict(zip(("G", "D"), build_sndcgan("spap_f2c", 16, 1 / 16)))
    else:
        nets = build_networks(config)
    frozen = {f"{n}.{k}" for n, m in nets.items() for k in _pyramid_names(m)}
    frozen = {
        k if k in snaps[0] else k.replace(".weight", ".parametrizations.weight.original") for k in frozen
    }
    assert frozen and frozen <= snaps[0].keys()
    others = [k for k in snaps[0] if k not in frozen and "running" not in k and "_u" not in k]
    for k in frozen:  # unchanged before the switch
        assert torch.equal(snaps[0][k], snaps[1][k]), k
    assert any(not torch.equal(snaps[0][k], snaps[1][k]) for k in others)
    changed = [k for k in frozen if not torch.equal(snaps[1][k], snaps[2][k])]
    assert any(".atrous." in k or "pyramid" in k for k in changed)
    assert any(k.startswith(("G.", "G_AB.", "G_BA.")) for k in changed)  # SPAP (gamma first)


def test_nan_loss_stops_with_step_and_loss_keeping_checkpoint(tmp_path):
    class Poisoned(TinyFaces):
        def __getitem__(self, i):
            return torch.full_like(self.x[i], float("nan")) if self.poison else self.x[i]

    data = Poisoned()
    data.poison = False
    config = make_config("gan", "smoke", {"checkpoint_every": 2})
    train_gan(config, tmp_path, dataset=data, until_step=2)
    data.poison = True
    with pytest.raises(NonFiniteLoss, match=r"loss_D = nan at step 3") as err:
        train_gan(config, tmp_path, dataset=data)
    assert "\n" not in str(err.value) and "last.pt" in str(err.value)
    assert load_checkpoint(tmp_path / "checkpoints/last.pt")["step"] == 2
    assert not (tmp_path / "summary.json").exists()


def test_nan_loss_at_step_1_names_no_checkpoint(tmp_path):
    class Poisoned(TinyFaces):
        def __getitem__(self, i):
            return torch.full_like(self.x[i], float("nan"))

    with pytest.raises(
        NonFiniteLoss, match=r"at step 1: training stopped; no checkpoint was written yet"
    ) as err:
        train_gan(make_config("gan", "smoke", {}), tmp_path, dataset=Poisoned())
    assert "last good checkpoint" not in str(err.value) and not (tmp_path / "checkpoints/last.pt").exists()


def test_presets_train_on_the_synthetic_data_package(tmp_path):
    config = make_config("gan", "smoke", {"data_root": str(tmp_path / "data"), "steps": 2})
    run = train_gan(config, tmp_path / "run")
    assert (run / "summary.json").exists()
    assert (tmp_path / "data" / "synth").is_dir()  # the cache lives under data_root, not the run


def test_checkpoint_of_another_network_is_one_line(tmp_path, faces):
    from spap_lib.errors import DataError
    from spap_lib.training import load_generators

    config = make_config("gan", "smoke", {"variant": "vanilla", "progress": False})
    run = train_gan(config, tmp_path / "r", dataset=faces)
    cfg = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**cfg, "variant": "spap_c2f"}))
    with pytest.raises(DataError, match="does not fit the G") as err:
        load_generators(run)
    assert "\n" not in str(err.value)


def test_generators_from_an_fp16_copy_equal_the_checkpoints_to_fp16(tmp_path, faces):
    """One loader for a run's checkpoint and for an archived fp16 copy of its weights: the copy's generator
    draws what the checkpoint's draws to fp16 precision, z drawn as the run was trained (its z_dist)."""
    from spap_lib.errors import DataError
    from spap_lib.training import generators_from_states, load_config, load_generators, sample

    config = make_config("gan", "smoke", {"variant": "spap_c2f", "progress": False, "z_dist": "normal"})
    run = train_gan(config, tmp_path / "r", dataset=faces)
    G = load_generators(run)["G"]
    state = torch.load(run / "checkpoints" / "last.pt", weights_only=True)["G"]
    half = {"G": {k: v.half() if v.is_floating_point() else v for k, v in state.items()}}
    G16 = generators_from_states(load_config(run), half, tmp_path / "g.pt")["G"]
    assert G16.z_dist == "normal" and not G16.training
    assert torch.allclose(sample(G16, 4), sample(G, 4), atol=2e-2)
    with pytest.raises(DataError, match=r"g\.pt does not fit its config's G") as err:
        generators_from_states(load_config(run), {}, tmp_path / "g.pt")
    assert "\n" not in str(err.value)


def test_sample_attention_returns_the_samples_and_every_fuse_map_for_each_image(tmp_path, faces):
    """Attention maps of every image even when sampling takes several forwards (n above the batch size)."""
    from spap_lib.metrics import to_uint8
    from spap_lib.training import load_generators, sample, sample_attention

    config = make_config("gan", "smoke", {"variant": "spap_c2f", "progress": False, "steps": 1})
    G = load_generators(train_gan(config, tmp_path / "r", dataset=faces))["G"]
    result = sample_attention(G, 70, seed=3)
    assert (result["images"] == to_uint8(sample(G, 70, seed=3))).all()
    assert len(result["maps"]) == 4  # four fuses per SPAP block, in fusing order
    assert all(m.shape[0] == 70 for m in result["maps"].values())
