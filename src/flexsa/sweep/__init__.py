"""Sweeps: the cross product of configs x models x pruning x memory x config fields.

``run_sweep(spec, out)`` evaluates every point (locally or on Dask) into a SQLite store,
skipping points already there; ``sweep_frame(out)`` reads the store as one row per point.
"""

from flexsa.sweep.engine import SweepSummary, run_sweep
from flexsa.sweep.evaluate import evaluate_point
from flexsa.sweep.points import Point, expand
from flexsa.sweep.results import sweep_frame, sweep_records
from flexsa.sweep.spec import SweepSpec, load_spec

__all__ = ["Point", "SweepSpec", "SweepSummary", "evaluate_point", "expand", "load_spec",
           "run_sweep", "sweep_frame", "sweep_records"]
