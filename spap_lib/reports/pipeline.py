"""The one command that reproduces the book: data -> experiment notebooks -> report notebooks -> Jupyter Book.

``python -m spap_lib book --preset cpu`` (the README's ``make book``):
1. generates the synthetic datasets the preset needs (cached under ``data/``);
2. runs every experiment notebook through papermill (``notebooks/train_*.ipynb``) into
   ``outputs/<preset>/runs/<run>/`` -- one executed notebook and one run folder per variant/seed/dataset;
3. runs the report notebooks, which read those run folders, into ``book/generated/`` (the pages the book
   renders, every number glued from an executed cell);
4. builds the book with ``jupyter-book build . -W -n --keep-going``.

A job whose inputs are unchanged is skipped: its cache key hashes the notebook's code cells, its parameters,
every ``spap_lib`` source file and, for reports, the keys of the runs it reads. A failing job is reported with
its executed notebook's path; the others go on and completed ones are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from spap_lib.errors import ConfigError
from spap_lib.reports.plan import Job, book_plan

ROOT = Path(__file__).resolve().parents[2]


def source_hash(package_dir: Path = ROOT / "spap_lib") -> str:
    """SHA-256 over every file of a folder (path and bytes): the library, so any code change invalidates
    runs, or an archive a page renders."""
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(package_dir)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def notebook_code_hash(path: Path) -> str:
    """Hash of a notebook's code cells only (outputs and metadata do not change what it computes)."""
    cells = json.loads(path.read_text())["cells"]
    code = [
        c["source"] if isinstance(c["source"], str) else "".join(c["source"])
        for c in cells
        if c["cell_type"] == "code"
    ]
    return hashlib.sha256("\x00".join(code).encode()).hexdigest()


def job_key(job: Job, lib_hash: str, upstream: dict[str, str]) -> str:
    payload = {
        "notebook": notebook_code_hash(ROOT / "notebooks" / job.notebook),
        "parameters": job.parameters,
        "lib": lib_hash,
        "upstream": [upstream[name] for name in job.depends_on],
        "reads": [source_hash(ROOT / folder) for folder in job.reads],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@dataclass
class Outcome:
    job: Job
    status: str  # "ran", "cached", "failed", "skipped"
    seconds: float = 0.0
    error: str = ""


@dataclass
class Progress:
    """One line per job: which run, how many left, elapsed and a rough ETA from the runs executed so far."""

    total: int
    start: float = field(default_factory=time.monotonic)
    executed_seconds: list[float] = field(default_factory=list)

    def line(self, index: int, job: Job, status: str) -> str:
        elapsed = time.monotonic() - self.start
        remaining = self.total - index
        mean = sum(self.executed_seconds) / len(self.executed_seconds) if self.executed_seconds else 0
        eta = f"ETA ~{_clock(mean * remaining)}" if mean else "ETA ?"
        return f"[{index}/{self.total}] {status:<7} {job.name:<40} elapsed {_clock(elapsed)}  {eta}"


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m:02d}:{s:02d}"


def accepts_fresh(job: Job) -> bool:
    """Whether the job's notebook has a ``fresh`` parameter (the training notebooks do)."""
    import papermill

    return "fresh" in papermill.inspect_notebook(str(ROOT / "notebooks" / job.notebook))


def execute(job: Job, output: Path) -> None:
    """Run one notebook with papermill into ``output`` (atomically: a temp file, then a rename)."""
    import papermill

    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp.ipynb")
    try:
        papermill.execute_notebook(
            str(ROOT / "notebooks" / job.notebook),
            str(tmp),
            parameters=job.parameters,
            cwd=str(ROOT / "notebooks"),
            kernel_name="python3",
            progress_bar=False,
        )
    except Exception:
        if tmp.exists():  # keep the failed notebook next to where it would be, for reading
            os.replace(tmp, output.with_name(f"{output.stem}.failed.ipynb"))
        raise
    os.replace(tmp, output)


