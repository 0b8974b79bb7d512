"""Forked workers that keep related tasks together: :class:`AffinityPool`.

Tasks that share an ``affinity`` key (e.g. the FlexSA evaluation's model instances of one
model on one architecture) share the simulator's per-process caches (tile plans, block
timings, wave classes). A plain pool hands the next task to whichever worker is free, so
every worker fills its own copy of every cache. This pool still balances dynamically (a
free worker always gets work) but prefers, for a worker, the next task of the key it ran
last, then a key no other worker is on, then the earliest pending task (the caller's order:
longest first). Results are the same whichever worker runs a task; only time changes.

Like :class:`flexsa.runner.executors.LocalPool`, workers inherit the work function and the
tasks at fork time and receive only an index over their pipe; they ignore Ctrl-C and the
parent stops them on any exception.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from typing import Any

from flexsa.runner.executors import Catch, Outcome, Work, ignore_sigint, run_one
from flexsa.runner.task import Task


def _worker(conn: Any, inherited: list[Any], work: Work, tasks: Sequence[Task],
            catch: Catch) -> None:
    ignore_sigint()
    for end in inherited:  # the parent's ends (this pipe's and earlier workers'): once the
        end.close()        # parent dies, recv() must see end-of-file, not wait forever
    try:
        while (index := conn.recv()) is not None:
            conn.send(run_one(work, catch, index, tasks[index].config))
    except (EOFError, OSError):  # the parent is gone
        pass
    finally:
        os._exit(0)  # never run the parent's atexit handlers or close its SQLite handle


class AffinityPool:
    """``jobs`` forked workers; each task goes to the worker that ran its key last."""

    def __init__(self, work: Work, tasks: Sequence[Task], catch: Catch, jobs: int) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.tasks = tasks
        self.pending = list(range(len(tasks)))
        self.workers: list[tuple[Any, Any]] = []   # (process, parent end of its pipe)
        for _ in range(min(jobs, len(tasks))):
            parent, child = context.Pipe()
            ends = [parent, *(conn for _, conn in self.workers)]
            process = context.Process(target=_worker, args=(child, ends, work, tasks, catch),
                                      daemon=True)
            process.start()
            child.close()
            self.workers.append((process, parent))
        self.key: list[str | None] = [None] * len(self.workers)

    def _next(self, worker: int) -> int | None:
        """The pending task this worker should run next (None: nothing left)."""
        if not self.pending:
            return None
        mine = self.key[worker]
        others = {k for w, k in enumerate(self.key) if w != worker}
        chosen = next((i for i in self.pending if self.tasks[i].affinity == mine), None)
        if chosen is None:
            chosen = next((i for i in self.pending if self.tasks[i].affinity not in others),
                          self.pending[0])
        self.pending.remove(chosen)
        self.key[worker] = self.tasks[chosen].affinity
        return chosen

    def results(self) -> Iterator[Outcome]:
        from multiprocessing.connection import wait

        busy: dict[Any, int] = {}   # pipe -> the worker running a task
        for worker, (_, conn) in enumerate(self.workers):
            index = self._next(worker)
            if index is not None:
                conn.send(index)
                busy[conn] = worker
        while busy:
            ready: list[Any] = wait(list(busy))
            for conn in ready:
                worker = busy.pop(conn)
                try:
                    outcome: Outcome = conn.recv()
                except EOFError:
                    raise RuntimeError("a worker process died (out of memory?)") from None
                index = self._next(worker)
                if index is not None:
                    conn.send(index)
                    busy[conn] = worker
                yield outcome

    def close(self, ok: bool) -> None:
        for process, conn in self.workers:
            if ok:
                with contextlib.suppress(OSError):
                    conn.send(None)
            else:
                process.terminate()
        for process, conn in self.workers:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()
            conn.close()
