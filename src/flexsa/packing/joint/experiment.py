"""One column-combining experiment: pretrain dense, prune -> combine -> retrain, deploy
(BN fold + int8) and cost the network on the bit-serial array against the dense baseline.
Shared by ``flexsa colcomb train`` and ``flexsa reproduce colcomb``.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import nn

from flexsa.packing.grouping import PackingError
from flexsa.packing.joint.costing import Accounting, cost_network, positions_at
from flexsa.packing.joint.data import Dataset, load_dataset
from flexsa.packing.joint.deploy import dense_packings, deployed_accuracy, refresh_packings
from flexsa.packing.joint.models import NETWORKS, apply_alphas, build_network
from flexsa.packing.joint.train import (
    TrainConfig,
    evaluate,
    joint_optimise,
    prune_and_combine,
    recalibrate_batchnorm,
)
from flexsa.packing.plans import MAX_COST_RESOLUTION, AlphaPlan
from flexsa.validation import as_float, as_int, non_negative, positive


def default_input(network: str, data: str) -> tuple[int, int]:
    """Training (resolution, channels): LeNet-5 takes 28x28 grey; the CIFAR networks 3
    channels at 32x32, or the digits' native 8x8 (keeps CPU training short; costing uses
    its own resolution, see :class:`~flexsa.packing.joint.costing.Accounting`)."""
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
    alphas: AlphaPlan = AlphaPlan()
    pretrain_epochs: int = 3
    fraction: float = 1.0
    compare_scratch: bool = False
    accounting: Accounting = Accounting()
    train: TrainConfig = TrainConfig()

    def __post_init__(self) -> None:
        if self.network not in NETWORKS:
            raise PackingError(f"--model must be one of {', '.join(NETWORKS)}, "
                               f"got {self.network!r}")
        positive(self.alpha, "--alpha", error=PackingError)
        as_float(self.fraction, "--fraction", low=0.0, low_open=True, high=1.0,
                 error=PackingError)
        non_negative(self.pretrain_epochs, "--pretrain-epochs", error=PackingError)
        as_int(self.resolution, "--resolution", low=0, high=MAX_COST_RESOLUTION,
               error=PackingError)
        self.alphas_for(self.alpha)  # validates the plan against the network

    @classmethod
    def from_options(cls, opts: dict[str, Any]) -> ExperimentConfig:
        """The config from the command line's options (names as in ``colcomb train``;
        unknown names are ignored, missing ones keep their defaults)."""
        from flexsa.packing.metrics import ArrayShape

        train_keys = ("epochs", "gamma", "prune_steps", "prune_scale", "l1", "lr",
                      "batch_size", "section", "schedule", "seed", "threads")
        top_keys = ("network", "data", "data_dir", "resolution", "alpha",
                    "pretrain_epochs", "fraction", "compare_scratch")
        return cls(
            **{k: opts[k] for k in top_keys if k in opts},
            alphas=AlphaPlan.parse(opts.get("alphas", "")),
            accounting=Accounting(scope=opts.get("layers", "conv"),
                                  rows=opts.get("rows", "nonzero"),
                                  resolution=opts.get("cost_resolution", 0),
                                  array=ArrayShape.parse(opts.get("array", "32,32"))),
            train=TrainConfig(**{k: opts[k] for k in train_keys if k in opts}))

    def alphas_for(self, alpha: int) -> dict[str, int]:
        """Per-layer alphas of a configuration with ``alpha`` (1: every layer dense)."""
        if alpha == 1:
            return {}
        return self.alphas.resolve(self.network, alpha, self.accounting.scope)

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ("network", "data", "data_dir", "resolution",
                                             "alpha", "pretrain_epochs", "fraction",
                                             "compare_scratch")}
        out["alphas"] = self.alphas.label()
        out["accounting"] = self.accounting.as_dict()
        out["train"] = self.train.as_dict()
        return out


def load_for(config: ExperimentConfig) -> Dataset:
    resolution, channels = default_input(config.network, config.data)
    return load_dataset(config.data, config.data_dir, config.resolution or resolution,
                        channels, config.train.seed)


def cost_positions(config: ExperimentConfig) -> dict[str, int]:
    """Output positions per layer at the costing resolution (checked before training)."""
    channels = default_input(config.network, config.data)[1]
    model = build_network(config.network, channels, 10)
    return positions_at(model, config.network, channels, config.accounting.resolution)


def pretrain(config: ExperimentConfig, dataset: Dataset) -> tuple[nn.Module, float]:
    """A dense model trained ``pretrain_epochs`` (no L1, no pruning)."""
    torch.manual_seed(config.train.seed)
    model = build_network(config.network, dataset.channels, dataset.classes)
    dense = replace(config.train, epochs=config.pretrain_epochs, l1=0.0)
    result = joint_optimise(model, dataset.train, dataset.test, dense, combine=False)
    return model, result.accuracy


def _subset(config: ExperimentConfig, dataset: Dataset) -> Any:
    return dataset.train.subset(config.fraction, config.train.seed) \
        if config.fraction < 1 else dataset.train


def retrain(config: ExperimentConfig, dataset: Dataset, pretrained: nn.Module,
            alpha: int, gamma: float, positions: dict[str, int]) -> dict[str, Any]:
    """Prune -> combine -> retrain a copy of ``pretrained`` with the alpha plan at
    ``alpha`` and ``gamma`` on ``fraction`` of the training data; deploy and cost it.
    alpha = 1: dense fine-tuning."""
    model = copy.deepcopy(pretrained)
    apply_alphas(model, config.alphas_for(alpha))
    combine = alpha > 1
    result = joint_optimise(model, _subset(config, dataset), dataset.test,
                            replace(config.train, gamma=gamma), combine=combine)
    accuracy_int8, _ = deployed_accuracy(model, dataset.train, dataset.test)
    packings = refresh_packings(model, result.packings) if combine else dense_packings(model)
    return {"accuracy": accuracy_int8, "accuracy_float": result.accuracy,
            **cost_network(config.network, packings, positions, config.accounting),
            "history": result.history}


def from_scratch(config: ExperimentConfig, dataset: Dataset, gamma: float) -> float:
    """Accuracy of the same schedule from random weights on the same data fraction, with
    the pretraining epochs added to its budget."""
    torch.manual_seed(config.train.seed + 1)
    model = build_network(config.network, dataset.channels, dataset.classes,
                          config.alphas_for(config.alpha))
    epochs = config.train.epochs + config.pretrain_epochs
    result = joint_optimise(model, _subset(config, dataset), dataset.test,
                            replace(config.train, epochs=epochs, gamma=gamma))
    return result.accuracy


def sweep(config: ExperimentConfig, pretrained: nn.Module, dataset: Dataset,
          positions: dict[str, int], alphas: list[int], gammas: list[float],
          ) -> list[dict[str, Any]]:
    """Prune + combine the pretrained weights (no retraining) for every (alpha, gamma)
    with the default plan: utilization, tiles, conflict-pruned fraction and accuracy
    before retraining (BN statistics re-estimated on 512 training images)."""
    rows = []
    for alpha in alphas:
        plan = replace(config, alphas=AlphaPlan()).alphas_for(alpha)
        for gamma in gammas:
            model = copy.deepcopy(pretrained)
            apply_alphas(model, plan)
            packings = prune_and_combine(model, 1.0, replace(config.train, gamma=gamma))
            cost = cost_network(config.network, packings, positions, config.accounting)
            counted = [row for row in cost["layers"] if row["counted"]]
            before = sum(row["nnz_before"] for row in counted)
            rows.append({"alpha": alpha, "gamma": gamma, "utilization": cost["utilization"],
                         "tiles": cost["tiles"],
                         "conflict_pruned_fraction": 1 - cost["nonzero_weights"] / before
                         if before else 0.0,
                         "accuracy_before_retraining": _accuracy_recalibrated(
                             model, dataset)})
    return rows


def _accuracy_recalibrated(model: nn.Module, dataset: Dataset, samples: int = 512) -> float:
    recalibrate_batchnorm(model, dataset.train.images[:samples])
    return evaluate(model, dataset.test)


def run_experiment(config: ExperimentConfig) -> dict[str, Any]:
    """``flexsa colcomb train``: pretrain, then prune -> combine -> retrain at
    (alpha, gamma), compared with the dense baseline on the same array. Volatile
    timings go under ``provenance``."""
    start = time.perf_counter()
    torch.set_num_threads(config.train.threads)
    positions = cost_positions(config)
    dataset = load_for(config)
    pretrained, dense_accuracy = pretrain(config, dataset)
    packed = retrain(config, dataset, pretrained, config.alpha, config.train.gamma, positions)
    baseline = cost_network(config.network, dense_packings(pretrained), positions,
                            config.accounting)
    baseline["accuracy"] = dense_accuracy
    out: dict[str, Any] = {"network": config.network, "data": config.data,
                           "train_samples": len(dataset.train),
                           "test_samples": len(dataset.test),
                           "pretrained_accuracy": dense_accuracy,
                           "packed": packed, "baseline_pretrained": baseline}
    if config.compare_scratch:
        out["scratch_accuracy"] = from_scratch(config, dataset, config.train.gamma)
    out["provenance"] = {"seconds": time.perf_counter() - start}
    return out
