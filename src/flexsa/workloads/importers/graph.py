"""Front-end neutral graph -> :class:`~flexsa.workloads.model.Model` conversion.

The ONNX and PyTorch importers translate their graphs into a list of :class:`OpRecord`
(ONNX operator names and attribute conventions) plus a shape per tensor; :func:`convert`
turns that into layer records and the channel graph:

* ``Conv`` (1-D/2-D, any groups, padding, strides, dilation) -> :class:`ConvLayer`;
* ``Gemm``/``MatMul`` with one constant operand -> :class:`LinearLayer` (``tokens`` rows per
  sample), with two activation operands -> :class:`MatMulLayer` (``count`` = broadcast batch
  dims per sample);
* compute ops (activations, arithmetic, normalisation, pooling, reductions, softmax) ->
  :class:`ElementwiseLayer` sized by their output (input for global pools / reductions);
* layout ops (reshape, transpose, slice, concat, gather, cast, ...) move data only and make
  no record; any other op is *unsupported* and listed in :attr:`ImportResult.unsupported`.

Per-sample sizes: the leading dimension of the first activation input is the graph's batch
``gb``; row counts, element counts and batched-matmul counts are divided by it.

Dilation and asymmetric padding: a :class:`ConvLayer` has a dense kernel and symmetric
padding. A dilated kernel does ``kh x kw`` taps per output, so the layer keeps the real
``kh x kw`` (GEMM ``K = Cin x kh x kw``, exact MACs) and folds the dilation into the padding:
``pad_total' = pad_total - (d - 1)(k - 1)`` gives the same output size. When that total is
odd (asymmetric padding, stride 1) or negative, the input extent ``hin`` absorbs the extra
row/column. Forward and weight-gradient GEMMs are then exact; only the data-gradient GEMM
(over ``hin x win`` input pixels) can differ by that one row/column.

Channel spaces: every GEMM output is its own space; ops that keep the channel axis pass the
input's spaces through; ``Add``/``Mul``/... of two activations with the same channel width
merge their spaces (a residual node); ``Concat`` on the channel axis concatenates spaces; a
depthwise conv reads and writes one space. The model input space is ``input``; spaces of
graph outputs are not prunable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from flexsa.errors import WorkloadError
from flexsa.workloads.importers.geometry import (
    broadcast_shapes,
    conv_pads,
    fold_dilation,
    pair,
    unique_names,
)
from flexsa.workloads.importers.graph_spec import (
    COUPLING_OPS,
    ELEMENTWISE_FLOPS,
    KIND_NAMES,
    LAYOUT_OPS,
    POOL_OPS,
    REDUCTION_OPS,
    GraphSpec,
    ImportResult,
    OpRecord,
    Shape,
    UnsupportedOp,
)
from flexsa.workloads.layers import (
    ConvLayer,
    ElementwiseLayer,
    Layer,
    LinearLayer,
    MatMulLayer,
)
from flexsa.workloads.model import INPUT_SPACE, Model, Node, Space

__all__ = ["GraphSpec", "ImportResult", "OpRecord", "UnsupportedOp", "convert", "unique_names"]


@dataclass
class _Tensor:
    shape: Shape
    spaces: tuple[str, ...] | None = None
    axis: int | None = None


class _Spaces:
    """Channel spaces with union-find merging (residual nodes)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.width: dict[str, int] = {}
        self.prunable: dict[str, bool] = {}

    def new(self, name: str, width: int, prunable: bool = True) -> str:
        base, n = name, 1
        while name in self.parent:
            n += 1
            name = f"{base}#{n}"
        self.parent[name] = name
        self.width[name] = width
        self.prunable[name] = prunable
        return name

    def root(self, name: str) -> str:
        while self.parent[name] != name:
            self.parent[name] = self.parent[self.parent[name]]
            name = self.parent[name]
        return name

    def merge(self, a: str, b: str) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra == rb or self.width[ra] != self.width[rb]:
            return
        if rb == INPUT_SPACE:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.prunable[ra] = self.prunable[ra] and self.prunable[rb]

    def total(self, spaces: Sequence[str]) -> int:
        return sum(self.width[self.root(s)] for s in spaces)


