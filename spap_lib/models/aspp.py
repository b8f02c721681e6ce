"""Atrous Spatial Pyramid Pooling (ASPP, DeepLab [5]) -- the baseline of Tables 1-3.

The same five branches as SPAP (:class:`AtrousPyramid`), each followed by the network's activation (DeepLab
applies a nonlinearity per branch), concatenated and projected back to ``channels`` by a 1x1 convolution,
then normalised (when the host network normalises) and activated. Unlike SPAP there is no residual path:
DeepLab's ASPP replaces the feature map. At 128 channels: 606,848 (branches) + 82,048 (projection)
+ 256 (BatchNorm affine) = 689,152 parameters in the SNDCGAN generator.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn as nn

from spap_lib.models.layers import maybe_sn
from spap_lib.models.pyramid import AtrousPyramid


class ASPP(nn.Module):
    """ASPP block with the same channels and size in and out.

    Args:
        channels: feature channels.
        atrous_rates: three strictly increasing rates.
        norm: a factory ``norm(channels) -> nn.Module`` applied after the projection, or ``None``
            (discriminators with spectral norm use none).
        activation: a factory for the activation (ReLU in generators, LeakyReLU in discriminators).
        sn: spectral-normalise every conv.
    """

    def __init__(
        self,
        channels: int,
        atrous_rates: tuple[int, ...] = (3, 5, 7),
        norm: Callable[[int], nn.Module] | None = nn.BatchNorm2d,
        activation: Callable[[], nn.Module] = nn.ReLU,
        sn: bool = False,
    ):
        super().__init__()
        self.levels = AtrousPyramid(channels, atrous_rates, sn=sn)
        self.branch_activation = activation()
        self.project = maybe_sn(nn.Conv2d(5 * channels, channels, 1), sn)
        self.norm = norm(channels) if norm is not None else nn.Identity()
        self.activation = activation()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        levels = [self.branch_activation(f) for f in self.levels(x)]
        return self.activation(self.norm(self.project(torch.cat(levels, dim=1))))
