"""Cheap dataflow predictor: pick IP/OP/Gust (M) without simulating them.

Reference profile: the cost models' own terms evaluated on estimated features
(:mod:`flexsa.sparse.estimate`). Ideal profile: the engine's pipelined formulas on features
that cost O(nnz) index arithmetic and no sparse-sparse product and no cache simulation:

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
from flexsa.sparse.estimate import gustavson_estimate, inner_estimate, outer_estimate
from flexsa.sparse.fibers import ceil_div as _ceil_div
from flexsa.sparse.fibers import chunks as _chunks
from flexsa.sparse.fibers import greedy_pack as _greedy_pack


@dataclass(frozen=True)
class Prediction:
    best: Dataflow
    estimates: dict[Dataflow, float]


def _row_products(a: sp.csr_matrix, a_row_len: np.ndarray, b_row_len: np.ndarray,
                  n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per nonzero of A, the length of the B row it multiplies; per row of A, the products
    and the expected output nonzeros ``n_out * (1 - exp(-products / n_out))``."""
    rows = np.repeat(np.arange(a.shape[0]), a_row_len)
    b_len = b_row_len[a.indices].astype(np.int64)
    prod_row = np.bincount(rows, weights=b_len, minlength=a.shape[0])
    return b_len, prod_row, n_out * (1.0 - np.exp(-prod_row / max(1, n_out)))


def predict(a: sp.csr_matrix, b: sp.csr_matrix, hw: HardwareConfig) -> Prediction:
    """Estimated cycles of IP_M, OP_M and Gust_M and the predicted best."""
    if hw.profile is Profile.IDEAL:
        return _predict_ideal(a, b, hw)
    n_out = b.shape[1]
    _, _, c_row = _row_products(a, np.diff(a.indptr), np.diff(b.indptr), n_out)
    estimates = {Dataflow.IP_M: inner_estimate(a, b, hw),
                 Dataflow.OP_M: outer_estimate(a, b, c_row, hw),
                 Dataflow.GUST_M: gustavson_estimate(a, b, c_row, hw)}
    best = min(M_DATAFLOWS, key=lambda flow: estimates[flow])
    return Prediction(best=best, estimates=estimates)


def _op_batches(a: sp.csr_matrix, b_row_len: np.ndarray, n_mult: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """OP batches of ``n_mult`` nonzeros of A in column order: their starts, steps (longest
    B row), products and distinct B elements streamed."""
    a_csc = a.tocsc()
    ks = np.repeat(np.arange(a.shape[1]), np.diff(a_csc.indptr))
    starts = np.arange(0, a.nnz, n_mult)
    if not a.nnz:
        return starts, np.zeros(0), np.zeros(0), np.zeros(0)
    op_steps = np.maximum.reduceat(b_row_len[ks], starts)
    op_prod = np.add.reduceat(b_row_len[ks], starts)
    batch_of = np.arange(a.nnz) // n_mult
    first = np.r_[True, (ks[1:] != ks[:-1]) | (batch_of[1:] != batch_of[:-1])]
    distinct = np.bincount(batch_of[first], weights=b_row_len[ks[first]],
                           minlength=starts.size)
    return starts, op_steps, op_prod, distinct


def _predict_ideal(a: sp.csr_matrix, b: sp.csr_matrix, hw: HardwareConfig) -> Prediction:
    """The ideal profile's pipelined formulas with the DRAM-bandwidth bound."""
    eb, lat, bw = hw.element_bytes, hw.dram_latency_cycles, hw.dram_bytes_per_cycle
    a_row_len = np.diff(a.indptr)
    b_row_len = np.diff(b.indptr)
    n_out = b.shape[1]
    b_bytes = int(b.nnz) * eb
    fits = b_bytes <= hw.cache_bytes
    b_len, prod_row, c_row = _row_products(a, a_row_len, b_row_len, n_out)
    c_bytes = float(c_row.sum()) * eb
    a_bytes = int(a.nnz) * eb

    chunk_len, chunk_row = _chunks(a_row_len, hw.n_mult)
    chunk_starts = np.cumsum(chunk_len) - chunk_len
    batch_of_chunk = _greedy_pack(chunk_len, hw.n_mult)
    batches = int(batch_of_chunk[-1]) + 1 if chunk_len.size else 0
    chunk_prod = np.add.reduceat(b_len, chunk_starts) if a.nnz else np.zeros(0, np.int64)
    chunk_steps = np.maximum.reduceat(b_len, chunk_starts) if a.nnz else np.zeros(0, np.int64)
    batch_prod = np.bincount(batch_of_chunk, weights=chunk_prod, minlength=batches)
    nonempty_cols = int((np.bincount(b.indices, minlength=n_out) > 0).sum())
    ip_passes = 1 if fits else max(1, batches)
    ip = float(np.maximum(nonempty_cols, np.ceil(batch_prod / hw.dn_bw)).sum()) + \
        batches * hw.tree_levels + lat * ip_passes
    ip = max(ip, (a_bytes + b_bytes * ip_passes + c_bytes) / bw)

    starts, op_steps, op_prod, distinct = _op_batches(a, b_row_len, hw.n_mult)
    products = float(prod_row.sum())
    spill = max(0.0, products * eb - hw.psram_bytes)
    merge = float((c_row + hw.merge_row_overhead)[prod_row > 0].sum())
    op = float(np.maximum.reduce([op_steps, np.ceil(distinct / hw.dn_bw),
                                  np.ceil(op_prod / hw.rn_bw)]).sum()) if a.nnz else 0.0
    op += starts.size * lat + merge + 2 * spill / bw
    op = max(op, (a_bytes + b_bytes + c_bytes + 2 * spill) / bw)

    unit_prod = batch_prod
    unit_steps = np.zeros(batches)
    np.maximum.at(unit_steps, batch_of_chunk, chunk_steps)
    unit_out = np.zeros(batches)
    single = np.bincount(chunk_row, minlength=a.shape[0]) == 1
    np.add.at(unit_out, batch_of_chunk, np.where(single[chunk_row], c_row[chunk_row], 0.0))
    gathered = float(_ceil_div(b_len * eb, hw.cache_line_bytes).sum()) * hw.cache_line_bytes
    miss_fraction = 0.0 if fits else 1.0 - hw.cache_bytes / max(1, b_bytes)
    long_rows = a_row_len > hw.n_mult
    gust = float(np.maximum.reduce([unit_steps, np.ceil(unit_prod / hw.dn_bw),
                                    np.ceil(unit_out / hw.rn_bw)]).sum())
    gust += lat * (1 + miss_fraction * batches) + float(
        (c_row + hw.merge_row_overhead)[long_rows].sum())
    gust = max(gust, (a_bytes + min(b_bytes, gathered) + gathered * miss_fraction + c_bytes)
               / bw)
    estimates = {Dataflow.IP_M: float(ip), Dataflow.OP_M: float(op), Dataflow.GUST_M: float(gust)}
    best = min(M_DATAFLOWS, key=lambda flow: estimates[flow])
    return Prediction(best=best, estimates=estimates)
