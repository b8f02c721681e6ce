"""Benchmark (not a test): images/second of Fréchet-distance feature extraction on the CPU.

Two paths over the same N generated 64x64 images (SNDCGAN generator, random weights -- speed does not
depend on training):

1. generator -> features, no files (``spap_lib.metrics.generator_features``);
2. generator -> PNG files -> clean-fid's folder path (``cleanfid.fid.get_folder_features``, via
   ``spap_lib.metrics.folder_features``), the usual way of scoring saved samples.

The images are generated once per round (timed alone); then their features are extracted (a) from
memory and (b) after writing PNGs, through clean-fid's folder path; then the end-to-end generator path
(generation included) is timed too. Paths alternate for ``--repeats`` rounds in one process (this
machine is shared and noisy); medians are reported with the ratio folder/generator time.

Backbones: ``synth`` (the offline stand-in, metric FD-synth; 64 px input) and ``inception-arch``
(torchvision's Inception-v3 *architecture* with random weights at 299 px: timing of an Inception-sized
backbone only, no metric -- the real weights are not available offline).

    .venv/bin/python benchmarks/bench_fid.py --backbone synth --num 1000
    .venv/bin/python benchmarks/bench_fid.py --backbone inception-arch --num 200
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
    generator_features,
    image_features,
    pixel_generator,
)
from spap_lib.models import build_sndcgan


def _inception_arch() -> Backbone:
    from torchvision.models import inception_v3

    net = inception_v3(weights=None, aux_logits=False, init_weights=False)
    net.fc = torch.nn.Identity()
    net.eval()
    return Backbone(
        kind="timing-only",
        id="inception-arch-random",
        metric="none (timing only)",
        kernel_metric="none",
        input_size=299,
        forward=lambda x: net((x - 128.0) / 128.0),
    )


def _backbone(name: str, root: str) -> Backbone:
    if name == "synth":
        from spap_lib.metrics import standin_backbone

        return standin_backbone(root)
    return _inception_arch()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backbone", choices=("synth", "inception-arch"), default="synth")
    ap.add_argument("--num", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--root", default="data")
    ap.add_argument("--width", type=float, default=1.0, help="generator width multiplier")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    G, _ = build_sndcgan("vanilla", img_size=64, width=args.width)
    G.eval()
    gen = pixel_generator(G)
    bb = _backbone(args.backbone, args.root)
    print(
        f"backbone {bb.id} ({bb.metric}), input {bb.input_size}px, N={args.num}, "
        f"batch {args.batch_size}, {args.threads} threads"
    )

    def generate(seed: int) -> np.ndarray:
        g = torch.Generator().manual_seed(seed)
        out, left = [], args.num
        while left > 0:
            b = min(args.batch_size, left)
            x = gen(torch.randn((b, 128), generator=g)).numpy().transpose(0, 2, 3, 1)
            out.append(np.clip(np.rint(x), 0, 255).astype(np.uint8))
            left -= b
        return np.concatenate(out)

    t_only_gen, t_gen, t_mem, t_write, t_read = [], [], [], [], []
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

        t0 = time.perf_counter()
        f1 = generator_features(gen, bb, args.num, 128, args.batch_size, seed=r)
        t_gen.append(time.perf_counter() - t0)
        same = np.array_equal(f0, f1) and np.array_equal(f1, f2)
        print(
            f"round {r}: generate {t_only_gen[-1]:.1f}s | features in memory {t_mem[-1]:.2f}s | "
            f"write PNG {t_write[-1]:.2f}s + clean-fid folder features {t_read[-1]:.2f}s | "
            f"generator->features end to end {t_gen[-1]:.1f}s | identical features: {same}"
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
    g0, tg = med(t_only_gen), med(t_gen)
    print(
        f"end to end incl. the generator: generator->features {n / tg:.1f} images/s ({tg:.1f} s), "
        f"of which generating alone takes {g0:.1f} s"
    )


if __name__ == "__main__":
    main()
