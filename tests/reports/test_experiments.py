"""Notebook parameters become a config: the notebook's own fields plus the user's overrides."""

import pytest

from spap_lib.errors import ConfigError
from spap_lib.reports.experiments import _overrides
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
