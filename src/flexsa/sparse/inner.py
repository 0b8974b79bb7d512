"""Inner-product cost model (IP_M; IP_N on the transposed problem).

Whole rows of A (rows longer than ``n_mult`` folded into chunks) are packed greedily onto the
multipliers; then every column of B is streamed once per batch. In the reference profile the
controller streams every column (even empty ones) and loads, in one step, every nonzero of the
column inside the batch's K range (contiguous, so they share lines and banks: the step's depth
has a closed form, :func:`flexsa.sparse.banks.range_depth`). A step that touches a missing line
waits one DRAM round trip. Clusters reduce in the tree; there is no merge phase.

All batches stream the same columns, so when a layer is huge a seeded sample of batches is
counted exactly (each simulated after its predecessor, which warms the cache) and scaled.
"""

from __future__ import annotations

import numpy as np

from flexsa.sparse.assemble import RunCounts, finish, output_write_cycles
from flexsa.sparse.banks import DepthEstimate, choose_groups, range_depth, ratio_estimate
from flexsa.sparse.cache import simulate_lru
from flexsa.sparse.config import Dataflow, HardwareConfig
from flexsa.sparse.fibers import Operands, chunks, greedy_pack, ranges, segment_reduce
from flexsa.sparse.profiles import Timing
from flexsa.sparse.results import CycleTerms, DataflowResult
from flexsa.sparse.streaming import Stream


def _batch_ranges(ops: Operands, hw: HardwareConfig) -> tuple[np.ndarray, ...]:
    chunk_len, _ = chunks(ops.a_row_len, hw.n_mult)
    batch_of_chunk = greedy_pack(chunk_len, hw.n_mult)
    n_batches = int(batch_of_chunk[-1]) + 1 if batch_of_chunk.size else 0
    batch_nnz = np.bincount(batch_of_chunk, weights=chunk_len, minlength=n_batches).astype(
        np.int64)
    ks = ops.a.indices.astype(np.int64)
    k_lo = segment_reduce(np.minimum, ks, batch_nnz)
    k_hi = segment_reduce(np.maximum, ks, batch_nnz)
    b_rows = np.r_[0, np.cumsum(ops.b_row_len)]
    products = np.bincount(np.repeat(np.arange(n_batches), batch_nnz),
                           weights=ops.b_row_len[ks], minlength=n_batches).astype(np.int64)
    return batch_nnz, k_lo, k_hi, b_rows[k_hi + 1] - b_rows[k_lo], products, chunk_len


