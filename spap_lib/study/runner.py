"""Run the study: each run trained in pieces (curve points between them), scored, and archived.

``run_one(spec)`` trains one run of the plan in its work folder (``outputs/study/runs/<name>``, resumable:
the trainers resume bit-for-bit from the last checkpoint), pausing at each of ``spec.boundaries()`` to score
the generator (the curve) and, at ``VERIFY_STEPS``, to record the digest of every network's weights for
``study verify``. When training is done it scores the final generator and writes the run's archive folder
under ``results/study/<part>/<name>/`` in one atomic move (``run.json`` last inside it).

``run_study`` prepares what runs share (data, reference statistics), then keeps ``jobs`` worker processes
busy, one run each with one thread (two one-thread runs side by side do 1.7x the steps of one two-thread
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
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch

from spap_lib.data import FaceDataset, synthesize
from spap_lib.errors import ConfigError, SpapError
from spap_lib.io import atomic_write_text, state_digest
from spap_lib.metrics import (
    fd_from_features,
    image_features,
    image_quality,
    kernel_distance,
    reference_stats,
    select_backbone,
    to_uint8,
)
from spap_lib.metrics.frechet import frechet_distance_to
from spap_lib.reports.evaluate import paired_test_set, translate
from spap_lib.study import plan as P
from spap_lib.training import load_generators, sample, train
from spap_lib.training.config import config_to_dict
from spap_lib.training.rundir import CHECKPOINT, git_commit, git_dirty, load_checkpoint

STATE_FILE = "study_state.json"


# --- shared inputs -----------------------------------------------------------------------------------------


def face_folder(data_root: str | Path = P.DATA_ROOT) -> Path:
    c = P.SYNTHESIS.overrides
    return synthesize("faces", data_root, size=c["image_size"], n=c["data_n"], seed=0)


def facade_folder(data_root: str | Path = P.DATA_ROOT) -> Path:
    c = P.TRANSLATION.overrides
    return synthesize("facades", data_root, size=c["load_size"], n=c["data_n"], seed=0)


def face_reference(kind: str, data_root: str | Path = P.DATA_ROOT):
    """(backbone, reference statistics) of the first ``FID_N_REFERENCE`` training faces; kind inception|synth.

    Computed once and cached by ``spap_lib.metrics.reference_stats``, whose lock makes a second worker wait
    for the first instead of computing the same statistics again.
    """
    folder = face_folder(data_root)
    bb = select_backbone(kind, root=data_root)
    files = FaceDataset(folder, split="train").paths[: P.FID_N_REFERENCE]
    if len(files) < P.FID_N_REFERENCE:
        raise ConfigError(f"{folder} has {len(files)} training faces, the study needs {P.FID_N_REFERENCE}")
    name = f"{folder.name}-first{P.FID_N_REFERENCE}"
    size = P.SYNTHESIS.overrides["image_size"]
    return bb, reference_stats(bb, name, "train", size, files=files, root=data_root)


def prepare(data_root: str | Path = P.DATA_ROOT, parts: tuple[str, ...] = tuple(P.PARTS)) -> None:
    """Data and reference statistics every run reads (computed once, before workers start)."""
    if "synthesis" in parts:
        face_folder(data_root)
        face_reference("synth", data_root)  # the Inception statistics are the first job (REFERENCE_JOB)
    if "translation" in parts:
        facade_folder(data_root)


# --- scoring -------------------------------------------------------------------------------------------


def _generated_features(G: torch.nn.Module, n: int, bb) -> np.ndarray:
    return image_features(to_uint8(sample(G, n, seed=P.SAMPLE_SEED)), bb)


def score_synthesis(run_dir: Path, kind: str, n: int, data_root: str | Path) -> dict[str, Any]:
    """FD (FID with kind="inception", FD-synth with "synth") and KD of ``n`` samples of the run's G."""
    bb, ref = face_reference(kind, data_root)
    G = load_generators(run_dir)["G"]
    res = fd_from_features(_generated_features(G, n, bb), ref, bb)
    return {
        "metric": res.metric,
        "value": res.value,
        "kernel_metric": res.kernel_metric,
        "kernel_value": res.kernel_value,
        "n_generated": res.n,
        "n_reference": res.n_ref,
        **bb.describe(),
    }


def score_translation(run_dir: Path, data_root: str | Path) -> dict[str, Any]:
    """PSNR/SSIM of both directions on the paired test split (Table 3's protocol)."""
    gens = load_generators(run_dir)
    A, B = paired_test_set(facade_folder(data_root), P.TRANSLATION.overrides["crop_size"], None)
    fake_b, fake_a = to_uint8(translate(gens["G_AB"], A)), to_uint8(translate(gens["G_BA"], B))
    return {
        "n_pairs": len(A),
        "facades_to_labels": image_quality(zip(fake_b, to_uint8(B))),
        "labels_to_facades": image_quality(zip(fake_a, to_uint8(A))),
    }


