"""Run a sweep: expand the spec, skip finished points, evaluate the rest, commit each at once.

Execution backends:

* ``jobs=1``: in the parent process (no start-up or pickling cost);
* ``jobs=N>1``: a ``concurrent.futures.ProcessPoolExecutor`` of N local processes; points
  go out in small chunks (several points per task) to amortise the inter-process cost;
* ``scheduler="tcp://HOST:PORT"`` (or a ``distributed.Client``): Dask distributed; workers
  need flexsa importable.

In every backend the parent process is the only writer of the store and commits each point
as its result arrives. A point whose evaluation raises a :class:`FlexsaError` (bad input for
that combination) is stored with status ``error`` and its one-line message; any other
exception stops the sweep (finished points stay committed).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from flexsa.errors import ConfigError, FlexsaError
from flexsa.sweep.evaluate import evaluate_point
from flexsa.sweep.points import Point, check_points, expand
from flexsa.sweep.spec import SweepSpec, load_spec
from flexsa.sweep.store import SweepStore

CONNECT_TIMEOUT = "10s"   # how long to wait for a Dask scheduler
Evaluator = Callable[[Point], dict[str, Any]]
Progress = Callable[[int, int], None]   # (points finished so far, total points)


@dataclass(frozen=True)
class SweepSummary:
    total: int
    skipped: int
    evaluated: int
    errors: int
    seconds: float
    store: str


def _timed(evaluate: Evaluator, point: Point) -> tuple[dict[str, Any], float]:
    start = time.perf_counter()
    try:
        outcome = evaluate(point)
    except FlexsaError as err:
        outcome = {"error": str(err)}
    return outcome, time.perf_counter() - start


def _run_chunk(evaluate: Evaluator, chunk: Sequence[Point]) -> list[tuple[dict[str, Any], float]]:
    return [_timed(evaluate, point) for point in chunk]


def _chunks(points: Sequence[Point], size: int) -> list[list[Point]]:
    return [list(points[i:i + size]) for i in range(0, len(points), size)]


def _local(points: Sequence[Point], evaluate: Evaluator,
           jobs: int) -> Iterator[tuple[Point, dict[str, Any], float]]:
    if jobs == 1:
        for point in points:
            outcome, seconds = _timed(evaluate, point)
            yield point, outcome, seconds
        return
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    size = max(1, min(8, len(points) // (jobs * 8)))
    # fork: ``python -m flexsa`` runs the CLI at import of ``__main__``, which spawn and
    # forkserver re-import in every worker. Forked workers never touch the parent's SQLite
    # connection and leave through ``os._exit`` (multiprocessing), so they never close it.
    context = multiprocessing.get_context("fork" if "fork" in
                                          multiprocessing.get_all_start_methods() else None)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        pending = {pool.submit(_run_chunk, evaluate, chunk): chunk
                   for chunk in _chunks(points, size)}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                chunk = pending.pop(future)
                for point, (outcome, seconds) in zip(chunk, future.result(), strict=True):
                    yield point, outcome, seconds


def _connect(scheduler: Any) -> tuple[Any, bool]:
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


def _dask(points: Sequence[Point], evaluate: Evaluator,
          client: Any) -> Iterator[tuple[Point, dict[str, Any], float]]:
    from distributed import as_completed

    size = max(1, min(8, len(points) // 64))
    chunks = _chunks(points, size)
    futures = client.map(partial(_run_chunk, evaluate), chunks, pure=False)
    index = {future.key: chunk for future, chunk in zip(futures, chunks, strict=True)}
    for future in as_completed(futures):
        chunk = index[future.key]
        for point, (outcome, seconds) in zip(chunk, future.result(), strict=True):
            yield point, outcome, seconds


def run_sweep(spec: SweepSpec | str | Path, out: str | Path, *, jobs: int = 1,
              scheduler: Any = None, evaluate: Evaluator = evaluate_point,
              progress: Progress | None = None) -> SweepSummary:
    """Run (or resume) a sweep into the SQLite store ``out``."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"--jobs must be an integer >= 1, got {jobs!r}")
    sweep = spec if isinstance(spec, SweepSpec) else load_spec(spec)
    points = expand(sweep)
    check_points(points)
    start = time.perf_counter()
    client: Any = None
    owned = False
    if scheduler is not None:
        client, owned = _connect(scheduler)
    try:
        with SweepStore(out, sweep) as store:
            finished = store.finished_ids()
            pending = [p for p in points if p.point_id not in finished]
            done = len(points) - len(pending)
            if progress is not None:
                progress(done, len(points))
            results = (_dask(pending, evaluate, client) if client is not None
                       else _local(pending, evaluate, jobs))
            evaluated = errors = 0
            for point, outcome, seconds in results:
                store.add(point, outcome, seconds)
                evaluated += 1
                errors += bool(outcome.get("error"))
                if progress is not None:
                    progress(done + evaluated, len(points))
    finally:
        if owned:
            client.close()
    return SweepSummary(len(points), len(points) - len(pending), evaluated, errors,
                        time.perf_counter() - start, str(out))
