"""Atrous convolutions added to a discriminator layer (Sec. 3.2 "Discriminator", Fig. 3).

For one conv layer, parallel copies with the same kernel size and stride are added at dilation rates
(3, 5, 7); "these layers are included in the whole network by calculating mean of outputs, and finally
average with the origin no-atrous convolution layer":
    y = 0.5 * conv(x) + 0.5 * mean_r conv_r(x).
Following Wei et al. [43] the copies keep the output size ('same' padding for the dilated kernel).

:class:`AtrousAugmentedConv2d` *is* an ``nn.Conv2d`` whose own weight and bias are the original layer's, so
a discriminator keeps the reference implementation's parameter names (``model.5.weight``) and only adds
``model.5.atrous.{0,1,2}.*`` -- reference CycleGAN checkpoints load with ``strict=False``.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from spap_lib.models.layers import check_rates, maybe_sn, same_padding


class AtrousAugmentedConv2d(nn.Conv2d):
    """A conv layer plus parallel dilated copies (same kernel, stride and channels), averaged as in Fig. 3."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        atrous_rates: tuple[int, ...] = (3, 5, 7),
        bias: bool = True,
        sn: bool = False,
    ):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, bias=bias)
        self.atrous_rates = check_rates(atrous_rates)
        self.atrous = nn.ModuleList(
            maybe_sn(
                nn.Conv2d(
                    in_channels,
                    out_channels,
                    kernel_size,
                    stride,
                    padding=same_padding(kernel_size, stride, r),
                    dilation=r,
                    bias=bias,
                ),
                sn,
            )
            for r in self.atrous_rates
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        base = F.conv2d(x, self.weight, self.bias, self.stride, self.padding)
        dilated = torch.stack([conv(x) for conv in self.atrous]).mean(dim=0)
        return 0.5 * base + 0.5 * dilated
