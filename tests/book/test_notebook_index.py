"""spap_lib.reports.notebook_index: every notebook's papermill parameters as table rows."""

import nbformat
import pytest

from spap_lib.errors import DataError
from spap_lib.reports.notebook_index import notebook_parameter_table

KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _write(path, source, tags=("parameters",), kernel=True):
    nb = nbformat.v4.new_notebook()
    if kernel:
        nb.metadata["kernelspec"] = KERNEL
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = list(tags)
    nb.cells = [nbformat.v4.new_markdown_cell("# T"), cell, nbformat.v4.new_code_cell("x = 1")]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def test_lists_every_parameter_with_type_default_and_help(tmp_path):
    _write(
        tmp_path / "train_gan.ipynb",
        'variant = "spap_c2f"  # generator variant: vanilla|aspp|spap_c2f|spap_f2c\n'
        "seed: int = 0  # random seed\n"
        "steps = 200\n"
        "# a plain comment line\n"
        "lr = 2e-4  # Adam learning rate\n"
        "out_dir = None  # run folder (None: outputs/<name>)\n",
    )
    _write(tmp_path / "reports" / "table1.ipynb", "runs_root = 'outputs'  # where runs live\n")
    _write(tmp_path / ".ipynb_checkpoints" / "train_gan-checkpoint.ipynb", "junk = 1\n")
    rows = notebook_parameter_table(tmp_path)
    assert [(r["notebook"], r["name"]) for r in rows] == [
        ("reports/table1.ipynb", "runs_root"),
        ("train_gan.ipynb", "variant"),
        ("train_gan.ipynb", "seed"),
        ("train_gan.ipynb", "steps"),
        ("train_gan.ipynb", "lr"),
        ("train_gan.ipynb", "out_dir"),
    ]
    by_name = {r["name"]: r for r in rows}
    assert by_name["variant"] == {
        "notebook": "train_gan.ipynb",
        "name": "variant",
        "type": "str",
        "default": '"spap_c2f"',
        "help": "generator variant: vanilla|aspp|spap_c2f|spap_f2c",
    }
    assert (by_name["seed"]["type"], by_name["seed"]["default"]) == ("int", "0")
    assert (by_name["steps"]["type"], by_name["steps"]["help"]) == ("int", "")
    assert (by_name["lr"]["type"], by_name["lr"]["help"]) == ("float", "Adam learning rate")
    assert by_name["out_dir"]["type"] == "None"


def test_notebook_without_parameters_cell_is_an_error_unless_allowed(tmp_path):
    _write(tmp_path / "a.ipynb", "a = 1  # one\n")
    _write(tmp_path / "b.ipynb", "b = 2\n", tags=())
    with pytest.raises(DataError, match=r"b\.ipynb: no cell tagged 'parameters'"):
        notebook_parameter_table(tmp_path)
    rows = notebook_parameter_table(tmp_path, require_parameters=False)
    assert [r["name"] for r in rows] == ["a"]


def test_bad_inputs_are_one_line_data_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        notebook_parameter_table(tmp_path / "missing")
    (tmp_path / "broken.ipynb").write_text("{not json")
    with pytest.raises(DataError, match="not a readable notebook"):
        notebook_parameter_table(tmp_path)
    (tmp_path / "broken.ipynb").unlink()
    _write(tmp_path / "nokernel.ipynb", "a = 1\n", kernel=False)
    with pytest.raises(DataError, match="no kernelspec"):
        notebook_parameter_table(tmp_path)


def test_a_parameter_line_papermill_cannot_parse_is_an_error(tmp_path):
    """papermill only logs such lines; the index refuses them so no tool warning reaches a page."""
    import nbformat

    from spap_lib.errors import DataError
    from spap_lib.reports.notebook_index import notebook_parameter_table

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("size = 0  # image size; 0 = the preset's crop size")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "bad.ipynb")
    with pytest.raises(DataError, match="papermill cannot parse"):
        notebook_parameter_table(tmp_path)


def test_committed_notebooks_declare_typed_parameters_with_complete_help():
    """`papermill --help-notebook` names a type for every parameter (it prints "Unknown type" for an
    unannotated one), and the SNDCGAN notebook's variant help lists every variant the library builds."""
    from pathlib import Path

    import papermill

    from spap_lib.models.variants import variants_for

    notebooks = Path(__file__).resolve().parents[2] / "notebooks"
    untyped = [
        f"{path.name}: {name}"
        for path in sorted(notebooks.glob("*.ipynb"))
        for name, info in papermill.inspect_notebook(str(path)).items()
        if info["inferred_type_name"] in ("None", "", None)
    ]
    assert not untyped, f"parameters without a type annotation: {untyped}"
    help_text = papermill.inspect_notebook(str(notebooks / "train_sndcgan.ipynb"))["variant"]["help"]
    missing = [v for v in variants_for("gan") if v not in help_text]
    assert not missing, f"train_sndcgan's variant help omits {missing}"
