"""ONNX import (optional extra ``onnx``): a shape-inferred graph -> workload records.

The graph is loaded, a symbolic batch dimension of its inputs is fixed to 1, ONNX shape
inference runs (with data propagation, so shapes computed by ``Shape``/``Reshape`` chains are
known), and :func:`flexsa.workloads.importers.graph.convert` builds the model. ``onnx`` is
imported lazily; without it reading a ``.onnx`` file is a one-line error.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from flexsa.errors import WorkloadError
from flexsa.workloads.importers.graph import (
    GraphSpec,
    ImportResult,
    OpRecord,
    Shape,
    convert,
    unique_names,
)


class UnsupportedOpsWarning(UserWarning):
    """Some ops of an imported graph were not counted (see ``ImportResult.unsupported``)."""


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise WorkloadError("reading .onnx files needs the onnx package: "
                            "pip install 'flexsa[onnx]'") from None
    return onnx


def import_onnx(source: str | Path | bytes, name: str | None = None) -> ImportResult:
    """Import an ONNX model from a file path or serialized bytes."""
    onnx = _onnx()
    label = name or (Path(source).stem if not isinstance(source, bytes) else "onnx_model")
    where = str(source) if not isinstance(source, bytes) else "<bytes>"
    try:
        proto = (onnx.load_model_from_string(source) if isinstance(source, bytes)
                 else onnx.load(str(source)))
    except Exception as err:  # protobuf DecodeError, OSError, ...
        raise WorkloadError(f"cannot read ONNX file {where!r}: not a valid ONNX model "
                            f"({type(err).__name__})") from None
    if not proto.graph.node:
        raise WorkloadError(f"cannot read ONNX file {where!r}: the graph has no nodes")
    _fix_batch_dim(proto, where)
    try:
        inferred = onnx.shape_inference.infer_shapes(proto, data_prop=True)
    except Exception as err:
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise WorkloadError(f"ONNX shape inference failed for {where!r}: {message[:200]}") from None
    return convert(_graph_spec(inferred, label))


def _fix_batch_dim(proto: Any, where: str) -> None:
    """Set a symbolic leading dim of each input to 1; other symbolic dims are an error."""
    initializers = {init.name for init in proto.graph.initializer}
    for value in proto.graph.input:
        if value.name in initializers or not value.type.HasField("tensor_type"):
            continue
        tensor_type = value.type.tensor_type
        if not tensor_type.HasField("shape"):
            continue
        for axis, dim in enumerate(tensor_type.shape.dim):
            if dim.HasField("dim_value"):
                continue
            if axis == 0:
                dim.dim_value = 1
            else:
                label = dim.dim_param or "?"
                raise WorkloadError(
                    f"ONNX input {value.name!r} of {where!r} has a symbolic dimension {label!r} "
                    f"at axis {axis}; re-export the model with a fixed input shape")


def _shape_of(value: Any) -> Shape | None:
    if not value.type.HasField("tensor_type"):
        return None
    tensor_type = value.type.tensor_type
    if not tensor_type.HasField("shape"):
        return None
    dims = []
    for dim in tensor_type.shape.dim:
        if not dim.HasField("dim_value") or dim.dim_value <= 0:
            return None
        dims.append(int(dim.dim_value))
    return tuple(dims)


def _graph_spec(proto: Any, label: str) -> GraphSpec:
    from onnx import helper

    graph = proto.graph
    constants = {init.name for init in graph.initializer}
    shapes: dict[str, Shape | None] = {
        init.name: tuple(int(d) for d in init.dims) for init in graph.initializer}
    for value in (*graph.input, *graph.value_info, *graph.output):
        shape = _shape_of(value)
        if shape is not None or value.name not in shapes:
            shapes[value.name] = shape
    inputs = tuple(v.name for v in graph.input if v.name not in constants)
    names = unique_names([n.name for n in graph.node], [n.op_type for n in graph.node])
    ops = []
    for node, name in zip(graph.node, names, strict=True):
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute
                 if a.type != a.GRAPH and a.type != a.GRAPHS and a.type != a.TENSOR}
        if node.op_type == "Constant":
            attrs = {}
        ops.append(OpRecord(node.op_type, name, tuple(node.input), tuple(node.output), attrs,
                            node.domain))
    return GraphSpec(label, inputs, tuple(v.name for v in graph.output), tuple(ops), shapes,
                     frozenset(constants))


def load_onnx_model(path: Path) -> Any:
    """The :class:`Model` of an ONNX file; unsupported ops raise a warning naming them."""
    result = import_onnx(path)
    if result.unsupported:
        warnings.warn(result.warning_text(path.name), UnsupportedOpsWarning, stacklevel=2)
    return result.model
