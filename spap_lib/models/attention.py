"""Read the SPAP attention maps (Figs. 7-9) without paying for them when nobody asks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn as nn

from spap_lib.models.spap import SPAP


@contextmanager
def capture_attention(model: nn.Module) -> Iterator[dict[str, list[torch.Tensor]]]:
    """Record the attention maps of every SPAP block in ``model`` during the ``with`` body.

    Yields a dict filled after each forward: ``{"<module name>/<fuse label>": [map (B, 1, H, W), ...]}``
    -- four maps per SPAP, in fusing order. Recording is switched off again on exit.

    >>> with capture_attention(G) as maps:
    ...     images = G(z)
    """
    blocks = {name: m for name, m in model.named_modules() if isinstance(m, SPAP)}
    result: dict[str, list[torch.Tensor]] = {}
    handles = []

    def hook(name: str, block: SPAP):
        def store(_module, _inputs, _output):
            for label, amap in zip(block.fuse_names, block.last_attention or []):
                result.setdefault(f"{name}/{label}", []).append(amap)

        return store

    for name, block in blocks.items():
        block.record_attention = True
        handles.append(block.register_forward_hook(hook(name, block)))
    try:
        yield result
    finally:
        for h in handles:
            h.remove()
        for block in blocks.values():
            block.record_attention = False
            block.last_attention = None
