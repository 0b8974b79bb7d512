"""The reference profile's cost terms on cheaply estimated features (for the predictor).

Every term of the cost models (:mod:`~flexsa.sparse.inner`, :mod:`~flexsa.sparse.outer`,
:mod:`~flexsa.sparse.gustavson`) is evaluated here, but on features costing O(nnz) index
arithmetic: fills, batches, units and step counts are exact (they need only the operands'
pointers); the bank-conflict depth and the DRAM round trips, which the cost models count per
element and with an LRU simulation, are replaced by their expectations (rows at random bank
offsets, footprint-based misses); C's row sizes by ``N (1 - exp(-products / N))``.
No SpGEMM, no cache simulation, no per-element counting.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.sparse as sp

from flexsa.sparse.assemble import merge_rows
from flexsa.sparse.banks import range_depth
from flexsa.sparse.config import HardwareConfig
from flexsa.sparse.fibers import ceil_div, chunks, greedy_pack, segment_reduce
from flexsa.sparse.profiles import ReferenceTiming


def expected_rounds(steps: np.ndarray, missing_lines: np.ndarray) -> np.ndarray:
    """Expected DRAM rounds of a group: missing lines fall on random steps; lines needed at
    the same step share a round."""
    steps = np.maximum(np.asarray(steps, dtype=np.float64), 1.0)
    missing = np.asarray(missing_lines, dtype=np.float64)
    return steps * (1.0 - np.exp(-missing / steps))


@lru_cache(maxsize=4)
def _max_load_table(balls: int, bins: int, trials: int = 400) -> np.ndarray:
    """Expected largest bin of ``a`` balls thrown into ``bins`` bins, a = 0..balls (seeded)."""
    rng = np.random.default_rng(0)
    table = np.zeros(balls + 1)
    for a in range(1, balls + 1):
        throws = rng.integers(0, bins, size=(trials, a))
        counts = np.zeros((trials, bins), dtype=np.int64)
        np.add.at(counts, (np.repeat(np.arange(trials), a), throws.ravel()), 1)
        table[a] = counts.max(axis=1).mean()
    return table


def _active_depth(group: np.ndarray, length: np.ndarray, per_active: np.ndarray) -> np.ndarray:
    """Sum over a group's steps of ``per_active[i]`` (i = rows still streaming at that step)."""
    order = np.lexsort((-length, group))
    g, ln = group[order], length[order].astype(np.float64)
    first = np.r_[True, g[1:] != g[:-1]]
    rank = np.arange(g.size) - np.maximum.accumulate(np.where(first, np.arange(g.size), 0))
    nxt = np.r_[ln[1:], 0.0]
    nxt[np.r_[g[1:] != g[:-1], True]] = 0.0
    value = per_active[np.minimum(rank, per_active.size - 1)]
    return np.bincount(g, weights=(ln - nxt) * value, minlength=int(g.max()) + 1 if g.size
                       else 0)


def inner_estimate(a: sp.csr_matrix, b: sp.csr_matrix, hw: HardwareConfig) -> float:
    timing = ReferenceTiming()
    chunk_len, _ = chunks(np.diff(a.indptr), hw.n_mult)
    batch_nnz = np.bincount(greedy_pack(chunk_len, hw.n_mult), weights=chunk_len).astype(
        np.int64) if chunk_len.size else np.zeros(0, dtype=np.int64)
    n_out, e = b.shape[1], hw.elements_per_line
    ks = a.indices.astype(np.int64)
    rows_cum = np.r_[0, np.cumsum(np.diff(b.indptr))]
    requests = (rows_cum[segment_reduce(np.maximum, ks, batch_nnz) + 1] -
                rows_cum[segment_reduce(np.minimum, ks, batch_nnz)]).astype(np.float64)
    per_step = requests / max(1, n_out)
    offsets = np.arange(e)
    lo = np.repeat(offsets[None, :], per_step.size, axis=0)
    depth = range_depth(lo, lo + np.rint(per_step)[:, None].astype(np.int64), hw).mean(axis=1)
    nonempty = n_out * (1.0 - np.exp(-per_step))
    thrash = requests * hw.element_bytes > hw.cache_bytes
    lines_b = float(ceil_div(int(b.nnz) * hw.element_bytes, hw.cache_line_bytes))
    rounds = float((nonempty * thrash).sum()) + min(float(n_out), lines_b)
    fill = timing.fill(np.cumsum(batch_nnz) - batch_nnz, batch_nnz, hw)
    return float(fill + batch_nnz.size * n_out * hw.step_cycles + n_out * depth.sum()
                 + rounds * hw.dram_latency_cycles + batch_nnz.size * hw.tree_levels)


