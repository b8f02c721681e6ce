"""The one command that reproduces the book: data -> experiment notebooks -> report notebooks -> Jupyter Book.

``python -m spap_lib book --preset cpu`` (the README's ``make book``):
1. generates the synthetic datasets the preset needs (cached under ``data/``);
2. runs every experiment notebook through papermill (``notebooks/train_*.ipynb``) into
   ``outputs/<preset>/runs/<run>/`` -- one executed notebook and one run folder per variant/seed/dataset;
3. runs the report notebooks, which read those run folders, into ``book/generated/`` (the pages the book
   renders, every number glued from an executed cell);
4. builds the book with ``jupyter-book build . -W -n --keep-going``.

A job whose inputs are unchanged is skipped: its cache key hashes the notebook's code cells, its parameters,
every ``spap_lib`` source file (Python by its syntax tree, so comments and docstrings do not count) and, for
reports, the keys of the runs it reads. A failing job is reported with
its executed notebook's path; the others go on and completed ones are kept.
"""

from __future__ import annotations

import ast
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
from spap_lib.io import atomic_write
from spap_lib.jobs import FAILED, FINISHED, SETTLED, SKIPPED, STARTED, JobEvent, run_jobs
from spap_lib.reports.plan import Job, book_plan, run_table, run_title

ROOT = Path(__file__).resolve().parents[2]


def source_hash(package_dir: Path = ROOT / "spap_lib") -> str:
    """SHA-256 over every file of a folder (path and content): the library, so any code change invalidates
    runs, or an archive a page renders. A Python file counts by its syntax tree without docstrings
    (:func:`code_fingerprint`): a comment or docstring edit re-runs nothing."""
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(package_dir)).encode())
            digest.update(code_fingerprint(path) if path.suffix == ".py" else path.read_bytes())
    return digest.hexdigest()


def code_fingerprint(path: Path) -> bytes:
    """What a Python file computes: its syntax tree (comments are not in it) with every module, class and
    function docstring removed; a file that does not parse counts by its bytes."""
    source = path.read_bytes()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return source
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(tree).encode()


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


def key_stamp(job: Job) -> Path:
    """The file beside a job's output holding the cache key it was made with."""
    return (ROOT / job.output).with_suffix(".key")


def failed_notebook(output: Path) -> Path:
    """Where a notebook that raised is kept, beside the output it would have been."""
    return output.with_name(f"{output.stem}.failed.ipynb")


STATUS = {SETTLED: "cached", FINISHED: "ran", FAILED: "failed", SKIPPED: "skipped"}  # by a job's last event


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


def ipc_kernel_manager() -> type:
    """The kernel manager papermill starts kernels with: jupyter_client's, over IPC (Unix sockets in Jupyter's
    runtime folder, removed when the kernel stops) instead of TCP. Over TCP without CurveZMQ keys every kernel
    logs "Kernel is running over TCP without encryption" (ipykernel >= 7) into the build log; over IPC the
    kernel is reachable by this user only and the warning's cause is gone."""
    import uuid

    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.paths import jupyter_runtime_dir
    from traitlets import default

    class IPCKernelManager(AsyncKernelManager):
        @default("transport")
        def _default_transport(self) -> str:
            return "ipc"

        @default("ip")
        def _default_ip(self) -> str:  # absolute: the kernel starts in another folder than this process
            os.makedirs(jupyter_runtime_dir(), exist_ok=True)
            return os.path.join(jupyter_runtime_dir(), f"kernel-{uuid.uuid4()}-ipc")

    return IPCKernelManager


