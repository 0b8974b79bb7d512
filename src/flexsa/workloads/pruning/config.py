"""PruneTrain's knobs (torch-free, so the CLI validates them before importing torch)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flexsa.errors import WorkloadError
from flexsa.workloads.pruning.trajectory import check_schedule

SMALL_MODELS = ("small-resnet",)


@dataclass(frozen=True)
class PruneTrainConfig:
    """Knobs of a PruneTrain run (validated here, at the boundary)."""

    epochs: int
    interval: int
    penalty_ratio: float = 0.2
    threshold: float = 1e-4
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 1e-4
    batch_size: int = 32
    seed: int = 0
    bn_in_groups: bool = True
    cosine_lr: bool = True

    def __post_init__(self) -> None:
        check_schedule(self.epochs, self.interval)
        if not 0.0 < self.penalty_ratio < 1.0:
            raise WorkloadError(f"--penalty-ratio must be in (0, 1), got {self.penalty_ratio:g}")
        if not self.threshold > 0 or not self.lr > 0:
            raise WorkloadError("--threshold and --lr must be > 0")
        if not 0 <= self.momentum < 1 or self.weight_decay < 0:
            raise WorkloadError("--momentum must be in [0, 1) and --weight-decay >= 0")
        if isinstance(self.batch_size, bool) or self.batch_size <= 0:
            raise WorkloadError(f"--batch-size must be > 0, got {self.batch_size}")

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def check_model_name(name: str) -> None:
    """``small-resnet`` or ``FILE.py:CLASS``; anything else is rejected in one line."""
    if name.replace("_", "-").lower() in SMALL_MODELS:
        return
    path, _, class_name = name.rpartition(":")
    if not (path.endswith(".py") and class_name):
        raise WorkloadError(f"unknown --model {name!r} for prune train; use "
                            + ", ".join(SMALL_MODELS) + " or FILE.py:CLASS")
