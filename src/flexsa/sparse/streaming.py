"""The streaming phase shared by the outer-product and Gustavson cost models.

Both stream whole fibres (rows) of B: in a group (an OP batch or a Gustavson unit) every mapped
(group, k) pair reads row k of B one element per step. This module derives, per group, the
step count (longest row), the elements and products, the streamed-cache line trace and its
LRU outcome, the DRAM round trips, and (lazily, it is the expensive part) the bank-conflict
depth of the steps (:mod:`flexsa.sparse.banks`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from flexsa.sparse.banks import DepthEstimate, element_depth, miss_rounds
from flexsa.sparse.cache import CacheOutcome, simulate_lru
from flexsa.sparse.config import HardwareConfig
from flexsa.sparse.fibers import ranges


@dataclass(frozen=True)
class Stream:
    """Per group: steps, requested elements, products, outputs, DRAM rounds and misses."""

    steps: np.ndarray
    distinct: np.ndarray  # elements requested from the cache (explicit zeros excluded)
    products: np.ndarray
    outputs: np.ndarray
    rounds: np.ndarray  # DRAM round trips (steps that wait for a missing line)
    misses: np.ndarray  # missing lines
    accesses: int  # line accesses of the trace
    cache_sampled_fraction: float
    depth: Callable[[], DepthEstimate] = field(repr=False)


def line_span(start: np.ndarray, length: np.ndarray, hw: HardwareConfig) -> tuple[
        np.ndarray, np.ndarray]:
    """First line and number of lines of fibres stored at element offsets ``start``."""
    eb, lb = hw.element_bytes, hw.cache_line_bytes
    first = (np.asarray(start, dtype=np.int64) * eb) // lb
    last = ((np.asarray(start, dtype=np.int64) + length) * eb - 1) // lb
    count = np.where(length > 0, last - first + 1, 0)
    return first.astype(np.int64), count.astype(np.int64)


def row_stream(pair_group: np.ndarray, pair_k: np.ndarray, pair_weight: np.ndarray,
               n_groups: int, b: sp.csr_matrix, hw: HardwareConfig,
               outputs: np.ndarray | None = None) -> Stream:
    """Stream rows ``pair_k`` of ``b`` in groups ``pair_group`` (sorted), ``pair_weight``
    multipliers per row."""
    b_row_len = np.diff(b.indptr)
    pair_len = b_row_len[pair_k].astype(np.int64)
    pair_start = b.indptr[pair_k].astype(np.int64)
    steps = np.zeros(n_groups, dtype=np.int64)
    np.maximum.at(steps, pair_group, pair_len)
    distinct = np.bincount(pair_group, weights=pair_len, minlength=n_groups).astype(np.int64)
    products = np.bincount(pair_group, weights=pair_len * pair_weight,
                           minlength=n_groups).astype(np.int64)
    row_first, row_lines = line_span(b.indptr[:-1], b_row_len, hw)
    accesses = int(row_lines[pair_k].sum())
    traced = _traced_pairs(pair_k, row_first, row_lines, b.shape[0], hw)
    lines = ranges(row_first[pair_k[traced]], row_lines[pair_k[traced]])
    owner = traced[np.repeat(np.arange(traced.size), row_lines[pair_k[traced]])]
    outcome: CacheOutcome = simulate_lru(lines, hw.cache_sets, hw.cache_ways, hw.lru_budget,
                                         hw.seed, hw.lru_engine)
    access_group = pair_group[owner]
    misses = np.bincount(access_group, weights=outcome.miss, minlength=n_groups)
    rounds = miss_rounds(outcome.miss, lines, pair_start[owner], access_group, n_groups,
                         steps, outcome.sampled_fraction == 1.0, hw)

    def depth() -> DepthEstimate:
        return element_depth(pair_group, pair_start, pair_len, pair_weight, steps, hw)

    return Stream(steps=steps, distinct=distinct, products=products,
                  outputs=np.zeros(n_groups, dtype=np.int64) if outputs is None else outputs,
                  rounds=rounds, misses=misses, accesses=accesses,
                  cache_sampled_fraction=outcome.sampled_fraction, depth=depth)


def _traced_pairs(pair_k: np.ndarray, row_first: np.ndarray, row_lines: np.ndarray,
                  n_rows: int, hw: HardwareConfig) -> np.ndarray:
    """Pairs whose line accesses go through the LRU model.

    When no cache set ever holds more distinct lines of the streamed operand than it has ways,
    LRU never evicts: only the first access of every line misses. The first access of a line
    of row k is by the first pair reading row k (or its neighbour sharing the boundary line),
    so tracing only the first pair of every row gives the exact misses (and rounds) with a
    trace of nnz / elements-per-line lines instead of one per pair.
    """
    every = np.arange(pair_k.size)
    if n_rows == 0 or pair_k.size == 0:
        return every
    all_lines = ranges(row_first, row_lines)
    distinct = np.unique(all_lines)
    per_set = np.bincount(distinct % hw.cache_sets, minlength=hw.cache_sets)
    if int(per_set.max()) > hw.cache_ways:
        return every
    _, first = np.unique(pair_k, return_index=True)
    return np.sort(first)
