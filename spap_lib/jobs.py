"""The one job scheduler of the book pipeline and the study: named jobs with dependencies, N worker threads.

:func:`run_jobs` takes a plan (job name -> the names of the jobs it waits for, in plan order) and runs each
job by ``execute(name)`` in one of ``slots`` worker threads, starting the jobs whose dependencies are done in
plan order as slots free (it waits on the running jobs; it never polls). A dependency that is not in the plan
counts as done (it was done elsewhere); a job whose dependency failed or was skipped is skipped, with the
reason. ``settle(name)``, asked when a job is ready, may finish it at once without a worker (the pipeline's
cache hit). An exception raised by ``execute`` is that job's failure, not the scheduler's. Every step is
reported to ``on_event`` in the calling thread. Standard library only: every layer may use it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

STARTED, SETTLED, FINISHED, FAILED, SKIPPED = "started", "settled", "finished", "failed", "skipped"


@dataclass(frozen=True)
class JobEvent:
    """One step of one job. ``kind``: started, settled (done without a worker), finished, failed or skipped;
    ``seconds``: how long ``execute`` ran; ``message``: why the job failed or was skipped."""

    name: str
    kind: str
    seconds: float = 0.0
    message: str = ""


def failure_message(exc: BaseException) -> str:
    """An exception's last line (papermill's error ends with the failing cell's exception), or its type."""
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


def _timed(execute: Callable[[str], None], name: str) -> tuple[float, str | None]:
    """(seconds, None) when ``execute(name)`` returned, (seconds, its failure message) when it raised."""
    t0 = time.monotonic()
    try:
        execute(name)
    except Exception as exc:
        return time.monotonic() - t0, failure_message(exc)
    return time.monotonic() - t0, None


def run_jobs(
    plan: Mapping[str, Collection[str]],
    execute: Callable[[str], None],
    *,
    slots: int,
    settle: Callable[[str], bool] = lambda name: False,
    on_event: Callable[[JobEvent], None] = lambda event: None,
) -> dict[str, JobEvent]:
    """Run every job of ``plan``, at most ``slots`` at once; return each job's last event (settled,
    finished, failed or skipped) in plan order.

    ``settle`` and ``on_event`` run in the calling thread, ``execute`` in a worker thread. If the calling
    thread is interrupted (Ctrl-C, or an exception from a hook) this re-raises at once without waiting for
    the running jobs: stopping them is the caller's (the study terminates its child processes).
    """
    if slots < 1:
        raise ValueError(f"slots must be >= 1, got {slots}")
    order = {name: i for i, name in enumerate(plan)}
    waiting: list[str] = list(plan)
    ready: list[str] = []  # dependencies done, not settled: each waits for a slot
    outcomes: dict[str, JobEvent] = {}
    running: dict[Future, str] = {}

    def end(event: JobEvent) -> None:
        outcomes[event.name] = event
        on_event(event)

    def unblock() -> None:
        """Skip, settle or queue every waiting job whose dependencies (in the plan) have all ended."""
        changed = True
        while changed:  # a skipped or settled job may unblock one listed before it
            changed = False
            for name in list(waiting):
                upstream = [d for d in plan[name] if d in plan]
                if any(d not in outcomes for d in upstream):
                    continue
                waiting.remove(name)
                changed = True
                blocker = next((d for d in upstream if outcomes[d].kind in (FAILED, SKIPPED)), None)
                if blocker is not None:
                    how = "failed" if outcomes[blocker].kind == FAILED else "was skipped"
                    end(JobEvent(name, SKIPPED, message=f"it waits for {blocker}, which {how}"))
                elif settle(name):
                    end(JobEvent(name, SETTLED))
                else:
                    ready.append(name)
        ready.sort(key=order.__getitem__)

    pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="job")
    try:
        unblock()
        while ready or running:
            while ready and len(running) < slots:
                name = ready.pop(0)
                on_event(JobEvent(name, STARTED))
                running[pool.submit(_timed, execute, name)] = name
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: order[running[f]]):
                name = running.pop(future)
                seconds, error = future.result()
                end(JobEvent(name, FINISHED if error is None else FAILED, seconds, error or ""))
            unblock()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    for name in waiting:  # never ready: their dependencies wait for each other
        end(JobEvent(name, SKIPPED, message="its dependencies wait for each other (a cycle)"))
    return {name: outcomes[name] for name in plan}
