"""PruneTrain (Lym et al., SC 2019) for torch models: prune channels while training.

* **Group lasso** over the output channels and the input channels of every conv and hidden
  linear layer (the image input channels of the first conv, depthwise convs and the output
  channels of the classifier are excluded); ``loss = CE + lambda x GL``. With
  ``bn_in_groups`` (default) the affine parameters of the BN right after a conv join its
  output-channel groups: ``W[k]`` alone is scale-invariant under BN and does not die
  (see docs/pruning.md for the measurement).
* **Penalty ratio**: ``lambda`` is fixed at the first iteration so that
  ``lambda GL0 / (CE0 + lambda GL0) = r``.
* **Zeroing**: plain SGD on ``|| . ||_2`` makes a dying group oscillate around zero with an
  amplitude of about one step ``lr x lambda / (1 - momentum)`` instead of settling under
  the 1e-4 threshold, so after every step a group whose norm is at most that step is set to
  zero (and its momentum cleared): the proximal step's zero case. Groups the data needs
  grow back.
* **Reconfiguration** every ``interval`` epochs: a channel of a space is kept if *any*
  weight of any conv/linear writing or reading that space, for that channel, has
  ``|w| >= threshold`` (the union rule: inside a residual branch producer-output OR
  consumer-input, at a residual node all writers and readers together). Convs, BN (affine
  and running statistics), linear layers and the optimizer's per-parameter state
  (momentum) are rebuilt dense. A residual branch left with an empty space is removed
  (its ``add`` forwards the skip path); a space on the main path is never emptied (its
  strongest channel is kept).
* Every reconfiguration exports the model's layer shapes as a flexsa :class:`Model`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flexsa.errors import FlexsaError
from flexsa.workloads.model import Model

try:
    import torch
    from torch import fx, nn
except ImportError as err:  # pragma: no cover - torch is an optional extra
    raise FlexsaError("PruneTrain needs PyTorch: pip install 'flexsa[torch]'") from err

from flexsa.workloads.pruning.config import PruneTrainConfig
from flexsa.workloads.pruning.flops import train_macs
from flexsa.workloads.pruning.torch_graph import (
    ChannelGraph,
    UnsupportedModelError,
    analyze,
    export_model,
    trace,
    zero_propagation,
)

EPS = 1e-8


@dataclass(frozen=True)
class IntervalReport:
    """One training interval: the model trained, then the reconfiguration that followed."""

    epoch_start: int
    epoch_end: int
    model: Model = field(repr=False)     # the model trained during the interval
    train_flops_ratio: float             # its training MACs relative to the dense model
    loss: float                          # mean training loss (CE + lambda GL) of the last epoch
    accuracy: float                      # test accuracy at the end of the interval
    pruned_accuracy: float               # test accuracy right after the reconfiguration
    pruned_train_flops_ratio: float      # training MACs of the reconfigured model
    removed_blocks: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"epoch_start": self.epoch_start, "epoch_end": self.epoch_end,
                "train_flops_ratio": round(self.train_flops_ratio, 6),
                "fwd_macs": self.model.macs, "loss": round(self.loss, 6),
                "accuracy": round(self.accuracy, 6),
                "pruned_accuracy": round(self.pruned_accuracy, 6),
                "pruned_train_flops_ratio": round(self.pruned_train_flops_ratio, 6),
                "removed_blocks": list(self.removed_blocks),
                "layers": self.model.channel_table()}


@dataclass(frozen=True)
class PruneTrainResult:
    config: PruneTrainConfig
    penalty_lambda: float
    dense: Model = field(repr=False)
    final: Model = field(repr=False)
    intervals: tuple[IntervalReport, ...]

    @property
    def final_accuracy(self) -> float:
        return self.intervals[-1].pruned_accuracy

    @property
    def final_train_flops_ratio(self) -> float:
        return self.intervals[-1].pruned_train_flops_ratio

    @property
    def mean_train_flops_ratio(self) -> float:
        total = sum(i.train_flops_ratio * (i.epoch_end - i.epoch_start) for i in self.intervals)
        return total / self.config.epochs

    def as_dict(self) -> dict[str, Any]:
        return {"penalty_lambda": self.penalty_lambda,
                "dense_train_macs": train_macs(self.dense),
                "final_train_flops_ratio": round(self.final_train_flops_ratio, 6),
                "mean_train_flops_ratio": round(self.mean_train_flops_ratio, 6),
                "final_accuracy": round(self.final_accuracy, 6),
                "intervals": [i.as_dict() for i in self.intervals],
                "final_layers": self.final.channel_table()}


# --------------------------------------------------------------------------- regulariser
@dataclass(frozen=True)
class LassoLayer:
    """A conv/linear weight and which of its channel groups are regularised.

    ``bn`` names the BatchNorm applied directly to the layer's output, whose affine
    parameters join the output-channel groups when ``bn_in_groups`` is on.
    """

    target: str
    input_groups: bool
    output_groups: bool
    bn: str = ""


def lasso_layers(graph: ChannelGraph, bn_in_groups: bool = True) -> list[LassoLayer]:
    """Group-lasso layers with the spec's exclusions (image input, depthwise, classifier)."""
    bn_after = {}
    users: dict[str, int] = {}
    for op in graph.ops:
        for arg in op.args:
            users[arg] = users.get(arg, 0) + 1
        if op.kind == "bn" and graph.module(op.target).affine:
            bn_after[op.args[0]] = op.target
    layers = []
    for op in graph.ops:
        if op.kind not in ("conv", "linear"):
            continue
        input_groups = all(graph.prunable(s) for s in graph.op_inputs(op))
        output_groups = graph.prunable(op.out_space)
        bn = bn_after.get(op.node, "") if bn_in_groups and users.get(op.node) == 1 else ""
        if input_groups or output_groups:
            layers.append(LassoLayer(op.target, input_groups, output_groups, bn))
    return layers


