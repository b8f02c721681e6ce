"""Run the study: each run trained in pieces (curve points between them), scored, and archived.

``run_one(spec)`` trains one run of the plan in its work folder (``outputs/study/runs/<name>``, resumable:
the trainers resume bit-for-bit from the last checkpoint), pausing at each of ``spec.boundaries()`` to score
the generator (the curve) and, at ``VERIFY_STEPS``, to record the digest of every network's weights for
``study verify``. When training is done it scores the final generator and writes the run's archive folder
under ``results/study/<part>/<name>/`` in one atomic move (``run.json`` last inside it).

``run_study`` prepares what runs share (data, reference statistics), then keeps ``jobs`` worker processes
busy (:func:`spap_lib.jobs.run_jobs`; a job starts once the archives it reads exist: :func:`waits_for`),
one run each with one thread (two one-thread runs side by side do 1.7x the steps of one two-thread
run on this CPU: 0.125 s vs 0.105 s per SPAP step, ``benchmarks/bench_train.py --threads 1|2``). Runs whose
archive exists are skipped, so an interrupted study resumes with ``study run --resume``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch

from spap_lib.data import FaceDataset, synthesize
from spap_lib.data.registry import dataset_spec
from spap_lib.errors import ConfigError, DataError, SpapError
from spap_lib.io import atomic_write_text, state_digest
from spap_lib.jobs import FINISHED, SKIPPED, STARTED, JobEvent, run_jobs
from spap_lib.metrics import (
    fd_from_features,
    image_features,
    kernel_distance,
    reference_stats,
    select_backbone,
    to_uint8,
)
from spap_lib.metrics.frechet import frechet_distance_to
from spap_lib.metrics.prdc import prdc
from spap_lib.reports.evaluate import (
    direction_scores,
    fcn_score,
    fd_scores,
    generated_features,
    paired_test_set,
    translated,
)
from spap_lib.study import plan
from spap_lib.training import load_generators, train
from spap_lib.training.config import config_to_dict
from spap_lib.training.rundir import CHECKPOINT, git_commit, git_dirty, load_checkpoint, read_log

STATE_FILE = "study_state.json"


# --- shared inputs -----------------------------------------------------------------------------------------


def part_folder(part: str, data_root: str | Path = plan.DATA_ROOT) -> Path:
    """The synthetic dataset a part trains on, rendered at its size (synthesized on first use)."""
    p = plan.PARTS[part]
    size = p.overrides["image_size"] if p.kind == "gan" else p.overrides["load_size"]
    return synthesize(p.dataset, data_root, size=size, n=p.overrides["data_n"], seed=0)


def face_folder(data_root: str | Path = plan.DATA_ROOT, part: str = "synthesis") -> Path:
    return part_folder(part, data_root)


def facade_folder(data_root: str | Path = plan.DATA_ROOT) -> Path:
    return part_folder("translation", data_root)


def face_reference(kind: str, data_root: str | Path = plan.DATA_ROOT, part: str = "synthesis"):
    """(backbone, reference statistics) of the first ``FID_N_REFERENCE`` training faces of a synthesis part;
    kind inception|synth.

    Computed once and cached by ``spap_lib.metrics.reference_stats``, whose lock makes a second worker wait
    for the first instead of computing the same statistics again.
    """
    folder = face_folder(data_root, part)
    bb = select_backbone(kind, root=data_root)
    files = FaceDataset(folder, split="train").paths[: plan.FID_N_REFERENCE]
    if len(files) < plan.FID_N_REFERENCE:
        raise ConfigError(f"{folder} has {len(files)} training faces, the study needs {plan.FID_N_REFERENCE}")
    name = f"{folder.name}-first{plan.FID_N_REFERENCE}"
    size = plan.PARTS[part].image_size
    return bb, reference_stats(bb, name, "train", size, files=files, root=data_root)


SEGMENTER_NAME = "study-segmenter"  # archived under results/study/streets/segmenters/<name>


def segmenter_recipe():
    """The book's cpu segmenter recipe at the streets part's size."""
    from spap_lib.reports.evaluate import segmenter_config

    return segmenter_config(plan.STREETS.dataset, "cpu", plan.STREETS.image_size)


def study_segmenter(
    archive_root: str | Path = plan.ARCHIVE_ROOT, data_root: str | Path = plan.DATA_ROOT, train=False
):
    """The segmenter that scores the streets part (Table 2's labels->photo FCN score): the book's cpu recipe,
    trained once on the part's training pairs and archived with the study (``train=True`` trains it if the
    archive lacks it; runs only read it, so every run is scored by the same network)."""
    from spap_lib.metrics import load_segmenter

    p = plan.STREETS
    try:
        return load_segmenter(
            Path(archive_root) / p.name,
            name=SEGMENTER_NAME,
            config=segmenter_recipe(),
            train_folder=part_folder(p.name, data_root) / "train",
            train_if_missing=train,
            verbose=False,
        )
    except DataError as exc:
        if train:
            raise
        raise DataError(
            f"the {p.name} part's segmenter is not archived under {archive_root} ({exc}): "
            f"run `python -m spap_lib study run --part {p.name}` (its first job trains it)"
        ) from exc


def prepare(data_root: str | Path = plan.DATA_ROOT, parts: tuple[str, ...] = tuple(plan.PARTS)) -> None:
    """Data and reference statistics every run reads (computed once, before workers start)."""
    for part in parts:
        part_folder(part, data_root)
        if plan.PARTS[part].kind == "gan":
            face_reference("synth", data_root, part)  # the Inception statistics are a job (REFERENCE_JOB)


# --- scoring -------------------------------------------------------------------------------------------


def _generated_features(G: torch.nn.Module, n: int, bb) -> np.ndarray:
    return generated_features(G, n, bb, plan.SAMPLE_SEED)


def score_synthesis(
    run_dir: Path,
    kind: str,
    n: int,
    data_root: str | Path,
    part: str = "synthesis",
    with_prdc: bool = False,
) -> dict[str, Any]:
    """FD (FID with kind="inception", FD-synth with "synth") and KD of ``n`` samples of the run's G; with
    ``with_prdc``, precision/recall/density/coverage from the same features against the first ``n`` reference
    images (equal set sizes)."""
    bb, ref = face_reference(kind, data_root, part)
    feats = _generated_features(load_generators(run_dir)["G"], n, bb)
    out = fd_scores(feats, ref, bb)
    if with_prdc:
        out["prdc"] = prdc(ref.feats[:n], feats)
    return out


def score_translation(run_dir: Path, data_root: str | Path, part: str = "translation", segmenter=None):
    """Both directions on the paired test split: PSNR/SSIM (facades, Table 3's protocol) or FCN scores
    (streets, Table 2's: photo->labels by colour, labels->photo by ``segmenter`` on the translated photo)."""
    p = plan.PARTS[part]
    if dataset_spec(p.dataset, "translation").needs_segmenter and segmenter is None:
        raise ConfigError(f"the {part} part is scored by FCN scores: pass its segmenter")
    A, B = paired_test_set(part_folder(part, data_root), p.image_size, None)
    fake = translated(load_generators(run_dir), A, B)
    segment = segmenter.predict if segmenter is not None else None
    return {"n_pairs": len(A), **direction_scores(p.dataset, fake, to_uint8(A), to_uint8(B), segment)}


# --- one run -------------------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def job_provenance(t0: float) -> dict[str, Any]:
    """Where and when a study job (not a run) ran, and how long since ``t0`` (``time.perf_counter``)."""
    return {
        "wall_s": round(time.perf_counter() - t0, 1),
        "threads": torch.get_num_threads(),
        "cpu_model": cpu_model(),
        "torch": torch.__version__,
        "git_commit": git_commit(),
        "finished_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def weights_digest(run_dir: Path) -> dict[str, str]:
    """Digest of every network's weights in the run's checkpoint (G, D / G_AB, G_BA, D_A, D_B): the bytes,
    dtypes and shapes of every tensor in order, not their names (a later rename keeps the archive valid)."""
    ckpt = load_checkpoint(Path(run_dir) / CHECKPOINT)
    nets = ("G", "D") if "G" in ckpt else ("G_AB", "G_BA", "D_A", "D_B")
    return {k: state_digest(ckpt[k], names=False) for k in nets} | {"step": int(ckpt["step"])}


def downsample(records: list[dict], max_points: int = 200) -> list[dict]:
    """Every k-th record (k so at most ``max_points`` remain), always keeping the last."""
    if len(records) <= max_points:
        return records
    k = -(-len(records) // max_points)
    out = records[::k]
    return out if out[-1] is records[-1] else [*out, records[-1]]


def _save_state(run_dir: Path, state: dict) -> None:
    atomic_write_text(Path(run_dir) / STATE_FILE, json.dumps(state, indent=1) + "\n")


def run_one(
    spec: plan.RunSpec,
    archive_root: str | Path = plan.ARCHIVE_ROOT,
    work_root: str | Path = plan.WORK_ROOT,
    data_root: str | Path = plan.DATA_ROOT,
) -> Path:
    """Train, score and archive one run (resuming whatever an earlier attempt finished)."""
    out = Path(archive_root) / spec.part / spec.name
    if (out / "run.json").is_file():
        return out
    config = spec.config()
    if Path(data_root) != Path(plan.DATA_ROOT):  # training reads the synthetic data from the same root
        config = dataclasses.replace(config, data_root=str(data_root))
    run_dir = Path(work_root) / "runs" / spec.name
    state_path = run_dir / STATE_FILE
    state = json.loads(state_path.read_text()) if state_path.is_file() else {}
    state.setdefault("curve", [])
    state.setdefault("eval_s", 0.0)
    # the code this run started with (a resumed run keeps its first start's record)
    state.setdefault("code", {"git_commit": git_commit(), "git_dirty": git_dirty()})
    done = {p["step"] for p in state["curve"]}
    part = plan.PARTS[spec.part]
    total = spec.total_steps()
    pilot_fid_at = round(total * plan.PILOT_FID_AT) if part.version < 3 and spec.is_pilot else None
    fid_steps = spec.fid_steps()
    curve_steps = spec.curve_steps()
    segmenter = study_segmenter(archive_root, data_root) if part.dataset == "streets" else None
    for step in spec.boundaries():
        if step in done or (step == plan.VERIFY_STEPS and "verify" in state):
            continue
        train(config, run_dir, until_step=step)
        t0 = time.perf_counter()
        if step == plan.VERIFY_STEPS:
            state["verify"] = {
                "steps": step,
                "weights": weights_digest(run_dir),
                "log": [r for r in read_log(run_dir, missing_ok=True) if r["step"] <= step],
            }
        if step in curve_steps:
            if part.kind == "gan":
                point = score_synthesis(run_dir, "synth", plan.CURVE_N, data_root, spec.part)
                point = {
                    "step": step,
                    point["metric"]: point["value"],
                    point["kernel_metric"]: point["kernel_value"],
                }
                if step == pilot_fid_at:
                    state["fid_at"] = {
                        "fraction": plan.PILOT_FID_AT,
                        "step": step,
                        **score_synthesis(run_dir, "inception", plan.FID_N_GENERATED, data_root),
                    }
                if step in fid_steps:  # FID over training; the last one, with PRDC, is the final score
                    fid = score_synthesis(
                        run_dir,
                        "inception",
                        plan.FID_N_GENERATED,
                        data_root,
                        spec.part,
                        with_prdc=step == total,
                    )
                    state.setdefault("fid_curve", []).append({"step": step, **fid})
            else:
                point = {"step": step, **score_translation(run_dir, data_root, spec.part, segmenter)}
            state["curve"].append(point)
        state["eval_s"] += time.perf_counter() - t0
        _save_state(run_dir, state)
    t0 = time.perf_counter()
    if part.kind == "gan" and fid_steps:
        final = {k: v for k, v in state["fid_curve"][-1].items() if k != "step"}
    elif part.kind == "gan":
        final = score_synthesis(run_dir, "inception", plan.FID_N_GENERATED, data_root)
    else:
        final = {k: v for k, v in state["curve"][-1].items() if k != "step"}
    state["eval_s"] += time.perf_counter() - t0
    return write_archive(spec, config, run_dir, state, final, out)


def write_archive(spec, config, run_dir: Path, state: dict, final: dict, out: Path) -> Path:
    """The run's archive folder (run.json, samples.png, G weights for archived seeds), moved in atomically."""
    summary = json.loads((run_dir / "summary.json").read_text())
    record = {
        "study_version": plan.STUDY_VERSION,
        "name": spec.name,
        "part": spec.part,
        "table": plan.PARTS[spec.part].table,
        "variant": spec.variant,
        "seed": spec.seed,
        "config": config_to_dict(config),
        "final": final,
        "curve": state["curve"],
        "fid_at": state.get("fid_at"),
        **({"fid_curve": state["fid_curve"]} if "fid_curve" in state else {}),
        "verify": state["verify"],
        "losses": downsample(read_log(run_dir, missing_ok=True)),
        "params": {k: v for k, v in summary.items() if k.startswith("params_")},
        "provenance": {
            "train_wall_s": summary["wall_time_s"],
            "eval_wall_s": round(state["eval_s"], 1),
            "median_step_s": summary["median_step_s"],
            "threads": summary["threads"],
            "concurrent_runs": int(os.environ.get("SPAP_STUDY_JOBS", "1")),
            "cpu_model": cpu_model(),
            "cpu_count": os.cpu_count(),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "git_commit": state["code"]["git_commit"],
            "git_dirty": state["code"]["git_dirty"],
            "finished_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        },
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{spec.name}.", dir=out.parent))
    try:
        samples = sorted((run_dir / "samples").glob("*.png"))
        if samples:
            shutil.copyfile(samples[-1], tmp / "samples.png")
        if spec.seed in plan.PARTS[spec.part].weights_seeds:
            ckpt = load_checkpoint(run_dir / CHECKPOINT)
            nets = ("G",) if plan.PARTS[spec.part].kind == "gan" else ("G_AB", "G_BA")
            half = {
                k: {n: t.half() if t.is_floating_point() else t for n, t in ckpt[k].items()} for k in nets
            }
            torch.save(half, tmp / "generator_fp16.pt")
        (tmp / "run.json").write_text(json.dumps(record, indent=1) + "\n")
        if out.exists():  # a folder without run.json: an interrupted earlier write
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


# --- FID against the number of images (one run) ---------------------------------------------------------


def fid_vs_n(
    archive_root: str | Path = plan.ARCHIVE_ROOT,
    work_root: str | Path = plan.WORK_ROOT,
    data_root: str | Path = plan.DATA_ROOT,
) -> Path:
    """FID and KID of one trained run at n = ``FID_VS_N`` generated images (the first n of one sample set),
    and of held-out real faces, against the same reference: how far a small-n FID is from the large-n value.
    """
    out = Path(archive_root) / "synthesis" / "fid_vs_n.json"
    if out.is_file():
        return out
    run_dir = Path(work_root) / "runs" / plan.FID_VS_N_RUN
    if not (run_dir / "summary.json").is_file():
        raise ConfigError(f"{plan.FID_VS_N_RUN} is not trained yet: run the study first")
    t0 = time.perf_counter()
    bb, ref = face_reference("inception", data_root)
    G = load_generators(run_dir)["G"]
    feats = _generated_features(G, max(plan.FID_VS_N), bb)
    rows = []
    for n in plan.FID_VS_N:
        rows.append(
            {
                "images": "generated",
                "n": n,
                "FID": frechet_distance_to(feats[:n], ref.mu, ref.sigma),
                "KID": kernel_distance(feats[:n], ref.feats),
            }
        )
    test = FaceDataset(face_folder(data_root), split="test").paths
    real = image_features(np.stack([np.asarray(_load_rgb(p)) for p in test]), bb)
    rows.append(
        {
            "images": "real (held-out test faces)",
            "n": len(real),
            "FID": frechet_distance_to(real, ref.mu, ref.sigma),
            "KID": kernel_distance(real, ref.feats),
        }
    )
    record = {
        "study_version": plan.STUDY_VERSION,
        "run": plan.FID_VS_N_RUN,
        "n_reference": ref.n,
        "sample_seed": plan.SAMPLE_SEED,
        **bb.describe(),
        "rows": rows,
        "provenance": job_provenance(t0),
    }
    atomic_write_text(out, json.dumps(record, indent=1) + "\n")
    return out


def _load_rgb(path: Path) -> np.ndarray:
    from spap_lib.data.images import load_rgb

    return load_rgb(path)


# --- the whole study -------------------------------------------------------------------------------------

FID_VS_N_JOB = "fid-vs-n"
REFERENCE_JOB = (
    "reference-stats"  # + "-<part>": a synthesis part's Inception statistics (~18 min, one thread)
)
SEGMENTER_JOB = "segmenter"  # the streets part's segmenter, trained once and archived, with its ceiling


def reference_job(part: str) -> str:
    return REFERENCE_JOB if part == "synthesis" else f"{REFERENCE_JOB}-{part}"


def segmenter_archived(archive_root: str | Path) -> bool:
    return (Path(archive_root) / plan.STREETS.name / "segmenter.json").is_file()


def pending(specs: list[plan.RunSpec], archive_root: str | Path) -> list[str]:
    """Jobs still to do, in order: per part the reference statistics (a no-op once cached) or the segmenter,
    then the runs, then FID against n."""
    todo = [s for s in specs if not (Path(archive_root) / s.part / s.name / "run.json").is_file()]
    names = [s.name for s in todo]
    for part in reversed(list(dict.fromkeys(s.part for s in todo))):
        if plan.PARTS[part].kind == "gan":
            names.insert(0, reference_job(part))
        elif plan.PARTS[part].dataset == "streets" and not segmenter_archived(archive_root):
            names.insert(0, SEGMENTER_JOB)
    if (
        any(s.part in (plan.SYNTHESIS.name, plan.SYNTHESIS_64.name) for s in specs)
        and not prdc_path(archive_root).is_file()
    ):
        names.append(PRDC_JOB)  # after the runs: it needs the 32 px Inception statistics, computed once
    if (
        any(s.name == plan.FID_VS_N_RUN for s in specs)
        and not (Path(archive_root) / "synthesis" / "fid_vs_n.json").is_file()
    ):
        names.append(FID_VS_N_JOB)
    return names


PRDC_JOB = "prdc-synthesis"  # precision/recall/density/coverage of the archived 32 px generators


def prdc_path(archive_root: str | Path) -> Path:
    return Path(archive_root) / plan.SYNTHESIS.name / "prdc.json"


def archive_prdc(archive_root: str | Path, data_root: str | Path) -> Path:
    """Precision/recall/density/coverage of every archived generator of the 32 px part (seed 0 of each
    variant: the runs of plan versions 1-2 archived no other weights), scored as the version-3 runs are:
    the same ``FID_N_GENERATED`` samples as the run's FID, against as many reference images."""
    from spap_lib.study.archive import trained_generator

    t0 = time.perf_counter()
    bb, ref = face_reference("inception", data_root, plan.SYNTHESIS.name)
    rows = []
    for variant in plan.SYNTHESIS.variants:
        for seed in plan.SYNTHESIS.weights_seeds:
            G = trained_generator(archive_root, variant, seed, plan.SYNTHESIS.name)
            if G is None:
                continue
            feats = _generated_features(G, plan.FID_N_GENERATED, bb)
            res = fd_from_features(feats, ref, bb)
            rows.append(
                {
                    "variant": variant,
                    "seed": seed,
                    "FID": res.value,
                    "prdc": prdc(ref.feats[: plan.FID_N_GENERATED], feats),
                }
            )
    record = {
        "study_version": plan.STUDY_VERSION,
        "part": plan.SYNTHESIS.name,
        "sample_seed": plan.SAMPLE_SEED,
        **bb.describe(),
        "rows": rows,
        "provenance": job_provenance(t0),
    }
    out = prdc_path(archive_root)
    atomic_write_text(out, json.dumps(record, indent=1) + "\n")
    return out


def archive_segmenter(archive_root: str | Path, data_root: str | Path) -> Path:
    """Train the streets part's segmenter into the archive (once) and score it on the real test photos: the
    ceiling of the labels->photo FCN score (``segmenter.json``, written last)."""
    t0 = time.perf_counter()
    seg = study_segmenter(archive_root, data_root, train=True)
    A, B = paired_test_set(part_folder("streets", data_root), plan.STREETS.image_size, None)
    out = Path(archive_root) / plan.STREETS.name / "segmenter.json"
    record = {
        "study_version": plan.STUDY_VERSION,
        "name": SEGMENTER_NAME,
        "n_pairs": len(A),
        "real_photos": fcn_score("labels_to_photo", to_uint8(A), to_uint8(B), seg.predict),
        "segmenter": {k: seg.info[k] for k in ("config", "sha256", "torch")},
        "provenance": job_provenance(t0),
    }
    atomic_write_text(out, json.dumps(record, indent=1) + "\n")
    return out


def waits_for(name: str) -> tuple[str, ...]:
    """The jobs whose archive a study job reads: FID against n measures one run, a streets run is scored by
    the archived segmenter."""
    if name == FID_VS_N_JOB:
        return (plan.FID_VS_N_RUN,)
    if name.startswith(f"{plan.STREETS.name}-"):
        return (SEGMENTER_JOB,)
    return ()


def archived(name: str, archive_root: str | Path) -> bool:
    """Whether a job that others wait for (:func:`waits_for`) has its archive."""
    if name == SEGMENTER_JOB:
        return segmenter_archived(archive_root)
    return (Path(archive_root) / plan.parse_name(name).part / name / "run.json").is_file()


def worker_command(
    name: str, archive_root: str | Path, work_root: str | Path, data_root: str | Path
) -> list[str]:
    """The child process that runs one study job (:func:`main`)."""
    return [
        sys.executable,
        "-m",
        "spap_lib.study.runner",
        name,
        "--archive-root",
        str(archive_root),
        "--work-root",
        str(work_root),
        "--data-root",
        str(data_root),
    ]


def run_study(
    specs: list[plan.RunSpec],
    jobs: int = 2,
    archive_root: str | Path = plan.ARCHIVE_ROOT,
    work_root: str | Path = plan.WORK_ROOT,
    data_root: str | Path = plan.DATA_ROOT,
    log=print,
) -> list[str]:
    """Run every pending job of ``specs``, ``jobs`` one-thread child processes at once, each job after the
    ones it waits for (:func:`spap_lib.jobs.run_jobs`); return the names that failed or could not start."""
    todo = pending(specs, archive_root)
    if not todo:
        log("study: every run is archived")
        return []
    prepare(data_root, tuple({s.part for s in specs}))
    logs = Path(work_root) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "TQDM_DISABLE": "1",
        "SPAP_STUDY_JOBS": str(jobs),
    }
    children: dict[str, subprocess.Popen] = {}
    lock, stopping = threading.Lock(), threading.Event()
    failed: list[str] = []
    n_total, n_started, n_skipped, n_done = len(todo), 0, 0, 0

    def run(name: str) -> None:  # in a worker thread: one child process
        with lock, open(logs / f"{name}.log", "a") as fh:  # the child keeps its own handle
            if stopping.is_set():  # run_study is ending: start no child it would not stop
                raise SpapError("the study is stopping")
            missing = [d for d in waits_for(name) if not archived(d, archive_root)]
            if missing:  # a job it waits for ended without its archive
                reason = f"cannot start: {', '.join(missing)} is not archived"
                print(reason, file=fh)
                raise DataError(reason)
            cmd = worker_command(name, archive_root, work_root, data_root)
            children[name] = proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)
        code = proc.wait()
        with lock:
            del children[name]
        if code != 0:
            raise SpapError(f"exit {code}")

    def record(event: JobEvent) -> None:
        nonlocal n_started, n_skipped, n_done
        if event.kind == STARTED:
            n_started += 1
            waiting = n_total - n_started - n_skipped
            log(f"study: started {event.name} ({n_started - n_done} running, {waiting} waiting)")
            return
        if event.kind == SKIPPED:
            n_skipped += 1
            failed.append(event.name)
            log(f"study: cannot start {event.name}: {event.message}")
            return
        n_done += 1
        if event.kind == FINISHED:
            log(f"study: [{n_done}/{n_total}] finished {event.name} in {event.seconds:.0f} s")
        else:
            failed.append(event.name)
            log(
                f"study: [{n_done}/{n_total}] FAILED {event.name} ({event.message}): "
                f"see {logs / (event.name + '.log')}"
            )

    try:
        run_jobs({name: waits_for(name) for name in todo}, run, slots=jobs, on_event=record)
    finally:
        with lock:
            stopping.set()
            for proc in children.values():
                proc.terminate()
    return failed


def main(argv: list[str] | None = None) -> int:
    """Worker entry point: ``python -m spap_lib.study.runner NAME`` runs one run (or ``fid-vs-n``)."""
    import argparse

    ap = argparse.ArgumentParser(description="one run of the study (used by `study run`)")
    ap.add_argument("name")
    ap.add_argument("--archive-root", default=plan.ARCHIVE_ROOT)
    ap.add_argument("--work-root", default=plan.WORK_ROOT)
    ap.add_argument("--data-root", default=plan.DATA_ROOT)
    args = ap.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    try:
        references = {reference_job(p): p for p, part in plan.PARTS.items() if part.kind == "gan"}
        if args.name in references:
            path = face_reference("inception", args.data_root, references[args.name])[1].path
        elif args.name == PRDC_JOB:
            path = archive_prdc(args.archive_root, args.data_root)
        elif args.name == SEGMENTER_JOB:
            path = archive_segmenter(args.archive_root, args.data_root)
        elif args.name == FID_VS_N_JOB:
            path = fid_vs_n(args.archive_root, args.work_root, args.data_root)
        else:
            path = run_one(plan.parse_name(args.name), args.archive_root, args.work_root, args.data_root)
    except SpapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"archived {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
