"""Sweeps: the cross product of configs x models x pruning x memory x config fields.

``run_sweep(spec, out)`` evaluates every point (locally or on Dask) into a SQLite store,
skipping points already there; ``sweep_frame(out)`` reads the store as one row per point.

This package shares its name with the API function ``flexsa.sweep(...)``: once the package
is imported, ``flexsa.sweep`` *is* this module, so the module is made callable and calling
it is :func:`flexsa.api.sweep`.
"""

import sys
import types
from typing import Any

from flexsa.sweep.engine import SweepSummary, run_sweep
from flexsa.sweep.evaluate import evaluate_point
from flexsa.sweep.points import Point, expand
from flexsa.sweep.results import sweep_frame, sweep_records
from flexsa.sweep.spec import SweepSpec, load_spec

__all__ = ["Point", "SweepSpec", "SweepSummary", "evaluate_point", "expand", "load_spec",
           "run_sweep", "sweep_frame", "sweep_records"]


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from flexsa.api import sweep

        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
