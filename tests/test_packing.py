"""Column combining: grouping invariants, worked example, metrics, reference greedy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from flexsa.packing import ArrayShape, PackingConfig, PackingError, pack, packing_metrics

# Worked example (hand-computed in docs/column-combining.md): rows=4, alpha=4, gamma=0.25
# gives a budget of int(0.25 * 4) = 1 conflict per group.
WORKED = np.array([[1, 0, -5, 2],
                   [0, 3, 0, 0],
                   [4, 0, 0, 0],
                   [0, -2, 1, 0]], dtype=float)


def test_worked_example_golden() -> None:
    packing = pack(WORKED, PackingConfig(alpha=4, gamma=0.25))
    assert packing.groups == ((0, 1, 3), (2,))
    np.testing.assert_array_equal(packing.packed, [[2, -5], [3, 0], [4, 0], [-2, 1]])
    np.testing.assert_array_equal(packing.control, [[2, 0], [1, 0], [0, 0], [1, 0]])
    metrics = packing_metrics(packing, ArrayShape(2, 2))
    assert (metrics.nnz_before, metrics.nnz_after) == (7, 6)
    assert metrics.utilization_before == pytest.approx(7 / 16)
    assert metrics.utilization_after == pytest.approx(6 / 8)
    assert metrics.conflict_pruned_fraction == pytest.approx(1 / 7)
    assert (metrics.tiles_before, metrics.tiles_after) == (4, 2)


def test_worked_example_without_conflicts() -> None:
    packing = pack(WORKED, PackingConfig(alpha=4, gamma=0.0))
    assert packing.groups == ((0, 1), (2,), (3,))
    assert packing.nnz_after == packing.nnz_before == 7


def test_alpha_one_is_identity_and_zero_columns_dropped() -> None:
    weights = np.array([[1.0, 0, 2], [0, 0, 3]])
    packing = pack(weights, PackingConfig(alpha=1))
    assert packing.groups == ((0,), (2,))
    assert packing.dropped_zero_columns == (1,)
    np.testing.assert_array_equal(packing.packed, [[1, 2], [0, 3]])


def test_sections_keep_groups_inside() -> None:
    rng = np.random.default_rng(3)
    weights = rng.standard_normal((20, 50)) * (rng.random((20, 50)) < 0.1)
    packing = pack(weights, PackingConfig(alpha=8, gamma=0.2, section=16))
    for group in packing.groups:
        assert len({c // 16 for c in group}) == 1
    assert len(pack(weights, PackingConfig(alpha=8, gamma=0.2)).groups) <= len(packing.groups)


def reference_groups(weights: np.ndarray, alpha: int, gamma: float) -> list[list[int]]:
    """The spec's greedy, literally: all pairs of groups, lowest feasible group first."""
    support = weights != 0
    rows = int(support.any(axis=1).sum())
    budget = int(gamma * rows)
    groups = [[c] for c in range(weights.shape[1]) if support[:, c].any()]
    counts = [support[:, g].sum(axis=1) for g in groups]
    while True:
        best = None
        for g in range(len(groups)):
            for h in range(len(groups)):
                if h == g or len(groups[g]) + len(groups[h]) > alpha:
                    continue
                merged = counts[g] + counts[h]
                if np.maximum(merged - 1, 0).sum() > budget:
                    continue
                score = int((merged == 0).sum())
                if best is None or score < best[1]:
                    best = (h, score)
            if best is not None:
                break
        if best is None:
            return [sorted(g) for g in groups]
        h = best[0]
        groups[g] = groups[g] + groups[h]
        counts[g] = counts[g] + counts[h]
        del groups[h], counts[h]


matrices = st.tuples(st.integers(1, 12), st.integers(1, 24), st.floats(0.05, 0.6),
                     st.integers(0, 10_000))


