"""The switch of Sec. 4.3: SPAP/ASPP/atrous parameters are frozen for the first steps, then trained.

"We start to update the parameters of SPAP and Atrous convolution after a number of training steps (40k
steps for unconditional GAN and 100 epoch for CycleGAN model)." The pyramid parameters are every parameter
of a :class:`SPAP` or :class:`ASPP` block and the dilated copies of an :class:`AtrousAugmentedConv2d` (not
the original conv's own weight, which trains from step 0).
"""

from __future__ import annotations

import torch.nn as nn

from spap_lib.models.aspp import ASPP
from spap_lib.models.atrous import AtrousAugmentedConv2d
from spap_lib.models.spap import SPAP


def pyramid_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The parameters the paper freezes at the start of training (may be empty: vanilla)."""
    params: list[nn.Parameter] = []
    for module in model.modules():
        if isinstance(module, (SPAP, ASPP)):
            params += list(module.parameters())
        elif isinstance(module, AtrousAugmentedConv2d):
            params += list(module.atrous.parameters())
    unique = {id(p): p for p in params}  # an ASPP inside a SPAP would be counted twice
    return list(unique.values())


def set_pyramid_trainable(model: nn.Module, trainable: bool) -> int:
    """Freeze (``False``) or unfreeze (``True``) the pyramid parameters; return how many tensors changed."""
    params = pyramid_parameters(model)
    for p in params:
        p.requires_grad_(trainable)
        if not trainable:
            p.grad = None
    return len(params)
