"""The layers file (copied into the package) and per-layer runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flexsa.errors import WorkloadError
from flexsa.sparse.config import ALL_DATAFLOWS, reference_config
from flexsa.sparse.layers import SparseLayer, load_layers, model_names, run_layer


def test_all_511_layers_in_file_order() -> None:
    layers = load_layers()
    assert len(layers) == 511
    assert model_names(layers) == ["Alexnet", "Vgg", "Squeezenet", "Resnets", "SSD-Resnets",
                                   "SSD-Mobilenets", "DistilBert", "MobileBert"]
    assert sum(ly.model == "MobileBert" for ly in layers) == 316
    assert len({ly.signature for ly in layers}) == 511  # each its own real marginals
    uniform = load_layers(operands="uniform")
    assert len({ly.signature for ly in uniform}) == 245  # equal shapes and counts share
    first = layers[0]
    assert (first.m, first.n, first.k, first.nnz_a, first.nnz_b) == (64, 45796, 363, 6970,
                                                                    16623948)


def test_generated_operands_have_the_layer_counts() -> None:
    layer = SparseLayer("X", 3, 20, 30, 40, 333, 900)
    problem = layer.problem(seed=1)
    assert problem.a.shape == (20, 40) and problem.b.shape == (40, 30)
    assert problem.a.nnz == 333 and problem.b.nnz == 900
    again = layer.problem(seed=1)
    assert (problem.a != again.a).nnz == 0  # seeded
    assert (problem.a != layer.problem(seed=2).a).nnz > 0


def test_run_layer_all_dataflows() -> None:
    layer = SparseLayer("X", 0, 30, 50, 60, 500, 1200)
    run = run_layer(layer, reference_config(), seed=0)
    assert set(run.results) == set(ALL_DATAFLOWS)
    problem = layer.problem(0)
    c = (problem.a.toarray() @ problem.b.toarray())
    assert run.c_nnz == np.count_nonzero(c)
    assert all(r.c_nnz == run.c_nnz for r in run.results.values())
    assert len({r.products for r in run.results.values()}) == 1


def test_malformed_layers_file(tmp_path: Path) -> None:
    bad = tmp_path / "layers.csv"
    bad.write_text("model,layer,M,N,K,A_nnz,B_nnz\nX,0,2,2,2,9,1\n")
    with pytest.raises(WorkloadError, match="nnz within"):
        load_layers(bad)
    bad.write_text("model,layer,M\nX,0,2\n")
    with pytest.raises(WorkloadError, match="columns"):
        load_layers(bad)
    bad.write_text("model,layer,M,N,K,A_nnz,B_nnz\nX,zero,2,2,2,1,1\n")
    with pytest.raises(WorkloadError, match="integer"):
        load_layers(bad)
