"""The atrous spatial pyramid shared by SPAP and ASPP: five parallel branches on one feature map.

Sec. 4.3: "three 3x3 atrous convolutions with different rates, one 3x3 and then one 1x1 convolution".
Every branch keeps the channel count and the spatial size (zero 'same' padding), so the levels can be fused
pixel by pixel. At 128 channels the five branches hold 4 x (9*128*128 + 128) + (128*128 + 128) = 606,848
parameters (weights and biases, no normalisation inside the branches).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from spap_lib.models.layers import check_rates, maybe_sn


class AtrousPyramid(nn.Module):
    """Five parallel convolutions: 1x1, 3x3 at rate 1, and 3x3 at each of ``atrous_rates``.

    ``forward`` returns the five feature maps ordered fine to coarse:
    ``[C1D1, C3D1, C3D{r1}, C3D{r2}, C3D{r3}]`` (``CkDn`` = k x k conv at rate n, the paper's Fig. 7 notation).
    """

    def __init__(self, channels: int, atrous_rates: tuple[int, ...] = (3, 5, 7), sn: bool = False):
        super().__init__()
        self.atrous_rates = check_rates(atrous_rates)
        self.rates = (1, 1, *self.atrous_rates)
        self.kernel_sizes = (1, 3, 3, 3, 3)
        self.branches = nn.ModuleList(
            maybe_sn(nn.Conv2d(channels, channels, k, padding=(k // 2) * r, dilation=r), sn)
            for k, r in zip(self.kernel_sizes, self.rates)
        )

    @property
    def level_names(self) -> list[str]:
        """Names of the five levels, fine to coarse, in the paper's ``CkDn`` notation."""
        return [f"C{k}D{r}" for k, r in zip(self.kernel_sizes, self.rates)]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [branch(x) for branch in self.branches]
