"""Bank-conflict depth (spec 6.1), marginal-matched operands and the artifact's layer folders."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from flexsa.errors import WorkloadError
from flexsa.sparse.banks import element_depth, range_depth
from flexsa.sparse.config import ALL_DATAFLOWS, reference_config
from flexsa.sparse.formats import generate_problem
from flexsa.sparse.layerdir import load_layer_dir, write_layer_dir
from flexsa.sparse.marginals import random_counts, realise

HW = reference_config()


def _brute_depth(addresses: list[int], weights: list[int]) -> int:
    banks: dict[int, int] = {}
    for address, weight in zip(addresses, weights, strict=True):
        bank = (address * 4 // 128) % 32
        banks[bank] = banks.get(bank, 0) + weight
    total = sum(weights)
    return max(max(banks.values()), -(-total // 64)) if banks else 0


def test_range_depth_matches_brute_force() -> None:
    rng = np.random.default_rng(1)
    lo = rng.integers(0, 5000, 800)
    hi = lo + rng.integers(0, 3000, 800)
    depth = range_depth(lo, hi, HW)
    for a, b, d in zip(lo, hi, depth, strict=True):
        assert d == _brute_depth(list(range(a, b)), [1] * (b - a))


def test_element_depth_exact_and_sampled() -> None:
    rng = np.random.default_rng(2)
    groups, pairs = 6, 40
    group = np.sort(rng.integers(0, groups, pairs))
    start = rng.integers(0, 20000, pairs)
    length = rng.integers(1, 300, pairs)
    weight = rng.integers(1, 5, pairs)
    steps = np.zeros(groups, dtype=np.int64)
    np.maximum.at(steps, group, length)
    brute = 0
    for g in range(groups):
        for s in range(int(steps[g])):
            live = (group == g) & (length > s)
            brute += _brute_depth(list(start[live] + s), list(weight[live]))
    exact = element_depth(group, start, length, weight, steps, HW)
    assert exact.total == brute and exact.sampled_fraction == 1.0
    sampled = element_depth(group, start, length, weight, steps,
                            replace(HW, depth_budget=int(length.sum()) // 5))
    assert sampled.sampled_fraction < 0.5
    assert abs(sampled.total - brute) <= max(sampled.error_bound * 1.5, 0.05 * brute)


def test_outer_product_same_column_requests_queue_on_one_bank() -> None:
    """Multipliers holding one A column ask for the same B element: the step costs 64."""
    import scipy.sparse as sp

    from flexsa.sparse.config import Dataflow
    from flexsa.sparse.engine import simulate
    from flexsa.sparse.formats import make_problem

    a = sp.csr_matrix(np.ones((64, 1)))
    b = sp.csr_matrix(np.ones((1, 10)))
    _, result = simulate(make_problem(a, b), Dataflow.OP_M, HW)
    assert result.terms.stream_depth == 10 * 64 and result.steps == 10


def test_realise_matches_both_marginals() -> None:
    rng = np.random.default_rng(3)
    for density in (0.05, 0.5, 0.9, 1.0):
        base = generate_problem(40, 30, 70, int(density * 40 * 70), 10, seed=4).a
        rows, cols = np.diff(base.indptr), np.bincount(base.indices, minlength=70)
        made = realise(rows, cols, rng)
        assert (np.diff(made.indptr) == rows).all()
        assert (np.bincount(made.indices, minlength=70) == cols).all()
        assert made.has_sorted_indices and made.nnz == base.nnz


def test_unrealisable_marginals_are_refused() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(WorkloadError, match="larger than the number of columns"):
        realise(np.array([5, 0]), np.array([1, 1, 1, 2]), rng)
    with pytest.raises(WorkloadError, match="must be equal"):
        realise(np.array([1, 1]), np.array([1, 0, 0]), rng)
    with pytest.raises(WorkloadError, match="Gale-Ryser"):
        realise(np.array([3, 1]), np.array([2, 2, 0]), rng)  # row 0 needs 3 usable columns
    counts = random_counts(100, 7, 20, rng)
    assert counts.sum() == 100 and counts.max() <= 20


def test_layer_folder_round_trip_and_errors(tmp_path: Path) -> None:
    problem = generate_problem(9, 13, 11, 40, 60, seed=5)
    folder = tmp_path / "bench_X_0" / "layer_data"
    write_layer_dir(problem, folder, "bench_X_0")
    loaded = load_layer_dir(tmp_path / "bench_X_0")
    assert (loaded.a != (problem.a != 0).astype(float)).nnz == 0
    assert (loaded.b != (problem.b != 0).astype(float)).nnz == 0
    (folder / "A_csr_rowpointer.in").write_text("0,1,2,")
    with pytest.raises(WorkloadError, match="A_csr_rowpointer.in.*expected 10"):
        load_layer_dir(folder)
    write_layer_dir(problem, folder)
    (folder / "B_csr_colpointer.in").write_text(",".join(["99"] * 60) + ",")
    with pytest.raises(WorkloadError, match="B_csr_colpointer.in.*out of range"):
        load_layer_dir(folder)
    for name in ("B_csr_colpointer.in", "B_csc_rowpointer.in"):
        (folder / name).unlink()
    with pytest.raises(WorkloadError, match="missing B_csr_rowpointer"):
        load_layer_dir(folder)
    (folder / "layer_info.json").write_text('{"M": 9, "N": "x", "K": 11}')
    with pytest.raises(WorkloadError, match="field N"):
        load_layer_dir(folder)


def test_every_dataflow_runs_on_a_layer_folder(tmp_path: Path) -> None:
    from flexsa.sparse.engine import simulate

    problem = generate_problem(20, 30, 25, 150, 300, seed=6)
    write_layer_dir(problem, tmp_path)
    loaded = load_layer_dir(tmp_path)
    for flow in ALL_DATAFLOWS:
        c, result = simulate(loaded, flow, HW)
        assert result.cycles > 0
        np.testing.assert_array_equal(c.toarray(), loaded.a.toarray() @ loaded.b.toarray())


def test_range_depth_keeps_the_shape_of_its_inputs() -> None:
    lo = np.tile(np.arange(32), (4, 1))
    hi = lo + np.array([[10], [100], [2000], [0]])
    depth = range_depth(lo, hi, HW)
    assert depth.shape == (4, 32)
    assert depth[3].sum() == 0 and (depth[2] >= 64).all()


def test_cli_layer_dir_and_operands_dir(tmp_path: Path, capsys) -> None:
    import json

    from flexsa.cli import main

    problem = generate_problem(8, 12, 10, 30, 50, seed=7)
    write_layer_dir(problem, tmp_path / "bench_X_0" / "layer_data")
    with pytest.raises(SystemExit) as done:
        main(["sparse", "simulate", "-d", "OP_M", "--layer-dir", str(tmp_path / "bench_X_0"),
              "--json"])
    assert done.value.code in (0, None)
    payload = json.loads(capsys.readouterr().out)
    assert payload["results"][0]["c_max_abs_error"] == 0.0
    (tmp_path / "bench_X_0" / "layer_data" / "A_csr_colpointer.in").write_text("x,")
    with pytest.raises(SystemExit) as failed:
        main(["sparse", "simulate", "-d", "OP_M", "--layer-dir", str(tmp_path / "bench_X_0")])
    err = capsys.readouterr().err.strip().splitlines()
    assert failed.value.code == 2 and len(err) == 1 and "A_csr_colpointer.in" in err[0]
    with pytest.raises(SystemExit) as none:
        main(["reproduce", "flexagon", "--out", str(tmp_path / "o"), "--operands",
              str(tmp_path / "empty")])
    err = capsys.readouterr().err.strip().splitlines()
    assert none.value.code == 2 and len(err) == 1 and "--operands" in err[0]


def test_layers_read_their_artifact_folders(tmp_path: Path) -> None:
    from flexsa.sparse.layers import attach_layer_dirs, load_layers

    layers = [ly for ly in load_layers() if ly.model == "MobileBert"][:2]
    first = layers[0]
    problem = generate_problem(first.m, first.n, first.k, 100, 120, seed=8)
    write_layer_dir(problem, tmp_path / first.model / f"bench_{first.model}_{first.layer}"
                    / "layer_data")
    attached = attach_layer_dirs(layers, tmp_path)
    assert attached[0].layer_dir is not None and attached[1].layer_dir is None
    loaded = attached[0].problem(seed=0)
    assert loaded.a.nnz == 100 and loaded.b.nnz == 120
    assert attached[0].signature != layers[0].signature
    wrong = replace(attached[0], m=first.m + 1)
    with pytest.raises(WorkloadError, match="M, N, K"):
        wrong.problem(seed=0)
