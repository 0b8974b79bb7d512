"""The channel graph of a torch model, found by torch.fx tracing (PruneTrain's view of it).

Every tensor in the traced graph is a concatenation of channel *spaces*. A conv or linear
layer writes a new space; a residual ``add`` merges the spaces of its operands (a residual
node); ``torch.cat`` concatenates; a depthwise conv reads and writes the same space; BN,
activations, pooling, dropout and flatten (of a 1x1 map) pass spaces through. Anything else
is rejected with one line naming the module, so pruning never silently breaks a model.

The graph also knows which spaces sit inside a removable residual branch (zeroing them is
absorbed by an ``add``), and exports the model's layer shapes as a flexsa :class:`Model`.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

from flexsa.errors import FlexsaError, WorkloadError

try:
    import torch
    import torch.nn.functional as F  # noqa: N812
    from torch import fx, nn
    from torch.fx.passes.shape_prop import ShapeProp
except ImportError as err:  # pragma: no cover - torch is an optional extra
    raise FlexsaError("PruneTrain needs PyTorch: pip install 'flexsa[torch]'") from err

from flexsa.workloads.model import Model
from flexsa.workloads.zoo.builder import NetBuilder, Tensor


class UnsupportedModelError(WorkloadError):
    """The traced model uses an operation PruneTrain cannot prune through."""


SUPPORTED = ("supported: Conv2d (dense or depthwise), Linear, BatchNorm, ReLU-like activations, "
             "pooling, Flatten, Dropout, residual add, torch.cat")

ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.SiLU, nn.GELU, nn.Hardswish,
               nn.Sigmoid, nn.Tanh)
IDENTITIES = (nn.Identity, nn.Dropout, nn.Dropout2d)
ACT_FUNCTIONS = {F.relu: "relu", torch.relu: "relu", F.relu6: "relu6", F.silu: "silu",
                 F.gelu: "gelu", torch.sigmoid: "sigmoid", torch.tanh: "tanh",
                 F.leaky_relu: "leaky_relu", F.hardswish: "hardswish"}
IDENTITY_FUNCTIONS = (F.dropout, F.dropout2d)
ACT_METHODS = {"relu": "relu", "relu_": "relu", "sigmoid": "sigmoid", "tanh": "tanh"}
ADD_FUNCTIONS = (operator.add, operator.iadd, torch.add)
CAT_FUNCTIONS = (torch.cat, torch.concat)
FLATTEN_METHODS = ("flatten", "view", "reshape")


@dataclass(frozen=True)
class Value:
    """A tensor's channel layout (raw space ids) and spatial size (1x1 for flat tensors)."""

    spaces: tuple[int, ...]
    h: int
    w: int


@dataclass
class Op:
    """One fx node that PruneTrain understands."""

    node: str
    kind: str          # input conv dwconv linear bn act identity pool gpool flatten add cat output
    target: str        # module path (call_module) or a label
    args: tuple[str, ...]   # fx node names of tensor operands
    out_space: int = -1     # conv / linear: the space it writes


