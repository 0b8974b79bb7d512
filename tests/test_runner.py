"""The generic runner (flexsa.runner): ids, resume, stored errors, identity, executors."""

from __future__ import annotations

import threading
from itertools import pairwise
from pathlib import Path

import pytest

from flexsa.errors import ConfigError, WorkloadError
from flexsa.runner import RunStore, StoreIdentity, Task, read_store, run_tasks

IDENTITY = StoreIdentity("test", {"scale": 3})


def square(config: dict) -> dict:
    if config["x"] < 0:
        raise WorkloadError(f"x = {config['x']} is negative")
    return {"y": config["x"] ** 2 * IDENTITY.config["scale"]}


def tasks(values: list[int]) -> list[Task]:
    return [Task({"x": v}, i, f"x={v}") for i, v in enumerate(values)]


def test_ids_are_config_digests_and_resume_skips_them(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    assert Task({"x": 1, "y": 2}).task_id == Task({"y": 2, "x": 1}, 5, "other").task_id
    first = run_tasks(tasks([1, 2, 2, 3]), square, store, IDENTITY)   # a duplicate runs once
    assert (first.total, first.evaluated, first.skipped) == (3, 3, 0)
    seen: list[tuple[int, int, str]] = []
    again = run_tasks(tasks([1, 2, 3, 4]), square, store, IDENTITY,
                      progress=lambda done, total, label: seen.append((done, total, label)))
    assert (again.evaluated, again.skipped) == (1, 3)
    assert seen == [(3, 4, ""), (4, 4, "x=4")]
    meta, rows = read_store(store)
    assert meta["kind"] == "test" and [r.result["y"] for r in rows] == [3, 12, 27, 48]


def test_caught_errors_are_stored_others_stop_the_run(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    summary = run_tasks(tasks([1, -2]), square, store, IDENTITY, catch=(WorkloadError,))
    assert summary.errors == 1
    _, rows = read_store(store)
    assert [(r.status, r.error) for r in rows] == [("ok", ""), ("error", "x = -2 is negative")]
    with pytest.raises(WorkloadError):
        run_tasks(tasks([5, -7, 6]), square, tmp_path / "other.sqlite", IDENTITY)
    assert len(read_store(tmp_path / "other.sqlite")[1]) == 1   # what finished is kept


def test_another_identity_is_refused_before_anything_runs(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    run_tasks(tasks([1]), square, store, IDENTITY)
    opened: list[bool] = []
    with pytest.raises(ConfigError, match="another configuration") as err:
        run_tasks(tasks([2]), square, store, StoreIdentity("test", {"scale": 4}),
                  on_open=lambda: opened.append(True))
    assert "\n" not in str(err.value) and opened == []
    with RunStore(store, IDENTITY), pytest.raises(ConfigError, match="being written"):
        run_tasks(tasks([2]), square, store, IDENTITY)


def test_local_processes_need_no_pickling_of_the_work(tmp_path: Path) -> None:
    lock = threading.Lock()   # unpicklable: workers inherit the work at fork time

    def work(config: dict) -> dict:
        with lock:
            return square(config)

    summary = run_tasks(tasks(list(range(20))), work, tmp_path / "runs.sqlite", IDENTITY,
                        jobs=2)
    assert summary.evaluated == 20
    _, rows = read_store(tmp_path / "runs.sqlite")
    assert sorted(r.result["y"] for r in rows) == [3 * v * v for v in range(20)]


def pid_and_square(config: dict) -> dict:
    import os

    return {"y": config["x"] ** 2, "pid": os.getpid()}


def test_affinity_pool_keeps_a_key_on_one_worker_and_gives_the_same_results(
        tmp_path: Path) -> None:
    keyed = [Task({"x": v}, i, f"x={v}", affinity="ab"[v % 2]) for i, v in enumerate(range(12))]
    summary = run_tasks(keyed, pid_and_square, tmp_path / "pool.sqlite", IDENTITY, jobs=2)
    assert summary.evaluated == 12
    _, rows = read_store(tmp_path / "pool.sqlite")
    assert sorted(r.result["y"] for r in rows) == [v * v for v in range(12)]
    runs: dict[int, list[str]] = {}   # per worker, the keys in the order it ran them
    for row in sorted(rows, key=lambda r: r.finished_at):
        runs.setdefault(row.result["pid"], []).append("ab"[row.config["x"] % 2])
    # a worker runs its key until none is pending, then may take the other: one switch at
    # most (a plain pool alternates keys on every worker)
    switches = [sum(a != b for a, b in pairwise(keys)) for keys in runs.values()]
    assert max(switches) <= 1, runs


def test_affinity_choice_prefers_own_key_then_a_free_key() -> None:
    from flexsa.runner.affinity import AffinityPool

    pool = AffinityPool.__new__(AffinityPool)   # the choice only; no processes
    pool.tasks = [Task({"x": i}, i, affinity=k) for i, k in enumerate("aabbc")]
    pool.pending, pool.key = list(range(5)), [None, None]
    assert pool._next(0) == 0                    # the earliest task
    assert pool._next(1) == 2                    # key "a" is taken: the next free key
    assert pool._next(0) == 1                    # its own key first
    assert pool._next(0) == 4                    # "b" is worker 1's: the free key "c"
    assert pool._next(0) == 3 and pool._next(1) is None


ORPHAN_SCRIPT = """
import os, sys, time
from flexsa.runner import StoreIdentity, Task, run_tasks

def work(config):
    with open(os.path.join(sys.argv[1], f"{os.getpid()}.pid"), "w"):
        pass
    time.sleep(config["x"])
    return {}

tasks = [Task({"x": 0.2 + i / 1000}, i, affinity="ab"[i % 2]) for i in range(40)]
run_tasks(tasks, work, os.path.join(sys.argv[1], "runs.sqlite"),
          StoreIdentity("orphans", {}), jobs=2)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return "\nState:\tZ" not in status.read()
    except FileNotFoundError:
        return False


def test_affinity_workers_exit_when_the_parent_is_killed(tmp_path: Path) -> None:
    """SIGKILL of the parent: its workers see end-of-file on their pipes and exit (they
    must not linger holding the store's writer lock)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    parent = subprocess.Popen([sys.executable, "-c", ORPHAN_SCRIPT, str(tmp_path)])
    deadline = time.monotonic() + 30
    while len(list(tmp_path.glob("*.pid"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = [int(p.stem) for p in tmp_path.glob("*.pid")]
    assert len(workers) == 2
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers)