def outer_estimate(a: sp.csr_matrix, b: sp.csr_matrix, c_row: np.ndarray,
                   hw: HardwareConfig) -> float:
    timing = ReferenceTiming()
    a_csc = a.tocsc()
    nnz = int(a.nnz)
    ks = np.repeat(np.arange(a.shape[1]), np.diff(a_csc.indptr))
    batch = np.arange(nnz) // hw.n_mult
    first = np.flatnonzero(np.r_[True, (ks[1:] != ks[:-1]) | (batch[1:] != batch[:-1])]) \
        if nnz else np.zeros(0, dtype=np.int64)
    weight = np.diff(np.r_[first, nnz]).astype(np.float64)
    b_len = np.diff(b.indptr)[ks[first]]
    group = batch[first]
    depth = _weighted_active_depth(group, b_len, weight)
    steps = np.zeros(int(group.max()) + 1 if group.size else 0)
    np.maximum.at(steps, group, b_len)
    lines = np.bincount(group, weights=ceil_div(b_len, hw.elements_per_line) + 1,
                        minlength=steps.size)
    rounds = expected_rounds(steps, lines).sum()
    starts = np.arange(0, nnz, hw.n_mult)
    fill = timing.fill(starts, np.diff(np.r_[starts, nnz]), hw)
    has_b = (np.diff(b.indptr) > 0).astype(np.int64)
    rows = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    fibers = np.bincount(rows, weights=has_b[a.indices], minlength=a.shape[0])
    prod_row = np.bincount(rows, weights=np.diff(b.indptr)[a.indices], minlength=a.shape[0])
    merge = merge_rows(fibers, prod_row, np.rint(c_row), hw)[0]
    return float(fill + steps.sum() * hw.step_cycles + depth + rounds *
                 hw.dram_latency_cycles + merge)


def _weighted_active_depth(group: np.ndarray, length: np.ndarray, weight: np.ndarray) -> float:
    """Sum over steps of the largest weight among the rows still streaming (no collisions)."""
    if group.size == 0:
        return 0.0
    order = np.lexsort((-length, group))
    g, ln, w = group[order], length[order].astype(np.float64), weight[order]
    offset = g.astype(np.float64) * (w.max() + 1.0)
    run_max = np.maximum.accumulate(w + offset) - offset  # prefix max inside each group
    nxt = np.r_[ln[1:], 0.0]
    nxt[np.r_[g[1:] != g[:-1], True]] = 0.0
    return float(((ln - nxt) * run_max).sum())


def gustavson_estimate(a: sp.csr_matrix, b: sp.csr_matrix, c_row: np.ndarray,
                       hw: HardwareConfig) -> float:
    timing = ReferenceTiming()
    a_row_len = np.diff(a.indptr)
    chunk_len, _ = chunks(a_row_len, hw.n_mult)
    unit = np.repeat(np.arange(chunk_len.size), chunk_len)
    b_len = np.diff(b.indptr)[a.indices].astype(np.int64)
    table = _max_load_table(hw.n_mult, hw.n_banks)
    depth = _active_depth(unit, b_len, table[1:]).sum() if unit.size else 0.0
    steps = segment_reduce(np.maximum, b_len, chunk_len).astype(np.float64)
    lines = np.bincount(unit, weights=ceil_div(b_len, hw.elements_per_line) + 1,
                        minlength=chunk_len.size)
    b_bytes = int(b.nnz) * hw.element_bytes
    if b_bytes <= hw.cache_bytes:  # compulsory only: the part of B not yet touched
        before = np.cumsum(lines) - lines
        lines = lines * np.exp(-before / max(1.0, b_bytes / hw.cache_line_bytes))
    rounds = expected_rounds(steps, lines).sum()
    fill = timing.fill(np.cumsum(chunk_len) - chunk_len, chunk_len, hw)
    n_chunks = np.where(a_row_len > 0, ceil_div(a_row_len, hw.n_mult), 0)
    rows = np.repeat(np.arange(a.shape[0]), a_row_len)
    prod_row = np.bincount(rows, weights=b_len, minlength=a.shape[0])
    merge = merge_rows(np.where(n_chunks > 1, n_chunks, 0), prod_row, np.rint(c_row), hw)[0]
    # the root drains each unit's merged fibre at one element per cycle
    chunk_products = segment_reduce(np.add, b_len, chunk_len).astype(np.float64)
    chunk_c = np.repeat(c_row, n_chunks)
    drain = np.minimum(chunk_products, chunk_c * (1.0 - np.exp(
        -chunk_products / np.maximum(chunk_c, 1.0)))).sum()
    return float(fill + steps.sum() * hw.step_cycles + depth + rounds *
                 hw.dram_latency_cycles + merge + drain)
