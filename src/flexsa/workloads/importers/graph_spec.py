"""The front-end neutral graph records that the ONNX and PyTorch importers build, and the
op tables :mod:`flexsa.workloads.importers.graph` converts them with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flexsa.workloads.model import Model

Shape = tuple[int, ...]


@dataclass(frozen=True)
class OpRecord:
    """One operator in ONNX naming: ``op_type``, unique ``name``, tensor names, attributes."""

    op_type: str
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attrs: Mapping[str, Any] = field(default_factory=dict)
    domain: str = ""


@dataclass(frozen=True)
class UnsupportedOp:
    """An op the importer could not turn into a workload record, and why."""

    op_type: str
    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.op_type} ({self.name}): {self.reason}"


@dataclass(frozen=True)
class ImportResult:
    """The imported model plus every op that was not counted."""

    model: Model
    unsupported: tuple[UnsupportedOp, ...] = ()

    def warning_text(self, source: str) -> str:
        ops = "; ".join(str(op) for op in self.unsupported[:5])
        more = f" (+{len(self.unsupported) - 5} more)" if len(self.unsupported) > 5 else ""
        return f"{source}: {len(self.unsupported)} unsupported op(s) not counted: {ops}{more}"


@dataclass(frozen=True)
class GraphSpec:
    """What a front end hands to :func:`convert`."""

    name: str
    inputs: tuple[str, ...]          # activation inputs, first one defines the batch
    outputs: tuple[str, ...]
    ops: tuple[OpRecord, ...]
    shapes: Mapping[str, Shape | None]
    constants: frozenset[str]        # initializers / parameters / constant tensors


# Flops per output element of the compute ops that run on the SIMD unit.
ELEMENTWISE_FLOPS: dict[str, int] = {
    "Relu": 1, "LeakyRelu": 1, "PRelu": 1, "Elu": 2, "Selu": 2, "Celu": 2, "Clip": 1,
    "Sigmoid": 4, "HardSigmoid": 2, "HardSwish": 3, "Tanh": 4, "Softplus": 3, "Mish": 6,
    "Gelu": 8, "Silu": 5, "Erf": 4, "Exp": 1, "Log": 1, "Sqrt": 1, "Reciprocal": 1,
    "Neg": 1, "Abs": 1,
    "Add": 1, "Sub": 1, "Mul": 1, "Div": 1, "Pow": 1, "Max": 1, "Min": 1, "Sum": 1,
    "Mean": 1, "Where": 1, "Equal": 1, "Less": 1, "Greater": 1, "Not": 1, "And": 1, "Or": 1,
    "BatchNormalization": 2, "InstanceNormalization": 5, "LayerNormalization": 5,
    "GroupNormalization": 5, "Softmax": 5, "LogSoftmax": 5,
    "MaxPool": 1, "AveragePool": 1, "LpPool": 2,
}
# ElementwiseLayer.kind labels shared with the zoo (others: the lower-case op type).
KIND_NAMES: dict[str, str] = {
    "BatchNormalization": "bn", "LayerNormalization": "layernorm", "Relu": "relu",
    "Add": "add", "Softmax": "softmax", "Gelu": "gelu", "MaxPool": "maxpool",
    "AveragePool": "avgpool", "GlobalAveragePool": "avgpool", "GlobalMaxPool": "maxpool",
}
# Ops sized by their input (one flop per input element).
REDUCTION_OPS = frozenset({"GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceSum",
                           "ReduceMax", "ReduceMin", "ReduceL2", "ReduceProd", "ArgMax"})
POOL_OPS = frozenset({"MaxPool", "AveragePool", "LpPool"})
# Ops that only move or re-view data: no record, not unsupported.
LAYOUT_OPS = frozenset({
    "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Shape", "Size", "Gather",
    "GatherElements", "Slice", "Split", "Concat", "Identity", "Dropout", "Cast", "CastLike",
    "Constant", "ConstantOfShape", "Expand", "Range", "Pad", "Tile", "NonZero",
    "ScatterND", "DepthToSpace", "SpaceToDepth", "Resize", "Upsample",
})
# Binary-ish ops whose activation operands are channel-coupled.
COUPLING_OPS = frozenset({"Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean", "Where"})
GEMM_OPS = frozenset({"Conv", "Gemm", "MatMul"})


