"""The study runner and archive at toy scale: archive schema, verification, interruption and resume."""

import json
import shutil

import pytest

from spap_lib.errors import DataError
from spap_lib.study import plan, runner
from spap_lib.study.archive import completeness, load_runs, read_run, verify_run


def _run(name, roots):
    return runner.run_one(plan.parse_name(name), *roots)


def test_archive_schema_and_provenance(tiny_study):
    out = _run("synthesis-vanilla-s0", tiny_study)
    assert sorted(p.name for p in out.iterdir()) == ["generator_fp16.pt", "run.json", "samples.png"]
    rec = read_run(out / "run.json")
    assert rec["final"]["metric"] == "FID" and rec["final"]["n_generated"] == plan.FID_N_GENERATED
    assert [p["step"] for p in rec["curve"]] == plan.parse_name(rec["name"]).curve_steps()
    assert all("FD-synth" in p and "KD-synth" in p for p in rec["curve"])
    assert rec["fid_at"]["metric"] == "FID"  # a pilot run is also scored at 80%
    assert rec["verify"]["steps"] == plan.VERIFY_STEPS and set(rec["verify"]["weights"]) >= {"G", "D"}
    prov = rec["provenance"]
    assert prov["threads"] == 1 and prov["cpu_model"] and prov["torch"] and prov["train_wall_s"] > 0
    # not a pilot, not an archived seed: no weights
    out2 = _run("synthesis-spap_c2f-s1", tiny_study)
    assert not (out2 / "generator_fp16.pt").exists()
    assert read_run(out2 / "run.json")["fid_at"] is None
    # the Table 1 baseline runs through the same code (plan version 2), its seed-0 weights archived
    out3 = _run("synthesis-selfmod-s0", tiny_study)
    rec3 = read_run(out3 / "run.json")
    assert (
        (out3 / "generator_fp16.pt").exists()
        and rec3["variant"] == "selfmod"
        and rec3["study_version"] == plan.STUDY_VERSION
    )


def test_translation_run_scores_both_directions(tiny_study):
    rec = read_run(_run("translation-spap_f2c-s0", tiny_study) / "run.json")
    for direction in ("facades_to_labels", "labels_to_facades"):
        assert set(rec["final"][direction]) >= {"psnr", "ssim"}
        assert rec["curve"][-1][direction] == rec["final"][direction]


def test_second_scale_scores_fid_over_training_and_prdc_at_the_end(tiny_study):
    out = _run("synthesis64-spap_c2f-s1", tiny_study)
    rec = read_run(out / "run.json")
    spec = plan.parse_name(rec["name"])
    assert rec["config"]["image_size"] == 24 and (out / "generator_fp16.pt").exists()  # every seed's G
    assert [p["step"] for p in rec["fid_curve"]] == spec.fid_steps()
    assert all(p["metric"] == "FID" and p["n_generated"] == plan.FID_N_GENERATED for p in rec["fid_curve"])
    final = rec["final"]
    assert final["value"] == rec["fid_curve"][-1]["value"] and rec["fid_at"] is None
    assert set(final["prdc"]) >= {"precision", "recall", "density", "coverage"}
    assert final["prdc"]["n_real"] == final["prdc"]["n_fake"] == plan.FID_N_GENERATED
    assert "prdc" not in rec["fid_curve"][0]


def test_prdc_of_archived_generators_matches_their_runs_fid(tiny_study):
    archive, work, data = tiny_study
    rec = read_run(_run("synthesis-vanilla-s0", tiny_study) / "run.json")
    _run("synthesis-aspp-s1", tiny_study)  # no weights archived for seed 1: not scored
    assert runner.PRDC_JOB in runner.pending(plan.study_plan("synthesis"), archive)
    out = json.loads(runner.archive_prdc(archive, data).read_text())
    assert [(r["variant"], r["seed"]) for r in out["rows"]] == [("vanilla", 0)]
    row = out["rows"][0]
    # the archived fp16 generator, sampled as the run was: the FID it was archived with, to fp16 rounding
    assert row["FID"] == pytest.approx(rec["final"]["value"], rel=1e-2)
    assert 0 <= row["prdc"]["precision"] <= 1 and 0 <= row["prdc"]["coverage"] <= 1
    assert runner.PRDC_JOB not in runner.pending(plan.study_plan("synthesis"), archive)


