"""Notebook parameters arrive from papermill as strings: parsed or refused, and fresh=True never deletes a
folder holding files a run does not write."""

import pytest

from spap_lib.errors import ConfigError
from spap_lib.reports.experiments import notebook_value, remove_run


def test_string_parameters_are_parsed_or_refused():
    assert notebook_value("fresh", "false", bool) is False  # papermill -p fresh false
    assert notebook_value("fresh", "True", bool) is True
    assert notebook_value("seed", "3", int) == 3
    assert notebook_value("seed", 3, int) == 3
    with pytest.raises(ConfigError, match="fresh expects true/false"):
        notebook_value("fresh", "nope", bool)
    with pytest.raises(ConfigError, match="seed expects an integer"):
        notebook_value("seed", "1.5", int)


def test_fresh_deletes_only_run_folders(tmp_path):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.json").write_text("{}")
    remove_run(run)
    assert not run.exists()
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.tex").write_text("precious")
    (mine / "config.json").write_text("{}")
    with pytest.raises(ConfigError, match="chapter1.tex"):
        remove_run(mine)
    assert (mine / "chapter1.tex").read_text() == "precious"
    remove_run(tmp_path / "missing")  # nothing to delete is fine


def test_fresh_deletes_a_stale_run_while_the_book_pipeline_executes_its_notebook(tmp_path):
    """The pipeline re-runs a stale run with fresh=True while its executing copy of the notebook sits in the
    run folder (under the name pipeline.execute gives it)."""
    import inspect

    from spap_lib.reports import pipeline

    assert 'f".{output.name}.tmp.ipynb"' in inspect.getsource(pipeline.execute)
    run = tmp_path / "sndcgan-vanilla-s0"
    (run / "checkpoints").mkdir(parents=True)
    (run / "summary.json").write_text("{}")
    (run / ".notebook.ipynb.tmp.ipynb").write_text("{}")
    remove_run(run)
    assert not run.exists()


def test_unknown_papermill_parameter_is_refused():
    from spap_lib.reports.experiments import check_parameters, unknown_parameters

    declared = 'variant = "spap_c2f"  # rows\nseed: int = 0\noverrides = {}\n'
    injected = '# Parameters\nseed = 3\nsteps = "abc"\nPM_INPUT_PATH = "x.ipynb"\n'
    history = ["", declared, injected, "import os"]
    assert unknown_parameters(history) == (["steps"], ["variant", "seed", "overrides"])
    with pytest.raises(
        ConfigError, match=r"^unknown parameter steps: this notebook's parameters are variant, seed"
    ):
        check_parameters(history)
    check_parameters(["", declared, "# Parameters\nseed = 3\n"])  # declared: fine
    check_parameters(["", declared, "import os"])  # nothing injected: fine
