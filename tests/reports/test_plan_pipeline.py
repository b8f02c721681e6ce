"""The book pipeline: the plan covers every table, jobs are cached by inputs, failures are reported."""

import json

import nbformat
import pytest

from spap_lib.errors import ConfigError
from spap_lib.models import VARIANTS
from spap_lib.reports import pipeline
from spap_lib.reports.plan import Job, book_plan


@pytest.mark.parametrize("preset", ["smoke", "cpu", "paper"])
def test_plan_covers_every_variant_and_orders_dependencies(preset):
    jobs = book_plan(preset)
    names = [j.name for j in jobs]
    assert len(names) == len(set(names))
    for variant in VARIANTS:
        assert f"sndcgan-{variant}-s0" in names and f"sndcgan-{variant}-s1" in names
        for dataset in ("streets", "maps", "facades"):
            assert f"cyclegan-{dataset}-{variant}" in names
    for i, job in enumerate(jobs):
        assert set(job.depends_on) <= set(names[:i]), job.name
    assert all(j.parameters.get("preset", preset) == preset for j in jobs)


def test_unknown_preset():
    with pytest.raises(ConfigError, match="unknown preset"):
        book_plan("huge")


def _notebook(path, code):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(code),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def test_cache_key_changes_with_code_parameters_library_and_upstream(tmp_path, monkeypatch):
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    monkeypatch.setattr(pipeline, "ROOT", tmp_path)
    _notebook(nbdir / "a.ipynb", "print(x)")
    job = Job("a", "a.ipynb", "out/a.ipynb", {"x": 1})
    key = pipeline.job_key(job, "lib1", {})
    assert key == pipeline.job_key(Job("a", "a.ipynb", "out/a.ipynb", {"x": 1}), "lib1", {})
    assert key != pipeline.job_key(Job("a", "a.ipynb", "out/a.ipynb", {"x": 2}), "lib1", {})
    assert key != pipeline.job_key(job, "lib2", {})
    dep = Job("b", "a.ipynb", "out/b.ipynb", {}, ("a",))
    assert pipeline.job_key(dep, "lib1", {"a": "k1"}) != pipeline.job_key(dep, "lib1", {"a": "k2"})
    # outputs do not change the key, code does
    nb = nbformat.read(nbdir / "a.ipynb", as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    nbformat.write(nb, nbdir / "a.ipynb")
    assert key == pipeline.job_key(job, "lib1", {})
    _notebook(nbdir / "a.ipynb", "print(x + 1)")
    assert key != pipeline.job_key(job, "lib1", {})


def test_run_pipeline_caches_and_reports_failures(tmp_path, monkeypatch, capsys):
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    _notebook(nbdir / "ok.ipynb", "print('ran', x)")
    _notebook(nbdir / "bad.ipynb", "raise ValueError('boom')")
    jobs = [
        Job("ok", "ok.ipynb", "book/generated/ok.ipynb", {"x": 3}),
        Job("bad", "bad.ipynb", "outputs/t/runs/bad/notebook.ipynb", {}),
        Job("after-bad", "ok.ipynb", "book/generated/after.ipynb", {}, ("bad",)),
    ]
    monkeypatch.setattr(pipeline, "ROOT", tmp_path)
    monkeypatch.setattr(pipeline, "book_plan", lambda preset: jobs)
    monkeypatch.setattr(pipeline, "source_hash", lambda: "lib")
    assert pipeline.run_pipeline("smoke", build=False) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "skipped: after-bad (ok.ipynb) it waits for bad, which failed" in out
    assert "failed: bad (bad.ipynb) ValueError: boom -- see" in out and "bad/notebook.failed.ipynb" in out
    executed = json.loads((tmp_path / "book/generated/ok.ipynb").read_text())
    assert "ran 3" in json.dumps(executed)
    assert (tmp_path / "outputs/t/runs/bad/notebook.failed.ipynb").exists()
    jobs.pop(1)
    jobs.pop(1)
    assert pipeline.run_pipeline("smoke", build=False) == 0
    assert "1 cached" in capsys.readouterr().out


def test_stale_finished_runs_restart_fresh(tmp_path, monkeypatch):
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1\nfresh = False", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print('fresh', fresh)"),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, nbdir / "train.ipynb")
    jobs = [Job("run", "train.ipynb", "outputs/t/runs/run/notebook.ipynb", {"x": 1})]
    monkeypatch.setattr(pipeline, "ROOT", tmp_path)
    monkeypatch.setattr(pipeline, "book_plan", lambda preset: jobs)
    monkeypatch.setattr(pipeline, "source_hash", lambda: "lib")
    out = tmp_path / "outputs/t/runs/run/notebook.ipynb"
    assert pipeline.run_pipeline("smoke", build=False) == 0
    assert "fresh False" in out.read_text()  # first run (or an interrupted one): resume
    assert (tmp_path / "book/generated/runs/run.ipynb").is_file()  # published in this ROOT's book only
    jobs[0] = Job("run", "train.ipynb", jobs[0].output, {"x": 2})  # inputs changed
    assert pipeline.run_pipeline("smoke", build=False) == 0
    assert "fresh True" in out.read_text()