def _random(rows: int, cols: int, density: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.round(rng.standard_normal((rows, cols)), 3) * (rng.random((rows, cols)) < density)


@settings(max_examples=60, deadline=None)
@given(matrices, st.integers(1, 8), st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0]))
def test_matches_reference_greedy(shape, alpha: int, gamma: float) -> None:
    weights = _random(*shape)
    packing = pack(weights, PackingConfig(alpha=alpha, gamma=gamma))
    assert [list(g) for g in packing.groups] == reference_groups(weights, alpha, gamma)


@settings(max_examples=60, deadline=None)
@given(matrices, st.integers(1, 8), st.floats(0.0, 1.5), st.sampled_from([0, 5]))
def test_packing_invariants(shape, alpha: int, gamma: float, section: int) -> None:
    weights = _random(*shape)
    rows, cols = weights.shape
    packing = pack(weights, PackingConfig(alpha=alpha, gamma=gamma, section=section))
    members = sorted(c for g in packing.groups for c in g)
    assert members == [c for c in range(cols) if c not in packing.dropped_zero_columns]
    for index, group in enumerate(packing.groups):
        assert 1 <= len(group) <= alpha
        block = weights[:, list(group)] != 0
        conflicts = np.maximum(block.sum(axis=1) - 1, 0).sum()
        assert conflicts <= int(gamma * rows)
        survivors = packing.mask[:, list(group)].sum(axis=1)
        np.testing.assert_array_equal(survivors, block.any(axis=1).astype(int))
        kept = np.abs(weights[:, list(group)]).max(axis=1)
        np.testing.assert_array_equal(np.abs(packing.packed[:, index]), kept)
    masked = np.where(packing.mask, weights, 0)
    np.testing.assert_array_equal(packing.packed.astype(bool).sum(), packing.mask.sum())
    inputs = np.random.default_rng(0).standard_normal((cols, 3))
    np.testing.assert_allclose(packing.multiply(inputs), masked @ inputs, atol=1e-9)
    assert (packing.control >= 0).all()
    assert all(packing.control[r, g] < len(packing.groups[g])
               for r in range(rows) for g in range(packing.packed_cols))


def test_scipy_sparse_input_matches_dense() -> None:
    weights = _random(30, 70, 0.15, 7)
    dense = pack(weights, PackingConfig(alpha=8, gamma=0.3, section=32))
    for sparse in (sp.csr_matrix(weights), sp.coo_matrix(weights), sp.csc_array(weights)):
        packed = pack(sparse, PackingConfig(alpha=8, gamma=0.3, section=32))
        assert packed.groups == dense.groups
        np.testing.assert_array_equal(packed.packed, dense.packed)
        np.testing.assert_array_equal(packed.control, dense.control)


def test_all_zero_matrix() -> None:
    packing = pack(np.zeros((3, 4)), PackingConfig())
    assert packing.packed_cols == 0 and packing.dropped_zero_columns == (0, 1, 2, 3)
    assert packing_metrics(packing, ArrayShape()).utilization_after == 0.0


@pytest.mark.parametrize("kwargs", [{"alpha": 0}, {"alpha": -3}, {"gamma": -0.1},
                                    {"gamma": float("nan")}, {"section": -1}, {"alpha": 2.5}])
def test_bad_config(kwargs) -> None:
    with pytest.raises(PackingError):
        PackingConfig(**kwargs)


@pytest.mark.parametrize("weights", [np.zeros((0, 3)), np.zeros((3, 0)), np.ones(4),
                                     np.ones((2, 2, 2)), np.array([["a", "b"]]),
                                     np.array([[1.0, np.nan]])])
def test_bad_weights(weights) -> None:
    with pytest.raises(PackingError):
        pack(weights, PackingConfig())


def test_huge_gamma_is_unlimited_budget() -> None:
    packing = pack(WORKED, PackingConfig(alpha=4, gamma=1e308))
    assert packing.groups == ((0, 1, 2, 3),)
    assert packing.nnz_after == 4  # one survivor per row