def test_streets_runs_wait_for_the_archived_segmenter_and_score_fcn(tiny_study):
    archive, work, data = tiny_study
    todo = runner.pending(plan.study_plan("streets"), archive)
    assert todo[0] == runner.SEGMENTER_JOB
    with pytest.raises(DataError, match="segmenter"):
        _run("streets-vanilla-s0", tiny_study)  # runs only read the archived segmenter
    ceiling = json.loads(runner.archive_segmenter(archive, data).read_text())
    assert 0 <= ceiling["real_photos"]["pixel_acc"] <= 1 and ceiling["n_pairs"] > 0
    assert runner.pending(plan.study_plan("streets"), archive)[0] == "streets-vanilla-s0"
    rec = read_run(_run("streets-spap_f2c-s1", tiny_study) / "run.json")
    for direction in ("photo_to_labels", "labels_to_photo"):
        assert set(rec["final"][direction]) >= {"pixel_acc", "mean_class_acc", "mean_class_iou"}
        assert rec["curve"][-1][direction] == rec["final"][direction]


def test_verify_passes_on_the_archive_and_catches_a_tampered_one(tiny_study):
    out = _run("translation-vanilla-s1", tiny_study)
    result = verify_run(out / "run.json")
    assert result.ok and result.same_cpu, result.line()
    rec = json.loads((out / "run.json").read_text())
    rec["verify"]["log"][0]["loss_G"] += 1e-6
    rec["verify"]["weights"]["G_AB"] = "0" * 64
    (out / "run.json").write_text(json.dumps(rec))
    bad = verify_run(out / "run.json")
    assert not bad.ok and not bad.weights_equal and not bad.losses_equal
    assert bad.max_loss_difference == pytest.approx(1e-6, rel=1e-3)
    assert "MISMATCH" in bad.line()


def test_verify_through_the_unfreeze_sees_the_pyramid_train(tiny_study):
    out = _run("synthesis-spap_c2f-s1", tiny_study)
    result = verify_run(out / "run.json", through_unfreeze=True)
    assert result.ok, result.line()
    spec = plan.parse_name("synthesis-spap_c2f-s1")
    assert result.unfreeze_step == spec.config().freeze_steps < result.steps
    rec = json.loads((out / "run.json").read_text())
    after = [r for r in rec["losses"] if result.unfreeze_step < r["step"] <= result.steps]
    assert after and result.losses_compared == len(rec["verify"]["log"]) + len(
        [r for r in rec["losses"] if plan.VERIFY_STEPS < r["step"] <= result.steps]
    )
    assert result.gammas and any(g != 0 for g in result.gammas)  # the pyramid moved off the identity
    assert "through the unfreeze" in result.line()
    # a loss logged after the unfreeze, changed in the archive, is caught (the first steps cannot see it)
    after[-1]["loss_G"] += 1e-6
    (out / "run.json").write_text(json.dumps(rec))
    assert verify_run(out / "run.json").ok
    assert not verify_run(out / "run.json", through_unfreeze=True).ok
    with pytest.raises(DataError, match="no pyramid"):
        verify_run(_run("synthesis-vanilla-s1", tiny_study) / "run.json", through_unfreeze=True)


