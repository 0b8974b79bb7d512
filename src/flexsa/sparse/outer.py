"""Outer-product cost model (OP_M; OP_N on the transposed problem).

A batch is up to ``n_mult`` consecutive nonzeros of A in column order (it can span several
columns); the multipliers holding A[m, k] each read row k of B one element per step, so the
multipliers of one A column request the same element in the same step (same bank); the batch
takes as many steps as its longest B row. Every product goes to the PSRAM as part of a sorted
partial fibre; then each output row is merged through the tree.
"""

from __future__ import annotations

import numpy as np

from flexsa.sparse.assemble import RunCounts, finish, merge_rows, output_write_cycles
from flexsa.sparse.config import Dataflow, HardwareConfig
from flexsa.sparse.fibers import Operands
from flexsa.sparse.profiles import Timing
from flexsa.sparse.results import CycleTerms, DataflowResult
from flexsa.sparse.streaming import row_stream


def outer_product(ops: Operands, dataflow: Dataflow, hw: HardwareConfig,
                  timing: Timing) -> DataflowResult:
    nnz_a = int(ops.a.nnz)
    ks = np.repeat(np.arange(ops.a.shape[1]), ops.a_col_len)  # A in CSC order
    batch_of = np.arange(nnz_a) // hw.n_mult
    n_batches = -(-nnz_a // hw.n_mult)
    starts = np.arange(0, nnz_a, hw.n_mult)
    batch_nnz = np.diff(np.r_[starts, nnz_a]).astype(np.int64)
    fill = timing.fill(starts, batch_nnz, hw)
    # distinct (batch, k) pairs and how many multipliers share each B row
    first = np.r_[True, (ks[1:] != ks[:-1]) | (batch_of[1:] != batch_of[:-1])] if nnz_a \
        else np.zeros(0, dtype=bool)
    pair_index = np.flatnonzero(first)
    weight = np.diff(np.r_[pair_index, nnz_a]).astype(np.int64)
    stream = row_stream(batch_of[pair_index], ks[pair_index], weight, n_batches, ops.b, hw)
    cost = timing.stream(stream, hw)
    has_b = (ops.b_row_len > 0).astype(np.int64)
    rows = np.repeat(np.arange(ops.a.shape[0]), ops.a_row_len)
    fibers = np.bincount(rows, weights=has_b[ops.a.indices], minlength=ops.a.shape[0])
    merge, merge_reads, merge_writes = merge_rows(fibers, ops.prod_row, ops.c_row_nnz, hw)
    c_nnz = int(ops.c_row_nnz.sum())
    terms = CycleTerms(stationary=fill, stream_overhead=cost.overhead, stream_depth=cost.depth,
                       stream_miss=cost.miss, merge=merge,
                       output_write=output_write_cycles(c_nnz, hw))
    counts = RunCounts(
        terms=terms, steps=int(stream.steps.sum()), fills=n_batches,
        streamed=int(stream.distinct.sum()), distributed=int(stream.distinct.sum()),
        psram_writes=ops.products + merge_writes, psram_reads=merge_reads,
        output_elements=c_nnz, cache_accesses=stream.accesses,
        cache_misses=int(round(float(stream.misses.sum()))),
        cache_sampled_fraction=stream.cache_sampled_fraction,
        # all partial fibres are resident before the merge phase starts
        psram_demand=np.array([ops.products * hw.element_bytes], dtype=np.int64),
        estimate=cost.estimate)
    return finish(dataflow, hw, ops, counts)
