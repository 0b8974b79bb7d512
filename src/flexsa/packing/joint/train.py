"""The prune -> combine -> retrain schedule (spec section 4).

Training uses an L1 penalty on the masked weights of the layers being combined
(``alpha > 1``). At ``prune_steps`` optimiser iterations spread evenly over the first half
of training (the first before iteration 0, the last at the half-way iteration), every
layer with ``alpha > 1`` is magnitude-pruned to a rate that ramps cubically up to
``prune_scale * (1 - 1/alpha)`` (0.8 by default, the spec's rule), its columns are
regrouped from scratch with :func:`flexsa.packing.pack` and conflict-pruned; the surviving
weights become the layer's mask. The rest of training fine-tunes the packed network.

Two schedules (``schedule``):

- ``authors`` (default; the authors' ``train_prune.py`` and ``util.prune``): each step's
  magnitude pruning starts from the *stored* weights. Magnitude-pruned weights are zeroed
  in storage; conflict-pruned ones are only masked in ``forward``, so a later step can
  bring them back. The L1 penalty is switched off after the last step. About ten steps.
- ``cumulative``: each step starts from the current masked weights and zeroes everything
  it removes, so weights removed by conflict pruning never return and the density falls
  below the ramp's target as the steps accumulate; L1 stays on throughout.

Masks are re-applied after every optimiser step. Which layers have ``alpha > 1`` is the
alpha plan's business (:mod:`flexsa.packing.plans`): by default every convolution layer
except the first; layers at alpha 1 stay dense.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from flexsa.packing.grouping import Packing, PackingConfig, PackingError, pack
from flexsa.packing.joint.data import Split
from flexsa.packing.joint.nn import masked_layers
from flexsa.packing.plans import SCHEDULES
from flexsa.validation import as_float, non_negative, positive


@dataclass(frozen=True)
class TrainConfig:
    """Knobs of one training run (validated here, at the boundary)."""

    epochs: int = 4
    gamma: float = 0.5
    prune_steps: int = 10
    prune_scale: float = 0.8
    l1: float = 1e-5
    lr: float = 2e-3
    batch_size: int = 64
    section: int = 256
    schedule: str = "authors"
    seed: int = 0
    threads: int = 1

    def __post_init__(self) -> None:
        for name in ("epochs", "prune_steps", "section"):
            non_negative(getattr(self, name), f"--{name.replace('_', '-')}", error=PackingError)
        for name in ("threads", "batch_size"):
            positive(getattr(self, name), f"--{name.replace('_', '-')}", error=PackingError)
        as_float(self.prune_scale, "--prune-scale", low=0.0, high=1.0, high_open=True,
                 error=PackingError)
        as_float(self.gamma, "--gamma", low=0.0, error=PackingError)
        as_float(self.l1, "--l1", low=0.0, error=PackingError)
        as_float(self.lr, "--lr", low=0.0, low_open=True, error=PackingError)
        if self.schedule not in SCHEDULES:
            raise PackingError(f"--schedule must be one of {', '.join(SCHEDULES)}, "
                               f"got {self.schedule!r}")

    def prune_iterations(self, batches_per_epoch: int) -> list[int]:
        """Optimiser iterations (0-based) before which a prune step runs: ``prune_steps``
        points spread evenly from 0 to the half-way iteration (duplicates merged)."""
        total = self.epochs * batches_per_epoch
        if self.prune_steps == 0 or total == 0:
            return []
        half = total // 2
        if self.prune_steps == 1:
            return [half]
        return sorted({round(k * half / (self.prune_steps - 1))
                       for k in range(self.prune_steps)})

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class TrainResult:
    accuracy: float
    history: list[dict[str, Any]] = field(default_factory=list)
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


def layer_config(alpha: int, config: TrainConfig) -> PackingConfig:
    """The grouping knobs of a layer (alpha 1: no combining, no conflicts)."""
    return PackingConfig(alpha=alpha, gamma=config.gamma if alpha > 1 else 0.0,
                         section=config.section)


def prune_and_combine(model: nn.Module, rate_of_final: float, config: TrainConfig,
                      ) -> dict[str, Packing]:
    """One prune step: magnitude-prune every layer with alpha > 1 to ``rate_of_final`` of
    its final rate (from the stored weights in the authors' schedule, from the masked
    weights in the cumulative one), regroup and conflict-prune; returns every layer's
    packing (alpha = 1 layers included, unpruned)."""
    packings: dict[str, Packing] = {}
    for name, layer in masked_layers(model):
        if layer.alpha == 1:
            packings[name] = pack(layer.filter_matrix(), layer_config(1, config))
            continue
        authors = config.schedule == "authors"
        matrix = layer.stored_matrix() if authors else layer.filter_matrix()
        final = config.prune_scale * (1.0 - 1.0 / layer.alpha)
        keep = magnitude_mask(matrix, rate_of_final * final)
        packing = pack(np.where(keep, matrix, 0), layer_config(layer.alpha, config))
        layer.set_matrix_mask(packing.mask, keep if authors else None)
        packings[name] = packing
    return packings


def current_packings(model: nn.Module, config: TrainConfig) -> dict[str, Packing]:
    """Pack every layer's current masked weights (no further pruning)."""
    return {name: pack(layer.filter_matrix(), layer_config(layer.alpha, config))
            for name, layer in masked_layers(model)}


