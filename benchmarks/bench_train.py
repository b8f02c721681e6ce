"""Training-step benchmark: median step time per variant and preset, the overhead
of each variant as a ratio to vanilla measured alternating in one process, and peak memory.

Steps run through the real trainers (``train_gan`` / ``train_cyclegan`` with ``until_step``) on in-memory
random data of the preset's size, so the timing covers exactly what training does (forward, backward, Adam,
pool, logging), not data loading. Variants alternate in rounds (vanilla, aspp, spap_c2f, spap_f2c, vanilla,
...); the first step of every round is dropped (warm-up after resuming). Ratios are medians of the
per-round ratios, which cancels most of the load other processes put on the machine.

Peak memory: ``torch.cuda.max_memory_allocated`` on a GPU; on the CPU the peak resident set size
(``resource.getrusage``) of a fresh subprocess that runs the same steps for one variant.

    python benchmarks/bench_train.py --kind gan --preset cpu
    python benchmarks/bench_train.py --kind cyclegan --preset cpu
    python benchmarks/bench_train.py --kind cyclegan --preset paper --variants vanilla spap_c2f \
        --rounds 2 --steps 2 --set device=cpu precision=fp32      # 256 px on the CPU: a few steps only
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from torch.utils.data import Dataset

os.environ.setdefault("TQDM_DISABLE", "1")

from spap_lib.models import VARIANTS  # noqa: E402
from spap_lib.training import make_config, train_cyclegan, train_gan  # noqa: E402


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
    before = _n_lines(run_dir / "log.jsonl")
    fn(config, run_dir, dataset=_dataset(config), until_step=until)
    lines = (run_dir / "log.jsonl").read_text().splitlines()[before:]
    return [json.loads(ln)["step_s"] for ln in lines]


def _n_lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


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
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if "vanilla" not in args.variants:
        args.variants.insert(0, "vanilla")
    times, per_round = measure(args.kind, args.preset, args.variants, args.rounds, args.steps, args.overrides)
    print(f"# {args.kind} preset={args.preset} overrides={args.overrides} torch={torch.__version__}")
    print(f"# threads={torch.get_num_threads()} rounds={args.rounds} steps/round={args.steps}")
    print(f"{'variant':<10} {'median s/step':>14} {'ratio vs vanilla':>17} {'peak MiB':>9}")
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
        rows.append(row)
        mem_s = "-" if mem is None else f"{mem:.0f}"
        print(f"{v:<10} {row['median_step_s']:>14.4f} {row['ratio_vs_vanilla']:>17.3f} {mem_s:>9}")
    print(json.dumps({"kind": args.kind, "preset": args.preset, "rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
