"""PruneTrain's knobs (torch-free, so the CLI validates them before importing torch)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flexsa.errors import WorkloadError
from flexsa.validation import as_float, as_int, positive
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
        as_float(self.penalty_ratio, "--penalty-ratio", low=0.0, high=1.0, low_open=True,
                 high_open=True, error=WorkloadError)
        as_float(self.threshold, "--threshold", low=0.0, low_open=True, error=WorkloadError)
        as_float(self.lr, "--lr", low=0.0, low_open=True, high=100.0, error=WorkloadError)
        as_float(self.momentum, "--momentum", low=0.0, high=1.0, high_open=True,
                 error=WorkloadError)
        as_float(self.weight_decay, "--weight-decay", low=0.0, high=1.0, error=WorkloadError)
        positive(self.batch_size, "--batch-size", limit="batch", error=WorkloadError)
        as_int(self.seed, "--seed", low=0, error=WorkloadError)

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
    from flexsa.paths import read_text

    read_text(path, "--model file", WorkloadError)  # exists, is a file, is UTF-8 text