def _rows(weight: torch.Tensor, dim: int) -> torch.Tensor:
    """``weight`` as one row per channel along ``dim`` (0: outputs, 1: inputs)."""
    moved = weight if dim == 0 else weight.transpose(0, 1)
    return moved.reshape(moved.shape[0], -1)


def group_norms(weight: torch.Tensor, dim: int) -> torch.Tensor:
    return _rows(weight, dim).pow(2).sum(dim=1).add(EPS).sqrt()


def _weight(gm: nn.Module, target: str) -> torch.Tensor:
    weight: Any = gm.get_submodule(target).weight
    return weight


def _group_tensors(gm: nn.Module, layer: LassoLayer, dim: int) -> list[torch.Tensor]:
    """The tensors whose rows (dim 0) / columns (dim 1) form the layer's channel groups."""
    tensors = [_weight(gm, layer.target)]
    if dim == 0 and layer.bn:
        bn: Any = gm.get_submodule(layer.bn)
        tensors += [bn.weight, bn.bias]
    return tensors


def _norms(tensors: list[torch.Tensor], dim: int) -> torch.Tensor:
    squares = sum(_rows(t if t.dim() > 1 else t.unsqueeze(1), dim).pow(2).sum(dim=1)
                  for t in tensors)
    return torch.as_tensor(squares).add(EPS).sqrt()


def group_lasso(gm: nn.Module, layers: list[LassoLayer]) -> torch.Tensor:
    """GL = sum of all group norms."""
    total = torch.zeros(())
    for layer in layers:
        for dim, active in ((0, layer.output_groups), (1, layer.input_groups)):
            if active:
                total = total + _norms(_group_tensors(gm, layer, dim), dim).sum()
    return total


@torch.no_grad()
def zero_small_groups(gm: nn.Module, layers: list[LassoLayer], limit: float,
                      optimizer: torch.optim.Optimizer | None = None) -> None:
    """Set groups with norm <= ``limit`` (and their momentum) exactly to zero."""
    for layer in layers:
        for dim, active in ((0, layer.output_groups), (1, layer.input_groups)):
            if not active:
                continue
            tensors = _group_tensors(gm, layer, dim)
            dead = _norms(tensors, dim) <= limit
            if not bool(dead.any()):
                continue
            for tensor in tensors:
                state = optimizer.state.get(tensor, {}) if optimizer is not None else {}
                buffers = [v for v in state.values()
                           if isinstance(v, torch.Tensor) and v.shape == tensor.shape]
                for target in (tensor, *buffers):
                    (target if dim == 0 else target.transpose(0, 1))[dead] = 0.0