def test_interrupted_run_resumes_to_the_same_archive(tiny_study, monkeypatch, tmp_path):
    straight = read_run(_run("synthesis-aspp-s2", tiny_study) / "run.json")
    archive, work, data = tiny_study
    roots = (tmp_path / "archive2", tmp_path / "work2", data)
    calls = {"n": 0}
    real = runner.score_synthesis

    def crash_on_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # as a kill would, between two curve points
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "score_synthesis", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        _run("synthesis-aspp-s2", roots)
    assert not (roots[0] / "synthesis" / "synthesis-aspp-s2").exists()  # nothing half-archived
    monkeypatch.setattr(runner, "score_synthesis", real)
    resumed = read_run(_run("synthesis-aspp-s2", roots) / "run.json")
    for key in ("final", "curve"):
        assert resumed[key] == straight[key], key
    assert resumed["verify"]["weights"] == straight["verify"]["weights"]

    def strip(records):  # everything but the measured step time
        return [{k: v for k, v in r.items() if k != "step_s"} for r in records]

    assert strip(resumed["losses"]) == strip(straight["losses"])
    assert strip(resumed["verify"]["log"]) == strip(straight["verify"]["log"])


def test_completeness_and_fid_vs_n(tiny_study):
    archive, work, data = tiny_study
    c = completeness(archive)
    assert not c.archived and not c.complete and len(c.missing) == len(plan.study_plan())
    _run("synthesis-vanilla-s0", tiny_study)
    assert completeness(archive).archived == ["synthesis-vanilla-s0"]
    assert [r["name"] for r in load_runs(archive)] == ["synthesis-vanilla-s0"]
    rec = json.loads(runner.fid_vs_n(*tiny_study).read_text())
    assert [r["n"] for r in rec["rows"][:-1]] == list(plan.FID_VS_N)
    assert rec["rows"][-1]["images"].startswith("real")
    # a broken record is a one-line error, not a silent skip
    path = archive / "synthesis" / "synthesis-vanilla-s0" / "run.json"
    rec = json.loads(path.read_text())
    del rec["provenance"]["git_commit"]
    path.write_text(json.dumps(rec))
    with pytest.raises(DataError, match="provenance.git_commit"):
        completeness(archive)
    # a run trained with another recipe than the plan's cannot join its table
    rec["provenance"]["git_commit"] = "0" * 40
    rec["config"]["lr_g"] *= 2
    path.write_text(json.dumps(rec))
    with pytest.raises(DataError, match=r"another config than the plan's \(lr_g\)"):
        completeness(archive)
    shutil.rmtree(archive)


def test_pending_puts_reference_first_and_fid_vs_n_last(tiny_study):
    archive = tiny_study[0]
    todo = runner.pending(plan.study_plan(), archive)
    # every part's shared input first: the Inception statistics of each synthesis scale, the streets segmenter
    shared = [runner.REFERENCE_JOB, runner.reference_job("synthesis64"), runner.SEGMENTER_JOB]
    assert todo[:3] == shared and todo[-2:] == [runner.PRDC_JOB, runner.FID_VS_N_JOB]
    assert todo[3:-2] == [s.name for s in plan.study_plan()]
    assert runner.pending(plan.study_plan("translation"), archive)[0] == "translation-vanilla-s0"


# --- run_study's scheduling, its child processes replaced by `python -c` -----------------------------------


def _fake_children(monkeypatch, script):
    """run_study without shared inputs, each child ``python -c script`` (NAME and ARCHIVE in its globals);
    returns the child processes started."""
    import subprocess
    import sys

    monkeypatch.setattr(runner, "prepare", lambda *args: None)
    monkeypatch.setattr(
        runner,
        "worker_command",
        lambda name, archive, work, data: [
            sys.executable,
            "-c",
            f"NAME, ARCHIVE = {name!r}, {str(archive)!r}\n{script}",
        ],
    )
    procs, popen = [], subprocess.Popen

    def recorded(*args, **kwargs):
        procs.append(popen(*args, **kwargs))
        return procs[-1]

    monkeypatch.setattr(runner.subprocess, "Popen", recorded)
    return procs


ARCHIVE_SEGMENTER = """
import pathlib
if NAME == "segmenter":
    path = pathlib.Path(ARCHIVE, "streets", "segmenter.json")
    path.parent.mkdir(parents=True)
    path.write_text("{}")
"""
STREETS = [plan.RunSpec("streets", "vanilla", 0), plan.RunSpec("streets", "vanilla", 1)]


