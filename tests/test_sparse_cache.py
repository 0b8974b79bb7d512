"""The vectorised set-associative LRU model against a plain per-access LRU."""

from __future__ import annotations

import numpy as np
import pytest

from flexsa.sparse.cache import (
    compiled_lru_available,
    cyclic_misses,
    reference_lru,
    simulate_lru,
)

ENGINES = ["numpy"] + (["numba"] if compiled_lru_available() else [])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("seed", range(6))
def test_lru_matches_reference(seed: int, engine: str) -> None:
    rng = np.random.default_rng(seed)
    n_sets, ways = int(rng.choice([1, 4, 8])), int(rng.choice([1, 2, 4]))
    trace = rng.integers(0, 40, size=400)
    if seed % 2:  # add streams and immediate repeats
        trace = np.concatenate([trace, np.arange(100, 180), np.repeat(np.arange(5), 3)])
    outcome = simulate_lru(trace, n_sets, ways, engine=engine)
    assert outcome.sampled_fraction == 1.0
    np.testing.assert_array_equal(outcome.miss > 0, reference_lru(trace, n_sets, ways))


def test_sets_that_fit_have_compulsory_misses_only() -> None:
    trace = np.tile(np.arange(16), 5)
    for engine in ENGINES:
        assert simulate_lru(trace, 4, 4, engine=engine).misses == 16


def test_set_sampling_estimates_misses() -> None:
    rng = np.random.default_rng(1)
    trace = rng.integers(0, 4000, size=60000)
    exact = reference_lru(trace, 64, 4).sum()
    sampled = simulate_lru(trace, 64, 4, budget=20000, seed=3, engine="numpy")
    assert sampled.sampled_fraction < 1.0
    assert abs(sampled.misses - exact) / exact < 0.05


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("size", [10, 33, 70])
def test_cyclic_misses_match_repeated_trace(size: int, engine: str) -> None:
    rng = np.random.default_rng(size)
    trace = np.sort(rng.integers(0, size, size=size * 2))  # sequential with repeats
    passes = 4
    first, later = cyclic_misses(trace, passes, 4, 4, engine=engine)
    full = reference_lru(np.tile(trace, passes), 4, 4)
    assert first.sum() == full[:trace.size].sum()
    assert later.sum() == full[trace.size:2 * trace.size].sum()
    assert (passes - 1) * later.sum() == full[trace.size:].sum()


def test_engine_numpy_and_compiled_agree_on_a_layer() -> None:
    from flexsa.sparse.config import Dataflow, reference_config
    from flexsa.sparse.engine import simulate
    from flexsa.sparse.formats import generate_problem

    if not compiled_lru_available():
        pytest.skip("numba not installed")
    problem = generate_problem(64, 900, 300, 6000, 120000, seed=9)  # B ~480 KB, gathers
    for flow in (Dataflow.GUST_M, Dataflow.OP_M, Dataflow.IP_M):
        fast = simulate(problem, flow, reference_config(lru_engine="numba"))[1]
        slow = simulate(problem, flow, reference_config(lru_engine="numpy"))[1]
        assert fast.cache_misses == slow.cache_misses
        assert fast.cycles == slow.cycles
