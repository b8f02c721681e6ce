import json
import re

import pytest

from spap_lib.cli import main
from spap_lib.errors import ConfigError
from spap_lib.training import (
    CycleGANConfig,
    GANConfig,
    config_from_dict,
    format_config,
    make_config,
)
from spap_lib.training.config import config_to_dict


def test_paper_presets_are_the_recipe():
    g = make_config("gan", "paper")
    assert isinstance(g, GANConfig)
    assert (g.lr_d, g.lr_g, g.beta1, g.beta2) == (2e-4, 1e-4, 0.5, 0.999)
    assert (g.batch_size, g.steps, g.freeze_steps, g.d_steps) == (64, 100_000, 40_000, 1)
    assert (g.image_size, g.z_dim, g.z_dist) == (128, 128, "uniform")
    c = make_config("cyclegan", "paper")
    assert isinstance(c, CycleGANConfig)
    assert (c.lr, c.beta1, c.beta2, c.batch_size) == (2e-4, 0.5, 0.999, 1)
    assert (c.n_epochs, c.n_epochs_decay, c.freeze_epochs) == (100, 100, 100)
    assert (c.lambda_cyc, c.lambda_identity, c.pool_size, c.gan_mode) == (10.0, 0.5, 50, "lsgan")
    assert (c.load_size, c.crop_size, c.ngf, c.ndf, c.n_blocks) == (286, 256, 64, 64, 9)


@pytest.mark.parametrize("kind", ["gan", "cyclegan"])
def test_cpu_and_smoke_switch_pyramid_proportionally(kind):
    for preset in ("cpu", "smoke"):  # cpu as the paper (40% / half); smoke switches mid-run
        c = make_config(kind, preset)
        if kind == "gan":
            assert c.freeze_steps == round(0.4 * c.steps) or preset == "smoke"
            assert 0 < c.freeze_steps < c.steps
        else:
            assert c.freeze_epochs * 2 == c.n_epochs + c.n_epochs_decay
        assert not c.compile and not c.channels_last and c.precision == "fp32"


def test_overrides_dict_and_strings_are_typed():
    c = make_config("gan", "smoke", ["steps=12", "width=0.5", "progress=false", "variant=aspp"])
    assert (c.steps, c.width, c.progress, c.variant) == (12, 0.5, False, "aspp")
    c = make_config("cyclegan", "smoke", {"lambda_cyc": 5, "dataset": "maps"})
    assert c.lambda_cyc == 5.0 and isinstance(c.lambda_cyc, float) and c.dataset == "maps"


def test_config_roundtrip_and_print():
    c = make_config("cyclegan", "cpu", {"variant": "spap_f2c"})
    d = json.loads(json.dumps(config_to_dict(c)))
    assert config_from_dict(d) == c
    assert "variant = 'spap_f2c'" in format_config(c)


@pytest.mark.parametrize(
    "kind, preset, overrides, words",
    [
        ("gan", "huge", None, "unknown preset"),
        ("gann", "cpu", None, "unknown recipe"),
        ("gan", "cpu", {"stepz": 3}, "unknown gan config key"),
        ("gan", "cpu", ["steps=ten"], "steps expects an integer"),
        ("gan", "cpu", {"steps": 1.5}, "steps expects an integer"),
        ("gan", "cpu", {"progress": "maybe"}, "progress expects true/false"),
        ("gan", "cpu", {"steps": 0}, "steps must be >= 1"),
        ("gan", "cpu", ["steps=-3"], "steps must be >= 1"),
        ("gan", "cpu", ["variant=big"], "unknown variant"),
        ("cyclegan", "cpu", {"n_epochs": 0, "n_epochs_decay": 0}, "must be > 0"),
        ("cyclegan", "cpu", {"dataset": "faces"}, "unknown translation dataset"),
        ("cyclegan", "cpu", ["lr=fast"], "lr expects a number"),
        ("gan", "cpu", ["steps"], "key=value"),
    ],
)
def test_bad_configs_give_one_line_errors(kind, preset, overrides, words):
    with pytest.raises(ConfigError) as err:
        make_config(kind, preset, overrides)
    assert words in str(err.value)
    assert "\n" not in str(err.value)


