"""Self-modulated batch normalisation (Chen et al., "On Self Modulation for Generative Adversarial Networks",
ICLR 2019 [8], Sec. 3, Eq. 3): the SELF-MOD row of Table 1 is the SNDCGAN whose generator BNs all become

    h' = gamma(z) * (h - mu) / sigma + beta(z),

BN without its own affine, its scale and offset computed from the latent z by a one-hidden-layer MLP.

Reading of compare_gan's ``self_modulated_batch_norm`` (``arch_ops.py``, ``num_hidden=32``), which [8] ran:

* one hidden layer per BN: ``hidden = ReLU(Linear(z -> 32))``, shared by the scale and the offset heads
  of that BN (``sbn/hidden``, then ``sbn/gamma`` and ``sbn/beta`` from the same ``h``); no MLP is shared
  between BNs (each BN has its own variable scope);
* ``gamma = Linear(32 -> C)`` with its bias initialised to 1 (``bias_start=1.0``), ``beta = Linear(32 -> C)``
  with bias 0, so an initial generator is a plain BN with unit scale up to the small z-dependent weights;
* the three linears get spectral norm when the generator does (``use_sn``); ours follows ``sn`` of
  :class:`~spap_lib.models.sndcgan.SNDCGANGenerator` (on, as the paper's SNDCGAN).
* C is the BN's last axis (``num_channels = inputs.shape[-1]``). For the BN over the flat linear output
  (``g_bn1``: 131,072 features at 128 px) that makes the scale and offset per feature, exactly replacing
  the vanilla BN's per-feature affine -- our choice. compare_gan's own code cannot run that case (it
  reshapes the scale to (B, 1, 1, C) and broadcasts it against the (B, C) input), so no reference count
  exists; the price is 2 x (32 x 131,072 + 131,072) parameters for that BN (8.65M of the 8.70M the four
  MLPs hold at 128 px; net +8.43M over vanilla, whose BN affines go: ``python -m spap_lib params``).
  Modulating the 512 feature maps after the reshape would cost 33k instead, but would no longer replace
  the per-feature affine the vanilla BN has.

The BN itself is the vanilla generator's (PyTorch defaults: eps 1e-5, momentum 0.1), so SELF-MOD differs
from the vanilla row only by the modulation. Initialisation: ``runtime.init_weights`` draws N(0, 0.02)
weights and zero biases for every linear, then calls :meth:`SelfModulatedBatchNorm.reset_modulation_bias`
so the scale's bias is 1 again (as at construction).

SELF-MOD and SPAP: SPAP (after the second upsampling) has no normalisation of its own, so it composes with
self-modulated BNs unchanged (SPAP's gamma gate and the modulated BNs act on different layers); ASPP in G
has a BN, which would have to be modulated too or not. The paper reports SELF-MOD as its own row only, and
only that row is built here (variant ``selfmod``: self-modulated BNs, no pyramid, the vanilla D).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from spap_lib.errors import ConfigError
from spap_lib.models.layers import maybe_sn

MODULATION_HIDDEN = 32  # compare_gan's num_hidden, as [8]


class SelfModulatedBatchNorm(nn.Module):
    """Batch norm without affine whose per-feature scale and offset are an MLP of z: ``forward(x, z)``.

    Args:
        num_features: C, the normalised features (channels of a (B, C, H, W) map or width of a (B, C) vector).
        z_dim: width of the latent code.
        spatial: True for (B, C, H, W) inputs (``BatchNorm2d``), False for (B, C) vectors (``BatchNorm1d``).
        hidden: hidden units of the MLP (32 in [8]).
        sn: spectral-normalise the MLP's three linears.
    """

    def __init__(
        self,
        num_features: int,
        z_dim: int,
        spatial: bool = True,
        hidden: int = MODULATION_HIDDEN,
        sn: bool = False,
    ):
        super().__init__()
        if num_features <= 0 or z_dim <= 0 or hidden <= 0:
            raise ConfigError(
                f"self-modulated BN needs positive sizes, got features {num_features}, z_dim {z_dim}, "
                f"hidden {hidden}"
            )
        bn = nn.BatchNorm2d if spatial else nn.BatchNorm1d
        self.norm = bn(num_features, affine=False)
        self.hidden = maybe_sn(nn.Linear(z_dim, hidden), sn)
        self.gamma = maybe_sn(nn.Linear(hidden, num_features), sn)
        self.beta = maybe_sn(nn.Linear(hidden, num_features), sn)
        self.reset_modulation_bias()

    @torch.no_grad()
    def reset_modulation_bias(self) -> None:
        """Scale bias 1, offset bias 0 (compare_gan's ``bias_start``); re-run after any re-initialisation."""
        self.gamma.bias.fill_(1.0)
        self.beta.bias.zero_()

    def modulation(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-sample (scale, offset), each (B, C)."""
        h = torch.relu(self.hidden(z))
        return self.gamma(h), self.beta(h)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        scale, offset = self.modulation(z)
        shape = (x.shape[0], x.shape[1]) + (1,) * (x.dim() - 2)
        return self.norm(x) * scale.view(shape) + offset.view(shape)