# --------------------------------------------------------------------------- reconfiguration
def channel_masks(graph: ChannelGraph, threshold: float) -> dict[int, torch.Tensor]:
    """Dense-channel mask of every prunable space: the union over its writers and readers."""
    alive = {root: torch.zeros(graph.widths[root], dtype=torch.bool)
             for root in graph.roots() if graph.prunable(root)}
    for op in graph.ops:
        if op.kind not in ("conv", "linear"):
            continue
        weight = graph.module(op.target).weight.detach().abs()
        out_root = graph.find(op.out_space)
        if out_root in alive:
            alive[out_root] |= _rows(weight, 0).amax(dim=1) >= threshold
        reads = _rows(weight, 1).amax(dim=1) >= threshold
        offset = 0
        for space in graph.op_inputs(op):
            width = graph.widths[space]
            if space in alive:
                alive[space] |= reads[offset:offset + width]
            offset += width
    return alive


def _strength(graph: ChannelGraph, root: int) -> torch.Tensor:
    """Per-channel L2 weight norm of a space over all its writers and readers."""
    total = torch.zeros(graph.widths[root])
    for op in graph.ops:
        if op.kind not in ("conv", "linear"):
            continue
        weight = graph.module(op.target).weight.detach()
        if graph.find(op.out_space) == root:
            total += group_norms(weight, 0) ** 2
        offset = 0
        for space in graph.op_inputs(op):
            width = graph.widths[space]
            if space == root:
                total += group_norms(weight, 1)[offset:offset + width] ** 2
            offset += width
    return total


@dataclass
class _Surgery:
    """Parameter replacements of one reconfiguration (old param -> new param, slicer)."""

    replaced: dict[int, tuple[nn.Parameter, nn.Parameter, Callable[[torch.Tensor], torch.Tensor]]]


def _slicer(index0: torch.Tensor | None,
            index1: torch.Tensor | None) -> Callable[[torch.Tensor], torch.Tensor]:
    def apply(tensor: torch.Tensor) -> torch.Tensor:
        if index0 is not None:
            tensor = tensor.index_select(0, index0)
        if index1 is not None:
            tensor = tensor.index_select(1, index1)
        return tensor.clone()
    return apply


def _set_param(module: nn.Module, name: str, slicer: Callable[[torch.Tensor], torch.Tensor],
               surgery: _Surgery) -> None:
    old = getattr(module, name)
    if old is None:
        return
    new = nn.Parameter(slicer(old.detach()), requires_grad=old.requires_grad)
    setattr(module, name, new)
    surgery.replaced[id(old)] = (old, new, slicer)


def _set_buffer(module: nn.Module, name: str, index: torch.Tensor) -> None:
    old = getattr(module, name, None)
    if old is not None:
        setattr(module, name, old.index_select(0, index).clone())


