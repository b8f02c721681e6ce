"""Notebook parameters become a config: the notebook's own fields plus the user's overrides."""

import pytest

from spap_lib.errors import ConfigError
from spap_lib.reports.experiments import _overrides, run_experiment
from spap_lib.training import make_config


def test_overrides_as_dict_or_cli_strings():
    fields = {"variant": "aspp", "seed": 1}
    assert make_config("gan", "smoke", _overrides(fields, {"steps": 9})).steps == 9
    config = make_config("gan", "smoke", _overrides(fields, ["steps=7"]))
    assert (config.steps, config.variant, config.seed) == (7, "aspp", 1)


def test_bad_overrides_are_one_line_errors():
    with pytest.raises(ConfigError, match="key=value"):
        _overrides({}, ["steps"])
    with pytest.raises(ConfigError, match="unknown"):
        make_config("gan", "smoke", _overrides({}, {"stepz": 3}))


@pytest.mark.parametrize(
    ("recipe", "kwargs", "message"),
    [
        ("gann", {}, "unknown recipe 'gann'"),
        ("gan", {"backbone": "resnet"}, "backbone 'resnet' is not for a gan run"),
        ("cyclegan", {"backbone": "synth"}, "translations have no backbone"),
        ("cyclegan", {"dataset": "mnist"}, "mnist"),
        ("pix2pix", {"direction": "up"}, "direction"),
    ],
)
def test_run_experiment_checks_every_parameter_before_touching_the_run(tmp_path, recipe, kwargs, message):
    """One entry point for every recipe: bad parameters fail in one line, and nothing is written or deleted."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.json").write_text("{}")
    with pytest.raises(ConfigError, match=message):
        run_experiment(
            recipe, "vanilla", 0, "smoke", str(tmp_path / "data"), str(run_dir), fresh=True, **kwargs
        )
    assert [p.name for p in run_dir.iterdir()] == ["config.json"]
    assert not (tmp_path / "data").exists()