# --- one run -------------------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def weights_digest(run_dir: Path) -> dict[str, str]:
    """Digest of every network's weights in the run's checkpoint (G, D / G_AB, G_BA, D_A, D_B): the bytes,
    dtypes and shapes of every tensor in order, not their names (a later rename keeps the archive valid)."""
    ckpt = load_checkpoint(Path(run_dir) / CHECKPOINT)
    nets = ("G", "D") if "G" in ckpt else ("G_AB", "G_BA", "D_A", "D_B")
    return {k: state_digest(ckpt[k], names=False) for k in nets} | {"step": int(ckpt["step"])}


def _read_log(run_dir: Path) -> list[dict]:
    path = Path(run_dir) / "log.jsonl"
    if not path.is_file():  # nothing logged yet (fewer steps than log_every)
        return []
    return [json.loads(ln) for ln in path.read_text().splitlines() if ln.strip()]


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
    spec: P.RunSpec,
    archive_root: str | Path = P.ARCHIVE_ROOT,
    work_root: str | Path = P.WORK_ROOT,
    data_root: str | Path = P.DATA_ROOT,
) -> Path:
    """Train, score and archive one run (resuming whatever an earlier attempt finished)."""
    out = Path(archive_root) / spec.part / spec.name
    if (out / "run.json").is_file():
        return out
    config = spec.config()
    if Path(data_root) != Path(P.DATA_ROOT):  # training reads the synthetic data from the same root
        config = dataclasses.replace(config, data_root=str(data_root))
    run_dir = Path(work_root) / "runs" / spec.name
    state_path = run_dir / STATE_FILE
    state = json.loads(state_path.read_text()) if state_path.is_file() else {}
    state.setdefault("curve", [])
    state.setdefault("eval_s", 0.0)
    # the code this run started with (a resumed run keeps its first start's record)
    state.setdefault("code", {"git_commit": git_commit(), "git_dirty": git_dirty()})
    done = {p["step"] for p in state["curve"]}
    total = spec.total_steps()
    fid_at = round(total * P.PILOT_FID_AT)
    curve_steps = spec.curve_steps()
    for step in spec.boundaries():
        if step in done or (step == P.VERIFY_STEPS and "verify" in state):
            continue
        train(config, run_dir, until_step=step)
        t0 = time.perf_counter()
        if step == P.VERIFY_STEPS:
            state["verify"] = {
                "steps": step,
                "weights": weights_digest(run_dir),
                "log": [r for r in _read_log(run_dir) if r["step"] <= step],
            }
        if step in curve_steps:
            if spec.part == "synthesis":
                point = score_synthesis(run_dir, "synth", P.CURVE_N, data_root)
                point = {
                    "step": step,
                    point["metric"]: point["value"],
                    point["kernel_metric"]: point["kernel_value"],
                }
                if spec.is_pilot and step == fid_at:
                    state["fid_at"] = {
                        "fraction": P.PILOT_FID_AT,
                        "step": step,
                        **score_synthesis(run_dir, "inception", P.FID_N_GENERATED, data_root),
                    }
            else:
                point = {"step": step, **score_translation(run_dir, data_root)}
            state["curve"].append(point)
        state["eval_s"] += time.perf_counter() - t0
        _save_state(run_dir, state)
    t0 = time.perf_counter()
    if spec.part == "synthesis":
        final = score_synthesis(run_dir, "inception", P.FID_N_GENERATED, data_root)
    else:
        final = {k: v for k, v in state["curve"][-1].items() if k != "step"}
    state["eval_s"] += time.perf_counter() - t0
    return write_archive(spec, config, run_dir, state, final, out)


def write_archive(spec, config, run_dir: Path, state: dict, final: dict, out: Path) -> Path:
    """The run's archive folder (run.json, samples.png, G weights for archived seeds), moved in atomically."""
    summary = json.loads((run_dir / "summary.json").read_text())
    record = {
        "study_version": P.STUDY_VERSION,
        "name": spec.name,
        "part": spec.part,
        "table": P.PARTS[spec.part].table,
        "variant": spec.variant,
        "seed": spec.seed,
        "config": config_to_dict(config),
        "final": final,
        "curve": state["curve"],
        "fid_at": state.get("fid_at"),
        "verify": state["verify"],
        "losses": downsample(_read_log(run_dir)),
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
        if spec.seed in P.WEIGHTS_SEEDS:
            ckpt = load_checkpoint(run_dir / CHECKPOINT)
            nets = ("G",) if spec.part == "synthesis" else ("G_AB", "G_BA")
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
    archive_root: str | Path = P.ARCHIVE_ROOT,
    work_root: str | Path = P.WORK_ROOT,
    data_root: str | Path = P.DATA_ROOT,
) -> Path:
    """FID and KID of one trained run at n = ``FID_VS_N`` generated images (the first n of one sample set),
    and of held-out real faces, against the same reference: how far a small-n FID is from the large-n value.
    """
    out = Path(archive_root) / "synthesis" / "fid_vs_n.json"
    if out.is_file():
        return out
    run_dir = Path(work_root) / "runs" / P.FID_VS_N_RUN
    if not (run_dir / "summary.json").is_file():
        raise ConfigError(f"{P.FID_VS_N_RUN} is not trained yet: run the study first")
    t0 = time.perf_counter()
    bb, ref = face_reference("inception", data_root)
    G = load_generators(run_dir)["G"]
    feats = _generated_features(G, max(P.FID_VS_N), bb)
    rows = []
    for n in P.FID_VS_N:
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
        "study_version": P.STUDY_VERSION,
        "run": P.FID_VS_N_RUN,
        "n_reference": ref.n,
        "sample_seed": P.SAMPLE_SEED,
        **bb.describe(),
        "rows": rows,
        "provenance": {
            "wall_s": round(time.perf_counter() - t0, 1),
            "threads": torch.get_num_threads(),
            "cpu_model": cpu_model(),
            "torch": torch.__version__,
            "git_commit": git_commit(),
            "finished_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        },
    }
    atomic_write_text(out, json.dumps(record, indent=1) + "\n")
    return out


