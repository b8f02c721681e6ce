"""GPU benchmark of the paper presets (not a test; needs CUDA): step time, images/s, peak memory and the
projected time of the full paper runs, for vanilla and SPAP, bf16 and fp32, channels_last and torch.compile
on and off (the grid of ``spap_lib.reports.gpu_speed``). Writes one JSON (``--out``, default
results/gpu/benchmark.json), rewritten after each configuration, for the book's GPU page.

Steps run through the real trainers (``train`` with ``until_step``) on in-memory random data of the paper
size; the first ``--warmup`` steps (compilation, cuDNN autotuning) are not timed.

    bash benchmarks/gpu.sh            # or: python benchmarks/bench_gpu.py --steps 200
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from bench_train import _config, _run  # noqa: E402

from spap_lib.io import read_json, write_json  # noqa: E402
from spap_lib.reports.gpu_speed import CYCLEGAN_ITERS_PER_EPOCH, KINDS, VARIANTS, config_of, grid  # noqa: E402
from spap_lib.training.rundir import git_commit  # noqa: E402


def measure(
    kind: str, variant: str, precision: str, channels_last: bool, compile_: bool, steps: int, warmup: int
) -> dict:
    overrides = [
        f"precision={precision}",
        f"channels_last={channels_last}",
        f"compile={compile_}",
        "device=cuda",
        "num_workers=0",
    ]
    overrides += ["freeze_steps=0"] if kind == "gan" else ["freeze_epochs=0"]  # the pyramid trains
    config = _config(kind, "paper", variant, overrides)
    # each configuration compiles afresh: otherwise the frames compiled for earlier configurations count
    # against dynamo's recompile limit (8), and later "compiled" configurations silently run eager
    torch._dynamo.reset()
    torch.cuda.reset_peak_memory_stats()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        times = _run(config, Path(tmp), until=warmup + steps)[warmup:]
        wall = time.perf_counter() - t0
    s = statistics.median(times)
    row = {
        "kind": kind,
        "variant": variant,
        "precision": precision,
        "channels_last": channels_last,
        "compile": compile_,
        "steps": steps,
        "median_step_s": s,
        "images_per_s": config.batch_size / s,
        "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30,
        "wall_s": wall,
    }
    if kind == "gan":
        row["projected_paper_run_h"] = config.steps * s / 3600
    else:
        epochs = config.n_epochs + config.n_epochs_decay
        row["projected_paper_run_h"] = {d: epochs * n * s / 3600 for d, n in CYCLEGAN_ITERS_PER_EPOCH.items()}
    return row


def kept_rows(path: str, result: dict) -> list[dict]:
    """The rows of an earlier result (``--keep``), each with the commit it was measured at; the earlier result
    must come from the same device, torch and steps. A row is replaced once its configuration is re-measured."""
    earlier = read_json(path)
    for key in ("device", "torch", "steps", "warmup"):
        if earlier[key] != result[key]:
            raise SystemExit(
                f"error: --keep {path}: its {key} is {earlier[key]!r}, this run's {result[key]!r}"
            )
    return [{"git_commit": earlier["git_commit"], **r} for r in earlier["rows"]]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    ap.add_argument("--compile", choices=("both", "on", "off"), default="both")
    ap.add_argument("--out", default="results/gpu/benchmark.json")
    ap.add_argument("--keep", help="an earlier result: its rows are kept unless re-measured now")
    ap.add_argument("--commit", default=None, help="the source commit, where the tree is a copy without .git")
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("error: no CUDA device: this benchmark measures the paper presets on a GPU", file=sys.stderr)
        return 2
    compiled = {"both": (False, True), "on": (True,), "off": (False,)}[args.compile]
    configs = grid(tuple(args.kinds), tuple(args.variants), compiled)
    commit = args.commit or git_commit()
    result = {
        "device": torch.cuda.get_device_name(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "git_commit": commit,
        "steps": args.steps,
        "warmup": args.warmup,
        "rows": [],
    }
    rows = kept_rows(args.keep, result) if args.keep else []
    order = {c: i for i, c in enumerate(grid())}
    # the file is rewritten (atomically) after every row: a run cut short keeps what it measured
    for config in configs:
        row = {"git_commit": commit, **measure(*config, args.steps, args.warmup)}
        print(json.dumps(row), flush=True)
        rows = [r for r in rows if config_of(r) != config] + [row]
        result["rows"] = sorted(rows, key=lambda r: order.get(config_of(r), len(order)))
        write_json(args.out, result)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
