"""GAN objectives: the non-saturating loss of Eq. 1 (SNDCGAN) and the CycleGAN objective of Eq. 2-4.

Eq. 1 (Goodfellow et al.), written on logits ``d = D(x)``:
    L_D = -E[log sigmoid(D(x))] - E[log(1 - sigmoid(D(G(z))))] = E[softplus(-d_real)] + E[softplus(d_fake)]
    L_G (non-saturating) = -E[log sigmoid(D(G(z)))] = E[softplus(-d_fake)]
compare_gan's ``non_saturating`` loss is exactly this (sigmoid cross-entropy on logits).

Eq. 2-4 as the reference CycleGAN implements them: least-squares adversarial terms (``MSELoss`` against
1 for real and 0 for fake; ``gan_mode="bce"`` gives BCE on logits instead, the reference's ``vanilla``), L1 cycle terms weighted
by lambda_cyc = 10, L1 identity terms weighted by lambda_identity * lambda_cyc = 5, and each
discriminator's loss halved.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def d_loss_nonsaturating(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """Discriminator side of Eq. 1 on logits."""
    return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()


def g_loss_nonsaturating(d_fake: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss of Eq. 1: ``-log D(G(z))``."""
    return F.softplus(-d_fake).mean()


def adversarial(pred: torch.Tensor, target_is_real: bool, mode: str = "lsgan") -> torch.Tensor:
    """The reference ``GANLoss``: MSE to 1/0 (``lsgan``) or BCE-with-logits (``bce``, its ``vanilla``)."""
    pred = pred.float()
    target = torch.ones_like(pred) if target_is_real else torch.zeros_like(pred)
    if mode == "lsgan":
        return F.mse_loss(pred, target)
    return F.binary_cross_entropy_with_logits(pred, target)


def cyclegan_d_loss(pred_real: torch.Tensor, pred_fake: torch.Tensor, mode: str = "lsgan") -> torch.Tensor:
    """The reference ``backward_D_basic``: (L(real, 1) + L(fake, 0)) * 0.5."""
    return 0.5 * (adversarial(pred_real, True, mode) + adversarial(pred_fake, False, mode))


def l1(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return F.l1_loss(a.float(), b.float())
