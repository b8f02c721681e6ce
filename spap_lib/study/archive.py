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

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spap_lib.errors import DataError
from spap_lib.io import read_json_checked
from spap_lib.study import plan
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


def run_path(spec: plan.RunSpec, root: str | Path = plan.ARCHIVE_ROOT) -> Path:
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


def load_runs(root: str | Path = plan.ARCHIVE_ROOT, part: str | None = None) -> list[dict[str, Any]]:
    """Every archived run of the plan (of ``part``), in plan order; runs not yet archived are left out."""
    return [read_run(run_path(s, root)) for s in plan.study_plan(part) if run_path(s, root).is_file()]


def load_recipe_pilots(root: str | Path = plan.ARCHIVE_ROOT) -> list[tuple[Path, dict[str, Any]]]:
    """(folder, run record) of every 64 px recipe candidate that was not chosen
    (:data:`~spap_lib.study.plan.RECIPE_PILOTS`), by folder name; each is a complete run record, of another
    config than the plan's."""
    folder = Path(root) / plan.RECIPE_PILOTS
    paths = sorted(folder.glob("*/run.json")) if folder.is_dir() else []
    return [(path.parent, read_run(path)) for path in paths]


def trained_generators(run_dir: str | Path) -> dict[str, Any] | None:
    """The archived generators of one run folder (``generator_fp16.pt``), built from the run's archived config
    and cast to fp32, in eval mode ({"G"} or {"G_AB", "G_BA"}, as ``training.load_generators``); None if the
    run archived no weights."""
    import torch

    from spap_lib.training import config_from_dict, generators_from_states

    path = Path(run_dir) / "generator_fp16.pt"
    if not path.is_file():
        return None
    config = config_from_dict(read_run(Path(run_dir) / "run.json")["config"])
    try:
        states = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise DataError(
            f"cannot read {path} ({exc.__class__.__name__}): restore it with git checkout"
        ) from exc
    return generators_from_states(config, states, path, "the {name} its run.json describes")


def trained_generator(
    root: str | Path, variant: str, seed: int = 0, part: str = plan.SYNTHESIS.name
) -> Any | None:
    """The archived generator of a synthesis run (:func:`trained_generators`), or None if not archived."""
    nets = trained_generators(run_path(plan.RunSpec(part, variant, seed), root).parent)
    return None if nets is None else nets["G"]


def check_config(record: dict[str, Any], spec: plan.RunSpec, path: str | Path) -> None:
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


def completeness(root: str | Path = plan.ARCHIVE_ROOT, part: str | None = None) -> Completeness:
    """Which runs of the plan are archived (and valid: a complete record of the plan's config for that run,
    whichever plan version wrote it) and which are missing."""
    archived, missing = [], []
    for spec in plan.study_plan(part):
        path = run_path(spec, root)
        if path.is_file():
            check_config(read_run(path), spec, path)  # raises on an invalid record
            archived.append(spec.name)
        else:
            missing.append(spec.name)
    fvn = part in (None, "synthesis") and (Path(root) / "synthesis" / "fid_vs_n.json").is_file()
    return Completeness(archived, missing, fvn or part == "translation")


def read_fid_vs_n(root: str | Path = plan.ARCHIVE_ROOT) -> dict[str, Any] | None:
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
    losses_compared: int = 0  # logged records compared (the verify log's, plus the archive's up to ``steps``)
    unfreeze_step: int | None = None  # set for a run re-trained through its pyramid's unfreeze
    gammas: tuple[float, ...] = ()  # the pyramid's gammas (Eq. 6) at ``steps``: non-zero once it trained
    weights_step: int = 0  # the step whose weight digest the archive holds

    @property
    def ok(self) -> bool:
        return self.weights_equal and self.losses_equal

    def line(self) -> str:
        if self.ok and self.unfreeze_step is not None:
            return (
                f"verified {self.name} through the unfreeze: {self.steps} steps re-trained (pyramid trainable "
                f"from step {self.unfreeze_step}), weights at step {self.weights_step} and all {self.losses_compared} "
                f"logged losses up to step {self.steps} bit-identical to the archive; gamma now "
                + ", ".join(f"{g:.4g}" for g in self.gammas)
            )
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


UNFREEZE_MARGIN = 300  # steps re-trained past the unfreeze: ten archived loss records (one every 30 steps)
UNFREEZE_RUN = "synthesis-spap_c2f-s0"  # the headline variant's first seed


def unfreeze_step(config) -> int:
    """The first step at which the pyramid trains (Sec. 4.3): generator steps (gan), iterations (cyclegan)."""
    if config.kind == "gan":
        return int(config.freeze_steps)
    return int(config.freeze_epochs * config.max_iters_per_epoch)