def test_kernels_start_in_the_notebook_folder_whatever_the_process_cwd(tmp_path, monkeypatch):
    """Two notebooks side by side (threads, as the pipeline runs them) while this process sits elsewhere:
    each kernel's working directory is the notebook folder, so its ``../data`` paths resolve there."""
    import os
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    notebooks, elsewhere = tmp_path / "notebooks", tmp_path / "elsewhere"
    notebooks.mkdir()
    elsewhere.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    params = nbformat.v4.new_code_cell("tag = 'x'")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("import os\nprint(tag, os.getcwd())")]
    nbformat.write(nb, notebooks / "cwd.ipynb")
    monkeypatch.chdir(elsewhere)

    real_chdir = os.chdir

    def chdir_in_place(path):  # a process-wide chdir elsewhere is what raced between the threads
        if Path(path).resolve() != elsewhere.resolve():  # papermill re-enters the current one: harmless
            raise AssertionError(f"the pipeline changed this process's working directory to {path}")
        real_chdir(path)

    monkeypatch.setattr(os, "chdir", chdir_in_place)
    # papermill's local file handler keeps the working directory of its last call in a global; earlier
    # tests ran from another folder (the pipeline itself never changes its folder, so there it is harmless)
    import papermill.iorw

    monkeypatch.setattr(papermill.iorw.papermill_io.get_handler("local"), "_cwd", None)
    jobs = [Job(f"j{i}", "cwd.ipynb", f"out/j{i}.ipynb", {"tag": f"j{i}"}) for i in range(4)]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda j: pipeline.execute(j, tmp_path / j.output, notebooks), jobs))
    for job in jobs:
        out = nbformat.read(tmp_path / job.output, as_version=4)
        printed = "".join(o.get("text", "") for o in out.cells[-1].outputs).split()
        assert printed == [job.name, str(notebooks)]
    assert not (tmp_path / "data").exists() and not (tmp_path / "outputs").exists()


def test_a_docstring_or_comment_edit_keeps_the_cache_and_a_code_edit_does_not(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    module = lib / "m.py"
    module.write_text('"""Module."""\n\n\ndef f(x):\n    """Twice x."""\n    return 2 * x  # double\n')
    (lib / "data.bin").write_bytes(b"\x00\x01")
    before = pipeline.source_hash(lib)
    module.write_text(
        '"""Module, reworded."""\n\n\ndef f(x):\n    """Two times x."""\n    # a comment\n    return 2 * x\n'
    )
    assert pipeline.source_hash(lib) == before
    class_doc = 'class A:\n    """Doc."""\n\n    y = 1\n'
    (lib / "c.py").write_text(class_doc)
    with_class = pipeline.source_hash(lib)
    (lib / "c.py").write_text(class_doc.replace("Doc.", "Other words."))
    assert pipeline.source_hash(lib) == with_class
    module.write_text('"""Module."""\n\n\ndef f(x):\n    """Twice x."""\n    return 3 * x\n')
    assert pipeline.source_hash(lib) != before  # the code changed
    module.write_text('"""Module."""\n\n\ndef f(x):\n    """Twice x."""\n    return "2 * x"\n')
    assert pipeline.source_hash(lib) != before  # a string that is not a docstring is code
    (lib / "data.bin").write_bytes(b"\x00\x02")
    assert pipeline.source_hash(lib) != with_class  # other files count by their bytes


@pytest.mark.parametrize("preset", ["smoke", "cpu", "paper"])
def test_run_titles_are_unique_and_say_what_ran(preset):
    from spap_lib.reports.plan import book_plan, run_table, run_title

    runs = [j for j in book_plan(preset) if run_table(j)]
    titles = [run_title(j) for j in runs]
    assert len(set(titles)) == len(titles), sorted(t for t in titles if titles.count(t) > 1)
    assert f"SNDCGAN, SPAP c2f, seed 1, {preset} preset (Table 1)" in titles
    assert all(t.endswith(")") and f"{preset} preset" in t for t in titles)


def test_published_run_pages_are_retitled_and_sorted_by_table(tmp_path, monkeypatch):
    import nbformat

    from spap_lib.reports import pipeline
    from spap_lib.reports.plan import Job

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Train one run (Tables 2 and 3)\n\nText.")]
    jobs = []
    for name, notebook, params in [
        ("cyclegan-maps-vanilla", "train_cyclegan.ipynb", {"dataset": "maps", "variant": "vanilla"}),
        ("sndcgan-aspp-s1", "train_sndcgan.ipynb", {"variant": "aspp", "seed": 1}),
    ]:
        out = f"outputs/smoke/runs/{name}/notebook.ipynb"
        (tmp_path / out).parent.mkdir(parents=True)
        nbformat.write(nb, tmp_path / out)
        jobs.append(Job(name, notebook, out, {"preset": "smoke", **params}))
    monkeypatch.setattr(pipeline, "ROOT", tmp_path)
    pipeline.publish_runs(jobs)
    pages = sorted((tmp_path / "book/generated/runs").glob("*.ipynb"))
    assert [p.name for p in pages] == [
        "table1-01-sndcgan-aspp-s1.ipynb",
        "table3-01-cyclegan-maps-vanilla.ipynb",
    ]
    first = nbformat.read(pages[0], as_version=4).cells[0].source
    assert first.startswith("# SNDCGAN, ASPP, seed 1, smoke preset (Table 1)\n\n*Train one run")


def test_kernels_start_without_the_tcp_encryption_warning(tmp_path, capfd):
    """Each papermill kernel of the build used to log "Kernel is running over TCP without encryption" (37 per
    build); the pipeline's kernels run over IPC, so the warning has no cause."""
    import nbformat

    from spap_lib.reports import pipeline
    from spap_lib.reports.plan import Job

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(6 * 7)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "n.ipynb")
    pipeline.execute(Job("n", "n.ipynb", "n.out.ipynb", {}), tmp_path / "out.ipynb", notebooks=tmp_path)
    assert nbformat.read(tmp_path / "out.ipynb", as_version=4).cells[0].outputs[0]["text"] == "42\n"
    err = capfd.readouterr().err
    assert "without encryption" not in err, err
