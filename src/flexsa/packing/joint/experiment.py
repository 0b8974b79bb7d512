"""One column-combining experiment: pretrain dense, prune -> combine -> retrain, deploy
(BN fold + int8) and cost the network on the bit-serial array against the dense baseline.
Shared by ``flexsa colcomb train`` and ``flexsa reproduce colcomb``.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from flexsa.packing.grouping import Packing, PackingConfig, PackingError, pack
from flexsa.packing.joint.data import Dataset, load_dataset
from flexsa.packing.joint.deploy import (
    array_layers,
    dense_packings,
    deployed_accuracy,
    refresh_packings,
)
from flexsa.packing.joint.models import NETWORKS, build_network
from flexsa.packing.joint.nn import masked_layers
from flexsa.packing.joint.train import (
    TrainConfig,
    evaluate,
    joint_optimise,
    magnitude_mask,
    recalibrate_batchnorm,
)
from flexsa.packing.metrics import ArrayShape, packing_metrics
from flexsa.packing.systolic import BitSerialArray, NetworkCost, network_cost


def default_input(network: str, data: str) -> tuple[int, int]:
    """(resolution, channels): LeNet-5 takes 28x28 grey; the CIFAR networks 3 channels at
    32x32, or the digits' native 8x8 (keeps CPU training short)."""
    if network == "lenet5":
        return 28, 1
    return (8 if data == "digits" else 32), 3


@dataclass(frozen=True)
class ExperimentConfig:
    network: str = "lenet5"
    data: str = "digits"
    data_dir: str = ""
    resolution: int = 0
    alpha: int = 8
    pretrain_epochs: int = 3
    fraction: float = 1.0
    compare_scratch: bool = False
    array: ArrayShape = ArrayShape(32, 32)
    train: TrainConfig = TrainConfig()

    def __post_init__(self) -> None:
        if self.network not in NETWORKS:
            raise PackingError(f"--model must be one of {', '.join(NETWORKS)}, "
                               f"got {self.network!r}")
        if self.alpha < 1:
            raise PackingError(f"--alpha must be an integer >= 1, got {self.alpha}")
        if not 0 < self.fraction <= 1:
            raise PackingError(f"--fraction must be in (0, 1], got {self.fraction}")
        if self.pretrain_epochs < 0 or self.resolution < 0:
            raise PackingError("--pretrain-epochs and --resolution must be >= 0")

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ("network", "data", "data_dir", "resolution",
                                             "alpha", "pretrain_epochs", "fraction",
                                             "compare_scratch")}
        out["array"] = [self.array.rows, self.array.cols]
        out["train"] = self.train.as_dict()
        return out


def load_for(config: ExperimentConfig) -> Dataset:
    resolution, channels = default_input(config.network, config.data)
    return load_dataset(config.data, config.data_dir, config.resolution or resolution,
                        channels, config.train.seed)


def pretrain(config: ExperimentConfig, dataset: Dataset) -> tuple[nn.Module, float]:
    """A dense model (alpha per the network's plan) trained ``pretrain_epochs``."""
    torch.manual_seed(config.train.seed)
    model = build_network(config.network, dataset.channels, dataset.classes, config.alpha)
    dense = replace(config.train, epochs=config.pretrain_epochs, l1=0.0)
    result = joint_optimise(model, dataset.train, dataset.test, dense, combine=False)
    return model, result.accuracy


def set_alpha(model: nn.Module, alpha: int) -> None:
    """Give every combinable layer (alpha > 1 in the network's plan) width ``alpha``."""
    for _, layer in masked_layers(model):
        if layer.combinable:
            layer.alpha = alpha


def network_summary(model: nn.Module, packings: dict[str, Packing], sample: torch.Tensor,
                    hardware: BitSerialArray) -> tuple[dict[str, Any], NetworkCost]:
    cost = network_cost(array_layers(model, packings, sample), hardware)
    nnz = sum(p.nnz_after for p in packings.values())
    cells = sum(p.rows * p.packed_cols for p in packings.values())
    unpacked = sum(p.rows * p.cols for p in packings.values())
    return {"utilization": nnz / cells if cells else 0.0,
            "utilization_unpacked": nnz / unpacked, "tiles": cost.tiles,
            "throughput": cost.throughput, "latency_s": cost.latency_s,
            "energy_per_sample": cost.energy_per_sample_j, "cycles": cost.cycles,
            "nonzero_weights": nnz}, cost


def layer_rows(packings: dict[str, Packing], shape: ArrayShape) -> list[dict[str, Any]]:
    rows = []
    for name, packing in packings.items():
        metrics = packing_metrics(packing, shape)
        rows.append({"layer": name, "alpha": packing.config.alpha, **metrics.as_dict()})
    return rows


def hardware_for(alpha: int, shape: ArrayShape) -> BitSerialArray:
    return BitSerialArray(rows=shape.rows, cols=shape.cols, alpha=alpha)


