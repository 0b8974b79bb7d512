"""``flexsa reproduce colcomb``: the evaluation of spec section 6 on data that needs no
download (scikit-learn digits), trained briefly on the CPU.

For each network (default LeNet-5, the authors' VGG-19 shift network and ResNet-20): a
dense model is pretrained, then three configurations continue from it for the same number
of epochs: ``baseline`` (alpha 1, gamma 0: dense fine-tuning, plain array), ``combine``
(the alpha plan at alpha 8, gamma 0) and ``combine_prune`` (the same plan, gamma 0.5),
each trained with the authors' schedule, deployed with BN folding and 8-bit quantisation
and costed on the bit-serial array with the authors' accounting at the paper's resolution
(both throughput figures). Sweeps of alpha and gamma prune + combine the pretrained
weights without retraining. The retraining-fraction study retrains the pretrained model on
a share of the training data and compares it with training from scratch on the same
share.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flexsa.packing.grouping import PackingError
from flexsa.packing.joint.experiment import (
    ExperimentConfig,
    cost_positions,
    from_scratch,
    load_for,
    pretrain,
    retrain,
    sweep,
)
from flexsa.packing.plans import NETWORKS, cost_resolution

CONFIGS = ("baseline", "combine", "combine_prune")
DEFAULT_NETWORKS = ("lenet5", "vgg19_shift", "resnet20")
SUMMARY_KEYS = ("utilization", "utilization_unpacked", "tiles", "throughput",
                "throughput_tiles", "energy_per_sample", "accuracy")


@dataclass(frozen=True)
class ReproduceConfig:
    networks: tuple[str, ...] = DEFAULT_NETWORKS
    gamma: float = 0.5
    alphas: tuple[int, ...] = (1, 2, 4, 8, 16)
    gammas: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5, 1.0)
    fractions: tuple[float, ...] = (0.1, 0.3, 1.0)
    fraction_networks: tuple[str, ...] = ("lenet5",)
    base: ExperimentConfig = ExperimentConfig()

    def __post_init__(self) -> None:
        for name in self.networks + self.fraction_networks:
            if name not in NETWORKS:
                raise PackingError(f"--networks: unknown network {name!r}; choose from "
                                   f"{', '.join(NETWORKS)}")
        if any(a < 1 for a in self.alphas) or any(g < 0 for g in self.gammas):
            raise PackingError("sweep alphas must be >= 1 and gammas >= 0")
        if any(not 0 < f <= 1 for f in self.fractions):
            raise PackingError("--fractions must lie in (0, 1]")
        if not self.gamma >= 0:
            raise PackingError(f"--gamma must be >= 0, got {self.gamma}")
        for name in self.networks:  # validates the alpha plan against every network
            replace(self.base, network=name)

    def alpha_gamma(self, name: str) -> tuple[int, float]:
        return {"baseline": (1, 0.0), "combine": (self.base.alpha, 0.0),
                "combine_prune": (self.base.alpha, self.gamma)}[name]

    def as_dict(self) -> dict[str, Any]:
        return {"networks": list(self.networks), "alphas": list(self.alphas),
                "gammas": list(self.gammas), "fractions": list(self.fractions),
                "fraction_networks": list(self.fraction_networks),
                "configs": {k: dict(zip(("alpha", "gamma"), self.alpha_gamma(k), strict=True))
                            for k in CONFIGS},
                **self.base.as_dict(), "alpha_plan": self.base.alphas.label()}


def run_network(config: ReproduceConfig, network: str) -> dict[str, Any]:
    base = replace(config.base, network=network)
    start = time.perf_counter()
    positions = cost_positions(base)
    dataset = load_for(base)
    pretrained, pretrained_accuracy = pretrain(base, dataset)
    results = {name: retrain(base, dataset, pretrained, *config.alpha_gamma(name),
                             positions=positions) for name in CONFIGS}
    sweeps = {
        "alpha": sweep(base, pretrained, dataset, positions, list(config.alphas),
                       [config.gamma]),
        "gamma": sweep(base, pretrained, dataset, positions, [base.alpha],
                       list(config.gammas)),
    }
    out: dict[str, Any] = {"results": results, "sweeps": sweeps,
                           "pretrained_accuracy": pretrained_accuracy,
                           "train_samples": len(dataset.train),
                           "input_shape": list(dataset.train.images.shape[1:]),
                           "cost_resolution": cost_resolution(network,
                                                              base.accounting.resolution),
                           "alphas": base.alphas_for(base.alpha)}
    if network in config.fraction_networks:
        out["retrain_fraction"] = fraction_study(config, base, dataset, pretrained,
                                                 results["combine_prune"], positions)
    out["seconds"] = time.perf_counter() - start
    return out


def fraction_study(config: ReproduceConfig, base: ExperimentConfig, dataset: Any,
                   pretrained: Any, full: dict[str, Any], positions: dict[str, int],
                   ) -> list[dict[str, Any]]:
    """Retrain the pretrained model on a share of the data vs train from scratch on it
    (float accuracy; the full-data retraining is the ``combine_prune`` run)."""
    alpha, gamma = config.alpha_gamma("combine_prune")
    rows = []
    for fraction in config.fractions:
        part = replace(base, fraction=fraction)
        retrained = full["accuracy_float"] if fraction == 1 else \
            retrain(part, dataset, pretrained, alpha, gamma, positions)["accuracy_float"]
        rows.append({"fraction": fraction, "retrained": retrained,
                     "scratch": from_scratch(part, dataset, gamma)})
    return rows


def ratios(configs: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    base = configs["baseline"]
    out = {}
    for name, values in configs.items():
        out[name] = {
            "utilization_x": values["utilization"] / base["utilization"],
            "packing_utilization_x": values["utilization"] / values["utilization_unpacked"],
            "tiles_reduction_x": base["tiles"] / values["tiles"],
            "throughput_x": values["throughput"] / base["throughput"],
            "throughput_tiles_x": values["throughput_tiles"] / base["throughput_tiles"],
            "energy_reduction_x": base["energy_per_sample"] / values["energy_per_sample"],
            "accuracy_delta": values["accuracy"] - base["accuracy"],
        }
    return out


def summarise(config: ReproduceConfig, per_network: dict[str, dict[str, Any]],
              out_dir: Path) -> dict[str, Any]:
    """The summary of every network's :func:`run_network` result (figures written to
    ``out_dir``); host times go under ``provenance`` (the rest is deterministic for a seed)."""
    summary: dict[str, Any] = {
        "networks": {net: {cfg: {k: r["results"][cfg][k] for k in SUMMARY_KEYS}
                           for cfg in CONFIGS} for net, r in per_network.items()},
    }
    summary["ratios_vs_baseline"] = {net: ratios(summary["networks"][net])
                                     for net in per_network}
    summary["details"] = {
        net: {"pretrained_accuracy": r["pretrained_accuracy"],
              "train_samples": r["train_samples"], "input_shape": r["input_shape"],
              "cost_resolution": r["cost_resolution"], "alphas": r["alphas"],
              "configs": {cfg: {k: v for k, v in r["results"][cfg].items()
                                if k not in SUMMARY_KEYS}
                          for cfg in CONFIGS}}
        for net, r in per_network.items()}
    summary["sweeps"] = {net: r["sweeps"] for net, r in per_network.items()}
    summary["retrain_fraction"] = {net: r["retrain_fraction"] for net, r in per_network.items()
                                   if "retrain_fraction" in r}
    summary["figures"] = write_figures(summary, out_dir)
    summary["provenance"] = {
        "network_seconds": {net: r["seconds"] for net, r in per_network.items()},
        "host": platform.node(), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return summary


def write_figures(summary: dict[str, Any], out_dir: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    nets = list(summary["networks"])
    fig, axes = plt.subplots(1, 5, figsize=(20, 3.6))
    width = 0.8 / len(CONFIGS)
    keys = ("utilization", "tiles", "throughput", "throughput_tiles", "energy_per_sample")
    labels = ("utilization efficiency", "array tiles", "samples / s (cycle-based)",
              "samples / tile pass (tile-based)", "energy / sample (J)")
    for ax, key, label in zip(axes, keys, labels, strict=True):
        for index, cfg in enumerate(CONFIGS):
            values = [summary["networks"][n][cfg][key] for n in nets]
            ax.bar([i + index * width for i in range(len(nets))], values, width, label=cfg)
        ax.set_xticks([i + width for i in range(len(nets))], nets)
        ax.set_title(label)
        if key != "utilization":
            ax.set_yscale("log")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    written.append(_save(fig, out_dir / "colcomb_configs.png"))
    for kind, x_key in (("alpha", "alpha"), ("gamma", "gamma")):
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
        for net in nets:
            rows = summary["sweeps"][net][kind]
            xs = [r[x_key] for r in rows]
            axes[0].plot(xs, [r["utilization"] for r in rows], marker="o", label=net)
            axes[1].plot(xs, [r["tiles"] for r in rows], marker="o", label=net)
            axes[2].plot(xs, [r["accuracy_before_retraining"] for r in rows], marker="o",
                         label=net)
        for ax, title in zip(axes, ("utilization efficiency", "array tiles",
                                    "accuracy before retraining"), strict=True):
            ax.set_xlabel(kind)
            ax.set_title(title)
        axes[0].legend(fontsize=8)
        fixed = "gamma fixed" if kind == "alpha" else "alpha fixed"
        fig.suptitle(f"{kind} sweep ({fixed}, pretrained weights, no retraining)")
        fig.tight_layout()
        written.append(_save(fig, out_dir / f"colcomb_{kind}_sweep.png"))
    if summary["retrain_fraction"]:
        fig, ax = plt.subplots(figsize=(5, 3.6))
        for net, rows in summary["retrain_fraction"].items():
            xs = [r["fraction"] for r in rows]
            ax.plot(xs, [r["retrained"] for r in rows], marker="o", label=f"{net} retrained")
            ax.plot(xs, [r["scratch"] for r in rows], marker="x", ls="--",
                    label=f"{net} from scratch")
        ax.set_xscale("log")
        ax.set_xlabel("fraction of training data")
        ax.set_ylabel("test accuracy")
        ax.legend(fontsize=8)
        fig.tight_layout()
        written.append(_save(fig, out_dir / "colcomb_retrain_fraction.png"))
    return written


def _save(fig: Any, path: Path) -> str:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name
