"""Convolution geometry and naming helpers of the graph importer (see
:mod:`flexsa.workloads.importers.graph` for the dilation and padding folding rule)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flexsa.workloads.importers.graph_spec import Shape
from flexsa.workloads.layers import conv_out_size


def pair(values: Sequence[int] | None, ndim: int, default: int) -> tuple[int, int]:
    vals = tuple(int(v) for v in values) if values else (default,) * ndim
    return (vals[0], vals[1]) if ndim == 2 else (1, vals[0])


def conv_pads(attrs: Mapping[str, Any], spatial: Sequence[int], kernel: Sequence[int],
               strides: Sequence[int], dilations: Sequence[int],
               ndim: int) -> tuple[int, int]:
    """Total padding per axis (begin + end), from ``pads`` or ``auto_pad``."""
    auto = attrs.get("auto_pad", "NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        totals = []
        for size, k, s, d in zip(spatial, kernel, strides, dilations, strict=True):
            out = -(-size // s)
            totals.append(max(0, (out - 1) * s + d * (k - 1) + 1 - size))
        return totals[0], totals[1]
    if auto == "VALID":
        return 0, 0
    pads = [int(p) for p in attrs.get("pads") or [0] * (2 * ndim)]
    if ndim == 1:
        return 0, pads[0] + pads[1]
    return pads[0] + pads[2], pads[1] + pads[3]


def fold_dilation(size: int, kernel: int, stride: int, dilation: int, pad_total: int,
          out: int | None) -> tuple[int, int]:
    """``(hin, pad)`` for a dense ``kernel`` giving the same output size (see module doc)."""
    effective = pad_total - (dilation - 1) * (kernel - 1)
    target = out if out is not None else (size + effective - kernel) // stride + 1
    if effective >= 0:
        for pad in (effective // 2, (effective + 1) // 2):
            if conv_out_size(size, kernel, stride, pad) == target:
                return size, pad
        pad = effective // 2
        return size + effective - 2 * pad, pad
    return size + effective, 0


def broadcast_shapes(a: Shape, b: Shape) -> Shape:
    rank = max(len(a), len(b))
    a = (1,) * (rank - len(a)) + tuple(a)
    b = (1,) * (rank - len(b)) + tuple(b)
    return tuple(max(x, y) for x, y in zip(a, b, strict=True))


def unique_names(names: Sequence[str], op_types: Sequence[str]) -> list[str]:
    """Non-empty, unique layer names (``op_type_i`` for unnamed ops)."""
    seen: dict[str, int] = {}
    result = []
    for i, (name, op_type) in enumerate(zip(names, op_types, strict=True)):
        base = name or f"{op_type}_{i}"
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.append(base if count == 0 else f"{base}_{count}")
    return result
