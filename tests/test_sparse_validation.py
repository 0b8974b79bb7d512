"""Agreement with the reference simulator's per-layer cycles (artifact data in tests/data).

The full report over the 103 layers is ``bench/validate_flexagon.py`` (docs/flexagon.md,
"Validation"); here two cheap layers pin the per-dataflow bands and the report is checked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flexsa.sparse.config import ALL_DATAFLOWS, Dataflow, reference_config
from flexsa.sparse.layers import load_layers, run_layer
from flexsa.sparse.validation import agreement, load_reference

DATA = Path(__file__).parent / "data"
# Per-layer ours / reference bands per dataflow (docs/flexagon.md: over the 103 layers the
# 10-90% ranges lie inside these).
BANDS = {Dataflow.IP_M: (0.7, 1.15), Dataflow.IP_N: (0.8, 1.15), Dataflow.OP_M: (0.9, 1.1),
         Dataflow.OP_N: (0.9, 1.1), Dataflow.GUST_M: (0.8, 1.2), Dataflow.GUST_N: (0.8, 1.2)}


@pytest.fixture(scope="module")
def reference():
    rows = []
    for model in ("Alexnet", "Vgg", "Resnets", "DistilBert"):
        rows += load_reference(DATA / f"flexagon_reference_{model}.csv")
    return {r.key: r for r in rows}


def test_reference_files_parse(reference) -> None:
    assert len(reference) == 103
    first = reference["Alexnet/0"]
    assert first.cycles[Dataflow.GUST_N] == 92916970 and first.best() is Dataflow.GUST_N


@pytest.mark.parametrize("key", ["Resnets/10", "Alexnet/4"])
def test_cheap_layers_within_bands(reference, key: str) -> None:
    layer = {ly.key: ly for ly in load_layers()}[key]
    run = run_layer(layer, reference_config(time_output_writes=False), seed=0)
    ref = reference[key]
    for flow in ALL_DATAFLOWS:
        low, high = BANDS[flow]
        assert low <= run.results[flow].cycles / ref.cycles[flow] <= high, flow
    ours = {key: {f: {"cycles": r.cycles, "cache_miss_rate": r.cache_miss_rate}
                  for f, r in run.results.items()}}
    report = agreement([ref], ours)
    assert report["layers"] == 1 and report["best_m_dataflow_agreement"] == 1.0


def test_agreement_statistics(reference) -> None:
    refs = [reference["Alexnet/0"], reference["Alexnet/1"]]
    ours = {r.key: {f: {"cycles": r.cycles[f] * 2, "cache_miss_rate": 0.1}
                    for f in ALL_DATAFLOWS} for r in refs}
    report = agreement(refs, ours)
    assert report["per_dataflow"]["OP_M"]["geomean_ratio"] == 2.0
    assert report["best_dataflow_agreement"] == 1.0
    assert report["speedups"]["ours"]["geomean"] == report["speedups"]["reference"]["geomean"]
