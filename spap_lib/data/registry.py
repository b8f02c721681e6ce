"""Every dataset of the paper in one place (Sec. 4.1): what it stands in for, which table it feeds, how it
is scored. Config, evaluation, the book's plan and its tables read these entries; a new dataset is one entry
here plus its synthetic generator (``spap_lib.data.synth``) and, if downloadable, its archive
(``spap_lib.data.sources.REGISTRY``).

Names: a run's ``dataset`` is the synthetic stand-in's name; with ``data_source="folder"`` the same name reads
the real dataset (``real``) from ``<data root>/<real>``. Directions follow pix2pix's A|B conventions: the
generator ``G_AB`` translates A -> B, ``G_BA`` B -> A; ``directions`` maps the paper's direction names (the
``direction`` column of ``paper_tables.csv``) to the generator that serves each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spap_lib.errors import ConfigError

SCORES = ("fid", "fcn", "psnr_ssim")


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset of the paper and the protocol that scores it."""

    name: str  # the synthetic stand-in's name, used by configs and run names
    title: str  # the real dataset as the paper names it
    real: str  # the real dataset's folder / download name
    paper_name: str  # its name in the `dataset` column of paper_tables.csv
    table: str  # the paper's table it feeds
    kind: str  # "synthesis" (unpaired images) or "translation" (A/B pairs)
    score: str  # one of SCORES
    description: str  # what A and B are (or what the images are)
    directions: dict[str, str] = field(default_factory=dict)  # paper direction -> generator

    @property
    def needs_segmenter(self) -> bool:
        """Whether scoring needs a segmentation network (the FCN score of Table 2)."""
        return self.score == "fcn"


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            name="faces",
            title="CelebA-HQ-128",
            real="celeba_hq",
            paper_name="celeba_hq_128",
            table="table1",
            kind="synthesis",
            score="fid",
            description="face images (CelebA-HQ-128 layout: images/ + split file)",
        ),
        DatasetSpec(
            name="streets",
            title="Cityscapes",
            real="cityscapes",
            paper_name="cityscapes",
            table="table2",
            kind="translation",
            score="fcn",
            description="A = street photo, B = Cityscapes-palette labels",
            directions={"labels_to_photo": "G_BA", "photo_to_labels": "G_AB"},
        ),
        DatasetSpec(
            name="maps",
            title="Maps",
            real="maps",
            paper_name="maps",
            table="table3",
            kind="translation",
            score="psnr_ssim",
            description="A = aerial photo, B = map",
            directions={"aerial_to_map": "G_AB", "map_to_aerial": "G_BA"},
        ),
        DatasetSpec(
            name="facades",
            title="Facades",
            real="facades",
            paper_name="facades",
            table="table3",
            kind="translation",
            score="psnr_ssim",
            description="A = facade photo, B = CMP-palette labels",
            directions={"facades_to_labels": "G_AB", "labels_to_facades": "G_BA"},
        ),
    )
}


def dataset_spec(name: str, kind: str | None = None) -> DatasetSpec:
    """The registry entry of ``name`` (of ``kind`` when given); a one-line error otherwise."""
    choices = [n for n, s in DATASETS.items() if kind is None or s.kind == kind]
    if name not in choices:
        what = f"{kind} dataset" if kind else "dataset"
        raise ConfigError(f"unknown {what} {name!r}: choose one of {', '.join(choices)}")
    return DATASETS[name]


def datasets_of(kind: str) -> tuple[str, ...]:
    """Names of the datasets of one kind ("synthesis" or "translation"), in registry order."""
    return tuple(n for n, s in DATASETS.items() if s.kind == kind)
