"""Run a sweep through the one runner (:mod:`flexsa.runner`): every point is a task.

A point's task config is its parameters (as written in the spec) with the phases and the
dgrad form; its id is :attr:`Point.point_id` (a sha1 digest of the same content, kept so
exported rows keep their ids). The store's identity is the spec's digest,
so a store is only ever resumed by the spec that created it. A point whose evaluation raises
a :class:`FlexsaError` (bad input for that combination) is stored with status ``error`` and
its one-line message; any other exception stops the sweep (finished points stay committed).
Backends: ``jobs=1`` in-process, ``jobs=N`` local processes, ``scheduler=`` Dask.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flexsa.errors import FlexsaError
from flexsa.runner import RunSummary, StoreIdentity, Task, check_jobs, run_tasks
from flexsa.runner.task import canonical_json
from flexsa.sweeps.evaluate import evaluate_point
from flexsa.sweeps.points import Point, check_points, expand
from flexsa.sweeps.spec import SweepSpec, load_spec

Evaluator = Callable[[Point], dict[str, Any]]
Progress = Callable[[int, int], None]   # (points finished so far, total points)
SweepSummary = RunSummary
STORE_KIND = "sweep"
WHAT = "sweep store"


def identity(spec: SweepSpec) -> StoreIdentity:
    return StoreIdentity(STORE_KIND, {"spec_digest": spec.digest, "spec": spec.normalized()},
                         what=WHAT, mismatch="was written by another sweep spec; use a new "
                                             "--out file or the spec that created it")


def point_config(point: Point) -> dict[str, Any]:
    """What decides a point's result (its task config; the digest is its id)."""
    return {"params": point.params(), "phases": point.phases, "dgrad_form": point.dgrad_form}


@dataclass(frozen=True)
class PointWork:
    """The runner's work function: a task config -> that point's evaluation."""

    evaluate: Evaluator
    points: dict[str, Point]

    def __call__(self, config: dict[str, Any]) -> dict[str, Any]:
        return self.evaluate(self.points[canonical_json(config)])


def run_sweep(spec: SweepSpec | str | Path, out: str | Path, *, jobs: int = 1,
              scheduler: Any = None, evaluate: Evaluator = evaluate_point,
              progress: Progress | None = None) -> SweepSummary:
    """Run (or resume) a sweep into the SQLite store ``out``."""
    check_jobs(jobs)
    sweep = spec if isinstance(spec, SweepSpec) else load_spec(spec)
    points = expand(sweep)
    check_points(points)
    tasks = [Task(point_config(p), p.index, str(p.index), p.point_id) for p in points]
    work = PointWork(evaluate, {canonical_json(t.config): p
                                for t, p in zip(tasks, points, strict=True)})
    report = None if progress is None else (lambda done, total, label: progress(done, total))
    return run_tasks(tasks, work, out, identity(sweep), jobs=jobs, scheduler=scheduler,
                     catch=(FlexsaError,), progress=report)
