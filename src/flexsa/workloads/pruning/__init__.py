"""Pruning while training: trajectories for big models and PruneTrain for torch models.

The torch implementation lives in :mod:`flexsa.workloads.pruning.prunetrain` and is imported
only on demand (optional extra ``torch``).
"""

from flexsa.workloads.pruning.flops import train_flops_ratio, train_macs
from flexsa.workloads.pruning.trajectory import (
    STRENGTHS,
    Interval,
    Trajectory,
    load_trajectory,
    make_trajectory,
    parse_strength,
    pruned_model,
    width_trajectory,
)

__all__ = ["STRENGTHS", "Interval", "Trajectory", "load_trajectory", "make_trajectory",
           "parse_strength", "pruned_model", "train_flops_ratio", "train_macs",
           "width_trajectory"]
