"""Small building blocks shared by every network: spectral norm on demand and 'same' padding for atrous convs."""

from __future__ import annotations

import torch.nn as nn
from torch.nn.utils.parametrizations import spectral_norm

from spap_lib.errors import ConfigError


def maybe_sn(module: nn.Module, enabled: bool) -> nn.Module:
    """Wrap ``module`` in spectral normalisation (Miyato et al. 2018) when ``enabled``.

    Uses the parametrizations API (not the legacy ``torch.nn.utils.spectral_norm``), which keeps the
    trainable-parameter count unchanged (u, v are buffers) and works with ``torch.compile``.
    """
    return spectral_norm(module) if enabled else module


def same_padding(kernel_size: int, stride: int, dilation: int) -> int:
    """Padding that makes a (possibly dilated) conv give the same output size as its rate-1 twin.

    A rate-1 conv with kernel k and stride s is padded by (k - s) / 2 (k=3,s=1 -> 1; k=4,s=2 -> 1);
    its dilated copy has effective kernel d(k-1)+1 and needs (d(k-1) + 1 - s) / 2.
    """
    total = dilation * (kernel_size - 1) + 1 - stride
    if total < 0 or total % 2:
        raise ConfigError(
            f"kernel {kernel_size}, stride {stride}, dilation {dilation} has no symmetric 'same' padding; "
            "use an odd dilation rate with even kernels"
        )
    return total // 2


def check_rates(rates: tuple[int, ...] | list[int], n: int = 3) -> tuple[int, ...]:
    """Validate atrous rates: ``n`` integers > 1, strictly increasing (fine to coarse)."""
    rates = tuple(int(r) for r in rates)
    if len(rates) != n or any(r <= 1 for r in rates) or any(a >= b for a, b in zip(rates, rates[1:])):
        raise ConfigError(
            f"atrous rates {rates} are invalid: give {n} strictly increasing integers > 1, e.g. (3, 5, 7)"
        )
    return rates
