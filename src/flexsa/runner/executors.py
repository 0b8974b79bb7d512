"""Where tasks run: in this process, in local worker processes, or on a Dask cluster.

Every executor yields ``Outcome`` records as tasks finish (in any order); the engine, in
the parent process, commits each to the store at once.

* :class:`Serial` (``jobs=1``): in the parent (no start-up or pickling cost);
* :class:`LocalPool` (``jobs=N>1``): N forked worker processes. Workers inherit the work
  function and the task list at fork time, so each pool task carries only an *index* (a few
  bytes): a pickled model could exceed the pipe buffer, and a task handler blocked on a full
  pipe made ``Pool.terminate()`` hang after Ctrl-C. Workers ignore SIGINT; the parent stops
  them with ``terminate()`` on any exception, Ctrl-C included.
* :class:`DaskPool` (a ``tcp://HOST:PORT`` scheduler or a ``distributed.Client``): tasks go
  out in small chunks; workers need flexsa importable (the work function is pickled).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from flexsa.errors import ConfigError
from flexsa.runner.task import Task

CONNECT_TIMEOUT = "10s"   # how long to wait for a Dask scheduler
Work = Callable[[dict[str, Any]], Any]    # a task's config -> its JSON-able result
Catch = tuple[type[BaseException], ...]   # exceptions stored as a task's error


@dataclass(frozen=True)
class Outcome:
    """One finished task: its result, or the one-line error it was stored with."""

    index: int
    result: Any
    error: str
    seconds: float


def run_one(work: Work, catch: Catch, index: int, config: dict[str, Any]) -> Outcome:
    start = time.perf_counter()
    try:
        return Outcome(index, work(config), "", time.perf_counter() - start)
    except catch as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        return Outcome(index, None, message, time.perf_counter() - start)


def _run_chunk(work: Work, catch: Catch, chunk: Sequence[tuple[int, dict[str, Any]]]
               ) -> list[Outcome]:
    return [run_one(work, catch, index, config) for index, config in chunk]


def chunk_size(n_tasks: int, workers: int, chunk: int = 0) -> int:
    """Tasks per message: ``chunk`` if given; else several small tasks per message amortise
    the inter-process cost (at most 8; heavy, unequal tasks should pass ``chunk=1`` so a
    worker never holds several of the longest at once)."""
    return chunk if chunk > 0 else max(1, min(8, n_tasks // (workers * 8)))


class Serial:
    def __init__(self, work: Work, tasks: Sequence[Task], catch: Catch) -> None:
        self.work, self.tasks, self.catch = work, tasks, catch

    def results(self) -> Iterator[Outcome]:
        for i, task in enumerate(self.tasks):
            yield run_one(self.work, self.catch, i, task.config)

    def close(self, ok: bool) -> None:
        del ok


# What forked workers inherit: (work, tasks, catch). Set just before the pool forks.
_FORKED: tuple[Work, Sequence[Task], Catch] | None = None


def _run_indexed(index: int) -> Outcome:
    assert _FORKED is not None, "worker started without the forked run state"
    work, tasks, catch = _FORKED
    return run_one(work, catch, index, tasks[index].config)


def ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which keeps what finished and stops them."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


class LocalPool:
    """Forked worker processes (created at once, before any progress-bar thread starts)."""

    def __init__(self, work: Work, tasks: Sequence[Task], catch: Catch, jobs: int,
                 chunk: int = 0) -> None:
        import multiprocessing

        global _FORKED
        # fork: ``python -m flexsa`` runs the CLI at import of ``__main__``, which spawn and
        # forkserver re-import in every worker. Forked workers never touch the parent's
        # SQLite connection and leave through ``os._exit``, so they never close it.
        _FORKED = (work, tasks, catch)
        self.n_tasks = len(tasks)
        self.size = chunk_size(len(tasks), jobs, chunk)
        context = multiprocessing.get_context("fork")
        self.pool = context.Pool(min(jobs, len(tasks)), initializer=ignore_sigint)

    def results(self) -> Iterator[Outcome]:
        yield from self.pool.imap_unordered(_run_indexed, range(self.n_tasks), self.size)

    def close(self, ok: bool) -> None:
        global _FORKED
        if ok:
            self.pool.close()
        self.pool.terminate()
        self.pool.join()
        _FORKED = None


def connect(scheduler: Any) -> tuple[Any, bool]:
    """``(client, owned)`` for a scheduler address or an existing ``distributed.Client``."""
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError("--scheduler needs Dask: pip install 'flexsa[dask]'") from None
    if not isinstance(scheduler, str):
        return scheduler, False
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT), True
    except Exception as err:  # OSError, TimeoutError, ValueError (bad address), ...
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ConfigError(f"cannot connect to the Dask scheduler {scheduler!r}: {reason}"
                          ) from None


class DaskPool:
    def __init__(self, work: Work, tasks: Sequence[Task], catch: Catch, client: Any,
                 chunk: int = 0) -> None:
        size = chunk_size(len(tasks), 8, chunk)
        items = [(i, task.config) for i, task in enumerate(tasks)]
        chunks = [items[i:i + size] for i in range(0, len(items), size)]
        self.futures = client.map(partial(_run_chunk, work, catch), chunks, pure=False)

    def results(self) -> Iterator[Outcome]:
        from distributed import as_completed

        for future in as_completed(self.futures):
            yield from future.result()

    def close(self, ok: bool) -> None:
        if not ok:
            for future in self.futures:
                future.cancel()
