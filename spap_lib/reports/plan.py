"""Which notebooks the book runs for each preset, with which parameters, in which order.

Presets (rows of :data:`spap_lib.training.presets.PRESET_SPECS`, which also set widths, sizes and steps and
which seeds and datasets the book trains):
- ``smoke``: seconds per run, for CI and nbval; the whole pipeline in a few minutes.
- ``cpu``: the default book: every variant of Tables 1-3 on the synthetic data, <= 30 min on 2 CPU cores.
- ``paper``: the paper's recipe on the real datasets (GPU); data roots are notebook parameters.
Paths in parameters are relative to ``notebooks/`` (papermill runs there).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spap_lib.data.registry import dataset_spec
from spap_lib.models import VARIANTS, variants_for
from spap_lib.training.config import RECIPE_SPECS, run_name
from spap_lib.training.presets import preset_spec

STUDY_ARCHIVE = "results/study"  # the replication study's archive (spap_lib.study.plan.ARCHIVE_ROOT)
GPU_BENCHMARK = "results/gpu"  # the GPU benchmark's archive (benchmarks/bench_gpu.py)


@dataclass(frozen=True)
class Job:
    name: str
    notebook: str  # file name in notebooks/
    output: str  # executed notebook, relative to the repository root
    parameters: dict = field(hash=False)
    depends_on: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()  # committed folders (relative to the repository root) the page renders


# How a run page names a variant in its title.
SHORT_LABELS = {
    "vanilla": "vanilla",
    "selfmod": "SELF-MOD",
    "aspp": "ASPP",
    "spap_c2f": "SPAP c2f",
    "spap_f2c": "SPAP f2c",
}


def run_table(job: Job) -> str | None:
    """The paper's table a run belongs to ("table1", "table2", "table3"), or None for a job that is no run."""
    p = job.parameters
    if job.notebook == "train_sndcgan.ipynb":
        return "table1"
    if job.notebook in ("train_cyclegan.ipynb", "train_segmenter.ipynb") and "dataset" in p:
        return dataset_spec(p["dataset"]).table
    return None


def run_title(job: Job) -> str | None:
    """A run page's title, from what it ran: "SNDCGAN, SPAP c2f, seed 1, cpu preset (Table 1)"."""
    p, table = job.parameters, run_table(job)
    if table is None:
        return None
    where = f"{p.get('preset', '?')} preset (Table {table.removeprefix('table')})"
    if job.notebook == "train_segmenter.ipynb":
        return f"FCN-score segmenter, {p['dataset']}, {where}"
    recipe = RECIPE_SPECS["gan" if job.notebook == "train_sndcgan.ipynb" else p.get("recipe", "cyclegan")]
    fields = {
        "direction": "AtoB",
        **p,
        "variant": SHORT_LABELS.get(p.get("variant", ""), p.get("variant", "")),
    }
    return ", ".join(
        [recipe.label, *(str(fields[k]) for k in recipe.run_fields), f"seed {p.get('seed', 0)}", where]
    )


def run_dir(preset: str, name: str) -> str:
    return f"outputs/{preset}/runs/{name}"


