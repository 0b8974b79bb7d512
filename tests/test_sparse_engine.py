"""Functional exactness of the six dataflows and the engine's counts."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from flexsa.sparse.config import ALL_DATAFLOWS, Dataflow, ideal_config, reference_config
from flexsa.sparse.engine import compute_c, simulate
from flexsa.sparse.fibers import chunks, greedy_pack
from flexsa.sparse.formats import generate_problem, make_problem

SHAPES = [(5, 7, 3, 10, 12), (16, 16, 32, 132, 235), (70, 9, 90, 3000, 400),
          (3, 100, 4, 0, 50), (40, 30, 20, 800, 600), (1, 1, 1, 1, 1)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("flow", ALL_DATAFLOWS)
def test_every_dataflow_computes_c_exactly(shape: tuple[int, ...], flow: Dataflow) -> None:
    m, n, k, nnz_a, nnz_b = shape
    problem = generate_problem(m, n, k, nnz_a, nnz_b, seed=sum(shape))
    expected = (problem.a.toarray() @ problem.b.toarray())
    for hw in (reference_config(), ideal_config()):
        c, result = simulate(problem, flow, hw)
        np.testing.assert_array_equal(c.toarray(), expected)
        assert result.cycles == result.multiply_cycles + result.merge_cycles + \
            result.other_cycles
        assert result.cycles > 0
        assert result.c_nnz == np.count_nonzero(expected) or nnz_a == 0


def test_scipy_fallback_above_expand_limit() -> None:
    problem = generate_problem(20, 20, 20, 100, 100, seed=3)
    expected = (problem.a @ problem.b).toarray()
    for flow in ALL_DATAFLOWS:
        np.testing.assert_array_equal(compute_c(problem, flow, expand_limit=0).toarray(),
                                      expected)


def test_cancellation_is_exact() -> None:
    a = np.array([[1.0, -1.0]])
    b = np.array([[2.0], [2.0]])
    problem = make_problem(a, b)
    for flow in ALL_DATAFLOWS:
        c, result = simulate(problem, flow, reference_config())
        assert c.nnz == 0
        assert result.products == 2


def test_outer_product_counts() -> None:
    problem = generate_problem(16, 16, 32, 132, 235, seed=1)
    _, op = simulate(problem, Dataflow.OP_M, reference_config())
    a_col = np.diff(problem.a.tocsc().indptr)
    b_row = np.diff(problem.b.indptr)
    assert op.products == int(a_col @ b_row)
    assert op.traffic.psram_writes == op.products  # every product is a partial-sum element
    assert op.traffic.psram_reads == op.products
    assert op.stationary_fills == -(-problem.a.nnz // 64)
    _, gust = simulate(problem, Dataflow.GUST_M, reference_config())
    assert gust.merge_cycles == 0  # rows shorter than 64 merge on the fly
    assert gust.traffic.psram_writes == 0


def test_long_rows_fold_and_merge_in_passes() -> None:
    problem = generate_problem(2, 50, 200, 300, 5000, seed=2)  # rows of ~150 > 64
    _, gust = simulate(problem, Dataflow.GUST_M, reference_config())
    assert gust.merge_cycles > 0 and gust.traffic.psram_writes > 0
    _, ip = simulate(problem, Dataflow.IP_M, reference_config())
    assert ip.stationary_fills >= 6  # three chunks per row, one row's chunks cannot share


def test_psram_spills_counted_and_timed_in_ideal_profile() -> None:
    problem = generate_problem(64, 256, 64, 2000, 8000, seed=4)
    small = ideal_config(psram_bytes=1024)
    big = ideal_config(psram_bytes=1 << 30)
    _, spilled = simulate(problem, Dataflow.OP_M, small)
    _, fits = simulate(problem, Dataflow.OP_M, big)
    assert spilled.psram_spill_bytes == spilled.products * 4 - 1024
    assert fits.psram_spill_bytes == 0
    assert spilled.cycles > fits.cycles
    assert spilled.traffic.dram_write_bytes > fits.traffic.dram_write_bytes


def test_inner_product_restreams_b_and_misses_when_b_is_large() -> None:
    problem = generate_problem(128, 600, 600, 8000, 300000, seed=5)  # B: 1.2 MB > 1 MiB
    _, ip = simulate(problem, Dataflow.IP_M, reference_config())
    assert ip.cache_miss_rate > 0.5
    small = generate_problem(128, 60, 60, 800, 3000, seed=5)  # B fits
    _, ip_small = simulate(small, Dataflow.IP_M, reference_config())
    lines = -(-3000 * 4 // 128)
    assert ip_small.cache_misses <= lines + 60


def test_n_variant_is_m_variant_of_transpose() -> None:
    problem = generate_problem(12, 30, 20, 100, 200, seed=6)
    hw = reference_config()
    _, n_result = simulate(problem, Dataflow.GUST_N, hw)
    t = problem.transposed()
    _, m_result = simulate(t, Dataflow.GUST_M, hw)
    assert n_result.cycles == m_result.cycles


def _reference_pack(lengths: np.ndarray, capacity: int) -> np.ndarray:
    out, batch, used = [], 0, 0
    for length in lengths:
        if used + length > capacity:
            batch, used = batch + 1, 0
        used += length
        out.append(batch)
    return np.array(out, dtype=np.int64)


def test_greedy_pack_matches_sequential_packing() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        lengths = rng.integers(1, 65, size=int(rng.integers(1, 120)))
        np.testing.assert_array_equal(greedy_pack(lengths, 64), _reference_pack(lengths, 64))


def test_chunks_split_long_fibres() -> None:
    lengths, owner = chunks(np.array([0, 130, 64, 5]), 64)
    assert lengths.tolist() == [64, 64, 2, 64, 5]
    assert owner.tolist() == [1, 1, 1, 2, 3]


def test_matrix_inputs_are_validated() -> None:
    from flexsa.errors import WorkloadError

    with pytest.raises(WorkloadError, match="inner dimensions"):
        make_problem(np.ones((2, 3)), np.ones((4, 2)))
    with pytest.raises(WorkloadError, match="nnz of A"):
        generate_problem(2, 2, 2, 5, 1)
    assert make_problem(sp.eye(3), sp.eye(3)).n == 3


def test_miss_rounds_share_a_step() -> None:
    from flexsa.sparse.banks import miss_rounds as _miss_rounds

    hw = reference_config()  # 32 elements per line
    # two fibres starting at elements 0 and 40: lines 0,1 (fibre 0) and 1,2 (fibre 1)
    lines = np.array([0, 1, 1, 2])
    start = np.array([0, 0, 40, 40])
    miss = np.array([1.0, 1.0, 0.0, 1.0])  # line 1 missed by fibre 0's access only
    group = np.zeros(4, dtype=np.int64)
    rounds = _miss_rounds(miss, lines, start, group, 1, np.array([60]), True, hw)
    # line 0 at step 0; line 1 is first needed by fibre 1 at step 0 (the round is shared);
    # line 2 at step 64 - 40 = 24: two rounds
    assert rounds.tolist() == [2]
    fallback = _miss_rounds(miss, lines, start, group, 1, np.array([2]), False, hw)
    assert fallback.tolist() == [2]  # min(steps, misses)


@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 12), n=st.integers(1, 12), k=st.integers(1, 90),
       density_a=st.floats(0.0, 1.0), density_b=st.floats(0.0, 1.0),
       seed=st.integers(0, 10_000))
def test_random_problems_exact_for_every_dataflow(m: int, n: int, k: int, density_a: float,
                                                  density_b: float, seed: int) -> None:
    problem = generate_problem(m, n, k, int(density_a * m * k), int(density_b * k * n),
                               seed=seed)
    expected = problem.a.toarray() @ problem.b.toarray()
    for flow in ALL_DATAFLOWS:
        c, result = simulate(problem, flow, reference_config())
        np.testing.assert_array_equal(c.toarray(), expected)
        assert result.products == int(np.diff(problem.a.tocsc().indptr) @ np.diff(
            problem.b.indptr))
