"""The replication study's plan: which runs, at which scale, scored how (Tables 1 and 3 at CPU scale).

Two parts, each every variant of the paper x several paired seeds, on the embedded synthetic data:

* ``synthesis`` (Table 1): SNDCGAN on synthetic faces, 32x32, width 0.25 (channels 128/64/32/16 in G),
  batch 16, 6,000 generator steps, pyramid frozen for the first 40% (2,400 steps, Sec. 4.3), the paper's
  Adam rates (D 2e-4, G 1e-4, betas 0.5/0.999), non-saturating loss, atrous D -- the paper's recipe but for
  the size, width, batch and steps, which are what two CPU cores afford: a step costs 0.10-0.13 s on one
  thread (``benchmarks/bench_train.py --kind gan --preset cpu --threads 1``), and two runs go side by side.
  10,000 faces (9,000 training images). Scored by FID (the Inception of ``spap_lib.metrics.inception``) of
  1,000 generated images against the first 5,000 training images, KID beside it; over training by FD-synth
  (the offline stand-in; cheap) of 1,000 images every 10% of the steps.
* ``translation`` (Table 3): CycleGAN on synthetic facades, 64x64, ngf = ndf = 16, 3 residual blocks,
  10 + 10 epochs of 200 iterations (4,000 steps, batch 1), pyramid frozen for the first 10 epochs (half, as
  100 of 200 in Sec. 4.3), the reference recipe otherwise (LSGAN, cycle 10, identity 0.5, pool 50, Adam
  2e-4). 1,000 training pairs, 100 test pairs; PSNR/SSIM of both directions on the test pairs, at the end
  and every 2 epochs.

Variants: the paper's method and its ablation (vanilla, ASPP, SPAP c2f, SPAP f2c) in both parts, and in
the synthesis part SELF-MOD (self-modulated batch norm), the baseline of the paper's Table 1, added by plan
version 2. A version only ever adds runs: the configs of the runs of version 1 are unchanged, so their archives
count in version 2 as they are (each run records the version that wrote it).

Pairing: seed ``s`` gives every variant the same data order, the same latent codes and, with
``paired_init``, the same initial weights in every layer the variants share by name
(``spap_lib.training.runtime.init_weights``), so variant differences are measured on paired runs.

Order: a pilot (vanilla, seeds 0-2, both parts) first -- it measures the seed-to-seed spread the number of
seeds is chosen from (the chapter shows the calculation) -- then the synthesis part (the paper's headline
claim) before the translation part, each seed by seed, every variant of a seed before the next seed, so an
interrupted study always holds complete paired sets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spap_lib.errors import ConfigError
from spap_lib.training import make_config
from spap_lib.training.config import Config

# 1: the four variants of the paper's method; 2: + SELF-MOD in the synthesis part;
# 3: + Table 1 at 64x64 (part ``synthesis64``) and Table 2 (part ``streets``)
STUDY_VERSION = 3
ARCHIVE_ROOT = "results/study"  # committed: the archive of every finished run
WORK_ROOT = "outputs/study"  # git-ignored: run folders with checkpoints, resumable
DATA_ROOT = "data"
# The 64 px recipe was chosen by measurement: candidate recipes trained as the plan's ``synthesis64-vanilla-s0``
# (by ``study run`` with the candidate in the plan); the candidates not chosen are kept under this folder of the
# archive, each in a folder named after its recipe, as the record of the choice.
RECIPE_PILOTS = "synthesis64-recipes"
VERIFY_STEPS = 50  # `study verify` re-trains this many steps and compares weights and losses
PILOT_SEEDS = (0, 1, 2)
# The variants of the paper's method and its ablation, fixed here: variants added to the library later
# (baselines) join the study only by a new plan version, never by changing what an archive means.
STUDY_VARIANTS = ("vanilla", "aspp", "spap_c2f", "spap_f2c")
# Table 1's SELF-MOD joins the synthesis part (version 2). Table 3's SCAN (a two-stage CycleGAN, trained stage
# by stage) stays out: the plan is already over its compute budget with CycleGAN's own variants.
BASELINES = ("selfmod",)


@dataclass(frozen=True)
class Part:
    """One part of the study: a recipe on top of the cpu preset, its variants and seeds, its scoring."""

    name: str
    kind: str  # "gan" | "cyclegan"
    table: str  # the paper's table it replicates
    variants: tuple[str, ...]
    seeds: tuple[int, ...]
    overrides: dict[str, Any] = field(hash=False)
    curve_points: int = 10  # evaluations over training, every 1/curve_points of the steps
    version: int = 1  # the plan version that added the part
    # FID (1,000 images) of every run at these fractions of training, the last one its final score; for the
    # synthesis part of version 1, FID at the end only (and at PILOT_FID_AT for the pilot runs)
    fid_at: tuple[float, ...] = ()
    weights_seeds: tuple[int, ...] = (0,)  # generator weights archived (fp16) for these seeds

    @property
    def dataset(self) -> str:
        """The embedded synthetic dataset the part trains on."""
        return "faces" if self.kind == "gan" else self.overrides["dataset"]

    @property
    def image_size(self) -> int:
        return self.overrides["image_size"] if self.kind == "gan" else self.overrides["crop_size"]


SYNTHESIS = Part(
    name="synthesis",
    kind="gan",
    table="table1",
    variants=(*STUDY_VARIANTS, *BASELINES),
    seeds=(0, 1, 2, 3, 4),
    overrides={
        "image_size": 32,
        "width": 0.25,
        "batch_size": 16,
        "steps": 6000,
        "freeze_steps": 2400,
        "lr_d": 2e-4,
        "lr_g": 1e-4,
        "data_n": 10_000,
        "threads": 1,
        "paired_init": True,
        "log_every": 10,
        "sample_every": 6000,
        "checkpoint_every": 6000,
        "n_samples": 64,
    },
)
TRANSLATION = Part(
    name="translation",
    kind="cyclegan",
    table="table3",
    variants=STUDY_VARIANTS,
    seeds=(0, 1, 2, 3, 4),
    overrides={
        "dataset": "facades",
        "load_size": 64,
        "crop_size": 64,
        "ngf": 16,
        "ndf": 16,
        "n_blocks": 3,
        "n_epochs": 10,
        "n_epochs_decay": 10,
        "freeze_epochs": 10,
        "max_iters_per_epoch": 200,
        "data_n": 1000,
        "threads": 1,
        "paired_init": True,
        "log_every": 10,
        "sample_every": 4000,
        "checkpoint_every": 4000,
        "n_samples": 4,
    },
)
# Version 3. Table 1 at 64x64: the same recipe as ``synthesis`` but for the image size (and with it the data,
# rendered at 64 px, and the pyramid's map, 32x32 instead of 16x16); FID of every run at 60/80/100% of training
# (is FID itself flat over the last 20%?), the final one with precision/recall/density/coverage.
# The headline pair (vanilla, SPAP c2f) only: a 64 px step costs ~3x a 32 px one on one thread (vanilla 0.32 s,
# SPAP c2f 0.69 s: ``benchmarks/bench_train.py --kind gan --threads 1 --set image_size=64``), so five paired
# seeds of the pair take most of this version's 18 core-hours and leave no room for f2c, ASPP and SELF-MOD.
# The recipe is the cheapest of three candidates trained as vanilla-s0 (kept under RECIPE_PILOTS): none made
# vanilla's FID better than at 32 px; twice the steps lowered it by 6% at twice the cost (over the budget
# beside Table 2), twice the width did not lower it. The chapter states this departure from the intended bar.
SYNTHESIS_64 = Part(
    name="synthesis64",
    kind="gan",
    table="table1",
    variants=("vanilla", "spap_c2f"),
    seeds=(0, 1, 2, 3, 4),
    overrides={**SYNTHESIS.overrides, "image_size": 64},
    version=3,
    fid_at=(0.6, 0.8, 1.0),
    # results/ holds at most 60 MB: a 64 px generator in fp16 is 2.6 MB, a streets pair of generators 1.1 MB,
    # so every new run's weights (48 MB) on top of the 33 MB archived before version 3 do not fit. The
    # headline keeps three paired seeds' generators, Table 2 seed 0's; every run's scores are in its run.json.
    weights_seeds=(0, 1, 2),
)
# Version 3. Table 2: CycleGAN on synthetic streets (labels <-> photos), the recipe of ``translation`` but for
# the dataset; FCN scores of both directions (photo->labels by colour, labels->photo by the study's segmenter,
# trained once and archived with its score on the real test photos).
STREETS = Part(
    name="streets",
    kind="cyclegan",
    table="table2",
    variants=STUDY_VARIANTS,
    seeds=(0, 1, 2, 3, 4),
    overrides={**TRANSLATION.overrides, "dataset": "streets"},
    version=3,
)
PARTS = {p.name: p for p in (SYNTHESIS, TRANSLATION, SYNTHESIS_64, STREETS)}

# Scoring (see the module docstring).
FID_N_GENERATED = 1000
FID_N_REFERENCE = 5000
CURVE_N = 1000
SAMPLE_SEED = 2024  # latent codes of every evaluation sample set
FID_VS_N = (500, 1000, 2000, 5000)  # the FID-against-n measurement, on one run
FID_VS_N_RUN = "synthesis-vanilla-s0"
PILOT_FID_AT = 0.8  # pilot runs are also scored by FID at 80% of the steps (is the curve flat in FID?)


def total_steps(c: Config) -> int:
    """Training steps of a study config: generator steps (gan), iterations of all epochs (cyclegan)."""
    if c.kind == "gan":
        return c.steps
    return (c.n_epochs + c.n_epochs_decay) * c.max_iters_per_epoch


@dataclass(frozen=True)
class RunSpec:
    """One run of the study: part, variant, seed; its name and its full training config."""

    part: str
    variant: str
    seed: int

    @property
    def name(self) -> str:
        return f"{self.part}-{self.variant}-s{self.seed}"

    @property
    def is_pilot(self) -> bool:
        return self.variant == "vanilla" and self.seed in PILOT_SEEDS

    def config(self) -> Config:
        part = PARTS[self.part]
        fields = {**part.overrides, "variant": self.variant, "seed": self.seed, "progress": False}
        return make_config(part.kind, "cpu", fields)

    def total_steps(self) -> int:
        return total_steps(self.config())

    def curve_steps(self) -> list[int]:
        """Steps where the run is scored over training: every 1/curve_points of the steps, the last included."""
        total, k = self.total_steps(), PARTS[self.part].curve_points
        return [round(total * i / k) for i in range(1, k + 1)]

    def fid_steps(self) -> list[int]:
        """Steps where every run of a version-3 synthesis part is scored by FID (the part's ``fid_at``)."""
        total = self.total_steps()
        return [round(total * f) for f in PARTS[self.part].fid_at]

    def boundaries(self) -> list[int]:
        """Steps where training pauses: the verification step, then the curve steps."""
        return sorted({VERIFY_STEPS, *self.curve_steps()})


def parse_name(name: str) -> RunSpec:
    """``synthesis-spap_c2f-s3`` -> RunSpec; a one-line error for anything else."""
    try:
        part, variant, seed = name.rsplit("-", 2)
        spec = RunSpec(part, variant, int(seed.removeprefix("s")))
    except ValueError:
        spec = None
    if spec is None or spec.part not in PARTS or spec.variant not in PARTS[spec.part].variants:
        raise ConfigError(f"{name!r} is not a study run: `python -m spap_lib study status` lists them")
    return spec


def study_plan(part: str | None = None, pilot_only: bool = False) -> list[RunSpec]:
    """Every run. Version 1-2 parts: the pilot first, then part by part (synthesis, the headline, before
    translation), seed by seed within a part (all variants of a seed before the next seed: an interrupted study
    holds paired sets). Version 3 parts follow, each seed by seed (the headline scale first); their pilot runs
    (vanilla, seeds 0-2) are the first vanilla runs of each seed, paired as they come."""
    if part is not None and part not in PARTS:
        raise ConfigError(f"unknown study part {part!r}: choose one of {', '.join(PARTS)}")
    parts = [PARTS[part]] if part else list(PARTS.values())
    first = [p for p in parts if p.version < 3]
    # translation's pilot first: it needs no FID, so it runs while the FID reference statistics are computed
    pilot = [RunSpec(p.name, "vanilla", s) for p in reversed(first) for s in PILOT_SEEDS]
    pilot += [RunSpec(p.name, "vanilla", s) for p in parts if p.version >= 3 for s in PILOT_SEEDS]
    if pilot_only:
        return pilot
    first_pilot = pilot[: len(first) * len(PILOT_SEEDS)]
    rest = [RunSpec(p.name, v, s) for p in first for s in p.seeds for v in p.variants]
    later = [RunSpec(p.name, v, s) for p in parts if p.version >= 3 for s in p.seeds for v in p.variants]
    return first_pilot + [r for r in rest if r not in first_pilot] + later