def _column_requests(ops: Operands, batches: np.ndarray, k_lo: np.ndarray, k_hi: np.ndarray,
                     columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Element range (CSC positions) each (batch, column) step loads, batch-major."""
    b_csc = ops.b_csc
    if not b_csc.has_sorted_indices:
        b_csc = b_csc.sorted_indices()
    k = ops.b.shape[0]
    keys = np.repeat(np.arange(b_csc.shape[1], dtype=np.int64), ops.b_col_len) * k + \
        b_csc.indices
    col = np.tile(columns.astype(np.int64), batches.size)
    lo = np.searchsorted(keys, col * k + np.repeat(k_lo[batches], columns.size), side="left")
    hi = np.searchsorted(keys, col * k + np.repeat(k_hi[batches], columns.size), side="right")
    return lo, hi


def _misses(lo: np.ndarray, hi: np.ndarray, hw: HardwareConfig) -> tuple[
        np.ndarray, np.ndarray, float]:
    """Per step: whether it waits for DRAM, and its missing lines (LRU over the trace)."""
    e = hw.elements_per_line
    n_lines = np.where(hi > lo, (hi - 1) // e - lo // e + 1, 0)
    lines = ranges(lo // e, n_lines)
    outcome = simulate_lru(lines, hw.cache_sets, hw.cache_ways, hw.lru_budget, hw.seed,
                           hw.lru_engine)
    owner = np.repeat(np.arange(lo.size), n_lines)
    missing = np.bincount(owner, weights=outcome.miss, minlength=lo.size)
    return missing > 0, missing, outcome.sampled_fraction


def inner_product(ops: Operands, dataflow: Dataflow, hw: HardwareConfig,
                  timing: Timing) -> DataflowResult:
    batch_nnz, k_lo, k_hi, requests, products, chunk_len = _batch_ranges(ops, hw)
    n_batches = batch_nnz.size
    fill = timing.fill(np.cumsum(batch_nnz) - batch_nnz, batch_nnz, hw)
    columns = np.arange(ops.b.shape[1]) if timing.ip_every_column else np.flatnonzero(
        ops.b_col_len > 0)
    n_cols = columns.size
    e = hw.elements_per_line
    chosen = choose_groups(2 * n_cols + requests // e, hw.ip_trace_budget, hw.seed)
    simulated = np.union1d(chosen, np.maximum(chosen - 1, 0)) if chosen.size < n_batches \
        else chosen
    lo, hi = _column_requests(ops, simulated, k_lo, k_hi, columns)
    waits, missing, cache_fraction = _misses(lo, hi, hw)
    keep = np.isin(simulated, chosen)
    per = (simulated.size, n_cols)
    depth = range_depth(lo, hi, hw).reshape(per)[keep].sum(axis=1)
    rounds = waits.reshape(per)[keep].sum(axis=1)
    misses = missing.reshape(per)[keep].sum(axis=1)
    n_lines = np.where(hi > lo, (hi - 1) // e - lo // e + 1, 0).reshape(per)[keep].sum(axis=1)
    steps = np.full(n_batches, n_cols, dtype=np.int64)
    estimate = ratio_estimate(depth, steps, chosen, n_batches)
    wait_estimate = ratio_estimate(rounds * hw.dram_latency_cycles, steps, chosen, n_batches)
    estimate = DepthEstimate(total=estimate.total, sampled_fraction=estimate.sampled_fraction,
                             error_bound=estimate.error_bound + wait_estimate.error_bound)
    scale = n_batches / max(1, chosen.size)
    stream = Stream(steps=steps, distinct=np.zeros(n_batches, dtype=np.int64),
                    products=products, outputs=np.zeros(n_batches, dtype=np.int64),
                    rounds=_impute(rounds, chosen, n_batches),
                    misses=_impute(misses, chosen, n_batches),
                    accesses=int(round(float(n_lines.sum()) * scale)),
                    cache_sampled_fraction=cache_fraction * chosen.size / max(1, n_batches),
                    depth=lambda: estimate)
    cost = timing.stream(stream, hw)
    dense = timing.ip_every_column
    output_elements = ops.a.shape[0] * ops.b.shape[1] if dense else int(ops.c_row_nnz.sum())
    extra_chunks = int(chunk_len.size - (ops.a_row_len > 0).sum())
    partial = extra_chunks * n_cols  # folded rows: partial results fed back
    terms = CycleTerms(stationary=fill, stream_overhead=cost.overhead, stream_depth=cost.depth,
                       stream_miss=cost.miss, reduce=n_batches * hw.tree_levels,
                       output_write=output_write_cycles(output_elements, hw))
    counts = RunCounts(
        terms=terms, steps=n_batches * n_cols, fills=n_batches,
        streamed=int(requests.sum()) if dense else n_batches * int(ops.b.nnz),
        distributed=int(batch_nnz.sum()) * n_cols if dense else ops.products,
        psram_writes=partial, psram_reads=partial, output_elements=output_elements,
        cache_accesses=stream.accesses, cache_misses=int(round(float(stream.misses.sum()))),
        cache_sampled_fraction=stream.cache_sampled_fraction,
        psram_demand=np.zeros(0, dtype=np.int64),
        estimate=cost.estimate if dense else DepthEstimate(0, 1.0, 0.0))
    return finish(dataflow, hw, ops, counts)


def _impute(values: np.ndarray, chosen: np.ndarray, n: int) -> np.ndarray:
    """Per-batch values for all batches: counted ones kept, the others get their mean."""
    if chosen.size == n:
        return values.astype(np.float64)
    out = np.full(n, float(values.mean()) if values.size else 0.0)
    out[chosen] = values
    return out
