"""The prune -> combine -> retrain schedule (spec section 4).

Training uses an L1 penalty on the masked weights. At ``prune_steps`` pruning epochs
spread evenly over the first half of training, every layer with ``alpha > 1`` is
magnitude-pruned to a rate that ramps cubically up to ``prune_scale * (1 - 1/alpha)``
(0.8 by default, the spec's rule), its columns are regrouped from scratch with
:func:`flexsa.packing.pack` and conflict-pruned; the surviving weights become the layer's
mask. Masks are re-applied after every optimiser step. The rest of training fine-tunes the
packed network. Layers with ``alpha == 1`` (the stem, ResNet-20's first stage) stay dense.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from flexsa.packing.grouping import Packing, PackingConfig, PackingError, pack
from flexsa.packing.joint.data import Split
from flexsa.packing.joint.nn import masked_layers


@dataclass(frozen=True)
class TrainConfig:
    """Knobs of one training run (validated here, at the boundary)."""

    epochs: int = 6
    gamma: float = 0.5
    prune_steps: int = 3
    prune_scale: float = 0.8
    l1: float = 1e-5
    lr: float = 2e-3
    batch_size: int = 64
    section: int = 0
    seed: int = 0
    threads: int = 1

    def __post_init__(self) -> None:
        if self.epochs < 0:
            raise PackingError(f"--epochs must be >= 0, got {self.epochs}")
        if self.prune_steps < 0:
            raise PackingError(f"--prune-steps must be >= 0, got {self.prune_steps}")
        if not 0 <= self.prune_scale < 1:
            raise PackingError(f"--prune-scale must be in [0, 1), got {self.prune_scale}")
        if self.gamma < 0:
            raise PackingError(f"--gamma must be >= 0, got {self.gamma}")
        if self.l1 < 0 or self.lr <= 0:
            raise PackingError("--l1 must be >= 0 and --lr > 0")
        if self.threads < 1:
            raise PackingError(f"--threads must be >= 1, got {self.threads}")
        if self.batch_size < 1:
            raise PackingError(f"--batch-size must be >= 1, got {self.batch_size}")

    def prune_epochs(self) -> list[int]:
        """Epoch indices (0-based) after which pruning + combining happens."""
        if self.prune_steps == 0 or self.epochs == 0:
            return []
        half = max(1, self.epochs // 2)
        return sorted({min(half - 1, math.ceil((k + 1) * half / self.prune_steps) - 1)
                       for k in range(self.prune_steps)})

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class TrainResult:
    accuracy: float
    history: list[dict[str, float]] = field(default_factory=list)
    packings: dict[str, Packing] = field(default_factory=dict)
    seconds: float = 0.0


def prune_rate(step: int, steps: int, final: float) -> float:
    """Cubic ramp (Zhu & Gupta): ``final * (1 - (1 - step/steps)**3)``, step in 1..steps."""
    return final * (1.0 - (1.0 - step / steps) ** 3)


def magnitude_mask(matrix: np.ndarray, rate: float) -> np.ndarray:
    """Keep the ``1 - rate`` largest-|w| entries (already-zero entries go first)."""
    keep = matrix.size - int(round(rate * matrix.size))
    mask = np.zeros(matrix.shape, dtype=bool)
    if keep > 0:
        order = np.argsort(-np.abs(matrix), axis=None, kind="stable")[:keep]
        mask.flat[order] = True
    return mask & (matrix != 0)


def prune_and_combine(model: nn.Module, rate_of_final: float, config: TrainConfig,
                      ) -> dict[str, Packing]:
    """Magnitude-prune every combinable layer to ``rate_of_final`` of its final rate, then
    regroup and conflict-prune; returns the packing per layer (alpha = 1 layers included)."""
    packings: dict[str, Packing] = {}
    for name, layer in masked_layers(model):
        matrix = layer.filter_matrix()
        if layer.alpha > 1:
            final = config.prune_scale * (1.0 - 1.0 / layer.alpha)
            matrix = np.where(magnitude_mask(matrix, rate_of_final * final), matrix, 0)
        packing = pack(matrix, PackingConfig(alpha=layer.alpha,
                                             gamma=config.gamma if layer.alpha > 1 else 0.0,
                                             section=config.section))
        layer.set_matrix_mask(packing.mask)
        packings[name] = packing
    return packings


def current_packings(model: nn.Module, config: TrainConfig) -> dict[str, Packing]:
    """Pack every layer's current masked weights (no further pruning)."""
    return {name: pack(layer.filter_matrix(),
                       PackingConfig(alpha=layer.alpha,
                                     gamma=config.gamma if layer.alpha > 1 else 0.0,
                                     section=config.section))
            for name, layer in masked_layers(model)}


