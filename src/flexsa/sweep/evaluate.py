"""Evaluate one sweep point: build its accelerator and workload, simulate, flatten the result.

:func:`evaluate_point` is the single function the engine runs (in the parent, in worker
processes or on Dask workers). Within one process, identical work is done once: arch
configs, models and pruning trajectories are memoised (``functools.lru_cache`` keyed by the
point's parameters), so a sweep over arch fields builds each model once.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flexsa.sweep.points import Point


@lru_cache(maxsize=256)
def _arch(ref: str, overrides: tuple[tuple[str, Any], ...]) -> Any:
    from flexsa.arch import load_arch, with_overrides

    arch = load_arch(ref)
    return with_overrides(arch, dict(overrides)) if overrides else arch


@lru_cache(maxsize=32)
def _model(ref: str, knobs: tuple[tuple[str, Any], ...], strength: str, epoch: int) -> Any:
    from flexsa.workloads.sources import load_workload

    options = dict(knobs)
    if strength == "none":
        return load_workload(ref, width_mult=float(options.get("width_mult", 1.0)),
                             resolution=int(options.get("resolution", 0)),
                             seq_len=int(options.get("seq_len", 0)))
    model = _trajectory(ref, strength).model_at(epoch)
    width_mult = float(options.get("width_mult", 1.0))
    return model if width_mult == 1.0 else model.scaled(width_mult)


@lru_cache(maxsize=8)
def _trajectory(ref: str, strength: str) -> Any:
    """The PruneTrain trajectory of a zoo model or of an imported model file."""
    from pathlib import Path

    from flexsa.workloads.pruning import make_trajectory
    from flexsa.workloads.sources import load_workload

    return make_trajectory(load_workload(ref) if Path(ref).suffix else ref, strength)


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


def evaluate_point(point: Point) -> dict[str, Any]:
    """``{"metrics": {...flat numbers...}, "config": {...full config...}}`` of one point."""
    from flexsa.sim import simulate_model

    arch = _arch(point.arch.ref, tuple(sorted(point.arch_overrides().items())))
    knobs = tuple(sorted(point.model_knobs().items()))
    pruning = point.pruning
    model = _model(point.model.ref, knobs, pruning.strength, pruning.epoch)
    result = simulate_model(arch, model, point.batch, phases=point.phases, memory=point.memory,
                            dgrad_form=point.dgrad_form)
    payload = result.as_dict()
    metrics = flatten({k: v for k, v in payload.items() if k not in ("gemms",)})
    config = {"arch": arch.as_dict(),
              "workload": {"model": point.model.label, "model_name": model.name,
                           "batch": point.batch, "pruning": pruning.label,
                           "phases": point.phases, "dgrad_form": point.dgrad_form,
                           **dict(knobs)},
              "memory": point.memory}
    return {"metrics": metrics, "config": config}
