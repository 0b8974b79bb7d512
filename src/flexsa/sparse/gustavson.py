"""Gustavson cost model (Gust_M; Gust_N on the transposed problem).

A unit is one row (chunk of <= ``n_mult`` nonzeros) of A at a time in the reference profile,
several rows packed in the ideal one. Each multiplier holding A[m, k] reads row k of B one
element per step (the rows of one step spread over the banks); the unit takes as many steps as
its longest B row; the tree merges the products of a row on the fly. Rows longer than the
array leave partial fibres in the PSRAM for later merge passes.
"""

from __future__ import annotations

import numpy as np

from flexsa.sparse.assemble import RunCounts, finish, merge_rows, output_write_cycles
from flexsa.sparse.config import Dataflow, HardwareConfig
from flexsa.sparse.fibers import Operands, ceil_div, chunks, greedy_pack
from flexsa.sparse.profiles import Timing
from flexsa.sparse.results import CycleTerms, DataflowResult
from flexsa.sparse.streaming import row_stream


def gustavson(ops: Operands, dataflow: Dataflow, hw: HardwareConfig,
              timing: Timing) -> DataflowResult:
    chunk_len, _ = chunks(ops.a_row_len, hw.n_mult)
    unit_of_chunk = np.arange(chunk_len.size) if timing.gustavson_one_row else \
        greedy_pack(chunk_len, hw.n_mult)
    n_units = int(unit_of_chunk[-1]) + 1 if unit_of_chunk.size else 0
    unit_nnz = np.bincount(unit_of_chunk, weights=chunk_len, minlength=n_units).astype(np.int64)
    fill = timing.fill(np.cumsum(unit_nnz) - unit_nnz, unit_nnz, hw)
    n_chunks = np.where(ops.a_row_len > 0, ceil_div(ops.a_row_len, hw.n_mult), 0)
    out_u = _unit_outputs(ops, chunk_len, unit_of_chunk, n_chunks, n_units)
    unit_of_nnz = np.repeat(unit_of_chunk, chunk_len)
    stream = row_stream(unit_of_nnz, ops.a.indices.astype(np.int64),
                        np.ones(int(ops.a.nnz), dtype=np.int64), n_units, ops.b, hw,
                        outputs=np.rint(out_u).astype(np.int64))
    cost = timing.stream(stream, hw)
    # The root of the merge tree emits one element per cycle: a unit's merged fibre (final
    # row, or a partial fibre of a long row) drains after its streaming steps (reference).
    root = int(np.rint(out_u).sum()) if timing.gustavson_one_row else 0
    long_rows = n_chunks > 1
    merge, merge_reads, merge_writes = merge_rows(np.where(long_rows, n_chunks, 0),
                                                  ops.prod_row, ops.c_row_nnz, hw)
    long_products = ops.prod_row[long_rows]
    c_nnz = int(ops.c_row_nnz.sum())
    terms = CycleTerms(stationary=fill, stream_overhead=cost.overhead, stream_depth=cost.depth,
                       stream_miss=cost.miss, merge_root=root, merge=merge,
                       output_write=output_write_cycles(c_nnz, hw))
    counts = RunCounts(
        terms=terms, steps=int(stream.steps.sum()), fills=n_units,
        streamed=int(stream.distinct.sum()), distributed=int(stream.distinct.sum()),
        psram_writes=int(long_products.sum()) + merge_writes, psram_reads=merge_reads,
        output_elements=c_nnz, cache_accesses=stream.accesses,
        cache_misses=int(round(float(stream.misses.sum()))),
        cache_sampled_fraction=stream.cache_sampled_fraction,
        psram_demand=long_products * hw.element_bytes,  # one long row at a time
        estimate=cost.estimate)
    return finish(dataflow, hw, ops, counts)


def _unit_outputs(ops: Operands, chunk_len: np.ndarray, unit_of_chunk: np.ndarray,
                  n_chunks: np.ndarray, n_units: int) -> np.ndarray:
    """Elements each unit's merge emits: the whole C row for a row that fits in one chunk;
    for a chunk of a longer row, the expected distinct columns of its products among the
    row's ``nnz(C row)`` (products spread uniformly over them)."""
    chunk_row = np.repeat(np.arange(ops.a_row_len.size), n_chunks)
    per_nnz = ops.b_row_len[ops.a.indices].astype(np.float64)
    products = np.add.reduceat(per_nnz, np.cumsum(chunk_len) - chunk_len) if \
        per_nnz.size else np.zeros(0)
    c_row = ops.c_row_nnz[chunk_row].astype(np.float64)
    covered = c_row * (1.0 - np.exp(-products / np.maximum(c_row, 1.0)))
    out = np.where(n_chunks[chunk_row] == 1, c_row, np.minimum(products, covered))
    return np.bincount(unit_of_chunk, weights=out, minlength=n_units)
