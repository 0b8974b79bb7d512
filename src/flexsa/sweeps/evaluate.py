"""Evaluate one sweep point: its run spec through the pipeline, the result flattened.

:func:`evaluate_point` is the single function the engine runs (in the parent, in worker
processes or on Dask workers). It builds the point's :class:`~flexsa.pipeline.RunSpec` with
the same builder as ``flexsa simulate`` and the Python API and calls
:func:`flexsa.pipeline.evaluate`. Within one process, identical work is done once: arch
configs here, models and pruning trajectories in the pipeline (memoised per process), so a
sweep over arch fields builds each model once.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flexsa.sweeps.points import Point


@lru_cache(maxsize=256)
def _arch(ref: str, overrides: tuple[tuple[str, Any], ...]) -> Any:
    from flexsa.arch import load_arch, with_overrides

    arch = load_arch(ref)
    return with_overrides(arch, dict(overrides)) if overrides else arch


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, float | int]:
    """Numeric leaves of a nested dict as ``a_b_c`` keys."""
    out: dict[str, float | int] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}_"))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[name] = value
    return out


def point_spec(point: Point) -> Any:
    """The point's :class:`~flexsa.pipeline.RunSpec` (the builder every entry point uses)."""
    from flexsa.pipeline.spec import run_spec

    arch = _arch(point.arch.ref, tuple(sorted(point.arch_overrides().items())))
    knobs = point.model_knobs()
    pruning = point.pruning
    return run_spec(arch, point.model.ref, batch=point.batch, phases=point.phases,
                    memory=point.memory, dgrad_form=point.dgrad_form,
                    width_mult=_knob(knobs, "width_mult", float),
                    resolution=_knob(knobs, "resolution", int),
                    seq_len=_knob(knobs, "seq_len", int),
                    pruning=None if pruning.strength == "none" else pruning.strength,
                    epoch=None if pruning.strength == "none" else pruning.epoch)


def _knob(knobs: dict[str, Any], key: str, kind: type) -> Any:
    return None if key not in knobs else kind(knobs[key])


def evaluate_point(point: Point) -> dict[str, Any]:
    """``{"metrics": {...flat numbers...}, "config": {...full config...}}`` of one point."""
    from flexsa.pipeline import evaluate
    from flexsa.pipeline.stages import load_model

    spec = point_spec(point)
    payload = evaluate(spec).as_dict()
    metrics = flatten({k: v for k, v in payload.items() if k not in ("gemms",)})
    knobs = tuple(sorted(point.model_knobs().items()))
    config = {"arch": spec.arch.as_dict(),
              "workload": {"model": point.model.label, "model_name": load_model(spec.workload).name,
                           "batch": point.batch, "pruning": point.pruning.label,
                           "phases": point.phases, "dgrad_form": point.dgrad_form,
                           **dict(knobs)},
              "memory": point.memory}
    return {"metrics": metrics, "config": config}
