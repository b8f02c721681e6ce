"""Receptive fields of the discriminators, computed from the built modules (Sec. 4.6).

Layer by layer, with r the receptive field and j the jump (product of strides so far):
    r <- r + (k_eff - 1) * j,   j <- j * stride,   k_eff = dilation * (kernel - 1) + 1.
A layer with parallel branches (atrous copies, ASPP's pyramid) contributes its widest branch; the branches
are centred on the same point ('same' padding), so the widest one bounds the union. Activations and norms
contribute nothing. ``tests/models/test_receptive_field.py`` checks the result against the input-gradient
support of one output unit.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch.nn as nn

from spap_lib.models.aspp import ASPP
from spap_lib.models.atrous import AtrousAugmentedConv2d
from spap_lib.models.pyramid import AtrousPyramid

_NEUTRAL = (
    nn.ReLU,
    nn.LeakyReLU,
    nn.Identity,
    nn.InstanceNorm2d,
    nn.BatchNorm2d,
    nn.Sigmoid,
    nn.Tanh,
)


def _extent(conv: nn.Conv2d) -> int:
    return conv.dilation[0] * (conv.kernel_size[0] - 1) + 1


def layer_geometry(module: nn.Module) -> tuple[int, int]:
    """(effective kernel, stride) of one layer in a feed-forward chain."""
    if isinstance(module, AtrousAugmentedConv2d):
        return max([_extent(module)] + [_extent(c) for c in module.atrous]), module.stride[0]
    if isinstance(module, (ASPP, AtrousPyramid)):
        pyramid = module.levels if isinstance(module, ASPP) else module
        return max(_extent(c) for c in pyramid.branches), 1
    if isinstance(module, nn.Conv2d):
        return _extent(module), module.stride[0]
    if isinstance(module, _NEUTRAL):
        return 1, 1
    raise TypeError(f"no receptive-field rule for {type(module).__name__}")


def receptive_field(layers: Iterable[nn.Module]) -> int:
    """Receptive field (in input pixels) of one unit at the end of a chain of layers."""
    r, j = 1, 1
    for layer in layers:
        k, s = layer_geometry(layer)
        r += (k - 1) * j
        j *= s
    return r


def discriminator_receptive_field(d: nn.Module) -> int:
    """Receptive field of the last conv unit of an SNDCGAN or PatchGAN discriminator."""
    layers = d.layers_in_order() if hasattr(d, "layers_in_order") else list(d.features)
    return receptive_field(layers)
