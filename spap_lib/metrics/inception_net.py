"""The FID Inception-v3 as an eager PyTorch module, written from the torchscript file it replaces.

FID's network (TensorFlow's Inception-v3 graph of 2015-12-05, up to the 2048-d pool3 features) ships as a
torchscript archive (see ``inception.py``). This module is its definition in plain PyTorch, with the
archive's own names (``mixed_4.tower_1.conv_3.weight``), so the archive's 376 tensors load with a strict
``load_state_dict`` and the weights digest is computed on this module exactly as on the torchscript one.
Read off the archive's ``code/`` and its per-layer ``stride``/``padding`` attributes, it differs from
torchvision's ``Inception3`` where TensorFlow's graph does, as pytorch-fid's ``FIDInceptionV3`` does too:

- a conv unit is conv (no bias) -> batch norm with no scale (``beta``, ``mean``, ``var``; eps 0.001) -> ReLU;
- the average pools inside the blocks leave the padding out of the mean (``count_include_pad=False``);
- the last block (``mixed_10``) pools its fourth branch with a max pool, the one before it with an average.

The input is (x - 128) / 128 for x in [0, 255] at 299x299; the output is (N, 2048, 1, 1).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvUnit(nn.Module):
    """TensorFlow's conv unit: conv2d without bias, batch norm without scale (eps 0.001), ReLU.

    ``beta``, ``mean`` and ``var`` are parameters (not buffers) because they are in the torchscript file,
    so both modules' state dicts list the same tensors in the same order.
    """

    def __init__(
        self,
        c_in: int,
        c_out: int,
        kernel: int | tuple[int, int],
        stride: int = 1,
        padding: int | tuple[int, int] = 0,
    ) -> None:
        super().__init__()
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
        self.weight = nn.Parameter(torch.zeros(c_out, c_in, kh, kw))
        self.beta = nn.Parameter(torch.zeros(c_out))
        self.mean = nn.Parameter(torch.zeros(c_out))
        self.var = nn.Parameter(torch.ones(c_out))
        self.stride = stride
        self.padding = padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.conv2d(x, self.weight, None, self.stride, self.padding)
        return F.relu(F.batch_norm(x, self.mean, self.var, None, self.beta, False, 0.1, 0.001))


def _tower(*units: ConvUnit | nn.Module) -> nn.Sequential:
    """A branch named as in the file: conv, conv_1, conv_2, ... (a leading pool is named ``pool``)."""
    names, n = [], 0
    for unit in units:
        if isinstance(unit, ConvUnit):
            names.append("conv" if n == 0 else f"conv_{n}")
            n += 1
        else:
            names.append("pool")
    return nn.Sequential(OrderedDict(zip(names, units, strict=True)))


def _avg_pool() -> nn.AvgPool2d:
    return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)


def _cat(*branches: torch.Tensor) -> torch.Tensor:
    # contiguous branches, as the torchscript graph makes them: with a channels-last input the features
    # then stay bit-identical to the file's own forward (without it they differ by ~4e-6)
    return torch.cat([b.contiguous() for b in branches], 1)


class InceptionA(nn.Module):
    """35x35 block: 1x1 | 1x1 -> 5x5 | 1x1 -> 3x3 -> 3x3 | avg pool -> 1x1 (``pool_features`` channels)."""

    def __init__(self, c_in: int, pool_features: int) -> None:
        super().__init__()
        self.conv = ConvUnit(c_in, 64, 1)
        self.tower = _tower(ConvUnit(c_in, 48, 1), ConvUnit(48, 64, 5, padding=2))
        self.tower_1 = _tower(
            ConvUnit(c_in, 64, 1), ConvUnit(64, 96, 3, padding=1), ConvUnit(96, 96, 3, padding=1)
        )
        self.tower_2 = _tower(_avg_pool(), ConvUnit(c_in, pool_features, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _cat(self.conv(x), self.tower(x), self.tower_1(x), self.tower_2(x))


class InceptionB(nn.Module):
    """35 -> 17 reduction: 3x3/2 | 1x1 -> 3x3 -> 3x3/2 | max pool 3/2."""

    def __init__(self, c_in: int) -> None:
        super().__init__()
        self.conv = ConvUnit(c_in, 384, 3, stride=2)
        self.tower = _tower(
            ConvUnit(c_in, 64, 1), ConvUnit(64, 96, 3, padding=1), ConvUnit(96, 96, 3, stride=2)
        )
        self.pool = nn.MaxPool2d(3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _cat(self.conv(x), self.tower(x), self.pool(x))


def _row(c_in: int, c_out: int) -> ConvUnit:  # 1x7
    return ConvUnit(c_in, c_out, (1, 7), padding=(0, 3))


def _col(c_in: int, c_out: int) -> ConvUnit:  # 7x1
    return ConvUnit(c_in, c_out, (7, 1), padding=(3, 0))


class InceptionC(nn.Module):
    """17x17 block with factorised 7x7 convolutions of ``c7`` channels."""

    def __init__(self, c_in: int, c7: int) -> None:
        super().__init__()
        self.conv = ConvUnit(c_in, 192, 1)
        self.tower = _tower(ConvUnit(c_in, c7, 1), _row(c7, c7), _col(c7, 192))
        self.tower_1 = _tower(ConvUnit(c_in, c7, 1), _col(c7, c7), _row(c7, c7), _col(c7, c7), _row(c7, 192))
        self.tower_2 = _tower(_avg_pool(), ConvUnit(c_in, 192, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _cat(self.conv(x), self.tower(x), self.tower_1(x), self.tower_2(x))


class InceptionD(nn.Module):
    """17 -> 8 reduction: 1x1 -> 3x3/2 | 1x1 -> 1x7 -> 7x1 -> 3x3/2 | max pool 3/2."""

    def __init__(self, c_in: int) -> None:
        super().__init__()
        self.tower = _tower(ConvUnit(c_in, 192, 1), ConvUnit(192, 320, 3, stride=2))
        self.tower_1 = _tower(
            ConvUnit(c_in, 192, 1), _row(192, 192), _col(192, 192), ConvUnit(192, 192, 3, stride=2)
        )
        self.pool = nn.MaxPool2d(3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _cat(self.tower(x), self.tower_1(x), self.pool(x))


class InceptionE(nn.Module):
    """8x8 block with split 1x3/3x1 outputs; ``max_pool`` for the last block (TensorFlow's graph)."""

    def __init__(self, c_in: int, max_pool: bool) -> None:
        super().__init__()
        self.conv = ConvUnit(c_in, 320, 1)
        self.tower_conv = ConvUnit(c_in, 384, 1)
        self.tower_mixed_conv = ConvUnit(384, 384, (1, 3), padding=(0, 1))
        self.tower_mixed_conv_1 = ConvUnit(384, 384, (3, 1), padding=(1, 0))
        self.tower_1_conv = ConvUnit(c_in, 448, 1)
        self.tower_1_conv_1 = ConvUnit(448, 384, 3, padding=1)
        self.tower_1_mixed_conv = ConvUnit(384, 384, (1, 3), padding=(0, 1))
        self.tower_1_mixed_conv_1 = ConvUnit(384, 384, (3, 1), padding=(1, 0))
        self.tower_2_pool = nn.MaxPool2d(3, stride=1, padding=1) if max_pool else _avg_pool()
        self.tower_2_conv = ConvUnit(c_in, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.tower_conv(x)
        b = self.tower_1_conv_1(self.tower_1_conv(x))
        return _cat(
            self.conv(x),
            self.tower_mixed_conv(a),
            self.tower_mixed_conv_1(a),
            self.tower_1_mixed_conv(b),
            self.tower_1_mixed_conv_1(b),
            self.tower_2_conv(self.tower_2_pool(x)),
        )


def fid_inception_v3() -> nn.Sequential:
    """The network up to pool3, weights unset (load the archive's tensors with ``load_state_dict``)."""
    net = nn.Sequential(
        OrderedDict(
            conv=ConvUnit(3, 32, 3, stride=2),
            conv_1=ConvUnit(32, 32, 3),
            conv_2=ConvUnit(32, 64, 3, padding=1),
            pool0=nn.MaxPool2d(3, stride=2),
            conv_3=ConvUnit(64, 80, 1),
            conv_4=ConvUnit(80, 192, 3),
            pool1=nn.MaxPool2d(3, stride=2),
            mixed=InceptionA(192, 32),
            mixed_1=InceptionA(256, 64),
            mixed_2=InceptionA(288, 64),
            mixed_3=InceptionB(288),
            mixed_4=InceptionC(768, 128),
            mixed_5=InceptionC(768, 160),
            mixed_6=InceptionC(768, 160),
            mixed_7=InceptionC(768, 192),
            mixed_8=InceptionD(768),
            mixed_9=InceptionE(1280, max_pool=False),
            mixed_10=InceptionE(2048, max_pool=True),
            pool2=nn.AvgPool2d(8, stride=8),
        )
    )
    return net.eval().requires_grad_(False)
