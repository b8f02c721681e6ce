"""spap_lib.jobs: dependency order, slots, skips with reasons, settled jobs, failures that stay jobs'."""

import subprocess
import sys
import threading
import time

import pytest

from spap_lib.jobs import FAILED, FINISHED, SETTLED, SKIPPED, STARTED, JobEvent, run_jobs


class Recorder:
    """execute and on_event for run_jobs: what ran, in which order, and every event."""

    def __init__(self, fail=(), hold=0.0):
        self.fail, self.hold = set(fail), hold
        self.executed, self.events, self.lock = [], [], threading.Lock()

    def execute(self, name):
        with self.lock:
            self.executed.append(name)
        time.sleep(self.hold)
        if name in self.fail:
            raise ValueError(f"Traceback ...\n{name} broke")

    def on_event(self, event):
        self.events.append(event)

    def kinds(self, name):
        return [e.kind for e in self.events if e.name == name]


def test_dependencies_run_first_and_every_job_ends_once():
    rec = Recorder()
    plan = {"a": (), "b": ("a",), "c": ("b", "a"), "d": ()}
    out = run_jobs(plan, rec.execute, slots=3, on_event=rec.on_event)
    assert list(out) == list(plan) and all(e.kind == FINISHED for e in out.values())
    assert rec.executed.index("a") < rec.executed.index("b") < rec.executed.index("c")
    finished = [e.name for e in rec.events if e.kind == FINISHED]
    started = [e.name for e in rec.events if e.kind == STARTED]
    assert started.index("b") > finished.index("a") and started.index("c") > finished.index("b")
    assert all(rec.kinds(n) == [STARTED, FINISHED] for n in plan)


def test_never_more_than_slots_at_once_and_all_slots_used():
    lock, now, peak = threading.Lock(), [0], [0]
    pair = threading.Barrier(2, timeout=5)  # breaks (the jobs fail) unless two run side by side

    def execute(name):
        with lock:
            now[0] += 1
            peak[0] = max(peak[0], now[0])
        try:
            pair.wait()
            time.sleep(0.01)
        finally:
            with lock:
                now[0] -= 1

    out = run_jobs({f"j{i}": () for i in range(8)}, execute, slots=2)
    assert [e.kind for e in out.values()] == [FINISHED] * 8
    assert peak[0] == 2


def test_ready_jobs_start_in_plan_order_as_slots_free():
    rec = Recorder()
    plan = {"c": (), "a": (), "x": ("a",), "b": ()}  # x becomes ready after b, c queued: it still goes first
    run_jobs(plan, rec.execute, slots=1)
    assert rec.executed == ["c", "a", "x", "b"]


def test_a_failed_job_skips_its_dependents_with_the_reason():
    rec = Recorder(fail={"a"})
    plan = {"a": (), "b": ("a",), "c": ("b",), "d": ()}
    out = run_jobs(plan, rec.execute, slots=2, on_event=rec.on_event)
    assert out["a"].kind == FAILED and out["a"].message == "a broke"  # the exception's last line
    assert out["b"] == JobEvent("b", SKIPPED, message="it waits for a, which failed")
    assert out["c"] == JobEvent("c", SKIPPED, message="it waits for b, which was skipped")
    assert out["d"].kind == FINISHED
    assert sorted(rec.executed) == ["a", "d"] and rec.kinds("b") == [SKIPPED]


def test_an_exception_in_execute_is_a_failure_not_a_crash():
    def execute(name):
        if name == "empty":
            raise KeyError
        raise RuntimeError("first line\nlast line\n")

    out = run_jobs({"empty": (), "lines": ()}, execute, slots=1)
    assert (out["empty"].kind, out["empty"].message) == (FAILED, "KeyError")
    assert (out["lines"].kind, out["lines"].message) == (FAILED, "last line")
    assert out["lines"].seconds >= 0


def test_a_settled_job_never_reaches_execute_and_its_dependents_run():
    rec = Recorder()
    asked = []

    def settle(name):
        asked.append(name)
        return name == "cached"

    out = run_jobs(
        {"cached": (), "after": ("cached",)}, rec.execute, slots=2, settle=settle, on_event=rec.on_event
    )
    assert rec.executed == ["after"] and rec.kinds("cached") == [SETTLED]
    assert out["cached"].kind == SETTLED and out["after"].kind == FINISHED
    assert asked == ["cached", "after"]  # asked once a job's dependencies are done


def test_a_dependency_outside_the_plan_counts_as_done():
    rec = Recorder()
    out = run_jobs({"b": ("done-elsewhere",)}, rec.execute, slots=1)
    assert out["b"].kind == FINISHED and rec.executed == ["b"]


def test_jobs_waiting_for_each_other_are_skipped():
    rec = Recorder()
    out = run_jobs({"a": ("b",), "b": ("a",), "c": ()}, rec.execute, slots=1)
    assert rec.executed == ["c"]
    assert out["a"].kind == out["b"].kind == SKIPPED and "cycle" in out["a"].message


def test_events_reach_the_calling_thread_only():
    threads = set()
    run_jobs(
        {f"j{i}": () for i in range(4)},
        lambda name: None,
        slots=2,
        on_event=lambda e: threads.add(threading.get_ident()),
    )
    assert threads == {threading.get_ident()}


def test_an_interrupt_returns_at_once_without_waiting_for_running_jobs():
    release = threading.Event()

    def on_event(event):
        if event == JobEvent("second", STARTED):  # "long" is running by then
            raise KeyboardInterrupt

    t0 = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_jobs({"long": (), "second": ()}, lambda name: release.wait(10), slots=2, on_event=on_event)
        assert time.monotonic() - t0 < 5
    finally:
        release.set()


def test_slots_must_be_positive():
    with pytest.raises(ValueError, match="slots"):
        run_jobs({"a": ()}, lambda name: None, slots=0)


def test_the_module_imports_no_torch():
    code = "import sys, spap_lib.jobs; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