def l1_penalty(model: nn.Module) -> torch.Tensor:
    terms = [layer.masked_weight().abs().sum() for _, layer in masked_layers(model)]
    return torch.stack(terms).sum() if terms else torch.zeros(())


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, images: torch.Tensor, batch_size: int = 128) -> None:
    """Re-estimate BN running statistics after pruning (cumulative average over
    ``images``, no gradients); the layers' momentum is restored afterwards."""
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    if not norms:
        return
    momenta = [norm.momentum for norm in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None
    model.train()
    for start in range(0, images.shape[0], batch_size):
        model(images[start:start + batch_size])
    for norm, momentum in zip(norms, momenta, strict=True):
        norm.momentum = momentum
    model.eval()


@torch.no_grad()
def evaluate(model: nn.Module, split: Split, batch_size: int = 256) -> float:
    model.eval()
    correct = 0
    for start in range(0, len(split), batch_size):
        logits = model(split.images[start:start + batch_size])
        correct += int((logits.argmax(1) == split.labels[start:start + batch_size]).sum())
    return correct / max(1, len(split))


def train_epoch(model: nn.Module, split: Split, optimiser: torch.optim.Optimizer,
                config: TrainConfig, generator: torch.Generator) -> float:
    model.train()
    order = torch.randperm(len(split), generator=generator)
    total = 0.0
    loss_fn = nn.CrossEntropyLoss()
    layers = [layer for _, layer in masked_layers(model)]
    for start in range(0, len(split), config.batch_size):
        batch = order[start:start + config.batch_size]
        loss = loss_fn(model(split.images[batch]), split.labels[batch])
        if config.l1:
            loss = loss + config.l1 * l1_penalty(model)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        for layer in layers:  # masks enforced after every optimiser step
            layer.apply_mask()
        total += loss.item() * len(batch)
    return total / max(1, len(split))


def joint_optimise(model: nn.Module, train: Split, test: Split, config: TrainConfig,
                   combine: bool = True) -> TrainResult:
    """Train ``model`` with the prune -> combine -> retrain schedule (or plainly when
    ``combine`` is False) and return the test accuracy and final packings."""
    torch.set_num_threads(config.threads)  # >1 thread thrashes on a shared, loaded CPU
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    schedule = config.prune_epochs() if combine else []
    start = time.perf_counter()
    result = TrainResult(accuracy=0.0)
    for epoch in range(config.epochs):
        loss = train_epoch(model, train, optimiser, config, generator)
        entry = {"epoch": epoch, "loss": loss}
        if epoch in schedule:
            step = schedule.index(epoch) + 1
            result.packings = prune_and_combine(model, prune_rate(step, len(schedule), 1.0),
                                                config)
            recalibrate_batchnorm(model, train.images[:512])
            entry["prune_step"] = step
        entry["test_accuracy"] = evaluate(model, test)
        result.history.append(entry)
    if combine and config.epochs == 0:
        result.packings = prune_and_combine(model, 1.0, config)
        recalibrate_batchnorm(model, train.images[:512])
    if not result.packings:
        result.packings = current_packings(model, config)
    result.accuracy = evaluate(model, test)
    result.seconds = time.perf_counter() - start
    return result
