"""PyTorch import (optional extra ``torch``): trace an ``nn.Module`` into workload records.

The module is traced with ``torch.fx.symbolic_trace`` and run once on the example input
with ``ShapeProp`` so every node has a shape. Built-in leaf modules (``Conv1d/2d``,
``Linear``, norms, activations, pools) and the common functions/methods (``matmul``, ``add``,
``relu``, ``flatten``, ``cat``, ``view``, ...) are mapped to ONNX operator names and converted
by :func:`flexsa.workloads.importers.graph.convert`, so a traced module and its ONNX export
give the same records. Anything else is listed in ``ImportResult.unsupported``.
"""

from __future__ import annotations

from typing import Any

from flexsa.errors import WorkloadError
from flexsa.workloads.importers.graph import (
    GraphSpec,
    ImportResult,
    OpRecord,
    Shape,
    convert,
)

# name of a function or method -> ONNX op type
_FUNCTION_OPS: dict[str, str] = {
    "add": "Add", "iadd": "Add", "radd": "Add", "sub": "Sub", "rsub": "Sub", "mul": "Mul",
    "imul": "Mul", "rmul": "Mul", "truediv": "Div", "div": "Div", "pow": "Pow", "sqrt": "Sqrt",
    "exp": "Exp", "neg": "Neg", "maximum": "Max", "minimum": "Min", "where": "Where",
    "matmul": "MatMul", "bmm": "MatMul",
    "relu": "Relu", "relu_": "Relu", "relu6": "Clip", "gelu": "Gelu", "silu": "Silu",
    "sigmoid": "Sigmoid", "tanh": "Tanh", "hardswish": "HardSwish", "leaky_relu": "LeakyRelu",
    "elu": "Elu", "softmax": "Softmax", "log_softmax": "LogSoftmax",
    "layer_norm": "LayerNormalization",
    "batch_norm": "BatchNormalization", "dropout": "Dropout", "mean": "ReduceMean",
    "sum": "ReduceSum", "flatten": "Flatten", "view": "Reshape", "reshape": "Reshape",
    "permute": "Transpose", "transpose": "Transpose", "contiguous": "Identity",
    "cat": "Concat", "concat": "Concat", "squeeze": "Squeeze", "unsqueeze": "Unsqueeze",
    "getitem": "Gather", "getattr": "Shape", "size": "Shape", "chunk": "Split",
    "split": "Split", "expand": "Expand", "to": "Cast", "float": "Cast", "type_as": "Cast",
    "clone": "Identity", "detach": "Identity", "max_pool2d": "MaxPool",
    "avg_pool2d": "AveragePool", "adaptive_avg_pool2d": "AveragePool", "pad": "Pad",
}
_MODULE_OPS: dict[str, str] = {
    "ReLU": "Relu", "ReLU6": "Clip", "GELU": "Gelu", "SiLU": "Silu", "Sigmoid": "Sigmoid",
    "Tanh": "Tanh", "Hardswish": "HardSwish", "Hardsigmoid": "HardSigmoid",
    "LeakyReLU": "LeakyRelu", "ELU": "Elu", "Softmax": "Softmax", "LogSoftmax": "LogSoftmax",
    "BatchNorm1d": "BatchNormalization", "BatchNorm2d": "BatchNormalization",
    "LayerNorm": "LayerNormalization", "GroupNorm": "GroupNormalization",
    "InstanceNorm2d": "InstanceNormalization", "Dropout": "Dropout", "Identity": "Identity",
    "Flatten": "Flatten", "MaxPool1d": "MaxPool", "MaxPool2d": "MaxPool",
    "AvgPool1d": "AveragePool", "AvgPool2d": "AveragePool",
    "AdaptiveAvgPool1d": "AveragePool", "AdaptiveAvgPool2d": "AveragePool",
}


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise WorkloadError("importing PyTorch modules needs torch: "
                            "pip install 'flexsa[torch]'") from None
    return torch