def execute(job: Job, output: Path, notebooks: Path | None = None) -> None:
    """Run one notebook with papermill into ``output`` (atomically: a temp file, then a rename).

    The kernel starts in ``notebooks`` (its relative paths, ``../data``, are written for that folder) by
    nbclient's ``resources["metadata"]["path"]``, not by papermill's ``cwd=``: that one changes the working
    directory of this whole process, and with two notebooks in threads one thread's restore could start the
    other's kernel in the wrong folder (its run then written beside the repository).
    """
    import papermill

    notebooks = ROOT / "notebooks" if notebooks is None else notebooks
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp.ipynb")
    try:
        papermill.execute_notebook(
            str(notebooks / job.notebook),
            str(tmp),
            parameters=job.parameters,
            kernel_name="python3",
            kernel_manager_class=ipc_kernel_manager(),
            progress_bar=False,
            resources={"metadata": {"path": str(notebooks)}},
        )
    except Exception:
        if tmp.exists():  # keep the failed notebook next to where it would be, for reading
            os.replace(tmp, failed_notebook(output))
        raise
    show_parameters_once(tmp)
    os.replace(tmp, output)


def show_parameters_once(path: Path) -> None:
    """A page shows the values it was run with once: papermill's injected cell stays (headed as such), the
    notebook's cell of defaults is removed from the page (``remove-cell``; it stays in the notebook)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    injected = [c for c, t in zip(nb.cells, tags) if "injected-parameters" in t]
    if not injected:
        return
    for cell, t in zip(nb.cells, tags):
        if "parameters" in t and "remove-cell" not in t:
            cell.metadata["tags"] = [*t, "remove-cell"]
    if not injected[0].source.startswith("# Parameters this page was run with"):
        injected[0].source = "# Parameters this page was run with\n" + injected[0].source.removeprefix(
            "# Parameters\n"
        )
    nbformat.write(nb, path)


def run_pipeline(
    preset: str, build: bool = True, force: bool = False, only: str | None = None, jobs_at_once: int = 2
) -> int:
    """Run every job of ``preset``, ``jobs_at_once`` notebooks side by side as their inputs become ready
    (:func:`spap_lib.jobs.run_jobs`); return 0 if all succeeded (the book built), else 1.

    Side by side, each notebook's kernel gets one thread (``OMP_NUM_THREADS=1``): two one-thread jobs train
    the small presets' networks 1.7x faster than one two-thread job (``benchmarks/bench_train.py``), and the
    ~5-10 s each kernel spends starting and importing overlaps with the other job's work.
    """
    plan = book_plan(preset)
    jobs = [j for j in plan if only in j.name] if only else plan
    if not jobs:
        raise ConfigError(f"no job matches {only!r}: see `python -m spap_lib book --list`")
    if jobs_at_once < 1:
        raise ConfigError(f"jobs_at_once must be >= 1, got {jobs_at_once}")
    if jobs_at_once > 1:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
    by_name = {j.name: j for j in jobs}
    lib_hash = source_hash()
    keys: dict[str, str] = {}  # of the jobs done (ran or cached): their dependents' keys include them
    to_run: dict[str, tuple[Job, str]] = {}  # a job that is not cached: as it runs, and its key
    outcomes: dict[str, Outcome] = {}
    progress = Progress(len(jobs))
    print(
        f"spap book: preset {preset!r}, {len(jobs)} notebooks ({jobs_at_once} at a time), outputs under "
        f"{ROOT / 'outputs' / preset}"
    )

    def cached(name: str) -> bool:
        """Whether the job's output is stamped with its current key; if not, what to run and stamp."""
        job = by_name[name]
        key = job_key(job, lib_hash, keys) if set(job.depends_on) <= set(keys) else ""
        stamp = key_stamp(job)
        if not force and (ROOT / job.output).exists() and stamp.exists() and stamp.read_text() == key:
            keys[name] = key
            return True
        if stamp.exists() and accepts_fresh(job):
            # A finished run whose inputs changed is stale: train it again from scratch. A run
            # without a stamp was interrupted and resumes from its last checkpoint.
            job = replace(job, parameters={**job.parameters, "fresh": True})
        to_run[name] = (job, key)
        return False

    def run(name: str) -> None:  # in a worker thread
        job, _ = to_run[name]
        execute(job, ROOT / job.output)

    def record(event: JobEvent) -> None:
        """Print the job's progress line; stamp a job that ran with its key."""
        job = by_name[event.name]
        if event.kind == STARTED:
            print(f"    started {job.name}", flush=True)
            return
        error = event.message
        if event.kind == FAILED:
            error += f" -- see {failed_notebook(ROOT / job.output)}"
        elif event.kind == FINISHED:
            progress.executed_seconds.append(event.seconds)
            keys[job.name] = to_run[job.name][1]
            key_stamp(job).write_text(keys[job.name])
        outcome = Outcome(job, STATUS[event.kind], event.seconds, error)
        outcomes[job.name] = outcome
        print(progress.line(len(outcomes), job, outcome.status), flush=True)
        if outcome.status == "failed":
            print(f"    FAILED: {outcome.error}")

    run_jobs({j.name: j.depends_on for j in jobs}, run, slots=jobs_at_once, settle=cached, on_event=record)
    ordered = [outcomes[j.name] for j in jobs]
    print(summary(ordered, time.monotonic() - progress.start))
    print(critical_path(ordered))
    if any(o.status in ("failed", "skipped") for o in ordered):
        return 1
    publish_runs(jobs)
    if build:
        return build_book()
    return 0