def retrain(config: ExperimentConfig, dataset: Dataset, pretrained: nn.Module,
            alpha: int, gamma: float) -> dict[str, Any]:
    """Prune -> combine -> retrain a copy of ``pretrained`` with (alpha, gamma) on
    ``fraction`` of the training data; deploy and cost it. alpha = 1: dense fine-tuning."""
    model = copy.deepcopy(pretrained)
    set_alpha(model, alpha)
    train_config = replace(config.train, gamma=gamma)
    subset = dataset.train.subset(config.fraction, config.train.seed) \
        if config.fraction < 1 else dataset.train
    result = joint_optimise(model, subset, dataset.test, train_config, combine=alpha > 1)
    accuracy_int8, _ = deployed_accuracy(model, dataset.train, dataset.test)
    packings = refresh_packings(model, result.packings) if alpha > 1 else dense_packings(model)
    summary, _ = network_summary(model, packings, dataset.test.images,
                                 hardware_for(alpha, config.array))
    return {"accuracy": accuracy_int8, "accuracy_float": result.accuracy,
            **summary, "layers": layer_rows(packings, config.array),
            "history": result.history, "train_seconds": result.seconds}


def from_scratch(config: ExperimentConfig, dataset: Dataset, gamma: float) -> float:
    """Accuracy of the same schedule from random weights on the same data fraction, with
    the pretraining epochs added to its budget."""
    torch.manual_seed(config.train.seed + 1)
    model = build_network(config.network, dataset.channels, dataset.classes, config.alpha)
    subset = dataset.train.subset(config.fraction, config.train.seed) \
        if config.fraction < 1 else dataset.train
    epochs = config.train.epochs + config.pretrain_epochs
    result = joint_optimise(model, subset, dataset.test,
                            replace(config.train, epochs=epochs, gamma=gamma))
    return result.accuracy


def sweep(pretrained: nn.Module, dataset: Dataset, shape: ArrayShape, alphas: list[int],
          gammas: list[float], prune_scale: float = 0.8, section: int = 0,
          ) -> list[dict[str, Any]]:
    """Prune + combine the pretrained weights (no retraining) for every (alpha, gamma):
    network utilization, tiles, conflict-pruned fraction and accuracy before retraining
    (BN statistics re-estimated on 512 training images, no weight updates)."""
    rows = []
    for alpha in alphas:
        for gamma in gammas:
            model = copy.deepcopy(pretrained)
            set_alpha(model, alpha)
            nnz_before = nnz_after = cells = tiles = 0
            for _, layer in masked_layers(model):
                matrix = layer.filter_matrix()
                if layer.alpha > 1:
                    rate = prune_scale * (1.0 - 1.0 / layer.alpha)
                    matrix = np.where(magnitude_mask(matrix, rate), matrix, 0)
                packing = pack(matrix, PackingConfig(layer.alpha,
                                                     gamma if layer.alpha > 1 else 0.0, section))
                layer.set_matrix_mask(packing.mask)
                metrics = packing_metrics(packing, shape)
                nnz_before += metrics.nnz_before
                nnz_after += metrics.nnz_after
                cells += packing.rows * packing.packed_cols
                tiles += metrics.tiles_after
            rows.append({"alpha": alpha, "gamma": gamma,
                         "utilization": nnz_after / cells if cells else 0.0, "tiles": tiles,
                         "conflict_pruned_fraction": 1 - nnz_after / nnz_before
                         if nnz_before else 0.0,
                         "accuracy_before_retraining": _accuracy_recalibrated(
                             model, dataset)})
    return rows


def _accuracy_recalibrated(model: nn.Module, dataset: Dataset, samples: int = 512) -> float:
    recalibrate_batchnorm(model, dataset.train.images[:samples])
    return evaluate(model, dataset.test)


def run_experiment(config: ExperimentConfig) -> dict[str, Any]:
    """``flexsa colcomb train``: pretrain, then prune -> combine -> retrain at
    (alpha, gamma), compared with the dense baseline on the same array."""
    start = time.perf_counter()
    torch.set_num_threads(config.train.threads)
    dataset = load_for(config)
    pretrained, dense_accuracy = pretrain(config, dataset)
    packed = retrain(config, dataset, pretrained, config.alpha, config.train.gamma)
    baseline_model = copy.deepcopy(pretrained)
    set_alpha(baseline_model, 1)
    baseline, _ = network_summary(baseline_model, dense_packings(baseline_model),
                                  dataset.test.images, hardware_for(1, config.array))
    baseline["accuracy"] = dense_accuracy
    out: dict[str, Any] = {"network": config.network, "data": config.data,
                           "train_samples": len(dataset.train),
                           "test_samples": len(dataset.test),
                           "pretrained_accuracy": dense_accuracy,
                           "packed": packed, "baseline_pretrained": baseline}
    if config.compare_scratch:
        out["scratch_accuracy"] = from_scratch(config, dataset, config.train.gamma)
    out["seconds"] = time.perf_counter() - start
    return out