class PruneTrain:
    """Train a torch model with PruneTrain. ``input_shape`` is one sample's (C, H, W)."""

    def __init__(self, model: nn.Module, input_shape: tuple[int, int, int],
                 config: PruneTrainConfig, name: str = "model") -> None:
        self.config = config
        self.name = name
        self.input_shape = input_shape
        self.gm: fx.GraphModule = trace(model)
        self.graph = analyze(self.gm, input_shape)
        _check_single_use(self.graph)
        self.layers = lasso_layers(self.graph, self.config.bn_in_groups)
        self.optimizer = torch.optim.SGD(self.gm.parameters(), lr=config.lr,
                                         momentum=config.momentum,
                                         weight_decay=config.weight_decay)
        self.penalty_lambda: float | None = None
        self.dense = self.export()

    # ------------------------------------------------------------ pieces
    def export(self) -> Model:
        return export_model(self.graph, self.name)

    def penalty(self) -> torch.Tensor:
        return group_lasso(self.gm, self.layers)

    def loss(self, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        ce = nn.functional.cross_entropy(self.gm(inputs), targets)
        gl = self.penalty()
        if self.penalty_lambda is None:  # the penalty-ratio rule, once
            r = self.config.penalty_ratio
            self.penalty_lambda = r / (1.0 - r) * ce.item() / max(gl.item(), EPS)
        return ce + self.penalty_lambda * gl

    def step(self, inputs: torch.Tensor, targets: torch.Tensor) -> float:
        self.gm.train()
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss(inputs, targets)
        loss.backward()
        self.optimizer.step()
        zero_small_groups(self.gm, self.layers, self.zero_limit(), self.optimizer)
        return loss.item()

    def zero_limit(self) -> float:
        """One steady-state SGD-momentum step of the penalty: ``lr x lambda / (1 - m)``."""
        lr = float(self.optimizer.param_groups[0]["lr"])
        return lr * (self.penalty_lambda or 0.0) / (1.0 - self.config.momentum)

    @torch.no_grad()
    def accuracy(self, inputs: torch.Tensor, targets: torch.Tensor) -> float:
        self.gm.eval()
        predicted = self.gm(inputs).argmax(dim=1)
        return float((predicted == targets).float().mean())

    def reconfigure(self) -> tuple[str, ...]:
        """Remove sparse channels (union rules), empty residual branches; rebuild dense."""
        graph = self.graph
        masks = channel_masks(graph, self.config.threshold)
        empty = {root for root, mask in masks.items() if not bool(mask.any())}
        for root in sorted(empty):
            output_zero, _, _ = zero_propagation(graph, {root})
            if output_zero:  # on the main path: keep its strongest channel
                masks[root][int(_strength(graph, root).argmax())] = True
                empty.discard(root)
        _, zero, forward = zero_propagation(graph, empty)
        index = {root: torch.nonzero(mask).flatten() for root, mask in masks.items()}
        surgery = _Surgery({})
        for op in graph.ops:
            if op.node not in zero:
                self._rebuild(op, index, surgery)
        self._rewire(zero, forward)
        self._update_optimizer(surgery)
        self.graph = analyze(self.gm, self.input_shape)
        self.layers = lasso_layers(self.graph, self.config.bn_in_groups)
        return tuple(sorted(forward))

    # ------------------------------------------------------------ rebuild
    def _indices(self, spaces: tuple[int, ...],
                 index: dict[int, torch.Tensor]) -> torch.Tensor | None:
        """Kept positions within a concatenation of spaces (None: keep all)."""
        if not any(s in index for s in spaces):
            return None
        parts, offset = [], 0
        for space in spaces:
            width = self.graph.widths[space]
            kept = index.get(space, torch.arange(width))
            parts.append(kept + offset)
            offset += width
        return torch.cat(parts)

    def _rebuild(self, op: Any, index: dict[int, torch.Tensor], surgery: _Surgery) -> None:
        graph = self.graph
        if op.kind not in ("conv", "dwconv", "linear", "bn"):
            return
        module: Any = graph.module(op.target)
        spaces_in = graph.op_inputs(op)
        idx_in = self._indices(spaces_in, index)
        if op.kind == "bn":
            if idx_in is None:
                return
            _set_param(module, "weight", _slicer(idx_in, None), surgery)
            _set_param(module, "bias", _slicer(idx_in, None), surgery)
            _set_buffer(module, "running_mean", idx_in)
            _set_buffer(module, "running_var", idx_in)
            module.num_features = len(idx_in)
            return
        idx_out = self._indices((graph.find(op.out_space),), index)
        if op.kind == "dwconv":
            idx_in = None  # weight [C, 1, kh, kw]: channels are the output dimension
        _set_param(module, "weight", _slicer(idx_out, idx_in), surgery)
        _set_param(module, "bias", _slicer(idx_out, None), surgery)
        if op.kind == "linear":
            module.in_features, module.out_features = module.weight.shape[1], module.weight.shape[0]
            return
        module.out_channels = module.weight.shape[0]
        if op.kind == "dwconv":
            module.in_channels = module.groups = module.weight.shape[0]
        else:
            module.in_channels = module.weight.shape[1]

    def _rewire(self, zero: set[str], forward: dict[str, str]) -> None:
        """Drop removed branches: each forwarding add is replaced by its surviving operand."""
        if not zero:
            return
        nodes = {node.name: node for node in self.gm.graph.nodes}
        for add, keep in forward.items():
            nodes[add].replace_all_uses_with(nodes[keep])
        for node in self.gm.graph.nodes:
            if node.op == "call_function" and isinstance(node.args[0] if node.args else None,
                                                         list | tuple):
                parts = node.args[0]
                kept = [p for p in parts if getattr(p, "name", None) not in zero]
                if len(kept) != len(parts):
                    node.args = (kept, *node.args[1:])
        self.gm.graph.eliminate_dead_code()
        self.gm.delete_all_unused_submodules()
        self.gm.recompile()

    def _update_optimizer(self, surgery: _Surgery) -> None:
        """Swap rebuilt parameters into the optimizer, slicing their state (momentum)."""
        live = {id(p) for p in self.gm.parameters()}
        state = self.optimizer.state
        for group in self.optimizer.param_groups:
            params = []
            for param in group["params"]:
                entry = surgery.replaced.get(id(param))
                if entry is not None:
                    old, new, slicer = entry
                    old_state = state.pop(old, None)
                    if old_state:
                        state[new] = {k: slicer(v) if isinstance(v, torch.Tensor)
                                      and v.shape == old.shape else v
                                      for k, v in old_state.items()}
                    param = new
                if id(param) in live:
                    params.append(param)
                else:
                    state.pop(param, None)
            group["params"] = params

    # ------------------------------------------------------------ training loop
    def fit(self, train: tuple[torch.Tensor, torch.Tensor],
            test: tuple[torch.Tensor, torch.Tensor],
            on_interval: Callable[[IntervalReport], None] | None = None) -> PruneTrainResult:
        """Train ``epochs`` epochs, reconfiguring every ``interval`` epochs."""
        cfg = self.config
        generator = torch.Generator().manual_seed(cfg.seed)
        dense_cost = train_macs(self.dense)
        reports: list[IntervalReport] = []
        for start in range(0, cfg.epochs, cfg.interval):
            end = min(start + cfg.interval, cfg.epochs)
            trained = self.export() if reports else self.dense
            loss = math.nan
            for epoch in range(start, end):
                self._set_lr(epoch)
                loss = self._epoch(train, generator)
            accuracy = self.accuracy(*test)
            removed = self.reconfigure()
            pruned = self.export()
            report = IntervalReport(start, end, trained, train_macs(trained) / dense_cost, loss,
                                    accuracy, self.accuracy(*test),
                                    train_macs(pruned) / dense_cost, removed)
            reports.append(report)
            if on_interval is not None:
                on_interval(report)
        return PruneTrainResult(cfg, float(self.penalty_lambda or 0.0), self.dense,
                                self.export(), tuple(reports))

    def _set_lr(self, epoch: int) -> None:
        """Cosine annealing over the run (per epoch), or the constant base rate."""
        lr = self.config.lr
        if self.config.cosine_lr:
            lr *= 0.5 * (1.0 + math.cos(math.pi * epoch / self.config.epochs))
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def _epoch(self, train: tuple[torch.Tensor, torch.Tensor],
               generator: torch.Generator) -> float:
        inputs, targets = train
        order = torch.randperm(len(inputs), generator=generator)
        size = min(self.config.batch_size, len(order))
        losses = []
        # the last partial batch is dropped: a few samples give BN useless statistics
        for first in range(0, len(order) - size + 1, size):
            batch = order[first:first + size]
            losses.append(self.step(inputs[batch], targets[batch]))
        return sum(losses) / len(losses)


def _check_single_use(graph: ChannelGraph) -> None:
    seen: set[str] = set()
    for op in graph.ops:
        if op.kind in ("conv", "dwconv", "linear", "bn"):
            if op.target in seen:
                raise UnsupportedModelError(
                    f"PruneTrain cannot prune module {op.target!r}: it is used more than once")
            seen.add(op.target)
