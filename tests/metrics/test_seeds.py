import pytest

from spap_lib.errors import ConfigError
from spap_lib.metrics import summarize_seeds


def test_best_and_median_of_distances_and_scores():
    s = summarize_seeds({0: 31.0, 1: 29.5, 2: 35.0, 3: 30.0})
    assert s.best == 29.5 and s.best_seed == 1
    assert s.median == pytest.approx(30.5)
    assert s.n == 4 and s.mean == pytest.approx(31.375)
    hi = summarize_seeds([0.5, 0.7, 0.6], lower_is_better=False)
    assert hi.best == 0.7 and hi.best_seed == 1 and hi.median == 0.6
    assert summarize_seeds([3.0]).std == 0.0
    assert summarize_seeds([3.0]).as_dict()["values"] == {0: 3.0}


def test_empty_and_nan_are_errors():
    with pytest.raises(ConfigError, match="no values"):
        summarize_seeds([])
    with pytest.raises(ConfigError, match="NaN"):
        summarize_seeds({0: 1.0, 5: float("nan")})
