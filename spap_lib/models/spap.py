"""Spatial Pyramid Attentive Pooling (SPAP), Sec. 3.2 and Fig. 2 of the paper.

x --> five pyramid branches f_1..f_5 --> cascade of attentive fuses (Eq. 5) --> o
y = gamma * o + (1 - gamma) * x                                                  (Eq. 6)

Reading of Eq. 5. The paper prints
    AttenFuse(f_i, f_{i+1}) = f_i * alpha_i + f_{i+1} * (1 - alpha_{i+1}),   alpha_i = Atten(f_i, f_{i+1}).
We read ``alpha_{i+1}`` as a typo for ``alpha_i``:
    AttenFuse(f_i, f_{i+1}) = f_i * alpha_i + f_{i+1} * (1 - alpha_i).
Reasons: (1) ``alpha_{i+1} = Atten(f_{i+1}, f_{i+2})`` does not exist for the last fuse and would make each
fuse depend on the next one, which a cascade cannot compute in order; (2) with one map per fuse every output
pixel is a convex combination of the two levels, which is what "a dynamic combination of the two features"
and the heat maps of Figs. 7-9 (one map per fuse, four for five levels) show. ``test_spap.py`` checks it.

Cascade. Levels are fused one at a time, the running result playing ``f_i`` and the next level ``f_{i+1}``:
coarse-to-fine starts from the largest rate (C3D7 -> C3D5 -> C3D3 -> C3D1 -> C1D1), fine-to-coarse from the
1x1 branch. The paper does not specify ``Atten``; we use the smallest two-layer conv net that sees both
levels: 3x3 conv (2C -> max(C/16, 4)), ReLU, 1x1 conv (-> 1), sigmoid. At C = 128 that is 18,449 parameters
per fuse, 73,796 for four; the paper's Table 1 implies ~84k for attention and gamma together (20.756M -
20.065M - 606,848 branch weights), the same order; we do not tune to it.

gamma starts at 0, so an untrained (or frozen, Sec. 4.3) SPAP is the identity and the network behaves as
its vanilla twin until the pyramid is switched on -- the same initialisation as SA-GAN's residual gamma.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from spap_lib.errors import ConfigError
from spap_lib.models.layers import maybe_sn
from spap_lib.models.pyramid import AtrousPyramid

ORDERS = ("coarse_to_fine", "fine_to_coarse")


class AttentiveFuse(nn.Module):
    """Eq. 5: ``f_i * alpha + f_next * (1 - alpha)`` with a pixel-wise map ``alpha = Atten(f_i, f_next)``."""

    def __init__(self, channels: int, sn: bool = False):
        super().__init__()
        hidden = max(channels // 16, 4)  # >= 4: a spectral-normed 1x1 -> 1 weight would be a constant ±1
        self.atten = nn.Sequential(
            maybe_sn(nn.Conv2d(2 * channels, hidden, 3, padding=1), sn),
            nn.ReLU(inplace=True),
            maybe_sn(nn.Conv2d(hidden, 1, 1), sn),
            nn.Sigmoid(),
        )

    def forward(self, f_i: torch.Tensor, f_next: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        alpha = self.atten(torch.cat([f_i, f_next], dim=1))  # (B, 1, H, W), in (0, 1)
        return f_i * alpha + f_next * (1 - alpha), alpha


class SPAP(nn.Module):
    """Spatial Pyramid Attentive Pooling block: same channels and size in and out.

    Args:
        channels: channels of the input feature map (kept by every branch).
        atrous_rates: the three atrous rates, strictly increasing; (3, 5, 7) for synthesis, (6, 12, 18) for
            translation (Sec. 4.3).
        order: ``"coarse_to_fine"`` (largest rate first, the paper's best) or ``"fine_to_coarse"``.
        sn: spectral-normalise every conv (the paper applies SN to the SNDCGAN generator).

    Set ``record_attention = True`` (or use :func:`spap_lib.models.capture_attention`) to keep the four
    attention maps of the last forward in ``last_attention``; otherwise nothing is stored.
    """

    def __init__(
        self,
        channels: int,
        atrous_rates: tuple[int, ...] = (3, 5, 7),
        order: str = "coarse_to_fine",
        sn: bool = False,
    ):
        super().__init__()
        if order not in ORDERS:
            raise ConfigError(f"unknown SPAP order {order!r}: use one of {', '.join(ORDERS)}")
        self.order = order
        self.levels = AtrousPyramid(channels, atrous_rates, sn=sn)
        self.fuses = nn.ModuleList(AttentiveFuse(channels, sn=sn) for _ in range(4))
        self.gamma = nn.Parameter(torch.zeros(1))
        self.record_attention = False
        self.last_attention: list[torch.Tensor] | None = None

    @property
    def level_names(self) -> list[str]:
        """The five levels in the order they are fused (``CkDn`` notation of Fig. 7)."""
        names = self.levels.level_names
        return names[::-1] if self.order == "coarse_to_fine" else names

    @property
    def fuse_names(self) -> list[str]:
        """One label per attention map: the running result's newest level and the level fused into it."""
        names = self.level_names
        return [f"{names[i]} + {names[i + 1]}" for i in range(4)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        levels = self.levels(x)  # fine to coarse
        if self.order == "coarse_to_fine":
            levels = levels[::-1]
        fused = levels[0]
        maps = []
        for fuse, level in zip(self.fuses, levels[1:]):
            fused, alpha = fuse(fused, level)
            maps.append(alpha)
        self.last_attention = [m.detach() for m in maps] if self.record_attention else None
        return self.gamma * fused + (1 - self.gamma) * x
