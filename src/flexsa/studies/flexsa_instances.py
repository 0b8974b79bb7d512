"""Model instances of each evaluated variant: one per pruning interval.

Pruned variants follow the PruneTrain trajectory
(:func:`flexsa.workloads.pruning.trajectory.make_trajectory`); dense and width-scaled
variants are one instance for the whole run.
"""

from __future__ import annotations

from typing import Any

from flexsa.report.evaluation.matrix import Interval, Variant


def model_instances(variant: Variant, epochs: int, interval: int,
                    seed: int) -> list[tuple[Interval, Any]]:
    """``[(interval, model)]`` covering ``epochs`` epochs of training."""
    from flexsa.workloads.pruning.flops import train_macs
    from flexsa.workloads.pruning.trajectory import make_trajectory
    from flexsa.workloads.zoo import build_model

    if variant.strength is None:
        model = build_model(variant.model, width_mult=variant.width_mult)
        ratio = float(train_macs(model) / train_macs(build_model(variant.model)))
        return [(Interval(0, epochs, ratio), model)]
    trajectory = make_trajectory(variant.model, variant.strength, epochs=epochs,
                                 interval=interval, seed=seed)
    return [(Interval(int(iv.epoch_start), int(iv.epoch_end), float(iv.train_flops_ratio),
                      index=i), trajectory.model_at(iv.epoch_start))
            for i, iv in enumerate(trajectory.intervals)]