def import_torch(module: Any, example_input: Any, name: str | None = None) -> ImportResult:
    """Trace ``module`` on ``example_input`` (a tensor or tuple of tensors) into a workload."""
    torch = _torch()
    from torch.fx import symbolic_trace
    from torch.fx.passes.shape_prop import ShapeProp

    label = name or type(module).__name__
    inputs = example_input if isinstance(example_input, tuple | list) else (example_input,)
    try:
        traced = symbolic_trace(module)
    except Exception as err:
        raise WorkloadError(f"cannot trace {label} with torch.fx: "
                            f"{str(err).splitlines()[0][:200]}") from None
    try:
        with torch.no_grad():
            ShapeProp(traced).propagate(*inputs)
    except Exception as err:
        raise WorkloadError(f"running {label} on the example input failed: "
                            f"{str(err).splitlines()[0][:200]}") from None
    return convert(_Tracer(traced, label).spec())


def _node_shape(node: Any) -> Shape | None:
    meta = node.meta.get("tensor_meta")
    if meta is None or not hasattr(meta, "shape"):
        return None
    return tuple(int(d) for d in meta.shape)


def _target_name(target: Any) -> str:
    name = target if isinstance(target, str) else getattr(target, "__name__", str(target))
    return str(name).strip("_")


class _Tracer:
    """Translate an fx graph (after ShapeProp) into a :class:`GraphSpec`."""

    def __init__(self, traced: Any, label: str) -> None:
        self.traced = traced
        self.label = label
        self.shapes: dict[str, Shape | None] = {}
        self.constants: set[str] = set()
        self.ops: list[OpRecord] = []
        self.inputs: list[str] = []
        self.outputs: list[str] = []

    def spec(self) -> GraphSpec:
        for node in self.traced.graph.nodes:
            self.shapes[node.name] = _node_shape(node)
            self.visit(node)
        return GraphSpec(self.label, tuple(self.inputs), tuple(self.outputs), tuple(self.ops),
                         self.shapes, frozenset(self.constants))

    def const(self, name: str, shape: tuple[int, ...]) -> str:
        self.shapes[name] = shape
        self.constants.add(name)
        return name

    def tensor_args(self, node: Any) -> tuple[str, ...]:
        from torch.fx import Node

        found: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, Node):
                found.append(value.name)
            elif isinstance(value, tuple | list):
                for item in value:
                    walk(item)
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)

        walk(node.args)
        walk(node.kwargs)
        return tuple(found)

    def emit(self, op_type: str, node: Any, inputs: tuple[str, ...],
             attrs: dict[str, Any] | None = None) -> None:
        self.ops.append(OpRecord(op_type, node.name, inputs, (node.name,), attrs or {}))

    def visit(self, node: Any) -> None:
        if node.op == "placeholder":
            self.inputs.append(node.name)
        elif node.op == "get_attr":
            self.constants.add(node.name)
        elif node.op == "output":
            self.outputs.extend(self.tensor_args(node))
        elif node.op == "call_module":
            self.module(node, self.traced.get_submodule(node.target))
        else:
            self.function(node, _target_name(node.target))

    # ------------------------------------------------------------------ modules
    def module(self, node: Any, mod: Any) -> None:
        kind = type(mod).__name__
        x = self.tensor_args(node)
        if kind in ("Conv1d", "Conv2d"):
            weight = self.const(f"{node.name}.weight", tuple(mod.weight.shape))
            bias = (self.const(f"{node.name}.bias", tuple(mod.bias.shape)),) if (
                mod.bias is not None) else ()
            self.emit("Conv", node, (x[0], weight, *bias), _conv_attrs(mod))
        elif kind == "Linear":
            weight = self.const(f"{node.name}.weight", (mod.in_features, mod.out_features))
            bias = (self.const(f"{node.name}.bias", (mod.out_features,)),) if (
                mod.bias is not None) else ()
            self.emit("MatMul", node, (x[0], weight, *bias))
        elif kind in _MODULE_OPS:
            op_type = _MODULE_OPS[kind]
            self.emit_pool(op_type, node, x, self.pool_attrs(op_type, node, mod))
        else:
            self.ops.append(OpRecord(f"torch.nn.{kind}", node.name, x, (node.name,), {},
                                     domain="torch"))

    def pool_attrs(self, op_type: str, node: Any, mod: Any) -> dict[str, Any]:
        if op_type == "AveragePool" and type(mod).__name__.startswith("Adaptive"):
            return self.adaptive(node)
        if op_type in ("MaxPool", "AveragePool"):
            kernel = mod.kernel_size
            ndim = 2 if type(mod).__name__.endswith("2d") else 1
            return {"kernel_shape": tuple(kernel) if isinstance(kernel, tuple | list)
                    else (int(kernel),) * ndim}
        return {}

    def adaptive(self, node: Any) -> dict[str, Any]:
        src = self.shapes.get(self.tensor_args(node)[0])
        out = self.shapes.get(node.name)
        if src is None or out is None:
            return {}
        kernel = tuple(max(1, i // o) for i, o in zip(src[2:], out[2:], strict=False))
        return {"kernel_shape": kernel, "adaptive": True}

    def emit_pool(self, op_type: str, node: Any, x: tuple[str, ...],
                  attrs: dict[str, Any]) -> None:
        """Adaptive pooling to 1x1 is a global pool (sized by its input, as in ONNX)."""
        out = self.shapes.get(node.name)
        if op_type == "AveragePool" and out is not None and len(out) > 2 and all(
                d == 1 for d in out[2:]) and attrs.get("kernel_shape") and max(
                attrs["kernel_shape"]) > 1 and "adaptive" in attrs:
            op_type = "GlobalAveragePool"
        self.emit(op_type, node, x, {k: v for k, v in attrs.items() if k != "adaptive"})

    # ------------------------------------------------------------------ functions
    def function(self, node: Any, target: str) -> None:
        x = self.tensor_args(node)
        key = target
        if key == "conv2d" or key == "conv1d":
            self.emit("Conv", node, x, _functional_conv_attrs(node, key))
        elif key == "linear":
            weight = self.shapes.get(x[1])
            shape = (weight[1], weight[0]) if weight is not None else None
            name = f"{node.name}.weight"
            self.shapes[name] = shape
            if x[1] in self.constants:
                self.constants.add(name)
            self.emit("MatMul", node, (x[0], name, *x[2:]))
        elif key in ("permute", "transpose"):
            self.emit("Transpose", node, x[:1], {"perm": self.perm(node, key)})
        elif key in ("cat", "concat"):
            dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
            self.emit("Concat", node, x, {"axis": int(dim)})
        elif key == "adaptive_avg_pool2d":
            self.emit_pool("AveragePool", node, x[:1], self.adaptive(node))
        elif key in _FUNCTION_OPS:
            self.emit(_FUNCTION_OPS[key], node, x)
        else:
            self.ops.append(OpRecord(target, node.name, x, (node.name,), {}, domain="torch"))

    def perm(self, node: Any, key: str) -> tuple[int, ...]:
        src = self.shapes.get(self.tensor_args(node)[0])
        rank = len(src) if src is not None else 0
        dims = [a for a in node.args[1:] if isinstance(a, int)]
        if key == "permute":
            if len(node.args) == 2 and isinstance(node.args[1], tuple | list):
                dims = list(node.args[1])
            return tuple(d % rank for d in dims) if rank else tuple(dims)
        order = list(range(rank))
        if len(dims) == 2 and rank:
            a, b = dims[0] % rank, dims[1] % rank
            order[a], order[b] = order[b], order[a]
        return tuple(order)


def _conv_attrs(mod: Any) -> dict[str, Any]:
    ndim = len(mod.kernel_size)
    attrs: dict[str, Any] = {"kernel_shape": tuple(mod.kernel_size),
                             "strides": tuple(mod.stride), "dilations": tuple(mod.dilation),
                             "group": int(mod.groups)}
    padding = mod.padding
    if isinstance(padding, str):
        attrs["auto_pad"] = "SAME_UPPER" if padding == "same" else "VALID"
    else:
        pads = tuple(int(p) for p in padding)
        attrs["pads"] = pads + pads if ndim == 2 else pads + pads
    return attrs


def _functional_conv_attrs(node: Any, key: str) -> dict[str, Any]:
    names = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
    values = dict(zip(names, node.args, strict=False))
    values.update(node.kwargs)
    ndim = 2 if key == "conv2d" else 1

    def pair(value: Any, default: int) -> tuple[int, ...]:
        if value is None:
            return (default,) * ndim
        return tuple(value) if isinstance(value, tuple | list) else (int(value),) * ndim

    attrs: dict[str, Any] = {"strides": pair(values.get("stride"), 1),
                             "dilations": pair(values.get("dilation"), 1),
                             "group": int(values.get("groups") or 1)}
    padding = values.get("padding", 0)
    if isinstance(padding, str):
        attrs["auto_pad"] = "SAME_UPPER" if padding == "same" else "VALID"
    else:
        pads = pair(padding, 0)
        attrs["pads"] = pads + pads
    return attrs
