"""Sweeps: the cross product of configs x models x pruning x memory x config fields.

``run_sweep(spec, out)`` evaluates every point (locally or on Dask) into a SQLite store,
skipping points already there; ``sweep_frame(out)`` reads the store as one row per point.

The API function is ``flexsa.sweep(...)`` (:func:`flexsa.api.sweep`); this package is
``flexsa.sweeps``, so the two names never shadow each other.
"""

from flexsa.sweeps.engine import SweepSummary, run_sweep
from flexsa.sweeps.evaluate import evaluate_point
from flexsa.sweeps.points import Point, expand
from flexsa.sweeps.results import sweep_frame, sweep_records
from flexsa.sweeps.spec import SweepSpec, load_spec

__all__ = ["Point", "SweepSpec", "SweepSummary", "evaluate_point", "expand", "load_spec",
           "run_sweep", "sweep_frame", "sweep_records"]

