"""Designs, format-conversion chains, area/power and the predictor."""

from __future__ import annotations

import pytest

from flexsa.sparse.config import ALL_DATAFLOWS, Dataflow, ideal_config, reference_config
from flexsa.sparse.designs import (
    area_power,
    chain_with_conversion,
    design_cycles,
    designs,
    evaluate_layer,
    spill_bytes,
)
from flexsa.sparse.engine import simulate
from flexsa.sparse.formats import generate_problem
from flexsa.sparse.predictor import predict


@pytest.fixture(scope="module")
def layer_results():
    problem = generate_problem(48, 200, 96, 1500, 6000, seed=11)
    hw = reference_config()
    return problem, {flow: simulate(problem, flow, hw)[1] for flow in ALL_DATAFLOWS}


def test_flexagon_is_the_best_of_its_dataflows(layer_results) -> None:
    _, results = layer_results
    choice = evaluate_layer(results, reference_config())
    m_cycles = {f: results[f].cycles for f in (Dataflow.IP_M, Dataflow.OP_M, Dataflow.GUST_M)}
    assert choice.cycles["flexagon"] == min(m_cycles.values())
    assert choice.cycles["sigma_like"] == results[Dataflow.IP_M].cycles
    assert choice.cycles["sparch_like"] == results[Dataflow.OP_M].cycles
    assert choice.cycles["gamma_like"] == results[Dataflow.GUST_M].cycles
    with_n = evaluate_layer(results, reference_config(), with_n_variants=True)
    assert with_n.cycles["flexagon"] == min(r.cycles for r in results.values())


def test_gamma_like_has_half_the_psram_and_spills_more() -> None:
    hw = ideal_config()
    table = designs(hw)
    assert table["gamma_like"].psram_bytes * 2 == table["flexagon"].psram_bytes
    problem = generate_problem(4, 4000, 400, 1200, 200000, seed=2)  # rows of ~300 nnz
    _, gust = simulate(problem, Dataflow.GUST_M, hw)
    assert spill_bytes(gust, 1024) > spill_bytes(gust, 1 << 30) == 0
    assert design_cycles(gust, 1024, hw) > design_cycles(gust, 1 << 30, hw)


def test_conversion_chain() -> None:
    per_layer = [{Dataflow.IP_M: 10, Dataflow.OP_M: 12},  # IP_M writes CSR
                 {Dataflow.IP_M: 10, Dataflow.OP_M: 11}]  # IP_M needs CSC input
    free, path = chain_with_conversion(per_layer, [100, 100], 0.0)
    assert free == 20 and path == [Dataflow.IP_M, Dataflow.IP_M]
    costly, path = chain_with_conversion(per_layer, [100, 100], 1.0)
    assert costly == 21 and path == [Dataflow.IP_M, Dataflow.OP_M]
    assert chain_with_conversion([], [], 1.0) == (0, [])


def test_area_power_components() -> None:
    hw = reference_config()
    table = designs(hw)
    parts = {name: area_power(design, hw) for name, design in table.items()}
    for report in parts.values():
        assert set(report) == {"DN", "MN", "RN", "cache", "PSRAM", "controller", "total"}
        assert report["total"]["area_mm2"] > report["cache"]["area_mm2"] > 0
    assert parts["sigma_like"]["PSRAM"]["area_mm2"] == 0
    assert parts["flexagon"]["RN"]["area_mm2"] > parts["sigma_like"]["RN"]["area_mm2"]
    assert parts["flexagon"]["total"]["area_mm2"] > parts["gamma_like"]["total"]["area_mm2"]


def test_predictor_picks_a_plausible_dataflow(layer_results) -> None:
    problem, results = layer_results
    prediction = predict(problem.a, problem.b, reference_config())
    assert set(prediction.estimates) == {Dataflow.IP_M, Dataflow.OP_M, Dataflow.GUST_M}
    best = min((Dataflow.IP_M, Dataflow.OP_M, Dataflow.GUST_M), key=lambda f: results[f].cycles)
    assert results[prediction.best].cycles <= 1.5 * results[best].cycles
    for flow, estimate in prediction.estimates.items():
        assert 0.3 < estimate / results[flow].cycles < 3.0
