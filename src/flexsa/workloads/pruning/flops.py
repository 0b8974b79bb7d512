"""Training FLOPs of a model: forward + data-gradient + weight-gradient MACs per sample.

This equals ``phase_totals(lower_model(model, 1, depthwise="per-channel"))["all"]`` (the
lowering's useful MACs, depthwise convs included: every phase of a layer does its forward
MACs, and the layers fed by the model input need no data gradient), computed directly from
the layer records so trajectory searches stay fast.
"""

from __future__ import annotations

from flexsa.workloads.model import Model


def train_macs(model: Model) -> int:
    """Useful training MACs per sample: ``3 x fwd`` minus the dgrad of input-fed layers."""
    total = 0
    for layer in model.gemm_layers:
        phases = 2 if model.reads_model_input(layer.name) else 3
        total += phases * layer.macs
    return total


def train_flops_ratio(model: Model, dense: Model) -> float:
    """Training MACs of ``model`` relative to ``dense``."""
    return train_macs(model) / train_macs(dense)