def test_cli_bad_config_is_one_line(tmp_path, capsys):
    rc = main(["train", "gan", "--preset", "smoke", "--run-dir", str(tmp_path), "--set", "steps=0"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith("error: steps must be >= 1") and "\n" not in err
    assert not any(tmp_path.iterdir())  # nothing written for a rejected config


def test_cli_show_config(capsys):
    rc = main(["train", "cyclegan", "--preset", "smoke", "--dataset", "facades", "--show-config"])
    out = capsys.readouterr().out
    assert rc == 0 and "dataset = 'facades'" in out


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"width": float("nan")}, "width must be a finite number, got nan"),
        (["width=nan"], "width expects a number"),
        ({"beta1": 1.0}, "beta1 must be in [0, 1)"),
        (["beta2=-0.1"], "beta2 must be in [0, 1)"),
        (["num_workers=-1"], "num_workers must be >= 0"),
        ({"lr_g": float("inf")}, "lr_g must be a finite number, got inf"),
        (["steps=true"], "steps expects an integer"),
        (["progress=maybe"], "progress expects true/false"),
        (["z_dist=gauss"], "z_dist must be one of uniform, normal"),
    ],
)
def test_every_range_is_checked_before_anything_is_written(overrides, message, tmp_path):
    with pytest.raises(ConfigError, match=re.escape(message)):
        make_config("gan", "cpu", overrides)


def test_set_values_are_parsed_as_literals():
    from spap_lib.training.config import parse_value

    assert parse_value("1_000") == 1000 and parse_value("2e-4") == 2e-4
    assert parse_value("TRUE") is True and parse_value("false") is False
    assert parse_value("spap_c2f") == "spap_c2f" and parse_value('"a b"') == "a b"
    c = make_config("cyclegan", "smoke", ["lambda_cyc=5", "gan_mode=bce", "progress=false"])
    assert c.lambda_cyc == 5.0 and c.gan_mode == "bce" and c.progress is False
    with pytest.raises(ConfigError, match="gan_mode must be one of lsgan, bce"):
        make_config("cyclegan", "smoke", ["gan_mode=vanilla"])  # a variant's name, not a loss


def test_recipe_and_preset_tables_derive_the_rest():
    import dataclasses

    from spap_lib.training import TRAINERS
    from spap_lib.training.config import (
        CHOICES,
        DATASET_KIND,
        PRESET_TABLE,
        RANGES,
        RECIPE_SPECS,
        RECIPES,
        RESUMABLE_FIELDS,
        run_name,
    )
    from spap_lib.training.presets import PRESET_SPECS

    assert list(RECIPES) == list(DATASET_KIND) == list(TRAINERS) == list(RECIPE_SPECS)
    assert all(TRAINERS[r].__name__ == RECIPE_SPECS[r].trainer.split(":")[1] for r in RECIPES)
    assert all(list(PRESET_TABLE[r]) == list(PRESET_SPECS) for r in RECIPES)
    # a field declares its checks once, beside its default
    seed = {f.name: f for f in dataclasses.fields(GANConfig)}["seed"]
    assert RANGES["seed"] == seed.metadata["range"] and "seed" not in RESUMABLE_FIELDS
    assert CHOICES["direction"] == ("AtoB", "BtoA") and "log_every" in RESUMABLE_FIELDS
    # the CLI's and the book's run-folder names, from one helper
    assert (
        run_name("pix2pix", make_config("pix2pix", "smoke"), preset="smoke") == "pix2pix-streets-AtoB-smoke"
    )
    assert run_name("gan", {"variant": "aspp"}, seed=1, book=True) == "sndcgan-aspp-s1"
    assert run_name("scan", {"dataset": "maps"}, book=True) == "scan-maps"


def test_pix2pix_and_cyclegan_keep_their_field_order():
    """config.json is compared on resume: the shared base classes must not reorder a recipe's fields."""
    from spap_lib.training import Pix2PixConfig

    order = list(config_to_dict(Pix2PixConfig()))
    assert order[order.index("kind") :] == [
        "kind", "dataset", "direction", "load_size", "crop_size", "ngf", "ndf", "n_layers", "batch_size",
        "n_epochs", "n_epochs_decay", "max_iters_per_epoch", "lr", "beta1", "beta2", "gan_mode", "lambda_l1",
        "init_std",
    ]  # fmt: skip
    order = list(config_to_dict(CycleGANConfig()))
    assert order[order.index("ndf") :][:3] == ["ndf", "n_blocks", "n_layers"]
    assert order[-5:] == ["lambda_cyc", "lambda_identity", "pool_size", "freeze_epochs", "init_std"]
