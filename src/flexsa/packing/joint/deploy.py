"""Deployment: BN folding, 8-bit quantisation and the network on the bit-serial array.

- **BN folding**: every conv followed by a BatchNorm becomes one conv with a bias:
  ``W' = W * g / sqrt(var + eps)`` per filter, ``b' = beta - mean * g / sqrt(var + eps)``.
  Scaling a filter keeps its zeros, so masks and groups are unchanged.
- **8-bit quantisation**: symmetric per-layer int8 weights (``scale = max|W| / 127``) and
  int8 activations at every masked layer's input (``scale = max|x| / 127`` over a
  calibration batch); biases stay in the 32-bit accumulator. The deployed accuracy is
  measured with these quantised values (fake-quantised float arithmetic).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from flexsa.packing.grouping import Packing, PackingConfig, pack_with_groups
from flexsa.packing.joint.data import Split
from flexsa.packing.joint.nn import MaskedConv2d, masked_layers
from flexsa.packing.joint.train import evaluate
from flexsa.workloads.layers import ConvLayer, LinearLayer

FOLD_PAIRS = (("stem", "stem_bn"), ("conv", "bn"), ("conv1", "bn1"), ("conv2", "bn2"))


@torch.no_grad()
def _fold(conv: MaskedConv2d, bn: nn.BatchNorm2d) -> None:
    assert bn.running_var is not None and bn.running_mean is not None
    scale = bn.weight / torch.sqrt(bn.running_var + float(bn.eps))
    conv.weight.mul_(scale.view(-1, 1, 1, 1))
    mean = bn.running_mean
    bias = conv.bias if conv.bias is not None else torch.zeros_like(mean)
    new_bias = bn.bias + (bias - mean) * scale
    conv.bias = nn.Parameter(new_bias)
    conv.apply_mask()


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with every (masked conv, BN) pair folded into the conv."""
    folded = copy.deepcopy(model).eval()
    for module in list(folded.modules()):
        for conv_name, bn_name in FOLD_PAIRS:
            conv, bn = getattr(module, conv_name, None), getattr(module, bn_name, None)
            if isinstance(conv, MaskedConv2d) and isinstance(bn, nn.BatchNorm2d):
                _fold(conv, bn)
                setattr(module, bn_name, nn.Identity())
        if isinstance(module, nn.Sequential) and len(module) == 2 \
                and isinstance(module[0], MaskedConv2d) and isinstance(module[1], nn.BatchNorm2d):
            _fold(module[0], module[1])
            module[1] = nn.Identity()
    return folded


def _quantise(values: torch.Tensor, scale: float) -> torch.Tensor:
    return torch.clamp(torch.round(values / scale), -127, 127) * scale


@dataclass
class Deployed:
    model: nn.Module
    weight_scales: dict[str, float]
    int_matrices: dict[str, np.ndarray]


@torch.no_grad()
def quantise(model: nn.Module, calibration: torch.Tensor) -> Deployed:
    """Int8 weights and activations (see module doc); ``model`` should be BN-folded."""
    deployed = copy.deepcopy(model).eval()
    scales: dict[str, float] = {}
    matrices: dict[str, np.ndarray] = {}
    input_max: dict[str, float] = {}
    hooks = []
    layers = list(masked_layers(deployed))
    for name, layer in layers:
        def record(module: nn.Module, args: tuple[torch.Tensor, ...], name: str = name) -> None:
            input_max[name] = max(input_max.get(name, 0.0), float(args[0].abs().max()))
        hooks.append(layer.register_forward_pre_hook(record))
    deployed(calibration)
    for hook in hooks:
        hook.remove()
    for name, layer in layers:
        weight = layer.masked_weight()
        scale = float(weight.abs().max()) / 127 or 1.0
        layer.weight.copy_(_quantise(weight, scale))
        scales[name] = scale
        matrices[name] = np.rint(layer.filter_matrix() / scale).astype(np.int64)
        act_scale = input_max.get(name, 0.0) / 127 or 1.0

        def fake_quant(module: nn.Module, args: tuple[torch.Tensor, ...],
                       act_scale: float = act_scale) -> tuple[torch.Tensor, ...]:
            return (_quantise(args[0], act_scale),)
        layer.register_forward_pre_hook(fake_quant)
    return Deployed(deployed, scales, matrices)


def deployed_accuracy(model: nn.Module, train: Split, test: Split, calibration: int = 256,
                      ) -> tuple[float, Deployed]:
    """Fold BN, quantise to 8 bits (calibrated on the first training samples), evaluate."""
    deployed = quantise(fold_batchnorm(model), train.images[:calibration])
    return evaluate(deployed.model, test), deployed


@torch.no_grad()
def layer_positions(model: nn.Module, sample: torch.Tensor) -> dict[str, int]:
    """Output positions (hout x wout; 1 for linear layers) of every masked layer."""
    positions: dict[str, int] = {}
    hooks = []
    for name, layer in masked_layers(model):
        def record(module: nn.Module, args: Any, output: torch.Tensor, name: str = name) -> None:
            positions[name] = int(np.prod(output.shape[2:])) if output.dim() == 4 else 1
        hooks.append(layer.register_forward_hook(record))
    model.eval()
    model(sample[:1])
    for hook in hooks:
        hook.remove()
    return positions


def refresh_packings(model: nn.Module, packings: dict[str, Packing]) -> dict[str, Packing]:
    """Re-gather the packed weights of the (fine-tuned) model with the fixed groups."""
    fresh = {}
    for name, layer in masked_layers(model):
        old = packings[name]
        fresh[name] = pack_with_groups(layer.filter_matrix(), old.groups, old.config)
    return fresh


def dense_packings(model: nn.Module) -> dict[str, Packing]:
    """Every layer mapped as-is (alpha = 1): the unpacked baseline."""
    return {name: pack_with_groups(layer.filter_matrix(),
                                   tuple((c,) for c in range(layer.filter_matrix().shape[1])),
                                   PackingConfig(alpha=1))
            for name, layer in masked_layers(model)}


@torch.no_grad()
def workload_layers(model: nn.Module, sample: torch.Tensor,
                    ) -> list[ConvLayer | LinearLayer]:
    """The masked layers as :mod:`flexsa.workloads` records (shapes only), so the rest of
    the toolkit (lowering, the FlexSA simulator) can run these networks too."""
    shapes: dict[str, tuple[int, int]] = {}
    hooks = []
    for name, layer in masked_layers(model):
        def record(module: nn.Module, args: Any, name: str = name) -> None:
            shapes[name] = tuple(args[0].shape[2:]) if args[0].dim() == 4 else (1, 1)
        hooks.append(layer.register_forward_pre_hook(record))
    model.eval()
    model(sample[:1])
    for hook in hooks:
        hook.remove()
    records: list[ConvLayer | LinearLayer] = []
    for name, layer in masked_layers(model):
        if isinstance(layer, MaskedConv2d):
            hin, win = shapes[name]
            records.append(ConvLayer(
                name=name, cin=layer.in_channels, cout=layer.out_channels,
                kh=layer.kernel_size[0], kw=layer.kernel_size[1], hin=hin, win=win,
                stride=layer.stride[0], pad_h=int(layer.padding[0]),
                pad_w=int(layer.padding[1]),
                groups=layer.groups, bias=layer.bias is not None, bn=False))
        else:
            records.append(LinearLayer(name=name, cin=layer.in_features,
                                       cout=layer.out_features, bias=layer.bias is not None))
    return records
