"""The machinery both trainers share around their networks: device and determinism, RNG capture and restore,
process group (DDP), model wrapping (compile, channels_last), AMP, weight initialisation, threads, progress.

Determinism: every global RNG is seeded from the run's seed; the trainers' own streams (latent codes, image
pools) are seeded ``torch.Generator`` objects saved in checkpoints; RNG states covered by checkpoints: torch
CPU (and CUDA when used), Python ``random``, NumPy's global generator. Seeded runs on the CPU reproduce
bit for bit (``tests/training``).

DDP (``torchrun --nproc_per_node K -m spap_lib train ...``): the process group uses NCCL on GPUs and gloo
on the CPU. Generators and discriminators are wrapped in ``DistributedDataParallel`` with only the
parameters that currently train; when the pyramid switches on (Sec. 4.3) the wrappers are rebuilt so the
newly trainable parameters are synchronised too. Losses that only need a network's output (D in the G
step) call the unwrapped module, so DDP never waits for gradients that are thrown away. BatchNorm
statistics are per process on the CPU (SyncBatchNorm needs GPUs); on GPUs we convert to SyncBatchNorm so
K processes match one process with the same global batch.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import parametrize

from spap_lib.errors import ConfigError
from spap_lib.models.selfmod import SelfModulatedBatchNorm
from spap_lib.training.config import Config


def pick_device(name: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; ``"cuda"`` without a GPU is a ConfigError."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' requested but no GPU is visible: use --set device=cpu")
    return torch.device(name)


def set_determinism(seed: int, deterministic: bool) -> None:
    """Seed every global RNG; ask torch for deterministic kernels (warn-only where none exists)."""
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def rng_state() -> dict[str, Any]:
    """Global RNG states in a ``weights_only``-loadable form."""
    py = random.getstate()
    np_state = np.random.get_state()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "python": [py[0], list(py[1]), py[2]],
        "numpy": [
            np_state[0],
            torch.from_numpy(np.asarray(np_state[1], dtype=np.int64)),
            int(np_state[2]),
            int(np_state[3]),
            float(np_state[4]),
        ],
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    n = state["numpy"]
    np.random.set_state((n[0], n[1].numpy().astype(np.uint32), n[2], n[3], n[4]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def unwrap(module: torch.nn.Module) -> torch.nn.Module:
    """The plain module under DDP and/or torch.compile wrappers (what checkpoints store)."""
    while True:
        if hasattr(module, "_orig_mod"):
            module = module._orig_mod
        elif isinstance(module, torch.nn.parallel.DistributedDataParallel):
            module = module.module
        else:
            return module


class preserved_rng:
    """Context manager: code inside may draw from the global RNGs without changing the run's trajectory."""

    def __enter__(self) -> None:
        self._state = rng_state()

    def __exit__(self, *exc: object) -> None:
        set_rng_state(self._state)


