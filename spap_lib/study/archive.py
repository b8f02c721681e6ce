"""The study's archive (``results/study/``): read it, check it is complete, and verify it came from this code.

Layout: ``<part>/<run name>/run.json`` (config, final scores, curve, downsampled losses, the verification
record, provenance), ``samples.png``, and for the archived seeds ``generator_fp16.pt``;
``synthesis/fid_vs_n.json`` (FID and KID against the number of images, one run).

``verify_run`` re-trains the first ``VERIFY_STEPS`` steps of an archived run from its archived config in a
temporary folder and compares the digest of every network's weights and the logged losses with the archive:
equal bit for bit on the same CPU type and torch build (the digest is over the raw bytes); on another CPU the
floating-point results may differ and the report says by how much the losses differ.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spap_lib.errors import DataError
from spap_lib.io import read_json_checked
from spap_lib.study import plan as P
from spap_lib.training.config import config_to_dict

REQUIRED = ("name", "part", "variant", "seed", "config", "final", "curve", "verify", "losses", "provenance")
REQUIRED_PROVENANCE = (
    "train_wall_s",
    "median_step_s",
    "threads",
    "cpu_model",
    "torch",
    "git_commit",
    "finished_utc",
)


def run_path(spec: P.RunSpec, root: str | Path = P.ARCHIVE_ROOT) -> Path:
    return Path(root) / spec.part / spec.name / "run.json"


def read_run(path: str | Path) -> dict[str, Any]:
    """One archived run; a one-line error for a missing, corrupt or incomplete record."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path} not found: run `python -m spap_lib study run --resume`")
    record = read_json_checked(path, dict, "restore it with git checkout")
    if not isinstance(record.get("provenance", {}), dict):
        raise DataError(f"{path}: its provenance is not a JSON object: restore it with git checkout")
    missing = [k for k in REQUIRED if k not in record]
    missing += [f"provenance.{k}" for k in REQUIRED_PROVENANCE if k not in record.get("provenance", {})]
    if missing:
        raise DataError(f"{path} lacks {', '.join(missing)}: it was not written by `study run`")
    return record


def load_runs(root: str | Path = P.ARCHIVE_ROOT, part: str | None = None) -> list[dict[str, Any]]:
    """Every archived run of the plan (of ``part``), in plan order; runs not yet archived are left out."""
    return [read_run(run_path(s, root)) for s in P.study_plan(part) if run_path(s, root).is_file()]


def check_config(record: dict[str, Any], spec: P.RunSpec, path: str | Path) -> None:
    """An archived run must have trained the plan's config for it (the data root aside): a plan version only
    adds runs, so a changed recipe would silently mix two experiments in one table."""
    planned = config_to_dict(spec.config())
    differ = sorted(
        k
        for k in set(planned) | set(record["config"])
        if k != "data_root" and planned.get(k) != record["config"].get(k)
    )
    if differ:
        raise DataError(
            f"{path} was trained with another config than the plan's ({', '.join(differ)}): "
            "re-run it with `python -m spap_lib study run` after deleting its folder"
        )


@dataclass(frozen=True)
class Completeness:
    archived: list[str]
    missing: list[str]
    fid_vs_n: bool

    @property
    def complete(self) -> bool:
        return not self.missing and self.fid_vs_n


def completeness(root: str | Path = P.ARCHIVE_ROOT, part: str | None = None) -> Completeness:
    """Which runs of the plan are archived (and valid: a complete record of the plan's config for that run,
    whichever plan version wrote it) and which are missing."""
    archived, missing = [], []
    for spec in P.study_plan(part):
        path = run_path(spec, root)
        if path.is_file():
            check_config(read_run(path), spec, path)  # raises on an invalid record
            archived.append(spec.name)
        else:
            missing.append(spec.name)
    fvn = part in (None, "synthesis") and (Path(root) / "synthesis" / "fid_vs_n.json").is_file()
    return Completeness(archived, missing, fvn or part == "translation")


def read_fid_vs_n(root: str | Path = P.ARCHIVE_ROOT) -> dict[str, Any] | None:
    path = Path(root) / "synthesis" / "fid_vs_n.json"
    return read_json_checked(path, dict, "restore it with git checkout") if path.is_file() else None


@dataclass(frozen=True)
class Verification:
    name: str
    steps: int
    weights_equal: bool
    losses_equal: bool
    max_loss_difference: float
    same_cpu: bool
    archived_cpu: str
    this_cpu: str

    @property
    def ok(self) -> bool:
        return self.weights_equal and self.losses_equal

    def line(self) -> str:
        if self.ok:
            return (
                f"verified {self.name}: {self.steps} steps re-trained, every network's weights "
                "and every logged loss bit-identical to the archive"
            )
        where = "same CPU type" if self.same_cpu else f"archived on {self.archived_cpu}"
        return (
            f"MISMATCH {self.name} after {self.steps} steps ({where}, here {self.this_cpu}): "
            f"weights equal {self.weights_equal}, losses equal {self.losses_equal}, largest "
            f"loss difference {self.max_loss_difference:.3g}"
        )


def verify_run(path: str | Path, work: str | Path | None = None) -> Verification:
    """Re-train the archived run's first ``verify.steps`` steps and compare with its archive."""
    from spap_lib.study.runner import _read_log, cpu_model, weights_digest
    from spap_lib.training import train
    from spap_lib.training.config import config_from_dict

    record = read_run(path)
    config = config_from_dict(record["config"])
    steps = int(record["verify"]["steps"])
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        run_dir = Path(tmp) / record["name"]
        train(config, run_dir, until_step=steps)
        digest = weights_digest(run_dir)
        log = [r for r in _read_log(run_dir) if r["step"] <= steps]
    archived = record["verify"]

    def numbers(r: dict) -> dict:  # everything logged but the step's wall time
        return {k: v for k, v in r.items() if k != "step_s" and isinstance(v, int | float)}

    ours, theirs = [numbers(r) for r in log], [numbers(r) for r in archived["log"]]
    diffs = [abs(a[k] - b.get(k, float("inf"))) for a, b in zip(ours, theirs) for k in a]
    here = cpu_model()
    return Verification(
        name=record["name"],
        steps=steps,
        weights_equal=digest == archived["weights"],
        losses_equal=ours == theirs,
        max_loss_difference=max(diffs, default=0.0),
        same_cpu=here == record["provenance"]["cpu_model"],
        archived_cpu=record["provenance"]["cpu_model"],
        this_cpu=here,
    )