def l1_penalty(model: nn.Module) -> torch.Tensor:
    """Sum of |w| over the masked weights of the layers being combined (alpha > 1)."""
    terms = [layer.masked_weight().abs().sum() for _, layer in masked_layers(model)
             if layer.alpha > 1]
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


@dataclass
class Schedule:
    """Where the prune steps fall (global iterations) and the L1 weight in force."""

    iterations: list[int]
    l1: float
    done: int = 0
    packings: dict[str, Packing] = field(default_factory=dict)

    def before(self, iteration: int, model: nn.Module, config: TrainConfig) -> bool:
        """Run the prune step due before ``iteration``; True if one ran."""
        if self.done >= len(self.iterations) or self.iterations[self.done] != iteration:
            return False
        self.done += 1
        rate = prune_rate(self.done, len(self.iterations), 1.0)
        self.packings = prune_and_combine(model, rate, config)
        if self.done == len(self.iterations) and config.schedule == "authors":
            self.l1 = 0.0  # the authors switch L1 off once the target sparsity is reached
        return True


def train_epoch(model: nn.Module, split: Split, optimiser: torch.optim.Optimizer,
                config: TrainConfig, generator: torch.Generator,
                schedule: Schedule | None = None, first_iteration: int = 0,
                ) -> tuple[float, int]:
    """One epoch; prune steps of ``schedule`` run before their iterations. Returns the
    mean loss and the number of prune steps taken."""
    model.train()
    order = torch.randperm(len(split), generator=generator)
    total = 0.0
    steps = 0
    loss_fn = nn.CrossEntropyLoss()
    layers = [layer for _, layer in masked_layers(model)]
    l1 = config.l1 if schedule is None else schedule.l1
    for index, start in enumerate(range(0, len(split), config.batch_size)):
        if schedule is not None and schedule.before(first_iteration + index, model, config):
            steps += 1
            l1 = schedule.l1
            model.train()
        batch = order[start:start + config.batch_size]
        loss = loss_fn(model(split.images[batch]), split.labels[batch])
        if l1:
            loss = loss + l1 * l1_penalty(model)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        for layer in layers:  # masks enforced after every optimiser step
            layer.apply_mask()
        total += loss.item() * len(batch)
    return total / max(1, len(split)), steps


def joint_optimise(model: nn.Module, train: Split, test: Split, config: TrainConfig,
                   combine: bool = True) -> TrainResult:
    """Train ``model`` with the prune -> combine -> retrain schedule (or plainly when
    ``combine`` is False) and return the test accuracy and final packings."""
    torch.set_num_threads(config.threads)  # >1 thread thrashes on a shared, loaded CPU
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    batches = -(-len(train) // config.batch_size)
    schedule = Schedule(config.prune_iterations(batches) if combine else [], config.l1)
    start = time.perf_counter()
    result = TrainResult(accuracy=0.0)
    for epoch in range(config.epochs):
        loss, steps = train_epoch(model, train, optimiser, config, generator, schedule,
                                  epoch * batches)
        if steps and schedule.done == len(schedule.iterations):
            recalibrate_batchnorm(model, train.images[:512])
        result.history.append({"epoch": epoch, "loss": loss, "prune_steps": steps,
                               "l1": schedule.l1})
    if combine and config.epochs == 0:
        schedule.packings = prune_and_combine(model, 1.0, config)
        recalibrate_batchnorm(model, train.images[:512])
    result.packings = schedule.packings or current_packings(model, config)
    result.accuracy = evaluate(model, test)
    result.seconds = time.perf_counter() - start
    return result