def init_distributed(device: torch.device) -> tuple[int, int, torch.device]:
    """(rank, world size, device) from torchrun's environment; a no-op (0, 1) when not launched by it."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, device
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend)
    rank = dist.get_rank()
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    return rank, dist.get_world_size(), device


def named_generator(seed: int, name: str) -> torch.Generator:
    """A CPU generator seeded from ``(seed, name)`` alone (SHA-256), independent of any other draw."""
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little"))


def init_weights(
    module: nn.Module, std: float = 0.02, paired_seed: int | None = None, prefix: str = ""
) -> None:
    """N(0, std) conv/linear weights, zero biases; BN weight N(1, std) (reference ``init_weights``).

    Under spectral norm the raw weight (``parametrizations.weight.original``) is initialised. SPAP's gamma is
    a bare parameter and stays 0. A self-modulated BN's scale head gets its bias 1 back last (compare_gan's
    ``bias_start=1``; :mod:`spap_lib.models.selfmod`).

    ``paired_seed``: draw each module's weights from its own generator seeded by ``(paired_seed, prefix +
    module name)`` instead of the global RNG, so every layer two variants share by name starts identical
    whatever the variants add elsewhere (paired runs; ``SharedConfig.paired_init``). Spectral norm's power-
    iteration vectors are then redrawn from the same generator and refined on the initialised weight (15
    iterations, as at construction), so they are paired too.
    """
    for name, m in module.named_modules():
        g = named_generator(paired_seed, prefix + name) if paired_seed is not None else None
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            if parametrize.is_parametrized(m, "weight"):
                weight = m.parametrizations.weight.original
            else:
                weight = m.weight
            nn.init.normal_(weight, 0.0, std, generator=g)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
            if g is not None and parametrize.is_parametrized(m, "weight"):
                _pair_power_iteration(m.parametrizations.weight[0], weight, g)
        elif isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d) and m.affine:
            nn.init.normal_(m.weight, 1.0, std, generator=g)
            nn.init.zeros_(m.bias)
    for m in module.modules():  # the scale head of a self-modulated BN starts at bias 1, not 0
        if isinstance(m, SelfModulatedBatchNorm):
            m.reset_modulation_bias()


@torch.no_grad()
def _pair_power_iteration(sn: nn.Module, weight: torch.Tensor, g: torch.Generator) -> None:
    """Spectral norm's (u, v) drawn from ``g`` and refined on ``weight`` (torch's own construction steps)."""
    if not hasattr(sn, "_u"):  # 1-d weights need no power iteration
        return
    sn._u.copy_(F.normalize(torch.randn(sn._u.shape, generator=g), dim=0, eps=sn.eps))
    sn._v.copy_(F.normalize(torch.randn(sn._v.shape, generator=g), dim=0, eps=sn.eps))
    sn._power_method(sn._reshape_weight_to_matrix(weight), 15)


def prepare_module(module: nn.Module, device: torch.device, config: Config, world: int) -> nn.Module:
    module = module.to(device)
    if world > 1 and device.type == "cuda":
        module = nn.SyncBatchNorm.convert_sync_batchnorm(module)
    if config.channels_last:
        module = module.to(memory_format=torch.channels_last)
    return module


def wrap(module: nn.Module, config: Config, world: int, device: torch.device) -> nn.Module:
    """DDP (when ``world > 1``) and torch.compile (when configured) around a prepared module."""
    wrapped: nn.Module = module
    if world > 1:
        ids = [device.index] if device.type == "cuda" else None
        wrapped = nn.parallel.DistributedDataParallel(module, device_ids=ids)
    if config.compile:
        wrapped = torch.compile(wrapped)
    return wrapped


def autocast(config: Config, device: torch.device) -> contextlib.AbstractContextManager[Any]:
    if config.precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if config.precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def make_scaler(config: Config, device: torch.device) -> torch.amp.GradScaler:
    """A GradScaler, enabled only for fp16 (bf16 and fp32 need none)."""
    return torch.amp.GradScaler(device.type, enabled=config.precision == "fp16")


def to_input(x: torch.Tensor, config: Config, device: torch.device) -> torch.Tensor:
    x = x.to(device, non_blocking=True)
    if config.channels_last and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


def all_mean(value: torch.Tensor, world: int) -> float:
    """A scalar loss averaged over processes (for logging)."""
    value = value.detach().float()
    if world > 1:
        value = value.clone()
        dist.all_reduce(value)
        value /= world
    return float(value)


@contextlib.contextmanager
def progress(total: int, initial: int, config: Config, rank: int, desc: str) -> Iterator[Any]:
    """A tqdm bar (rank 0 only), off with ``progress=False`` or the TQDM_DISABLE environment variable."""
    from tqdm import tqdm  # not tqdm.auto: in a notebook kernel without ipywidgets it warns on import

    disable = (
        not config.progress
        or rank != 0
        or os.environ.get("TQDM_DISABLE", "").lower() not in ("", "0", "false")
    )
    bar = tqdm(
        total=total,
        initial=initial,
        desc=desc,
        disable=disable,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    try:
        yield bar
    finally:
        bar.close()


def barrier(world: int) -> None:
    if world > 1:
        dist.barrier()


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """Run with ``n`` torch intra-op threads (0 = unchanged), restoring the previous count afterwards."""
    before = torch.get_num_threads()
    if n > 0:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