def verify_run(
    path: str | Path, work: str | Path | None = None, through_unfreeze: bool = False
) -> Verification:
    """Re-train the archived run's first ``verify.steps`` steps and compare with its archive.

    ``through_unfreeze``: go on past the pyramid's unfreeze step (``UNFREEZE_MARGIN`` steps further), pausing
    where the archived run paused (``RunSpec.boundaries``), and compare every archived loss record up to there
    too (the archive keeps every third logged record): this sees the pyramid's own training, which the first
    steps cannot (gamma = 0 makes a frozen SPAP the identity).
    """
    from spap_lib.study.runner import cpu_model, weights_digest
    from spap_lib.training import train
    from spap_lib.training.config import config_from_dict
    from spap_lib.training.rundir import read_log

    record = read_run(path)
    config = config_from_dict(record["config"])
    steps = int(record["verify"]["steps"])
    until, pauses = steps, [steps]
    if through_unfreeze:
        if record["variant"] not in ("spap_c2f", "spap_f2c", "aspp"):
            raise DataError(f"{record['name']} has no pyramid to unfreeze: pick a SPAP or ASPP run")
        spec = plan.parse_name(record["name"])
        until = min(unfreeze_step(config) + UNFREEZE_MARGIN, spec.total_steps())
        boundaries = spec.boundaries()
        pauses = [b for b in boundaries if b < until] + [until]
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        run_dir = Path(tmp) / record["name"]
        for pause in pauses:
            train(config, run_dir, until_step=pause)
            if pause == steps:
                digest = weights_digest(run_dir)
        log = read_log(run_dir, missing_ok=True)
        gammas = _gammas(run_dir) if through_unfreeze else ()
    archived = record["verify"]

    def numbers(r: dict) -> dict:  # everything logged but the step's wall time
        return {k: v for k, v in r.items() if k != "step_s" and isinstance(v, int | float)}

    by_step = {r["step"]: r for r in log}
    same_steps = [r["step"] for r in log if r["step"] <= steps] == [r["step"] for r in archived["log"]]
    theirs = list(archived["log"])
    if through_unfreeze:
        theirs += [r for r in record["losses"] if steps < r["step"] <= until]
    ours = [numbers(by_step.get(r["step"], {})) for r in theirs]
    theirs = [numbers(r) for r in theirs]
    diffs = [abs(a.get(k, float("inf")) - b[k]) for a, b in zip(ours, theirs) for k in b]
    here = cpu_model()
    return Verification(
        name=record["name"],
        steps=until,
        weights_equal=digest == archived["weights"],
        losses_equal=same_steps and ours == theirs,
        max_loss_difference=max(diffs, default=0.0),
        same_cpu=here == record["provenance"]["cpu_model"],
        archived_cpu=record["provenance"]["cpu_model"],
        this_cpu=here,
        losses_compared=len(theirs),
        unfreeze_step=unfreeze_step(config) if through_unfreeze else None,
        gammas=gammas,
        weights_step=steps,
    )


def _gammas(run_dir: Path) -> tuple[float, ...]:
    """Every ``gamma`` (Eq. 6) in the run's generators, read from its checkpoint."""
    from spap_lib.training.rundir import CHECKPOINT, load_checkpoint

    ckpt = load_checkpoint(Path(run_dir) / CHECKPOINT)
    nets = [k for k in ("G", "G_AB", "G_BA") if k in ckpt]
    return tuple(float(t.flatten()[0]) for k in nets for n, t in ckpt[k].items() if n.endswith("gamma"))


VERIFICATIONS = "verifications"  # results/study/verifications/<mode>-<run>.json


def record_verification(result: Verification, root: str | Path = plan.ARCHIVE_ROOT) -> Path:
    """Write one verification's outcome with its provenance (the chapter reads these)."""
    import dataclasses
    from datetime import datetime, timezone

    from spap_lib.io import atomic_write_text
    from spap_lib.training.rundir import git_commit, git_dirty

    mode = "unfreeze" if result.unfreeze_step is not None else "first-steps"
    record = {
        **dataclasses.asdict(result),
        "ok": result.ok,
        "line": result.line(),
        "mode": mode,
        "git_commit": git_commit(),
        "git_dirty": git_dirty(),
        "finished_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    out = Path(root) / VERIFICATIONS / f"{mode}-{result.name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, json.dumps(record, indent=1) + "\n")
    return out


def read_verifications(root: str | Path = plan.ARCHIVE_ROOT) -> list[dict[str, Any]]:
    """Every recorded verification, by file name."""
    fix = "restore it with git checkout, or re-run `python -m spap_lib study verify --through-unfreeze --record`"
    folder = Path(root) / VERIFICATIONS
    return [read_json_checked(p, dict, fix, ("name", "mode", "ok")) for p in sorted(folder.glob("*.json"))]
