"""Training-step benchmark: median step time per variant and preset, the overhead
of each variant as a ratio to vanilla measured alternating in one process, and peak memory.

Steps run through the real trainers (``train_gan`` / ``train_cyclegan`` with ``until_step``) on in-memory
random data of the preset's size, so the timing covers exactly what training does (forward, backward, Adam,
pool, logging), not data loading. Variants alternate in rounds (vanilla, aspp, spap_c2f, spap_f2c, vanilla,
...); the first step of every round is dropped (warm-up after resuming). Ratios are medians of the
per-round ratios, which cancels most of the load other processes put on the machine.

Peak memory: ``torch.cuda.max_memory_allocated`` on a GPU; on the CPU the peak resident set size
(``resource.getrusage``) of a fresh subprocess that runs the same steps for one variant.

``--efficiency``: the FLOPs of one training step (``torch.utils.flop_counter.FlopCounterMode`` around one
resumed step of the real trainer: forward, backward and optimiser, convolutions and matrix products), the
achieved GFLOP/s (FLOPs / median step time) and its ratio to a conv peak measured in the same run (a large
3x3 convolution, forward and backward, 16x128x64x64 -> 128 channels). The study's presets use the cpu presets'
networks (``spap_lib.study.plan``), so ``--preset cpu`` covers both.

    python benchmarks/bench_train.py --kind gan --preset cpu
    python benchmarks/bench_train.py --kind cyclegan --preset cpu
    python benchmarks/bench_train.py --kind cyclegan --preset paper --variants vanilla spap_c2f \
        --rounds 2 --steps 2 --set device=cpu precision=fp32      # 256 px on the CPU: a few steps only
    python benchmarks/bench_train.py --kind gan --preset cpu --variants vanilla spap_c2f --efficiency \
        --set freeze_steps=0                                         # pyramid trainable from step 0
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.data import Dataset

os.environ.setdefault("TQDM_DISABLE", "1")

from spap_lib.models import VARIANTS  # noqa: E402
from spap_lib.training import make_config, train_cyclegan, train_gan  # noqa: E402
from spap_lib.training.rundir import read_log  # noqa: E402


class RandomImages(Dataset):
    """Random images in [-1, 1]: GAN items are tensors, CycleGAN items dicts with "A" and "B"."""

    def __init__(self, n: int, size: int, paired: bool):
        self.n, self.size, self.paired = n, size, paired

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        g = torch.Generator().manual_seed(i)
        x = torch.rand(2 if self.paired else 1, 3, self.size, self.size, generator=g) * 2 - 1
        if self.paired:
            return {"A": x[0], "B": x[1], "A_path": str(i), "B_path": str(i)}
        return x[0]


def _config(kind: str, preset: str, variant: str, overrides: list[str]):
    base = ["progress=false", "log_every=1", "sample_every=1000000", "checkpoint_every=1000000"]
    return make_config(kind, preset, [*base, f"variant={variant}", *overrides])


def _dataset(config) -> Dataset:
    if config.kind == "gan":
        return RandomImages(max(config.batch_size * 4, 64), config.image_size, paired=False)
    return RandomImages(max(config.batch_size * 4, 16), config.crop_size, paired=True)


def _run(config, run_dir: Path, until: int) -> list[float]:
    """Train up to ``until`` steps; return the step times of this call (from log.jsonl)."""
    fn = train_gan if config.kind == "gan" else train_cyclegan
    before = len(read_log(run_dir, missing_ok=True))
    fn(config, run_dir, dataset=_dataset(config), until_step=until)
    return [r["step_s"] for r in read_log(run_dir)[before:]]


def measure(kind: str, preset: str, variants: list[str], rounds: int, steps: int, overrides: list[str]):
    """Per variant: all step times and per-round medians (rounds alternate variants)."""
    with tempfile.TemporaryDirectory() as tmp:
        times: dict[str, list[float]] = {v: [] for v in variants}
        per_round: dict[str, list[float]] = {v: [] for v in variants}
        for r in range(rounds):
            for v in variants:
                config = _config(kind, preset, v, overrides)
                t = _run(config, Path(tmp) / v, until=(r + 1) * (steps + 1))[1:]  # drop warm-up step
                times[v] += t
                per_round[v].append(statistics.median(t))
    return times, per_round


def peak_memory(kind: str, preset: str, variant: str, steps: int, overrides: list[str]) -> float:
    """Peak memory in MiB of ``steps`` training steps of one variant."""
    config = _config(kind, preset, variant, overrides)
    if config.device.startswith("cuda") or (config.device == "auto" and torch.cuda.is_available()):
        torch.cuda.reset_peak_memory_stats()
        with tempfile.TemporaryDirectory() as tmp:
            _run(config, Path(tmp), until=steps)
        return torch.cuda.max_memory_allocated() / 2**20
    here = str(Path(__file__).parent)
    code = (
        f"import sys, resource, tempfile; from pathlib import Path; sys.path.insert(0, {here!r});"
        "import bench_train as b;"
        f"c = b._config({kind!r}, {preset!r}, {variant!r}, {overrides!r});"
        f"d = tempfile.mkdtemp(); b._run(c, Path(d), {steps});"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024  # ru_maxrss is KiB on Linux


def conv_peak(repeats: int = 3) -> float:
    """GFLOP/s of a large 3x3 convolution, forward and backward (input and weight gradients)."""
    x = torch.randn(16, 128, 64, 64, requires_grad=True)
    w = torch.randn(128, 128, 3, 3, requires_grad=True)
    flops = 3 * 2 * 16 * 128 * 128 * 9 * 64 * 64  # forward, grad-input, grad-weight
    times = []
    for _ in range(repeats + 1):
        t0 = time.perf_counter()
        y = torch.nn.functional.conv2d(x, w, padding=1)
        y.backward(torch.ones_like(y))
        times.append(time.perf_counter() - t0)
        x.grad = w.grad = None
    return flops / statistics.median(times[1:]) / 1e9


def step_flops(kind: str, preset: str, variant: str, overrides: list[str]) -> float:
    """FLOPs of one training step through the real trainer (the second step, resumed from the first)."""
    from torch.utils.flop_counter import FlopCounterMode

    config = _config(kind, preset, variant, overrides)
    with tempfile.TemporaryDirectory() as tmp:
        _run(config, Path(tmp), until=1)
        with FlopCounterMode(display=False) as counter:
            _run(config, Path(tmp), until=2)
    return float(counter.get_total_flops())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kind", choices=("gan", "cyclegan"), default="cyclegan")
    p.add_argument("--preset", default="cpu")
    p.add_argument("--variants", nargs="+", default=list(VARIANTS))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=5, help="timed steps per variant and round")
    p.add_argument("--set", nargs="*", default=[], dest="overrides", metavar="KEY=VALUE")
    p.add_argument("--no-memory", action="store_true")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument(
        "--efficiency", action="store_true", help="FLOPs per step, GFLOP/s and ratio to a conv peak"
    )
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if "vanilla" not in args.variants:
        args.variants.insert(0, "vanilla")
    times, per_round = measure(args.kind, args.preset, args.variants, args.rounds, args.steps, args.overrides)
    print(f"# {args.kind} preset={args.preset} overrides={args.overrides} torch={torch.__version__}")
    print(f"# threads={torch.get_num_threads()} rounds={args.rounds} steps/round={args.steps}")
    peak = conv_peak() if args.efficiency else None
    if peak is not None:
        print(f"# conv peak (3x3, 128 ch, 64x64, batch 16, fwd+bwd): {peak:.1f} GFLOP/s")
    print(
        f"{'variant':<10} {'median s/step':>14} {'ratio vs vanilla':>17} {'peak MiB':>9}"
        + (f" {'GFLOP/step':>11} {'GFLOP/s':>8} {'of peak':>8}" if peak else "")
    )
    rows = []
    for v in args.variants:
        ratios = [a / b for a, b in zip(per_round[v], per_round["vanilla"])]
        mem = (
            None if args.no_memory else peak_memory(args.kind, args.preset, v, args.steps + 1, args.overrides)
        )
        row = {
            "variant": v,
            "median_step_s": statistics.median(times[v]),
            "ratio_vs_vanilla": statistics.median(ratios),
            "peak_mib": mem,
        }
        line = f"{v:<10} {row['median_step_s']:>14.4f} {row['ratio_vs_vanilla']:>17.3f} "
        line += f"{'-' if mem is None else f'{mem:.0f}':>9}"
        if peak is not None:
            flops = step_flops(args.kind, args.preset, v, args.overrides)
            rate = flops / row["median_step_s"] / 1e9
            row.update(flops_per_step=flops, gflops=rate, fraction_of_peak=rate / peak, conv_peak_gflops=peak)
            line += f" {flops / 1e9:>11.2f} {rate:>8.1f} {rate / peak:>8.1%}"
        rows.append(row)
        print(line)
    print(json.dumps({"kind": args.kind, "preset": args.preset, "rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