def _study(tmp_path, specs=STREETS, jobs=2):
    lines = []
    failed = runner.run_study(
        specs, jobs, tmp_path / "archive", tmp_path / "work", tmp_path / "data", lines.append
    )
    return failed, lines


def test_streets_runs_start_once_the_segmenter_is_archived(monkeypatch, tmp_path):
    _fake_children(monkeypatch, ARCHIVE_SEGMENTER)
    failed, lines = _study(tmp_path)
    assert failed == []
    assert lines[0] == "study: started segmenter (1 running, 2 waiting)"  # two slots, one job ready
    assert lines[1].startswith("study: [1/3] finished segmenter in ")
    assert lines[2] == "study: started streets-vanilla-s0 (1 running, 1 waiting)"
    assert sum("finished" in line for line in lines) == 3


def test_fid_vs_n_starts_once_its_run_is_archived(monkeypatch, tmp_path):
    script = f"""
import pathlib
if NAME == {plan.FID_VS_N_RUN!r}:
    path = pathlib.Path(ARCHIVE, "synthesis", NAME, "run.json")
    path.parent.mkdir(parents=True)
    path.write_text("{{}}")
"""
    _fake_children(monkeypatch, script)
    failed, lines = _study(tmp_path, [plan.parse_name(plan.FID_VS_N_RUN)], jobs=4)
    assert failed == []
    started = [line.split()[2] for line in lines if line.startswith("study: started")]
    assert started[-1] == runner.FID_VS_N_JOB and len(started) == 4
    started_at = next(
        i for i, line in enumerate(lines) if line.startswith(f"study: started {runner.FID_VS_N_JOB} ")
    )
    finished_at = next(i for i, line in enumerate(lines) if f"finished {plan.FID_VS_N_RUN} in" in line)
    assert started_at > finished_at


def test_a_failed_segmenter_skips_the_streets_runs(monkeypatch, tmp_path):
    _fake_children(monkeypatch, "raise SystemExit(3 if NAME == 'segmenter' else 0)")
    failed, lines = _study(tmp_path)
    assert failed == ["segmenter", "streets-vanilla-s0", "streets-vanilla-s1"]
    assert f"study: [1/3] FAILED segmenter (exit 3): see {tmp_path / 'work/logs/segmenter.log'}" in lines
    assert "study: cannot start streets-vanilla-s1: it waits for segmenter, which failed" in lines
    assert not (tmp_path / "work/logs/streets-vanilla-s0.log").exists()


def test_a_segmenter_that_exits_without_its_archive_fails_the_runs_that_read_it(monkeypatch, tmp_path):
    procs = _fake_children(monkeypatch, "pass")
    failed, lines = _study(tmp_path)
    assert failed == ["streets-vanilla-s0", "streets-vanilla-s1"] and len(procs) == 1
    assert any(
        line.startswith("study: [")
        and "FAILED streets-vanilla-s1 (cannot start: segmenter is not archived)" in line
        for line in lines
    )
    assert "segmenter is not archived" in (tmp_path / "work/logs/streets-vanilla-s1.log").read_text()


def test_an_interrupted_study_terminates_its_children(monkeypatch, tmp_path):
    import signal
    import time

    (tmp_path / "archive/streets").mkdir(parents=True)
    (tmp_path / "archive/streets/segmenter.json").write_text("{}")
    procs = _fake_children(monkeypatch, "import time; time.sleep(60)")

    def log(line):
        if line.startswith("study: started streets-vanilla-s1"):
            deadline = time.monotonic() + 10
            while len(procs) < 1 and time.monotonic() < deadline:  # the first child is running
                time.sleep(0.01)
            raise KeyboardInterrupt

    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        runner.run_study(STREETS, 2, tmp_path / "archive", tmp_path / "work", tmp_path / "data", log)
    assert len(procs) == 1 and procs[0].wait(timeout=10) == -signal.SIGTERM
    assert time.monotonic() - t0 < 30