def run_pipeline(preset: str, build: bool = True, force: bool = False, only: str | None = None) -> int:
    """Run every job of ``preset``; return 0 if all succeeded (the book built), else 1."""
    jobs = book_plan(preset)
    if only:
        jobs = [j for j in jobs if only in j.name]
        if not jobs:
            raise ConfigError(f"no job matches {only!r}: see `python -m spap_lib book --list`")
    lib_hash = source_hash()
    keys: dict[str, str] = {}
    outcomes: list[Outcome] = []
    progress = Progress(len(jobs))
    failed_names: set[str] = set()
    print(f"spap book: preset {preset!r}, {len(jobs)} notebooks, outputs under {ROOT / 'outputs' / preset}")
    for index, job in enumerate(jobs, 1):
        output = ROOT / job.output
        key = job_key(job, lib_hash, keys) if set(job.depends_on) <= set(keys) else ""
        stamp = output.with_suffix(".key")
        if failed_names & set(job.depends_on):
            outcomes.append(Outcome(job, "skipped", error="an upstream job failed"))
            print(progress.line(index, job, "skipped"), flush=True)
            continue
        if not force and output.exists() and stamp.exists() and stamp.read_text() == key:
            keys[job.name] = key
            outcomes.append(Outcome(job, "cached"))
            print(progress.line(index, job, "cached"), flush=True)
            continue
        print(progress.line(index, job, "running"), flush=True)
        t0 = time.monotonic()
        if stamp.exists() and accepts_fresh(job):
            # A finished run whose inputs changed is stale: train it again from scratch. A run without a
            # stamp was interrupted and resumes from its last checkpoint.
            job = replace(job, parameters={**job.parameters, "fresh": True})
        try:
            execute(job, output)
        except Exception as exc:  # papermill raises PapermillExecutionError with the cell's traceback
            failed_names.add(job.name)
            msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            failed_nb = output.with_name(output.stem + ".failed.ipynb")
            outcomes.append(Outcome(job, "failed", time.monotonic() - t0, f"{msg} -- see {failed_nb}"))
            print(f"    FAILED: {msg}\n    see {failed_nb}")
            continue
        seconds = time.monotonic() - t0
        progress.executed_seconds.append(seconds)
        stamp.write_text(key)
        keys[job.name] = key
        outcomes.append(Outcome(job, "ran", seconds))
    print(summary(outcomes, time.monotonic() - progress.start))
    if failed_names:
        return 1
    publish_runs(jobs)
    if build:
        return build_book()
    return 0


def publish_runs(jobs: list[Job], folder: Path = ROOT / "book" / "generated" / "runs") -> None:
    """Copy every executed experiment notebook into the book (``book/generated/runs/<run>.ipynb``)."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {f"{j.name}.ipynb": ROOT / j.output for j in jobs if j.output.startswith("outputs/")}
    for stale in folder.glob("*.ipynb"):
        if stale.name not in wanted:
            stale.unlink()
    for name, source in wanted.items():
        tmp = folder / f".{name}.tmp"
        shutil.copyfile(source, tmp)
        os.replace(tmp, folder / name)


def summary(outcomes: list[Outcome], seconds: float) -> str:
    counts = {s: sum(o.status == s for o in outcomes) for s in ("ran", "cached", "failed", "skipped")}
    lines = [
        f"\nsummary: {counts['ran']} ran, {counts['cached']} cached, {counts['failed']} failed, "
        f"{counts['skipped']} skipped in {_clock(seconds)}"
    ]
    for o in outcomes:
        if o.status in ("failed", "skipped"):
            lines.append(f"  {o.status}: {o.job.name} ({o.job.notebook}) {o.error}")
    slow = sorted((o for o in outcomes if o.status == "ran"), key=lambda o: -o.seconds)[:5]
    if slow:
        lines.append("  slowest: " + ", ".join(f"{o.job.name} {o.seconds:.0f}s" for o in slow))
    return "\n".join(lines)


def build_book() -> int:
    """``jupyter-book build . -W -n --keep-going`` in the repository root."""
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe), "build", str(ROOT), "-W", "-n", "--keep-going"]
    print("building the book:", " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=ROOT)
