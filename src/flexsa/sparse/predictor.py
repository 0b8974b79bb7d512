"""Cheap dataflow predictor: pick IP/OP/Gust (M) without simulating them.

It evaluates the engine's timing formulas on features that cost O(nnz) index arithmetic and
no sparse-sparse product and no cache simulation:

* fibre lengths (``indptr`` differences), greedy batch packing of A rows, the longest B row
  each OP batch / Gustavson row touches (``maximum.reduceat``), products per output row
  (``bincount``);
* C's row nnz estimated under independence: ``N (1 - exp(-products_row / N))``;
* streamed-cache misses estimated from footprints: compulsory lines when the streamed operand
  fits in the cache, otherwise every re-use misses (IP re-stream, Gustavson gather).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from flexsa.sparse.config import M_DATAFLOWS, Dataflow, HardwareConfig, Profile
from flexsa.sparse.engine import _ceil_div, _chunks, _greedy_pack


@dataclass(frozen=True)
class Prediction:
    best: Dataflow
    estimates: dict[Dataflow, float]


def predict(a: sp.csr_matrix, b: sp.csr_matrix, hw: HardwareConfig) -> Prediction:
    """Estimated cycles of IP_M, OP_M and Gust_M and the predicted best."""
    a_row_len = np.diff(a.indptr)
    b_row_len = np.diff(b.indptr)
    n_out = b.shape[1]
    a_col_len = np.bincount(a.indices, minlength=a.shape[1])
    lines_b = int(_ceil_div(int(b.nnz) * hw.element_bytes, hw.cache_line_bytes))
    fits = int(b.nnz) * hw.element_bytes <= hw.cache_bytes
    step = 1 + hw.step_cycles if hw.profile is Profile.REFERENCE else 1
    lat = hw.dram_latency_cycles
    fill_per_nnz = hw.stationary_element_cycles
    rows = np.repeat(np.arange(a.shape[0]), a_row_len)
    b_len = b_row_len[a.indices].astype(np.int64)
    prod_row = np.bincount(rows, weights=b_len, minlength=a.shape[0])
    c_row = n_out * (1.0 - np.exp(-prod_row / max(1, n_out)))
    fill = fill_per_nnz * a.nnz

    chunk_len, _ = _chunks(a_row_len, hw.n_mult)
    batches = int(_greedy_pack(chunk_len, hw.n_mult)[-1]) + 1 if chunk_len.size else 0
    col_steps = n_out if hw.profile is Profile.REFERENCE else int((np.diff(
        b.tocsc().indptr) > 0).sum())
    # a column's lines are requested in one step: at most one DRAM round trip per column
    ip_miss_rounds = min(col_steps, lines_b) * (1 if fits else batches)
    ip = fill + batches * (col_steps * step + hw.step_cycles + lat + hw.tree_levels) + \
        ip_miss_rounds * lat

    ks = np.repeat(np.arange(a.shape[1]), a_col_len)
    starts = np.arange(0, a.nnz, hw.n_mult)
    op_steps = np.maximum.reduceat(b_row_len[ks], starts) if a.nnz else np.zeros(0)
    op_batches = starts.size
    batch_of = np.arange(a.nnz) // hw.n_mult
    first_pair = np.r_[True, (ks[1:] != ks[:-1]) | (batch_of[1:] != batch_of[:-1])] if \
        a.nnz else np.zeros(0, dtype=bool)
    pair_lines = _ceil_div(b_row_len[ks[first_pair]] * hw.element_bytes, hw.cache_line_bytes)
    lines_per_batch = np.bincount(batch_of[first_pair], weights=pair_lines,
                                  minlength=op_batches)
    op_miss_rounds = float(np.minimum(op_steps, lines_per_batch).sum())
    merge = float((c_row + hw.merge_row_overhead)[prod_row > 0].sum())
    op = fill + float(op_steps.sum()) * step + op_batches * (hw.step_cycles + lat) + \
        op_miss_rounds * lat + merge

    chunk_starts = np.cumsum(chunk_len) - chunk_len
    g_steps = np.maximum.reduceat(b_len, chunk_starts) if a.nnz else np.zeros(0, np.int64)
    line_per_nnz = _ceil_div(b_len * hw.element_bytes, hw.cache_line_bytes)
    g_lines = np.add.reduceat(line_per_nnz, chunk_starts) if a.nnz else np.zeros(0, np.int64)
    if fits:
        g_miss_rounds = min(float(lines_b), float(g_steps.sum()))
    else:
        miss_fraction = 1.0 - hw.cache_bytes / max(1, int(b.nnz) * hw.element_bytes)
        g_miss_rounds = float(np.minimum(g_steps, g_lines * miss_fraction).sum())
    units = int(chunk_len.size)
    long_rows = a_row_len > hw.n_mult
    gust_merge = float((c_row + hw.merge_row_overhead)[long_rows].sum())
    a_lines = int(_ceil_div(int(a.nnz) * hw.element_bytes, hw.cache_line_bytes))
    gust = fill + float(g_steps.sum()) * step + units * hw.step_cycles + min(
        units, a_lines) * lat + g_miss_rounds * lat + gust_merge
    estimates = {Dataflow.IP_M: float(ip), Dataflow.OP_M: float(op), Dataflow.GUST_M: float(gust)}
    best = min(M_DATAFLOWS, key=lambda flow: estimates[flow])
    return Prediction(best=best, estimates=estimates)