def book_plan(preset: str) -> list[Job]:
    """All jobs of a preset, each after the jobs it depends on."""
    spec = preset_spec(preset)  # the seeds and datasets the book trains for this preset
    runs_root = f"../outputs/{preset}/runs"
    common = {"preset": preset, "data_root": "../data"}

    def data_root(dataset: str) -> dict:
        # paper preset: the real dataset under data/<real name> (pix2pix A|B layouts; CelebA-HQ-128 as
        # images/ + split), relative to notebooks/
        return {"data_root": f"../data/{dataset_spec(dataset).real}"} if preset == "paper" else {}

    jobs: list[Job] = []

    def page(name: str, notebook: str, depends_on=(), reads=(), **params) -> None:
        jobs.append(Job(name, notebook, f"book/generated/{name}.ipynb", params, tuple(depends_on), reads))

    def run(name: str, notebook: str, depends_on=(), **params) -> None:
        params = {**common, **params, "run_dir": f"../{run_dir(preset, name)}"}
        jobs.append(Job(name, notebook, f"{run_dir(preset, name)}/notebook.ipynb", params, tuple(depends_on)))

    def recipe_run(recipe: str, depends_on=(), seed: int = 0, **fields) -> str:
        """One run of ``recipe`` (its notebook, its book name); returns the name."""
        named_seed = seed if recipe == "gan" else None  # the book trains several seeds of SNDCGAN only
        name = run_name(recipe, fields, seed=named_seed, book=True)
        recipe_param = {} if recipe in ("gan", "cyclegan") else {"recipe": recipe}
        dataset = fields.get("dataset", "faces")
        run(
            name,
            RECIPE_SPECS[recipe].notebook,
            depends_on,
            **recipe_param,
            **fields,
            seed=seed,
            **data_root(dataset),
        )
        return name

    page("datasets", "datasets.ipynb", **common)
    page("architecture", "architecture.ipynb")
    page("notebook_index", "notebook_index.ipynb")
    page(
        "gpu_speed", "gpu_speed.ipynb", reads=(GPU_BENCHMARK,), benchmark=f"../{GPU_BENCHMARK}/benchmark.json"
    )
    gan_runs = []
    for variant in variants_for("gan"):  # the paper's variants and the SELF-MOD baseline of Table 1
        for seed in spec.book_gan_seeds:
            gan_runs.append(recipe_run("gan", variant=variant, seed=seed))
    seg_runs = []
    for dataset in spec.book_translation:
        if dataset_spec(dataset).needs_segmenter:
            name = f"segmenter-{dataset}"
            run(name, "train_segmenter.ipynb", dataset=dataset, **data_root(dataset))
            seg_runs.append(name)
    translation_runs: dict[str, list[str]] = {}
    for dataset in spec.book_translation:
        seg = (f"segmenter-{dataset}",) if dataset_spec(dataset).needs_segmenter else ()
        names = [recipe_run("cyclegan", seg, variant=variant, dataset=dataset) for variant in VARIANTS]
        # the baselines of Tables 2-3: SCAN everywhere the paper reports it, Pix2Pix (paired, one run per
        # direction) for Table 2
        names.append(recipe_run("scan", seg, variant="vanilla", dataset=dataset))
        if dataset_spec(dataset).table == "table2":
            for direction in ("AtoB", "BtoA"):
                names.append(
                    recipe_run("pix2pix", seg, variant="vanilla", direction=direction, dataset=dataset)
                )
        translation_runs[dataset] = names
    # the replication study is archived, not run by the book: the page renders results/study in seconds
    short = f"{run_dir(preset, 'sndcgan-spap_c2f-s0')}"
    page(
        "study",
        "study.ipynb",
        ("sndcgan-spap_c2f-s0",),
        (STUDY_ARCHIVE,),
        archive_root=f"../{STUDY_ARCHIVE}",
        short_run=f"../{short}",
    )
    page(
        "table1_synthesis",
        "table1_synthesis.ipynb",
        gan_runs,
        (STUDY_ARCHIVE,),
        runs_root=runs_root,
        preset=preset,
        study_root=f"../{STUDY_ARCHIVE}",
    )
    page(
        "attention_maps",
        "attention_maps.ipynb",
        gan_runs,
        (STUDY_ARCHIVE,),
        runs_root=runs_root,
        preset=preset,
        study_root=f"../{STUDY_ARCHIVE}",
    )
    seg_translation = [
        n for d in spec.book_translation if dataset_spec(d).needs_segmenter for n in translation_runs[d]
    ]
    pq_translation = [
        n for d in spec.book_translation if not dataset_spec(d).needs_segmenter for n in translation_runs[d]
    ]
    page("table2_fcn", "table2_fcn.ipynb", seg_translation, runs_root=runs_root, preset=preset)
    page(
        "table3_psnr_ssim",
        "table3_psnr_ssim.ipynb",
        pq_translation,
        runs_root=runs_root,
        preset=preset,
    )
    return jobs
