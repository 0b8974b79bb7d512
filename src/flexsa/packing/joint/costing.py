"""Costing a (packed) network on the bit-serial array, with the authors' accounting.

Accounting knobs (:class:`Accounting`), each defaulting to the authors' count (spec
section 3; their ``packing.py`` counts convolution layers and nonzero rows):

- ``scope``: ``conv`` counts convolution layers only, ``all`` every masked layer;
- ``rows``: ``nonzero`` maps only filters with a nonzero weight (pruned filters are
  dropped before mapping), ``all`` maps every filter;
- ``resolution``: the input size the network is costed at (0: the paper's, 28x28 for
  LeNet-5 and 32x32 for the CIFAR networks), independent of the training resolution: the
  networks are fully convolutional (global pooling), so the weights are the same and only
  the output positions per layer change;
- ``array``: the array's rows x columns (the authors' designs use 32 x 32 and 64 x 64).

Two throughput figures come out. ``throughput`` is cycle-based (the bit-serial timing of
:mod:`flexsa.packing.systolic`: a tile streams one input word per output position, so a
layer's time grows with its output positions and the first, high-resolution layers
dominate). ``throughput_tiles`` is tile-based: every tile counts once (samples per tile
pass, ``1 / tiles``), so the wide, late layers with the most tiles dominate; its ratio
to the baseline is the inverse tile ratio.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from flexsa.packing.grouping import Packing, PackingError
from flexsa.packing.joint.deploy import layer_positions
from flexsa.packing.metrics import ArrayShape
from flexsa.packing.plans import (
    LAYERS,
    ROW_MODES,
    SCOPES,
    check_choice,
    cost_resolution,
    in_scope,
)
from flexsa.packing.systolic import ArrayLayer, BitSerialArray, layer_cost


@dataclass(frozen=True)
class Accounting:
    scope: str = "conv"
    rows: str = "nonzero"
    resolution: int = 0
    array: ArrayShape = ArrayShape(32, 32)

    def __post_init__(self) -> None:
        check_choice(self.scope, SCOPES, "--layers")
        check_choice(self.rows, ROW_MODES, "--rows")
        cost_resolution("lenet5", self.resolution)  # validates the number only

    def as_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "rows": self.rows, "cost_resolution": self.resolution,
                "array": [self.array.rows, self.array.cols]}


def positions_at(model: nn.Module, network: str, channels: int, resolution: int,
                 ) -> dict[str, int]:
    """Output positions of every masked layer for a ``resolution`` x ``resolution``
    input; refuses a resolution that leaves some layer without output."""
    resolution = cost_resolution(network, resolution)
    if _positions(model, channels, resolution) is None:
        smallest = next((r for r in range(resolution + 1, 257)
                         if _positions(model, channels, r) is not None), None)
        hint = f"; use at least {smallest}" if smallest else ""
        raise PackingError(f"--cost-resolution {resolution} leaves a zero-sized layer in "
                           f"{network}{hint}")
    positions = _positions(model, channels, resolution)
    assert positions is not None
    return positions


def _positions(model: nn.Module, channels: int, resolution: int) -> dict[str, int] | None:
    try:
        positions = layer_positions(model, torch.zeros(1, channels, resolution, resolution))
    except RuntimeError:  # a kernel or pooling window larger than its input
        return None
    return positions if all(p > 0 for p in positions.values()) else None


def counted_rows(packing: Packing, rows: str) -> int:
    return packing.rows - len(packing.dropped_zero_rows) if rows == "nonzero" else packing.rows


def hardware_for(packings: dict[str, Packing], array: ArrayShape) -> BitSerialArray:
    """The array whose multiplexers fit the widest group plan (alpha 1: plain cells)."""
    alpha = max((p.config.alpha for p in packings.values()), default=1)
    return BitSerialArray(rows=array.rows, cols=array.cols, alpha=alpha)


def cost_network(network: str, packings: dict[str, Packing], positions: dict[str, int],
                 accounting: Accounting) -> dict[str, Any]:
    """Utilization, tiles, both throughputs, energy and the per-layer and per-stage
    breakdown of the counted layers (every layer is listed, ``counted`` or not)."""
    hardware = hardware_for(packings, accounting.array)
    stage = {info.name: info.stage for info in LAYERS[network]}
    kinds = {info.name: info for info in LAYERS[network]}
    layers: list[dict[str, Any]] = []
    nnz = cells = unpacked = tiles = cycles = 0
    energy = 0.0
    for name, packing in packings.items():
        rows = counted_rows(packing, accounting.rows)
        shift = name.startswith("features.") and name.endswith("conv")
        cost = layer_cost(ArrayLayer(name, rows, tuple(len(g) for g in packing.groups),
                                     positions[name], shift), hardware)
        counted = in_scope(kinds[name], accounting.scope)
        layers.append({"layer": name, "stage": stage[name], "counted": counted,
                       "alpha": packing.config.alpha, "rows": packing.rows,
                       "counted_rows": rows, "cols": packing.cols,
                       "packed_cols": packing.packed_cols, "nnz_before": packing.nnz_before,
                       "nnz_after": packing.nnz_after, "positions": positions[name],
                       "tiles": cost.tiles, "cycles": cost.cycles,
                       "energy_pj": cost.total_energy_pj})
        if counted:
            nnz += packing.nnz_after
            cells += rows * packing.packed_cols
            unpacked += rows * packing.cols
            tiles, cycles = tiles + cost.tiles, cycles + cost.cycles
            energy += cost.total_energy_pj
    for row in layers:
        row["tile_share"] = row["tiles"] / tiles if row["counted"] and tiles else 0.0
        row["cycle_share"] = row["cycles"] / cycles if row["counted"] and cycles else 0.0
    stages = 1 + max(stage.values())
    return {
        "utilization": nnz / cells if cells else 0.0,
        "utilization_unpacked": nnz / unpacked if unpacked else 0.0,
        "tiles": tiles, "cycles": cycles,
        "throughput": hardware.clock_hz / cycles if cycles else 0.0,
        "throughput_tiles": 1.0 / tiles if tiles else 0.0,
        "latency_s": cycles / hardware.clock_hz,
        "energy_per_sample": energy * 1e-12, "nonzero_weights": nnz,
        "stage_shares": {key: [sum(r[f"{key[:-1]}_share"] for r in layers if r["stage"] == s)
                               for s in range(stages)] for key in ("tiles", "cycles")},
        "layers": layers,
    }