@dataclass
class ChannelGraph:
    """Spaces (union-find over raw ids), ops in order and tensor layouts of a GraphModule."""

    gm: fx.GraphModule
    input_shape: tuple[int, int, int]
    ops: list[Op] = field(default_factory=list)
    values: dict[str, Value] = field(default_factory=dict)
    widths: list[int] = field(default_factory=list)
    parent: list[int] = field(default_factory=list)
    space_names: list[str] = field(default_factory=list)
    fixed: set[int] = field(default_factory=set)

    # ------------------------------------------------------------- union-find
    def new_space(self, width: int, name: str) -> int:
        self.widths.append(width)
        self.parent.append(len(self.parent))
        self.space_names.append(name)
        return len(self.parent) - 1

    def find(self, space: int) -> int:
        while self.parent[space] != space:
            self.parent[space] = self.parent[self.parent[space]]
            space = self.parent[space]
        return space

    def union(self, a: int, b: int, where: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.widths[ra] != self.widths[rb]:
            raise UnsupportedModelError(f"residual add {where!r} joins {self.widths[ra]} and "
                                        f"{self.widths[rb]} channels")
        keep, drop = min(ra, rb), max(ra, rb)
        self.parent[drop] = keep

    # ------------------------------------------------------------- queries
    def canonical(self, spaces: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(self.find(s) for s in spaces)

    def roots(self) -> list[int]:
        return sorted({self.find(s) for s in range(len(self.parent))})

    def prunable(self, space: int) -> bool:
        return self.find(space) not in {self.find(s) for s in self.fixed}

    def module(self, target: str) -> Any:
        return self.gm.get_submodule(target)

    def op_inputs(self, op: Op) -> tuple[int, ...]:
        """Canonical spaces of an op's first tensor operand."""
        return self.canonical(self.values[op.args[0]].spaces)

    def residual_spaces(self) -> set[int]:
        writers: dict[int, int] = {}
        for op in self.ops:
            if op.kind in ("conv", "linear"):
                root = self.find(op.out_space)
                writers[root] = writers.get(root, 0) + 1
        return {s for s, n in writers.items() if n > 1}


def trace(model: nn.Module) -> fx.GraphModule:
    """Symbolically trace ``model`` (a GraphModule is returned as is)."""
    if isinstance(model, fx.GraphModule):
        return model
    try:
        return fx.symbolic_trace(model)
    except Exception as err:  # fx raises many kinds of errors for untraceable code
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UnsupportedModelError(
            f"torch.fx cannot trace {type(model).__name__}: {first}") from None


def analyze(gm: fx.GraphModule, input_shape: tuple[int, int, int]) -> ChannelGraph:
    """Build the channel graph of ``gm`` for inputs of shape ``(C, H, W)``."""
    was_training = gm.training
    gm.eval()
    with torch.no_grad():
        ShapeProp(gm).propagate(torch.zeros(1, *input_shape))
    gm.train(was_training)
    graph = ChannelGraph(gm, input_shape)
    for node in gm.graph.nodes:
        _visit(graph, node)
    return graph


def _shape(node: fx.Node) -> tuple[int, ...] | None:
    meta = node.meta.get("tensor_meta")
    return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else None


def _hw(node: fx.Node) -> tuple[int, int]:
    shape = _shape(node)
    assert shape is not None
    return (shape[2], shape[3]) if len(shape) == 4 else (1, 1)


def _tensor_args(graph: ChannelGraph, node: fx.Node) -> list[fx.Node]:
    return [a for a in node.all_input_nodes if a.name in graph.values]


def _unsupported(node: fx.Node, what: str) -> UnsupportedModelError:
    return UnsupportedModelError(
        f"PruneTrain cannot handle {what} at {str(node.target)!r}; {SUPPORTED}")


def _visit(graph: ChannelGraph, node: fx.Node) -> None:
    if node.op == "placeholder":
        channels, h, w = graph.input_shape
        space = graph.new_space(channels, "input")
        graph.fixed.add(space)
        graph.values[node.name] = Value((space,), h, w)
        graph.ops.append(Op(node.name, "input", "input", ()))
        return
    if node.op == "output":
        result = node.args[0]
        if not isinstance(result, fx.Node) or result.name not in graph.values:
            raise _unsupported(node, "a model output that is not a single tensor")
        graph.fixed.update(graph.values[result.name].spaces)
        graph.ops.append(Op(node.name, "output", "output", (result.name,)))
        return
    if _shape(node) is None:
        # non-tensor helpers such as x.size(0); using them as tensors fails below
        if node.op == "call_method" and node.target in ("size", "dim"):
            return
        raise _unsupported(node, f"{node.op} {node.target}")
    args = _tensor_args(graph, node)
    if not args:
        raise _unsupported(node, f"{node.op} {node.target} without a tensor input")
    if node.op == "call_module":
        _visit_module(graph, node, args)
    elif node.op == "call_function":
        _visit_function(graph, node, args)
    elif node.op == "call_method":
        _visit_method(graph, node, args)
    else:
        raise _unsupported(node, f"{node.op} {node.target}")


def _pass(graph: ChannelGraph, node: fx.Node, src: fx.Node, kind: str, target: str) -> None:
    h, w = _hw(node)
    graph.values[node.name] = Value(graph.values[src.name].spaces, h, w)
    graph.ops.append(Op(node.name, kind, target, (src.name,)))


def _visit_module(graph: ChannelGraph, node: fx.Node, args: list[fx.Node]) -> None:
    target = str(node.target)
    module = graph.module(target)
    src = args[0]
    if isinstance(module, nn.Conv2d):
        _conv(graph, node, module, src)
    elif isinstance(module, nn.Linear):
        _flat_input(graph, node, src)
        space = graph.new_space(module.out_features, target)
        graph.values[node.name] = Value((space,), 1, 1)
        graph.ops.append(Op(node.name, "linear", target, (src.name,), space))
    elif isinstance(module, nn.BatchNorm2d | nn.BatchNorm1d):
        _pass(graph, node, src, "bn", target)
    elif isinstance(module, ACTIVATIONS):
        _pass(graph, node, src, "act", target)
    elif isinstance(module, IDENTITIES):
        _pass(graph, node, src, "identity", target)
    elif isinstance(module, nn.MaxPool2d | nn.AvgPool2d):
        _pass(graph, node, src, "pool", target)
    elif isinstance(module, nn.AdaptiveAvgPool2d | nn.AdaptiveMaxPool2d):
        if _hw(node) != (1, 1):
            raise _unsupported(node, "adaptive pooling to a map larger than 1x1")
        _pass(graph, node, src, "gpool", target)
    elif isinstance(module, nn.Flatten):
        _flat_input(graph, node, src)
        _pass(graph, node, src, "flatten", target)
    else:
        raise _unsupported(node, f"module {type(module).__name__}")


def _conv(graph: ChannelGraph, node: fx.Node, conv: nn.Conv2d, src: fx.Node) -> None:
    target = str(node.target)
    if conv.dilation != (1, 1) or isinstance(conv.padding, str) or conv.padding_mode != "zeros":
        raise _unsupported(node, "a dilated, 'same'-padded or non-zero-padded Conv2d")
    if conv.stride[0] != conv.stride[1]:
        raise _unsupported(node, "a Conv2d with different strides along h and w")
    in_value = graph.values[src.name]
    h, w = _hw(node)
    if conv.groups == 1:
        space = graph.new_space(conv.out_channels, target)
        graph.values[node.name] = Value((space,), h, w)
        graph.ops.append(Op(node.name, "conv", target, (src.name,), space))
    elif conv.groups == conv.in_channels == conv.out_channels and len(in_value.spaces) == 1:
        graph.values[node.name] = Value(in_value.spaces, h, w)
        graph.ops.append(Op(node.name, "dwconv", target, (src.name,), in_value.spaces[0]))
    else:
        raise _unsupported(node, "a grouped (non-depthwise) Conv2d")


def _flat_input(graph: ChannelGraph, node: fx.Node, src: fx.Node) -> None:
    value = graph.values[src.name]
    if (value.h, value.w) != (1, 1):
        raise _unsupported(node, f"flattening a {value.h}x{value.w} map (pool to 1x1 first)")


def _visit_function(graph: ChannelGraph, node: fx.Node, args: list[fx.Node]) -> None:
    fn = node.target
    label = getattr(fn, "__name__", str(fn))
    if fn in ADD_FUNCTIONS:
        _add(graph, node, args)
    elif fn in CAT_FUNCTIONS:
        dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
        if dim not in (1, -3) or len(_shape(node) or ()) != 4:
            raise _unsupported(node, "torch.cat along a non-channel dimension")
        parts = [p for p in node.args[0] if isinstance(p, fx.Node)]  # type: ignore[union-attr]
        if len(parts) != len(node.args[0]) or any(  # type: ignore[arg-type]
                p.name not in graph.values for p in parts):
            raise _unsupported(node, "torch.cat of non-tensor operands")
        spaces = tuple(s for p in parts for s in graph.values[p.name].spaces)
        h, w = _hw(node)
        graph.values[node.name] = Value(spaces, h, w)
        graph.ops.append(Op(node.name, "cat", "cat", tuple(p.name for p in parts)))
    elif fn in ACT_FUNCTIONS:
        _pass(graph, node, args[0], "act", ACT_FUNCTIONS[fn])
    elif fn in IDENTITY_FUNCTIONS:
        _pass(graph, node, args[0], "identity", label)
    elif fn is torch.flatten:
        _flat_input(graph, node, args[0])
        _pass(graph, node, args[0], "flatten", "flatten")
    elif fn is F.adaptive_avg_pool2d and _hw(node) == (1, 1):
        _pass(graph, node, args[0], "gpool", "adaptive_avg_pool2d")
    elif fn in (F.max_pool2d, F.avg_pool2d):
        _pass(graph, node, args[0], "pool", label)
    else:
        raise _unsupported(node, f"function {label}")


def _visit_method(graph: ChannelGraph, node: fx.Node, args: list[fx.Node]) -> None:
    method = str(node.target)
    src = args[0]
    if method in ACT_METHODS:
        _pass(graph, node, src, "act", ACT_METHODS[method])
    elif method in FLATTEN_METHODS and len(_shape(node) or ()) == 2:
        _flat_input(graph, node, src)
        _pass(graph, node, src, "flatten", method)
    elif method == "mean" and _hw(node) == (1, 1) and len(_shape(node) or ()) in (2, 4):
        _pass(graph, node, src, "gpool", "mean")
    elif method == "contiguous":
        _pass(graph, node, src, "identity", method)
    else:
        raise _unsupported(node, f"method .{method}()")


def _add(graph: ChannelGraph, node: fx.Node, args: list[fx.Node]) -> None:
    if len(args) == 1:  # x + constant
        _pass(graph, node, args[0], "act", "add_const")
        return
    first, second = (graph.values[a.name] for a in args[:2])
    if len(first.spaces) != len(second.spaces):
        raise _unsupported(node, "a residual add of differently concatenated tensors")
    for a, b in zip(first.spaces, second.spaces, strict=True):
        graph.union(a, b, node.name)
    graph.values[node.name] = Value(first.spaces, first.h, first.w)
    graph.ops.append(Op(node.name, "add", "add", (args[0].name, args[1].name)))


# --------------------------------------------------------------------------- zero propagation
def zero_propagation(graph: ChannelGraph, empty: set[int]) -> tuple[bool, set[str], dict[str, str]]:
    """Which nodes become all-zero if the spaces ``empty`` lose every channel.

    Returns (output is zero, zero node names, ``{add node: surviving operand}``). A conv or
    linear whose output or input has no channels is zero; BN/activations of zero are taken
    as zero (as PruneTrain does); an add with one zero operand forwards the other.
    """
    empty_roots = {graph.find(s) for s in empty}
    zero: set[str] = set()
    forward: dict[str, str] = {}
    output_zero = False
    for op in graph.ops:
        if op.kind == "input":
            continue
        if op.kind == "output":
            output_zero = op.args[0] in zero
        elif op.kind in ("conv", "linear"):
            ins = graph.op_inputs(op)
            if graph.find(op.out_space) in empty_roots or op.args[0] in zero or (
                    all(s in empty_roots for s in ins)):
                zero.add(op.node)
        elif op.kind == "add":
            dead = [a in zero for a in op.args]
            if all(dead):
                zero.add(op.node)
            elif any(dead):
                forward[op.node] = op.args[dead.index(False)]
        elif op.kind == "cat":
            if all(a in zero for a in op.args):
                zero.add(op.node)
        elif op.args[0] in zero:
            zero.add(op.node)
    return output_zero, zero, forward


def block_of(graph: ChannelGraph) -> dict[int, str]:
    """For every prunable space inside a removable residual branch: the absorbing add node."""
    result: dict[int, str] = {}
    residual = graph.residual_spaces()
    for root in graph.roots():
        if not graph.prunable(root) or root in residual:
            continue
        output_zero, _, forward = zero_propagation(graph, {root})
        if not output_zero and forward:
            result[root] = next(iter(forward))
    return result


# --------------------------------------------------------------------------- export
def export_model(graph: ChannelGraph, name: str) -> Model:
    """The traced model's layer shapes as a flexsa Model (spaces follow the channel graph)."""
    channels, h, w = graph.input_shape
    net = NetBuilder(name, channels, h, w)
    names = _space_labels(graph)
    blocks = {graph.find(s): b for s, b in block_of(graph).items()}
    tensors: dict[str, Tensor] = {}
    for op in graph.ops:
        if op.kind == "input":
            tensors[op.node] = net.input
        elif op.kind != "output":
            tensors[op.node] = _export_op(graph, net, op, tensors, names, blocks)
    return net.build()


def _space_labels(graph: ChannelGraph) -> dict[int, str]:
    labels: dict[int, str] = {}
    residual = graph.residual_spaces()
    for op in graph.ops:
        if op.kind in ("conv", "linear"):
            root = graph.find(op.out_space)
            prefix = "residual:" if root in residual else ""
            labels.setdefault(root, prefix + op.target)
    labels[graph.find(0)] = "input"
    return labels


def _export_op(graph: ChannelGraph, net: NetBuilder, op: Op, tensors: dict[str, Tensor],
               names: dict[int, str], blocks: dict[int, str]) -> Tensor:
    x = tensors[op.args[0]]
    value = graph.values[op.node]
    if op.kind == "conv":
        conv: Any = graph.module(op.target)
        root = graph.find(op.out_space)
        if root in graph.op_inputs(op):
            raise UnsupportedModelError(
                f"conv {op.target!r} reads and writes the same residual node (a one-conv "
                "residual branch); a flexsa Model would take it for a depthwise conv")
        return net.conv(op.target, x, conv.out_channels, conv.kernel_size, conv.stride[0],
                        conv.padding, out_space=names[root], bn=False, bias=conv.bias is not None,
                        act=None, block=blocks.get(root, ""), scale=False)
    if op.kind == "dwconv":
        conv = graph.module(op.target)
        if conv.kernel_size[0] != conv.kernel_size[1] or conv.padding[0] != conv.padding[1]:
            raise UnsupportedModelError(f"depthwise conv {op.target!r} must be square to export")
        block = blocks.get(graph.find(op.out_space), "")
        return net.depthwise(op.target, x, conv.kernel_size[0], conv.stride[0],
                             conv.padding[0], act=None, block=block)
    if op.kind == "linear":
        linear: Any = graph.module(op.target)
        root = graph.find(op.out_space)
        return net.linear(op.target, x, linear.out_features, bias=linear.bias is not None,
                          out_space=names[root], prunable=graph.prunable(root), scale=False)
    if op.kind == "cat":
        return NetBuilder.cat(*(tensors[a] for a in op.args))
    if op.kind in ("pool", "gpool"):
        kind = "maxpool" if "max" in op.target.lower() else "avgpool"
        y = Tensor(x.spaces, value.h, value.w)
        _eltwise_each(net, op.node, y, kind)
        return y
    if op.kind in ("flatten", "identity"):
        return x
    kind = {"bn": "bn", "add": "add"}.get(op.kind, "relu")
    flops = 2 if kind == "bn" else 1
    _eltwise_each(net, op.node, x, kind, flops, 2 if kind == "add" else 1)
    return x


def _eltwise_each(net: NetBuilder, name: str, x: Tensor, kind: str, flops: int = 1,
                  inputs: int = 1) -> None:
    for i, space in enumerate(x.spaces):
        label = f"{name}.{i}" if len(x.spaces) > 1 else name
        net.eltwise(label, Tensor((space,), x.h, x.w), kind, flops, inputs)