class _Converter:
    def __init__(self, spec: GraphSpec) -> None:
        self.spec = spec
        self.spaces = _Spaces()
        self.tensors: dict[str, _Tensor] = {}
        self.layers: list[Layer] = []
        self.nodes: list[Node] = []
        self.unsupported: list[UnsupportedOp] = []
        self.constants = set(spec.constants)
        self.batch = 1
        self.input_shape: Shape = ()
        self.lazy_input = ""                  # rank-3 input: channel axis chosen by first use
        self.linear_out: dict[str, int] = {}  # tensor -> index of the LinearLayer writing it

    # ------------------------------------------------------------------ helpers
    def shape(self, tensor: str, op: OpRecord) -> Shape:
        known = self.tensors.get(tensor)
        if known is not None:
            return known.shape
        shape = self.spec.shapes.get(tensor)
        if shape is None:
            raise WorkloadError(
                f"{self.spec.name}: no shape for tensor {tensor!r} ({op.op_type} {op.name!r}); "
                "export the model with static input shapes so shape inference can complete")
        return shape

    def out_shape(self, op: OpRecord) -> Shape | None:
        return self.spec.shapes.get(op.outputs[0]) if op.outputs else None

    def per_sample(self, count: int) -> int:
        return count // self.batch if count % self.batch == 0 and count >= self.batch else count

    def activations(self, op: OpRecord) -> list[str]:
        return [t for t in op.inputs if t and t not in self.constants]

    def spaces_for(self, tensor: str, axis: int, width: int, op: OpRecord) -> tuple[str, ...]:
        """The spaces of ``tensor`` along ``axis``; a fixed space if the channels are unknown."""
        info = self.tensors.get(tensor)
        if tensor == self.lazy_input and info is not None and info.spaces is None:
            info.spaces = (self.spaces.new(INPUT_SPACE, width, prunable=False),)
            info.axis = axis % len(info.shape)
            self.lazy_input = ""
        if info is not None and info.spaces is not None and info.axis is not None:
            rank = len(info.shape)
            if info.axis == axis % rank and self.spaces.total(info.spaces) == width:
                return info.spaces
        space = self.spaces.new(f"{op.name}.in", width, prunable=False)
        return (space,)

    def add(self, layer: Layer, node: Node | None = None) -> None:
        self.layers.append(layer)
        if node is not None:
            self.nodes.append(node)

    # ------------------------------------------------------------------ driver
    def run(self) -> ImportResult:
        self.setup_inputs()
        for op in self.spec.ops:
            self.visit(op)
        return self.finish()

    def setup_inputs(self) -> None:
        if not self.spec.inputs:
            raise WorkloadError(f"{self.spec.name}: the graph has no activation input")
        for i, name in enumerate(self.spec.inputs):
            shape = self.spec.shapes.get(name)
            if shape is None:
                raise WorkloadError(f"{self.spec.name}: graph input {name!r} has no shape; "
                                    "export the model with a static input shape")
            if i == 0:
                self.batch = shape[0] if shape and shape[0] > 0 else 1
                self.input_shape = tuple(shape[1:])
            axis = 1 if len(shape) >= 4 else len(shape) - 1
            if len(shape) < 2 or (len(shape) == 3 and i == 0):
                self.tensors[name] = _Tensor(shape)
                self.lazy_input = name if len(shape) == 3 else ""
                continue
            space_name = INPUT_SPACE if i == 0 else f"{INPUT_SPACE}.{name}"
            space = self.spaces.new(space_name, shape[axis], prunable=False)
            self.tensors[name] = _Tensor(shape, (space,), axis)

    def visit(self, op: OpRecord) -> None:
        if op.domain not in ("", "ai.onnx"):
            self.unsupported.append(UnsupportedOp(op.op_type, op.name,
                                                  f"custom domain {op.domain!r}"))
            return
        if op.inputs and not self.activations(op) and op.op_type != "Constant":
            self.constants.update(op.outputs)   # constant folding: no runtime work
            return
        if op.op_type in ("Constant", "Shape", "Size"):
            self.constants.update(op.outputs)   # static shapes: shape tensors are constants
            return
        if op.op_type == "Conv":
            self.conv(op)
        elif op.op_type in ("Gemm", "MatMul"):
            self.matmul(op)
        elif op.op_type in ELEMENTWISE_FLOPS or op.op_type in REDUCTION_OPS:
            self.elementwise(op)
        elif op.op_type in LAYOUT_OPS:
            self.layout(op)
        else:
            self.unsupported.append(UnsupportedOp(op.op_type, op.name, "operator not supported"))

    # ------------------------------------------------------------------ GEMM ops
    def conv(self, op: OpRecord) -> None:
        x_shape = self.shape(op.inputs[0], op)
        w_shape = self.shape(op.inputs[1], op)
        rank = len(x_shape)
        if rank not in (3, 4):
            self.unsupported.append(UnsupportedOp("Conv", op.name, f"{rank - 2}-D convolution"))
            return
        spatial_in = x_shape[2:] if rank == 4 else (1, x_shape[2])
        kernel = tuple(op.attrs.get("kernel_shape") or w_shape[2:])
        kernel = kernel if rank == 4 else (1, kernel[0])
        ndim = rank - 2
        strides = pair(op.attrs.get("strides"), ndim, 1)
        dilations = pair(op.attrs.get("dilations"), ndim, 1)
        if strides[0] != strides[1] and spatial_in[0] > 1:
            self.unsupported.append(UnsupportedOp(
                "Conv", op.name, f"different strides {strides[0]}x{strides[1]} per axis"))
            return
        stride = strides[1]
        out = self.out_shape(op)
        pads = conv_pads(op.attrs, spatial_in, kernel, strides, dilations, ndim)
        out_sizes = tuple(out[2:]) if out is not None and len(out) == rank else None
        if out_sizes is not None and rank == 3:
            out_sizes = (1, out_sizes[0])
        hin, pad_h = fold_dilation(spatial_in[0], kernel[0], stride, dilations[0], pads[0],
                           out_sizes[0] if out_sizes else None)
        win, pad_w = fold_dilation(spatial_in[1], kernel[1], stride, dilations[1], pads[1],
                           out_sizes[1] if out_sizes else None)
        cin, cout, groups = x_shape[1], w_shape[0], int(op.attrs.get("group", 1))
        layer = ConvLayer(op.name, cin, cout, kernel[0], kernel[1], hin, win, stride, pad_h,
                          pad_w, groups, bias=len(op.inputs) > 2 and bool(op.inputs[2]),
                          bn=False)
        in_spaces = self.spaces_for(op.inputs[0], 1, cin, op)
        if groups > 1 and groups == cin == cout and len(in_spaces) == 1:
            out_space = in_spaces[0]
        else:
            out_space = self.spaces.new(op.name, cout)
        self.add(layer, Node(op.name, in_spaces, out_space))
        out_shape = out if out is not None else (
            x_shape[0], cout, *((layer.hout, layer.wout) if rank == 4 else (layer.wout,)))
        self.tensors[op.outputs[0]] = _Tensor(tuple(out_shape), (out_space,), 1)

    def matmul(self, op: OpRecord) -> None:
        a_name, b_name = op.inputs[0], op.inputs[1]
        a, b = self.shape(a_name, op), self.shape(b_name, op)
        if op.op_type == "Gemm":
            a = a[::-1] if op.attrs.get("transA", 0) else a
            b = b[::-1] if op.attrs.get("transB", 0) else b
        a2 = (1, *a) if len(a) == 1 else a
        b2 = (*b, 1) if len(b) == 1 else b
        m, k, n = a2[-2], a2[-1], b2[-1]
        bias = len(op.inputs) > 2 and bool(op.inputs[2])
        a_const, b_const = a_name in self.constants, b_name in self.constants
        out = self.out_shape(op)
        if b_const and len(b2) == 2:
            tokens = self.per_sample(math.prod(a2[:-1]))
            self.linear(op, a_name, -1, k, n, tokens, bias, out, len(a2))
        elif a_const and len(a2) == 2:
            tokens = self.per_sample(math.prod(b2) // k)
            self.linear(op, b_name, -2, k, m, tokens, bias, out, len(b2))
        else:
            batch_dims = broadcast_shapes(a2[:-2], b2[:-2])
            total = math.prod(batch_dims)
            if total == 1 and m % self.batch == 0:
                m = self.per_sample(m)
            self.add(MatMulLayer(op.name, m, n, k, self.per_sample(total)))
            if out is not None:
                self.tensors[op.outputs[0]] = _Tensor(out)

    def linear(self, op: OpRecord, x: str, axis: int, cin: int, cout: int, tokens: int,
               bias: bool, out: Shape | None, rank: int) -> None:
        in_spaces = self.spaces_for(x, axis, cin, op)
        out_space = self.spaces.new(op.name, cout)
        self.add(LinearLayer(op.name, cin, cout, tokens, bias), Node(op.name, in_spaces,
                                                                      out_space))
        if out is not None:
            self.tensors[op.outputs[0]] = _Tensor(out, (out_space,), axis % len(out))
            self.linear_out[op.outputs[0]] = len(self.layers) - 1

    def fold_bias(self, op: OpRecord) -> bool:
        """``MatMul`` + ``Add`` of a constant vector (ONNX's split Linear) is one biased layer."""
        acts = self.activations(op)
        if op.op_type != "Add" or len(acts) != 1 or acts[0] not in self.linear_out:
            return False
        others = [t for t in op.inputs if t != acts[0]]
        shapes = [self.spec.shapes.get(t) for t in others]
        if len(others) != 1 or shapes[0] is None or len(shapes[0]) != 1:
            return False
        index = self.linear_out[acts[0]]
        layer = self.layers[index]
        assert isinstance(layer, LinearLayer)
        self.layers[index] = replace(layer, bias=True)
        self.tensors[op.outputs[0]] = self.tensors[acts[0]]
        return True

    # ------------------------------------------------------------------ other ops
    def elementwise(self, op: OpRecord) -> None:
        if self.fold_bias(op):
            return
        out = self.out_shape(op)
        acts = self.activations(op)
        if out is None:
            self.unsupported.append(UnsupportedOp(op.op_type, op.name, "output shape unknown"))
            return
        src = self.tensors.get(acts[0]) if acts else None
        reduction = op.op_type in REDUCTION_OPS
        sized = src.shape if reduction and src is not None else out
        elements = self.per_sample(max(1, math.prod(sized)))
        flops = ELEMENTWISE_FLOPS.get(op.op_type, 1)
        if op.op_type in POOL_OPS:
            flops = math.prod(op.attrs.get("kernel_shape") or (1,))
        kind = KIND_NAMES.get(op.op_type, op.op_type.lower())
        self.layers.append(ElementwiseLayer(op.name, kind, elements, flops,
                                            max(1, len(acts))))
        result = self.passthrough(src, out)
        self.tensors[op.outputs[0]] = result
        if op.op_type in COUPLING_OPS:
            self.couple(result, [self.tensors.get(t) for t in acts[1:]])
        if result.spaces is not None and len(result.spaces) == 1 and result.axis is not None:
            width = self.spaces.total(result.spaces)
            node_size = src.shape if reduction and src is not None else out
            spatial = self.per_sample(math.prod(node_size)) // width
            if spatial * width == elements:
                self.nodes.append(Node(op.name, result.spaces, result.spaces[0], "", spatial))
        for extra in op.outputs[1:]:   # e.g. BatchNormalization running stats, MaxPool indices
            self.constants.add(extra)

    @staticmethod
    def passthrough(src: _Tensor | None, out: Shape) -> _Tensor:
        if (src is None or src.spaces is None or src.axis is None or len(out) != len(src.shape)
                or out[src.axis] != src.shape[src.axis]):
            return _Tensor(out)
        return _Tensor(out, src.spaces, src.axis)

    def couple(self, result: _Tensor, others: list[_Tensor | None]) -> None:
        if result.spaces is None:
            return
        for other in others:
            if (other is None or other.spaces is None or other.axis != result.axis
                    or len(other.spaces) != len(result.spaces)):
                continue
            for a, b in zip(result.spaces, other.spaces, strict=True):
                self.spaces.merge(a, b)

    def layout(self, op: OpRecord) -> None:
        out = self.out_shape(op)
        acts = self.activations(op)
        if out is None or not acts:
            return
        src = self.tensors.get(acts[0])
        result = _Tensor(out)
        if src is not None and src.spaces is not None and src.axis is not None:
            result = self.layout_spaces(op, src, out, [self.tensors.get(t) for t in acts])
        for name in op.outputs:
            shape = self.spec.shapes.get(name)
            if shape is not None:
                self.tensors[name] = (result if name == op.outputs[0]
                                      else self.passthrough(src, shape))

    def layout_spaces(self, op: OpRecord, src: _Tensor, out: Shape,
                      inputs: list[_Tensor | None]) -> _Tensor:
        axis = src.axis
        assert axis is not None and src.spaces is not None
        if op.op_type == "Transpose":
            perm = list(op.attrs.get("perm") or reversed(range(len(src.shape))))
            return _Tensor(out, src.spaces, perm.index(axis))
        if op.op_type == "Concat":
            cat_axis = int(op.attrs.get("axis", 0)) % len(out)
            if cat_axis == axis and all(t is not None and t.spaces is not None
                                        and t.axis == axis for t in inputs):
                spaces = tuple(s for t in inputs if t is not None and t.spaces
                               for s in t.spaces)
                return _Tensor(out, spaces, axis)
            return self.passthrough(src, out) if cat_axis != axis else _Tensor(out)
        if op.op_type in ("Flatten", "Reshape", "Squeeze", "Unsqueeze"):
            width = src.shape[axis]
            trailing = math.prod(src.shape[axis + 1:])
            if trailing == 1 and out and out[-1] == width and math.prod(out[:-1]) == math.prod(
                    src.shape[:axis]):
                return _Tensor(out, src.spaces, len(out) - 1)
            return _Tensor(out)
        return self.passthrough(src, out)

    # ------------------------------------------------------------------ result
    def finish(self) -> ImportResult:
        if not any(not isinstance(layer, ElementwiseLayer) for layer in self.layers):
            raise WorkloadError(f"{self.spec.name}: the graph has no Conv, Gemm or MatMul "
                                "operator to simulate")
        for name in self.spec.outputs:
            info = self.tensors.get(name)
            for space in (info.spaces or ()) if info is not None else ():
                self.spaces.prunable[self.spaces.root(space)] = False
        root = self.spaces.root
        nodes = tuple(replace(n, inputs=tuple(root(s) for s in n.inputs), output=root(n.output))
                      for n in self.nodes)
        used = {s for n in nodes for s in (*n.inputs, n.output)}
        spaces = tuple(Space(s, self.spaces.width[s], self.spaces.prunable[s])
                       for s in self.spaces.parent if root(s) == s and s in used)
        model = Model(self.spec.name, tuple(self.layers), nodes, spaces, self.input_shape)
        return ImportResult(model, tuple(self.unsupported))


def convert(spec: GraphSpec) -> ImportResult:
    """Layer records and channel graph of ``spec`` (see the module docstring)."""
    return _Converter(spec).run()


