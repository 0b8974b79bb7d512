"""flexsa's SCALE-Sim mode against the real SCALE-Sim 3.0.0 (``scalesim`` package, dev extra).

Small arrays and layers so SCALE-Sim itself runs in seconds. Cycles must be identical;
utilization, mapping efficiency and compute utilization equal to float rounding (SCALE-Sim
averages per-fold values, flexsa uses the closed form).
"""

from __future__ import annotations

import random

import pytest

from flexsa.sim.scalesim import simulate_scalesim
from flexsa.workloads.scalesim_io import (
    ScaleSimConfig,
    TopologyLayer,
    parse_topology,
    topology_gemms,
)

pytest.importorskip("scalesim")

from flexsa.sim.scalesim_reference import run_reference  # noqa: E402


def _random_layers(seed: int) -> list[TopologyLayer]:
    rng = random.Random(seed)
    layers = []
    for i in range(3):
        fh, fw, stride = rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 2)
        layers.append(TopologyLayer(f"conv{i}", fh + rng.randint(0, 8), fw + rng.randint(0, 8),
                                    fh, fw, rng.randint(1, 6), rng.randint(1, 30),
                                    stride, stride))
    layers.append(TopologyLayer.from_gemm_dims("gemm", rng.randint(1, 40), rng.randint(1, 40),
                                               rng.randint(1, 40)))
    layers.append(TopologyLayer("dw_DP", 5, 5, 3, 3, 1, 1, 1, 1, copies=2))
    return layers


def _expand(layers: list[TopologyLayer], rows: list[dict]) -> list[dict]:
    """flexsa rows repeated per depthwise copy, as SCALE-Sim reports them."""
    out = []
    for layer, row in zip(layers, rows, strict=True):
        out.extend([row] * layer.copies)
    return out


def _assert_same(reference: list[dict], ours: list[dict]) -> None:
    assert len(reference) == len(ours)
    for ref, row in zip(reference, ours, strict=True):
        assert ref["stall_cycles"] == 0
        assert ref["cycles"] == row["cycles_per_group"]
        assert ref["pe_utilization_pct"] == pytest.approx(100 * row["pe_utilization"],
                                                          rel=1e-12)
        assert ref["mapping_efficiency_pct"] == pytest.approx(
            100 * row["mapping_efficiency"], rel=1e-12)
        assert ref["compute_utilization_pct"] == pytest.approx(
            100 * row["compute_utilization"], rel=1e-12)


@pytest.mark.parametrize("dataflow", ["is", "ws", "os"])
@pytest.mark.parametrize(("rows", "cols", "seed"), [(8, 8, 1), (16, 4, 2), (3, 16, 3)])
def test_matches_scalesim_conv_form(dataflow: str, rows: int, cols: int, seed: int) -> None:
    config = ScaleSimConfig(run_name="t", array_rows=rows, array_cols=cols, dataflow=dataflow)
    layers = _random_layers(seed)
    reference = run_reference(config, layers, "conv")
    ours = simulate_scalesim(config, topology_gemms(layers), dataflow)
    _assert_same(reference, _expand(layers, ours["layers"]))
    assert ours["cycles"] == sum(ref["cycles"] for ref in reference)


@pytest.mark.parametrize("dataflow", ["is", "ws", "os"])
def test_matches_scalesim_gemm_form(dataflow: str) -> None:
    config = ScaleSimConfig(run_name="t", array_rows=16, array_cols=16, dataflow=dataflow)
    layers = parse_topology("Layer, M, N, K,\na, 37, 5, 70,\nb, 1, 33, 16,\nc, 16, 16, 1,\n")
    reference = run_reference(config, layers, "gemm")
    ours = simulate_scalesim(config, topology_gemms(layers), dataflow)
    _assert_same(reference, ours["layers"])
