"""Model instances of each evaluated variant: one per pruning interval.

Pruned variants come from ``flexsa.workloads.pruning.trajectory.make_trajectory``. If that
package is missing, a clearly labelled stand-in (every prunable width scaled uniformly so
the training FLOPs fall linearly to the strength's target) keeps the pipeline running; the
report's provenance names which one was used.
"""

from __future__ import annotations

import importlib
import math
from typing import Any

from flexsa.report.evaluation.matrix import Interval, Variant

STANDIN_TARGETS = {"low": 0.48, "high": 0.25}


def model_instances(variant: Variant, epochs: int, interval: int,
                    seed: int) -> list[tuple[Interval, Any]]:
    """``[(interval, model)]`` covering ``epochs`` epochs of training."""
    from flexsa.workloads.zoo import build_model

    if variant.strength is None:
        model = build_model(variant.model, width_mult=variant.width_mult)
        ratio = _flops_ratio(model, build_model(variant.model))
        return [(Interval(0, epochs, ratio), model)]
    try:
        module = importlib.import_module("flexsa.workloads.pruning.trajectory")
    except ImportError:
        return _standin(build_model(variant.model), variant.strength, epochs, interval)
    trajectory = module.make_trajectory(variant.model, variant.strength, epochs=epochs,
                                        interval=interval, seed=seed)
    return [(Interval(int(iv.epoch_start), int(iv.epoch_end), float(iv.train_flops_ratio),
                      index=i), trajectory.model_at(iv.epoch_start))
            for i, iv in enumerate(trajectory.intervals)]


def _standin(dense: Any, strength: str, epochs: int,
             interval: int) -> list[tuple[Interval, Any]]:
    target = STANDIN_TARGETS[strength]
    starts = list(range(0, epochs, interval))
    result = []
    for i, start in enumerate(starts):
        ratio = 1.0 - (1.0 - target) * i / max(1, len(starts) - 1)
        model = dense if i == 0 else dense.scaled(math.sqrt(ratio))
        result.append((Interval(start, min(epochs, start + interval), ratio, index=i), model))
    return result


def _flops_ratio(model: Any, dense: Any) -> float:
    """Training FLOPs of ``model`` over the dense model's (1.0 without the pruning package)."""
    try:
        from flexsa.workloads.pruning.flops import train_macs
    except ImportError:
        return 1.0
    return float(train_macs(model) / train_macs(dense))