def _load_rgb(path: Path) -> np.ndarray:
    from spap_lib.data.images import load_rgb

    return load_rgb(path)


# --- the whole study -------------------------------------------------------------------------------------

FID_VS_N_JOB = "fid-vs-n"
REFERENCE_JOB = "reference-stats"  # the Inception statistics of the reference faces (~18 min on one thread)


def pending(specs: list[P.RunSpec], archive_root: str | Path) -> list[str]:
    """Jobs still to do, in order: the reference statistics (a no-op once cached), runs, FID against n."""
    names = [s.name for s in specs if not (Path(archive_root) / s.part / s.name / "run.json").is_file()]
    if any(s.part == "synthesis" for s in specs) and names:
        names.insert(0, REFERENCE_JOB)
    if (
        any(s.name == P.FID_VS_N_RUN for s in specs)
        and not (Path(archive_root) / "synthesis" / "fid_vs_n.json").is_file()
    ):
        names.append(FID_VS_N_JOB)
    return names


def run_study(
    specs: list[P.RunSpec],
    jobs: int = 2,
    archive_root: str | Path = P.ARCHIVE_ROOT,
    work_root: str | Path = P.WORK_ROOT,
    data_root: str | Path = P.DATA_ROOT,
    log=print,
) -> list[str]:
    """Run every pending run of ``specs`` with ``jobs`` one-thread workers; return the names that failed."""
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
    running: dict[str, tuple[subprocess.Popen, float]] = {}
    failed: list[str] = []
    n_total, n_done = len(todo), 0

    def ready(name: str) -> bool:
        return (
            name != FID_VS_N_JOB or (Path(archive_root) / "synthesis" / P.FID_VS_N_RUN / "run.json").is_file()
        )

    try:
        while todo or running:
            for name in [n for n in todo if ready(n)][: max(0, jobs - len(running))]:
                todo.remove(name)
                cmd = [
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
                with open(logs / f"{name}.log", "a") as fh:  # the child keeps its own handle
                    proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)
                running[name] = (proc, time.perf_counter())
                log(f"study: started {name} ({len(running)} running, {len(todo)} waiting)")
            if not running and todo:  # only blocked jobs remain
                log(f"study: cannot start {todo}: {P.FID_VS_N_RUN} did not finish")
                failed += todo
                break
            time.sleep(2)
            for name, (proc, t0) in list(running.items()):
                if proc.poll() is None:
                    continue
                del running[name]
                n_done += 1
                took = time.perf_counter() - t0
                if proc.returncode == 0:
                    log(f"study: [{n_done}/{n_total}] finished {name} in {took:.0f} s")
                else:
                    failed.append(name)
                    log(
                        f"study: [{n_done}/{n_total}] FAILED {name} (exit {proc.returncode}): "
                        f"see {logs / (name + '.log')}"
                    )
    finally:
        for proc, _ in running.values():
            proc.terminate()
    return failed


def main(argv: list[str] | None = None) -> int:
    """Worker entry point: ``python -m spap_lib.study.runner NAME`` runs one run (or ``fid-vs-n``)."""
    import argparse

    ap = argparse.ArgumentParser(description="one run of the study (used by `study run`)")
    ap.add_argument("name")
    ap.add_argument("--archive-root", default=P.ARCHIVE_ROOT)
    ap.add_argument("--work-root", default=P.WORK_ROOT)
    ap.add_argument("--data-root", default=P.DATA_ROOT)
    args = ap.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    try:
        if args.name == REFERENCE_JOB:
            path = face_reference("inception", args.data_root)[1].path
        elif args.name == FID_VS_N_JOB:
            path = fid_vs_n(args.archive_root, args.work_root, args.data_root)
        else:
            path = run_one(P.parse_name(args.name), args.archive_root, args.work_root, args.data_root)
    except SpapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"archived {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
