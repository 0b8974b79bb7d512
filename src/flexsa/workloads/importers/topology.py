"""SCALE-Sim topology CSVs as models (needs :mod:`flexsa.workloads.scalesim_io`).

A topology lists forward layers only, without connectivity, so each row becomes a layer
with its own fixed (non-prunable) channel spaces; the first row reads the model input (no
data gradient), as in a network. Rows in SCALE-Sim's GEMM encoding (IFMAP ``M x K``,
filter ``1 x K``, one channel) become a :class:`LinearLayer` with ``tokens = M``; conv rows
become a :class:`ConvLayer` with ``groups`` = depthwise copies. SCALE-Sim has no padding and
counts output windows in *ceil* mode, so the input extent is set to
``(ofmap - 1) x stride + filter``: the forward and weight-gradient GEMMs are SCALE-Sim's
exactly (the data-gradient GEMM covers that extent).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flexsa.errors import WorkloadError
from flexsa.workloads.layers import ConvLayer, LinearLayer
from flexsa.workloads.model import INPUT_SPACE, Model, Node, Space


def _layer(row: Any) -> ConvLayer | LinearLayer:
    if (row.channels == 1 and row.filter_h == 1 and row.filter_w == row.ifmap_w
            and row.stride_h == 1 and row.stride_w == 1 and row.copies == 1):
        return LinearLayer(row.name, row.ifmap_w, row.num_filters, row.ifmap_h, bias=False)
    stride = row.stride_w
    hin = (row.ofmap_h - 1) * stride + row.filter_h
    win = (row.ofmap_w - 1) * stride + row.filter_w
    return ConvLayer(row.name, row.channels * row.copies, row.num_filters * row.copies,
                     row.filter_h, row.filter_w, hin, win, stride, 0, 0, row.copies, bn=False)


def topology_model(path: Path) -> Model:
    """The layers of a SCALE-Sim topology CSV (conv or GEMM form) as a :class:`Model`."""
    try:
        from flexsa.workloads.scalesim_io import read_topology
    except ImportError:
        raise WorkloadError("reading topology CSVs needs flexsa's SCALE-Sim support "
                            "(flexsa.workloads.scalesim_io)") from None
    rows = read_topology(path)
    layers = [_layer(row) for row in rows]   # ConvLayer | LinearLayer
    if len({layer.name for layer in layers}) != len(layers):
        raise WorkloadError(f"{str(path)!r}: layer names must be unique")
    spaces: list[Space] = []
    nodes: list[Node] = []
    for index, layer in enumerate(layers):
        assert isinstance(layer, ConvLayer | LinearLayer)
        source = INPUT_SPACE if index == 0 else f"{layer.name}.in"
        spaces.append(Space(source, layer.cin, prunable=False))
        spaces.append(Space(f"{layer.name}.out", layer.cout, prunable=False))
        nodes.append(Node(layer.name, (source,), f"{layer.name}.out"))
    first = layers[0]
    if isinstance(first, ConvLayer):
        shape: tuple[int, ...] = (first.cin, first.hin, first.win)
    else:
        assert isinstance(first, LinearLayer)
        shape = (first.tokens, first.cin)
    return Model(path.stem, tuple(layers), tuple(nodes), tuple(spaces), shape)