def critical_path(outcomes: list[Outcome]) -> str:
    """The chain of dependent jobs that bounds the wall time (the longest by seconds), and each job's share
    of all notebook time."""
    by_name = {o.job.name: o for o in outcomes}
    finish: dict[str, tuple[float, list[str]]] = {}
    for o in outcomes:  # the plan lists every job after its dependencies
        before = max(
            (finish[d] for d in o.job.depends_on if d in finish), default=(0.0, []), key=lambda t: t[0]
        )
        finish[o.job.name] = (before[0] + o.seconds, [*before[1], o.job.name])
    length, chain = max(finish.values(), default=(0.0, []), key=lambda t: t[0])
    total = sum(o.seconds for o in outcomes) or 1.0
    lines = [
        f"  critical path ({length:.0f}s): " + " -> ".join(f"{n} {by_name[n].seconds:.0f}s" for n in chain)
    ]
    shares = sorted(outcomes, key=lambda o: -o.seconds)[:8]
    lines.append(
        "  share of notebook time: " + ", ".join(f"{o.job.name} {o.seconds / total:.0%}" for o in shares)
    )
    return "\n".join(lines)


def publish_runs(jobs: list[Job], folder: Path | None = None) -> None:
    """Copy every executed experiment notebook into the book, ``book/generated/runs/<table>-<nn>-<run>.ipynb``
    (the run index lists them by the paper's table, in plan order), titled by what it ran
    (:func:`~spap_lib.reports.plan.run_title`); what else is in that folder is a stale copy and is removed."""
    import nbformat

    folder = ROOT / "book" / "generated" / "runs" if folder is None else folder
    folder.mkdir(parents=True, exist_ok=True)
    runs = [j for j in jobs if j.output.startswith("outputs/")]
    wanted, counts = {}, {}
    for j in runs:  # numbered within its table, in plan order (the segmenter of Table 2 is table2-01)
        table = run_table(j)
        counts[table] = counts.get(table, 0) + 1
        wanted[f"{table}-{counts[table]:02d}-{j.name}.ipynb" if table else f"{j.name}.ipynb"] = j
    for stale in folder.glob("*.ipynb"):
        if stale.name not in wanted:
            stale.unlink()
    for name, job in wanted.items():

        def write(tmp: str, source: Path = ROOT / job.output, title: str | None = run_title(job)) -> None:
            shutil.copyfile(source, tmp)
            if title:
                nb = nbformat.read(tmp, as_version=4)
                retitle(nb, title)
                nbformat.write(nb, tmp)

        atomic_write(folder / name, write)


def retitle(nb, title: str) -> None:
    """Replace the notebook's first ``# heading`` by ``title``; the notebook's own heading follows in italics."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            first, _, rest = cell.source.partition("\n")
            cell.source = f"# {title}\n\n*{first.removeprefix('# ')}*\n{rest}"
            return


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
