"""A Model as a JSON-ready dict and back (per-reconfiguration workload files).

``model_to_dict`` writes every layer record, the channel wiring and the spaces, so a pruned
model exported by PruneTrain can be simulated later (``model_from_dict``).
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from flexsa.errors import WorkloadError
from flexsa.workloads.layers import ConvLayer, ElementwiseLayer, Layer, LinearLayer, MatMulLayer
from flexsa.workloads.model import Model, Node, Space

FORMAT = "flexsa-model/1"
LAYER_KINDS: dict[str, type] = {"conv": ConvLayer, "linear": LinearLayer,
                                "matmul": MatMulLayer, "eltwise": ElementwiseLayer}


def _kind(layer: Layer) -> str:
    return next(k for k, cls in LAYER_KINDS.items() if isinstance(layer, cls))


def model_to_dict(model: Model) -> dict[str, Any]:
    return {
        "format": FORMAT, "name": model.name, "input_shape": list(model.input_shape),
        "layers": [{"type": _kind(layer), **asdict(layer)} for layer in model.layers],
        "nodes": [{"layer": n.layer, "inputs": list(n.inputs), "output": n.output,
                   "block": n.block, "spatial": n.spatial} for n in model.nodes],
        "spaces": [asdict(space) for space in model.spaces],
    }


def model_from_dict(data: dict[str, Any]) -> Model:
    if data.get("format") != FORMAT:
        raise WorkloadError(f"model file format must be {FORMAT!r}, got {data.get('format')!r}")
    try:
        layers = tuple(_layer(item) for item in data["layers"])
        nodes = tuple(Node(n["layer"], tuple(n["inputs"]), n["output"], n.get("block", ""),
                           n.get("spatial", 0)) for n in data["nodes"])
        spaces = tuple(Space(s["name"], s["width"], s.get("prunable", True))
                       for s in data["spaces"])
        return Model(data["name"], layers, nodes, spaces, tuple(data.get("input_shape", ())))
    except (KeyError, TypeError) as err:
        raise WorkloadError(f"model file: missing or malformed field {err}") from None


def _layer(item: dict[str, Any]) -> Layer:
    cls = LAYER_KINDS.get(item.get("type", ""))
    if cls is None:
        raise WorkloadError(f"model file: unknown layer type {item.get('type')!r}; use one of "
                            + ", ".join(LAYER_KINDS))
    names = {f.name for f in fields(cls)}
    layer: Layer = cls(**{k: v for k, v in item.items() if k in names})
    return layer
