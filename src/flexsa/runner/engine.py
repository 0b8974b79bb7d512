"""Run (or resume) a list of tasks into a store: skip finished ids, run the rest, commit each.

:func:`run_tasks` knows nothing about what a task computes: it takes task records, a
top-level function ``work(config) -> JSON-able result`` and a store identity. The parent
process is the store's only writer and commits each result as it arrives. Exceptions of
the types in ``catch`` are stored as the task's one-line error (a sweep point that does not
fit); any other exception, Ctrl-C included, stops the run with every finished task kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flexsa.errors import ConfigError
from flexsa.runner.affinity import AffinityPool
from flexsa.runner.executors import Catch, DaskPool, LocalPool, Serial, Work, connect
from flexsa.runner.store import RunStore, StoreIdentity
from flexsa.runner.task import Task
from flexsa.validation import positive

# (tasks finished so far, total tasks, label of the task that just finished)
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class RunSummary:
    """What a run did: tasks in total, found stored, evaluated now, stored as errors."""

    total: int
    skipped: int
    evaluated: int
    errors: int
    seconds: float
    store: str


Executor = Serial | LocalPool | DaskPool | AffinityPool


def check_jobs(jobs: object) -> int:
    """``--jobs``: a whole number of worker processes, 1 .. the ``workers`` limit."""
    return positive(jobs, "--jobs", limit="workers", error=ConfigError, strict=True)


def _unique(tasks: Sequence[Task]) -> list[Task]:
    """Tasks in order, each id once (two tasks with the same config are the same work)."""
    seen: dict[str, Task] = {}
    for task in tasks:
        seen.setdefault(task.task_id, task)
    return list(seen.values())


def run_tasks(tasks: Sequence[Task], work: Work, store: str | Path, identity: StoreIdentity,
              *, jobs: int = 1, scheduler: Any = None, catch: Catch = (), chunk: int = 0,
              progress: Progress | None = None,
              on_open: Callable[[], None] | None = None) -> RunSummary:
    """Run every task of ``tasks`` not yet in the store at ``store``; return the counts.

    ``chunk``: tasks per message to a worker (0: automatic, for many small tasks; 1 for
    heavy unequal tasks given longest first). ``on_open`` is called once the store is
    open, locked and checked, before any task runs (a study removes outputs that the new
    results will make stale)."""
    check_jobs(jobs)
    start = time.perf_counter()
    client: Any = None
    owned = False
    if scheduler is not None:
        client, owned = connect(scheduler)
    try:
        with RunStore(store, identity) as db:
            if on_open is not None:
                on_open()
            todo = _unique(tasks)
            finished = db.finished_ids()
            pending = [t for t in todo if t.task_id not in finished]
            executor = _executor(pending, work, catch, jobs, client, chunk)
            evaluated, errors = _drain(db, pending, executor, progress,
                                       len(todo) - len(pending), len(todo))
    finally:
        if owned:
            client.close()
    return RunSummary(len(todo), len(todo) - len(pending), evaluated, errors,
                      time.perf_counter() - start, str(store))


def _executor(pending: list[Task], work: Work, catch: Catch, jobs: int, client: Any,
              chunk: int) -> Executor:
    if client is not None and pending:
        return DaskPool(work, pending, catch, client, chunk)
    if jobs > 1 and len(pending) > 1:   # forks before any progress bar
        if any(task.affinity for task in pending):
            return AffinityPool(work, pending, catch, jobs)
        return LocalPool(work, pending, catch, jobs, chunk)
    return Serial(work, pending, catch)


def _drain(db: RunStore, pending: list[Task], executor: Executor,
           progress: Progress | None, done: int, total: int) -> tuple[int, int]:
    evaluated = errors = 0
    ok = False
    try:
        if progress is not None:
            progress(done, total, "")
        for outcome in executor.results():
            task = pending[outcome.index]
            db.add(task, outcome.result, outcome.error, outcome.seconds)
            evaluated += 1
            errors += bool(outcome.error)
            if progress is not None:
                progress(done + evaluated, total, task.label)
        ok = True
    finally:
        executor.close(ok)
    return evaluated, errors
