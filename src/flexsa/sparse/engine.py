"""One engine, six dataflows: functional result and vectorised cycle/traffic counts.

``simulate(problem, dataflow, hw)`` computes C in the dataflow's own order (products expanded
and merged, or intersected and reduced) for small problems and with scipy above
``expand_limit`` products, then derives the timing from vectorised counts over the operands'
compressed fibres (no per-element Python loops). An N variant is the M variant on
``C^T = B^T A^T``. Every cycle term is listed in ``DataflowResult.terms``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from flexsa.sparse.cache import cyclic_misses, simulate_lru
from flexsa.sparse.config import Dataflow, HardwareConfig, Profile
from flexsa.sparse.formats import SpGemmProblem

EXPAND_LIMIT = 2_000_000


@dataclass(frozen=True)
class Traffic:
    """Elements moved per tier (on-chip) and bytes off-chip."""

    stationary_reads: int  # elements read from the stationary FIFO
    streamed_reads: int  # elements read from the streamed-operand cache
    distributed: int  # elements delivered by the DN to multipliers (incl. explicit zeros)
    psram_writes: int  # partial-sum elements written to the PSRAM
    psram_reads: int  # partial-sum elements read (consumed) from the PSRAM
    output_writes: int  # final C elements written
    dram_read_bytes: int
    dram_write_bytes: int


@dataclass(frozen=True)
class DataflowResult:
    """Cycles (split into phases), traffic and memory statistics of one dataflow run."""

    dataflow: Dataflow
    cycles: int
    multiply_cycles: int
    merge_cycles: int
    other_cycles: int  # output drain / DRAM bandwidth excess
    steps: int
    stationary_fills: int
    products: int
    c_nnz: int
    traffic: Traffic
    cache_accesses: int  # streamed-operand line accesses
    cache_misses: int
    cache_sampled_fraction: float
    psram_peak_bytes: int
    psram_spill_bytes: int
    terms: dict[str, int] = field(default_factory=dict)
    psram_demand: tuple[int, ...] = ()  # bytes that must be resident at once, per merge unit

    @property
    def cache_miss_rate(self) -> float:
        return self.cache_misses / self.cache_accesses if self.cache_accesses else 0.0

    def as_dict(self) -> dict[str, object]:
        from dataclasses import asdict

        out = asdict(self)
        out["dataflow"] = self.dataflow.value
        out.pop("psram_demand")
        out["cache_miss_rate"] = self.cache_miss_rate
        return out


# ---------------------------------------------------------------- functional model

def compute_c(problem: SpGemmProblem, dataflow: Dataflow,
              expand_limit: int = EXPAND_LIMIT) -> sp.csr_matrix:
    """C = A @ B computed in the dataflow's order (scipy above ``expand_limit`` products)."""
    work = problem.transposed() if dataflow.transposed else problem
    if _product_count(work) > expand_limit:
        c = (work.a @ work.b).tocsr()
    else:
        # IP: the matching (k) pairs of A row m and B column n are exactly the products
        # A[m,k] B[k,n] that exist; reducing them per (m, n) is the inner product.
        c = _expand_and_merge(work, by_row=dataflow.family != "OP")
    c = c.T.tocsr() if dataflow.transposed else c
    c.sum_duplicates()
    c.sort_indices()
    return c


def _product_count(problem: SpGemmProblem) -> int:
    a_col = np.diff(problem.a.tocsc().indptr)
    b_row = np.diff(problem.b.indptr)
    return int(a_col @ b_row)


def _expand_and_merge(problem: SpGemmProblem, by_row: bool) -> sp.csr_matrix:
    """Outer product (A column order) or Gustavson (A row order): products, then merge."""
    a = problem.a if by_row else problem.a.tocsc()
    b = problem.b
    if by_row:
        rows = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
        ks = a.indices
    else:
        ks = np.repeat(np.arange(a.shape[1]), np.diff(a.indptr))
        rows = a.indices
    b_len = np.diff(b.indptr)[ks]
    starts = b.indptr[ks]
    idx = _ranges(starts, b_len)
    out_rows = np.repeat(rows, b_len)
    values = np.repeat(a.data, b_len) * b.data[idx]
    merged = sp.coo_matrix((values, (out_rows, b.indices[idx])),
                           shape=(a.shape[0], b.shape[1])).tocsr()  # merge: sum duplicates
    merged.eliminate_zeros()
    return merged


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + l)`` for every pair, vectorised."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    base = np.repeat(np.asarray(starts, dtype=np.int64) - offsets, lengths)
    return base + np.arange(total, dtype=np.int64)


# ---------------------------------------------------------------- shared counts

@dataclass(frozen=True)
class _Operands:
    """Fibre statistics of one (M-variant) problem and its result."""

    a: sp.csr_matrix
    a_csc: sp.csc_matrix
    b: sp.csr_matrix
    b_csc: sp.csc_matrix
    c_row_nnz: np.ndarray
    a_row_len: np.ndarray
    a_col_len: np.ndarray
    b_row_len: np.ndarray
    b_col_len: np.ndarray
    prod_row: np.ndarray  # products per output row

    @property
    def products(self) -> int:
        return int(self.prod_row.sum())


def _operands(problem: SpGemmProblem, c: sp.csr_matrix) -> _Operands:
    a, b = problem.a, problem.b
    return _build_operands(a, a.tocsc(), b, b.tocsc(), c)


def _build_operands(a: sp.csr_matrix, a_csc: sp.csc_matrix, b: sp.csr_matrix,
                    b_csc: sp.csc_matrix, c: sp.csr_matrix) -> _Operands:
    b_row_len = np.diff(b.indptr)
    a_row_len = np.diff(a.indptr)
    rows = np.repeat(np.arange(a.shape[0]), a_row_len)
    prod_row = np.bincount(rows, weights=b_row_len[a.indices], minlength=a.shape[0])
    return _Operands(a=a, a_csc=a_csc, b=b, b_csc=b_csc, c_row_nnz=np.diff(c.indptr),
                     a_row_len=a_row_len, a_col_len=np.diff(a_csc.indptr),
                     b_row_len=b_row_len, b_col_len=np.diff(b_csc.indptr),
                     prod_row=prod_row.astype(np.int64))


def _transposed_operands(ops: _Operands, c_t: sp.csr_matrix) -> _Operands:
    """Operands of ``C^T = B^T A^T`` from those of ``C = A B`` (transposes are free views)."""
    return _build_operands(ops.b_csc.T, ops.b.T, ops.a_csc.T, ops.a.T, c_t)


class LayerOperands:
    """Fibre statistics of a problem in both orientations, shared by all six dataflows."""

    def __init__(self, problem: SpGemmProblem, c: sp.csr_matrix) -> None:
        self.m_variant = _operands(problem, c)
        self._c = c
        self._n_variant: _Operands | None = None

    def for_dataflow(self, dataflow: Dataflow) -> _Operands:
        if not dataflow.transposed:
            return self.m_variant
        if self._n_variant is None:
            c_t = self._c.T.tocsr()
            self._n_variant = _transposed_operands(self.m_variant, c_t)
        return self._n_variant


def _line_span(start: np.ndarray, length: np.ndarray, hw: HardwareConfig) -> tuple[
        np.ndarray, np.ndarray]:
    """First line and number of lines of fibres stored at element offsets ``start``."""
    eb, lb = hw.element_bytes, hw.cache_line_bytes
    first = (start * eb) // lb
    last = ((start + length) * eb - 1) // lb
    count = np.where(length > 0, last - first + 1, 0)
    return first.astype(np.int64), count.astype(np.int64)


def _fiber_trace(first: np.ndarray, count: np.ndarray, order: np.ndarray) -> tuple[
        np.ndarray, np.ndarray]:
    """Line trace reading fibres ``order`` in sequence, and the read index of every access."""
    lines = _ranges(first[order], count[order])
    owner = np.repeat(np.arange(order.size), count[order])
    return lines, owner


def _greedy_pack(lengths: np.ndarray, capacity: int) -> np.ndarray:
    """Batch index of each item when packing consecutive items (each <= capacity) greedily.

    ``nxt[i]`` is the first item of the batch after one starting at ``i``; the batch starts are
    the orbit of item 0 under ``nxt``, enumerated by pointer doubling (O(n log n), no loop
    over batches).
    """
    n = lengths.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    cum = np.concatenate([[0], np.cumsum(lengths)])
    nxt = np.searchsorted(cum, cum[:-1] + capacity, side="right") - 1
    nxt = np.maximum(nxt, np.arange(1, n + 1))
    jump = np.concatenate([nxt, [n]])  # n is absorbing
    starts = np.zeros(1, dtype=np.int64)
    while True:
        ahead = jump[starts]
        ahead = ahead[ahead < n]
        if ahead.size == 0:
            break
        starts = np.concatenate([starts, ahead])
        jump = jump[jump]
    starts = np.unique(starts)
    batch = np.zeros(n, dtype=np.int64)
    batch[starts[1:]] = 1
    return np.cumsum(batch)


def _chunks(lengths: np.ndarray, capacity: int) -> tuple[np.ndarray, np.ndarray]:
    """Split fibres longer than ``capacity`` into chunks: (chunk lengths, owner fibre)."""
    n_chunks = np.where(lengths > 0, -(-lengths // capacity), 0)
    owner = np.repeat(np.arange(lengths.size), n_chunks)
    first_chunk = np.cumsum(n_chunks) - n_chunks
    position = np.arange(owner.size) - np.repeat(first_chunk, n_chunks)
    chunk_len = np.minimum(capacity, lengths[owner] - position * capacity)
    return chunk_len.astype(np.int64), owner


def _stationary_fill_misses(batch_end: np.ndarray, hw: HardwareConfig) -> np.ndarray:
    """Whether each fill of a sequentially read stationary operand touches a new line."""
    if batch_end.size == 0:
        return np.zeros(0, dtype=bool)
    last_line = (np.asarray(batch_end, dtype=np.int64) * hw.element_bytes - 1) // \
        hw.cache_line_bytes
    previous = np.concatenate([[-1], last_line[:-1]])
    return last_line > previous


def _miss_rounds(outcome_miss: np.ndarray, lines: np.ndarray, fiber_start: np.ndarray,
                 group: np.ndarray, n_groups: int, steps: np.ndarray, exact: bool,
                 hw: HardwareConfig) -> np.ndarray:
    """DRAM round trips per batch when every step waits for all of its loads.

    Access ``i`` reads line ``lines[i]`` of a fibre starting at element ``fiber_start[i]``;
    one element per step, so the line is first needed at step
    ``max(0, first element of the line - fibre start)``. A missing line costs one round at
    the earliest step that needs it; misses needed at the same step share the round. With
    sampled (fractional) miss weights, falls back to ``min(steps, misses)`` per batch.
    """
    if not exact:
        misses = np.bincount(group, weights=outcome_miss, minlength=n_groups)
        return np.minimum(steps, np.ceil(misses)).astype(np.int64)
    missed = outcome_miss > 0
    if not missed.any():
        return np.zeros(n_groups, dtype=np.int64)
    per_line = max(1, hw.cache_line_bytes // hw.element_bytes)
    step = np.maximum(0, lines * per_line - fiber_start)
    # Within a batch the fibres come in increasing k and B is stored in k order, so the
    # trace's lines never decrease inside a batch: equal (batch, line) accesses are runs.
    run_start = np.flatnonzero(np.r_[True, (group[1:] != group[:-1]) |
                                     (lines[1:] != lines[:-1])])
    any_miss = np.maximum.reduceat(missed, run_start)
    round_group = group[run_start][any_miss]
    round_step = np.minimum.reduceat(step, run_start)[any_miss]  # earliest step needing it
    width = int(round_step.max()) + 1
    if n_groups * width <= 64_000_000:  # distinct (batch, step) pairs via a bitmap
        seen = np.zeros(n_groups * width, dtype=bool)
        seen[round_group * width + round_step] = True
        return seen.reshape(n_groups, width).sum(axis=1).astype(np.int64)
    pairs = np.unique(round_group * width + round_step)  # misses at one step share a round
    return np.bincount(pairs // width, minlength=n_groups).astype(np.int64)


def _ceil_div(x: np.ndarray | int, y: int) -> np.ndarray:
    return -(-np.asarray(x, dtype=np.int64) // y)


@dataclass
class _Tally:
    """Accumulates the cycle terms of one run."""

    terms: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, value: float) -> None:
        self.terms[name] = self.terms.get(name, 0) + int(round(value))


def _merge_rows(fibers: np.ndarray, elements: np.ndarray, c_row: np.ndarray,
                hw: HardwareConfig) -> tuple[int, int, int]:
    """Merge phase over output rows with ``fibers`` partial fibres holding ``elements``.

    One row at a time through the tree; the root emits one element per cycle; a row with
    more fibres than leaves takes extra passes through the PSRAM. Returns (cycles,
    psram_reads, psram_writes of intermediate passes).
    """
    active = fibers > 0
    fibers = fibers[active].astype(np.int64)
    elements = elements[active].astype(np.int64)
    c_row = c_row[active].astype(np.int64)
    cycles = 0
    reads = 0
    writes = 0
    leaves = hw.n_mult
    while fibers.size and (fibers > leaves).any():
        multi = fibers > leaves
        groups = _ceil_div(fibers[multi], leaves)
        out = np.minimum(elements[multi], groups * c_row[multi])
        cycles += int(out.sum() + groups.sum() * hw.merge_row_overhead)
        reads += int(elements[multi].sum())
        writes += int(out.sum())
        fibers[multi] = groups
        elements[multi] = out
    cycles += int(c_row.sum() + fibers.size * hw.merge_row_overhead)
    reads += int(elements.sum())
    return cycles, reads, writes


# ---------------------------------------------------------------- dataflows

def simulate(problem: SpGemmProblem, dataflow: Dataflow, hw: HardwareConfig,
             c: sp.csr_matrix | None = None) -> tuple[sp.csr_matrix, DataflowResult]:
    """Run one dataflow: (C, statistics). Pass ``c`` (= A @ B) to skip the functional part."""
    if c is None:
        c = compute_c(problem, dataflow)
    work = problem.transposed() if dataflow.transposed else problem
    c_work = c.T.tocsr() if dataflow.transposed else c
    return c, analyse(work, c_work, dataflow, hw)


def analyse(work: SpGemmProblem, c_work: sp.csr_matrix, dataflow: Dataflow,
            hw: HardwareConfig) -> DataflowResult:
    """Statistics of ``dataflow`` on an already-transposed (M-variant) problem."""
    return analyse_operands(_operands(work, c_work), dataflow, hw)


def analyse_operands(ops: _Operands, dataflow: Dataflow, hw: HardwareConfig) -> DataflowResult:
    """Statistics of ``dataflow`` from precomputed fibre statistics (M-variant orientation)."""
    family = dataflow.family
    if family == "IP":
        return _inner(ops, dataflow, hw)
    if family == "OP":
        return _outer(ops, dataflow, hw)
    return _gustavson(ops, dataflow, hw)


def _finish(dataflow: Dataflow, hw: HardwareConfig, tally: _Tally, *, mult: int, merge: int,
            steps: int, fills: int, ops: _Operands, traffic_parts: dict[str, int],
            cache: tuple[int, int, float], psram_demand: np.ndarray,
            output_elements: int) -> DataflowResult:
    other = 0
    if hw.time_output_writes:
        drain = hw.dram_latency_cycles + hw.tree_levels
        tally.add("output_drain", drain)
        other += drain
    demand = np.asarray(psram_demand, dtype=np.int64)
    spill = int(np.maximum(0, demand - hw.psram_bytes).sum()) if demand.size else 0
    if spill and hw.profile is Profile.IDEAL:  # written out and read back over DRAM
        spill_cycles = int(round(2 * spill / hw.dram_bytes_per_cycle))
        tally.add("psram_spill", spill_cycles)
        other += spill_cycles
    stationary_bytes = int(ops.a.nnz) * hw.element_bytes
    dram_read = stationary_bytes + cache[1] * hw.cache_line_bytes
    dram_write = output_elements * hw.element_bytes
    busy = mult + merge + other
    bandwidth_cycles = (dram_read + dram_write) / hw.dram_bytes_per_cycle
    if bandwidth_cycles > busy:
        excess = int(math.ceil(bandwidth_cycles - busy))
        tally.add("dram_bandwidth_excess", excess)
        other += excess
    traffic = Traffic(stationary_reads=int(ops.a.nnz),
                      streamed_reads=traffic_parts["streamed"],
                      distributed=traffic_parts["distributed"],
                      psram_writes=traffic_parts.get("psram_writes", 0),
                      psram_reads=traffic_parts.get("psram_reads", 0),
                      output_writes=output_elements, dram_read_bytes=int(dram_read + spill),
                      dram_write_bytes=int(dram_write + spill))
    return DataflowResult(dataflow=dataflow, cycles=int(mult + merge + other),
                          multiply_cycles=int(mult), merge_cycles=int(merge),
                          other_cycles=int(other), steps=int(steps), stationary_fills=int(fills),
                          products=ops.products, c_nnz=int(ops.c_row_nnz.sum()),
                          traffic=traffic, cache_accesses=int(cache[0]),
                          cache_misses=int(cache[1]), cache_sampled_fraction=float(cache[2]),
                          psram_peak_bytes=int(demand.max()) if demand.size else 0,
                          psram_spill_bytes=spill, terms=dict(tally.terms),
                          psram_demand=tuple(int(x) for x in demand))


def _fill_cycles(batch_nnz: np.ndarray, batch_end: np.ndarray, hw: HardwareConfig,
                 tally: _Tally) -> int:
    """Stationary phase: deliver each batch's fibres; a fill waits for its loads."""
    issue = _ceil_div(batch_nnz, hw.dn_bw).sum()
    new_line = _stationary_fill_misses(batch_end, hw)
    if hw.profile is Profile.REFERENCE:
        wait = batch_nnz.size * hw.step_cycles + int(new_line.sum()) * hw.dram_latency_cycles
        wait += int(round(hw.stationary_element_cycles * float(batch_nnz.sum())))
    else:  # FIFO prefetches the stationary stream: latency exposed once
        wait = hw.dram_latency_cycles if batch_nnz.size else 0
    tally.add("stationary_issue", issue)
    tally.add("stationary_wait", wait)
    return int(issue + wait)


def _inner(ops: _Operands, dataflow: Dataflow, hw: HardwareConfig) -> DataflowResult:
    tally = _Tally()
    n_out = ops.b.shape[1]
    chunk_len, chunk_row = _chunks(ops.a_row_len, hw.n_mult)
    batch_of_chunk = _greedy_pack(chunk_len, hw.n_mult)
    n_batches = int(batch_of_chunk[-1]) + 1 if batch_of_chunk.size else 0
    batch_nnz = np.bincount(batch_of_chunk, weights=chunk_len, minlength=n_batches).astype(
        np.int64)
    batch_end = np.cumsum(batch_nnz)
    mult = _fill_cycles(batch_nnz, batch_end, hw, tally)
    # Streamed B columns (CSC), re-streamed once per batch: exact cyclic LRU.
    col_first, col_lines = _line_span(ops.b_csc.indptr[:-1], ops.b_col_len, hw)
    lines, owner = _fiber_trace(col_first, col_lines, np.arange(n_out))
    first, later = cyclic_misses(lines, n_batches, hw.cache_sets, hw.cache_ways,
                                 hw.lru_engine)
    col_miss_first = np.bincount(owner, weights=first, minlength=n_out) > 0
    col_miss_later = np.bincount(owner, weights=later, minlength=n_out) > 0
    misses = int(first.sum()) + max(0, n_batches - 1) * int(later.sum())
    accesses = n_batches * lines.size
    chunk_products = _chunk_products(ops, chunk_len, chunk_row)
    batch_products = np.bincount(batch_of_chunk, weights=chunk_products,
                                 minlength=n_batches).astype(np.int64)
    nonempty_cols = int((ops.b_col_len > 0).sum())
    if hw.profile is Profile.REFERENCE:
        # every column of B, even empty ones, explicit zeros for non-matching coordinates
        steps = n_batches * n_out
        issue = int((_ceil_div(batch_nnz, hw.dn_bw) * n_out).sum())
        wait = steps * hw.step_cycles
        miss_steps = int(col_miss_first.sum()) + max(0, n_batches - 1) * int(
            col_miss_later.sum())
        distributed = int(batch_nnz.sum()) * n_out
        output_elements = ops.a.shape[0] * n_out  # C written densely
    else:
        steps = n_batches * nonempty_cols
        issue = int(np.maximum(nonempty_cols, _ceil_div(batch_products, hw.dn_bw)).sum())
        wait = 0
        miss_steps = int(col_miss_first.any()) + max(0, n_batches - 1) * int(
            col_miss_later.any())
        distributed = ops.products
        output_elements = int(ops.c_row_nnz.sum())
    tally.add("stream_issue", issue)
    tally.add("stream_wait", wait)
    tally.add("stream_miss_wait", miss_steps * hw.dram_latency_cycles)
    mult += issue + wait + miss_steps * hw.dram_latency_cycles
    # Reduction: clusters reduce in the tree (pipelined, depth once per batch).
    reduce_cycles = n_batches * hw.tree_levels
    tally.add("reduce_depth", reduce_cycles)
    mult += reduce_cycles
    # Folded rows: partial results of earlier chunks fed back (on-chip partial traffic).
    extra_chunks = int(chunk_len.size - (ops.a_row_len > 0).sum())
    partial = extra_chunks * (n_out if hw.profile is Profile.REFERENCE else nonempty_cols)
    writes = int(_ceil_div(output_elements, hw.rn_bw)) if hw.time_output_writes else 0
    tally.add("output_write", writes)
    mult += writes
    parts = {"streamed": n_batches * int(ops.b.nnz), "distributed": distributed,
             "psram_writes": partial, "psram_reads": partial}
    return _finish(dataflow, hw, tally, mult=mult, merge=0, steps=steps, fills=n_batches,
                   ops=ops, traffic_parts=parts, cache=(accesses, misses, 1.0),
                   psram_demand=np.zeros(0, dtype=np.int64), output_elements=output_elements)


def _chunk_products(ops: _Operands, chunk_len: np.ndarray, chunk_row: np.ndarray) -> np.ndarray:
    """Products of every chunk of A rows (its k's times B row lengths)."""
    per_nnz = ops.b_row_len[ops.a.indices].astype(np.int64)
    starts = np.cumsum(chunk_len) - chunk_len
    if per_nnz.size == 0:
        return np.zeros(chunk_len.size, dtype=np.int64)
    return np.add.reduceat(per_nnz, starts) if starts.size else np.zeros(0, dtype=np.int64)


def _outer(ops: _Operands, dataflow: Dataflow, hw: HardwareConfig) -> DataflowResult:
    tally = _Tally()
    nnz_a = int(ops.a.nnz)
    ks = np.repeat(np.arange(ops.a.shape[1]), ops.a_col_len)  # A in CSC order
    batch_of = np.arange(nnz_a) // hw.n_mult
    n_batches = int(batch_of[-1]) + 1 if nnz_a else 0
    starts = np.arange(0, nnz_a, hw.n_mult)
    b_len = ops.b_row_len[ks].astype(np.int64)
    batch_nnz = np.diff(np.r_[starts, nnz_a]).astype(np.int64)
    steps_b = np.maximum.reduceat(b_len, starts) if nnz_a else np.zeros(0, dtype=np.int64)
    products_b = np.add.reduceat(b_len, starts) if nnz_a else np.zeros(0, dtype=np.int64)
    mult = _fill_cycles(batch_nnz, np.cumsum(batch_nnz), hw, tally)
    # B rows read once per (batch, distinct k): mostly a stream through the cache.
    pair_start = np.r_[True, (ks[1:] != ks[:-1]) | (batch_of[1:] != batch_of[:-1])] if \
        nnz_a else np.zeros(0, dtype=bool)
    pair_k = ks[pair_start]
    pair_batch = batch_of[pair_start]
    row_first, row_lines = _line_span(ops.b.indptr[:-1], ops.b_row_len, hw)
    lines, owner = _fiber_trace(row_first, row_lines, pair_k)
    outcome = simulate_lru(lines, hw.cache_sets, hw.cache_ways, hw.lru_budget, hw.seed,
                           hw.lru_engine)
    misses_b = np.bincount(pair_batch[owner], weights=outcome.miss, minlength=n_batches)
    rounds_b = _miss_rounds(outcome.miss, lines, ops.b.indptr[pair_k][owner], pair_batch[owner],
                            n_batches, steps_b, outcome.sampled_fraction == 1.0, hw)
    distinct_elems = np.bincount(pair_batch, weights=ops.b_row_len[pair_k],
                                 minlength=n_batches).astype(np.int64)
    steps = int(steps_b.sum())
    if hw.profile is Profile.REFERENCE:
        issue = int((steps_b * _ceil_div(batch_nnz, hw.dn_bw)).sum())
        wait = steps * hw.step_cycles
        miss_wait = int(rounds_b.sum()) * hw.dram_latency_cycles
    else:
        issue = int(np.maximum.reduce([steps_b, _ceil_div(distinct_elems, hw.dn_bw),
                                       _ceil_div(products_b, hw.rn_bw)]).sum())
        wait = 0
        miss_wait = int((misses_b > 0).sum()) * hw.dram_latency_cycles
    tally.add("stream_issue", issue)
    tally.add("stream_wait", wait)
    tally.add("stream_miss_wait", miss_wait)
    mult += issue + wait + miss_wait
    # Merge phase: row by row through the tree, several passes for > n_mult fibres.
    has_b = (ops.b_row_len > 0).astype(np.int64)
    rows = np.repeat(np.arange(ops.a.shape[0]), ops.a_row_len)
    fibers = np.bincount(rows, weights=has_b[ops.a.indices], minlength=ops.a.shape[0])
    merge, merge_reads, merge_writes = _merge_rows(fibers, ops.prod_row, ops.c_row_nnz, hw)
    tally.add("merge", merge)
    # all partial fibres are resident before the merge phase starts
    demand = np.array([ops.products * hw.element_bytes], dtype=np.int64)
    writes_out = int(_ceil_div(int(ops.c_row_nnz.sum()), hw.rn_bw)) if \
        hw.time_output_writes else 0
    parts = {"streamed": int(distinct_elems.sum()), "distributed": int(distinct_elems.sum()),
             "psram_writes": ops.products + merge_writes, "psram_reads": merge_reads}
    tally.add("output_write", writes_out)
    return _finish(dataflow, hw, tally, mult=mult + writes_out, merge=merge, steps=steps,
                   fills=n_batches, ops=ops, traffic_parts=parts,
                   cache=(outcome.accesses, outcome.misses, outcome.sampled_fraction),
                   psram_demand=demand, output_elements=int(ops.c_row_nnz.sum()))


def _gustavson(ops: _Operands, dataflow: Dataflow, hw: HardwareConfig) -> DataflowResult:
    tally = _Tally()
    chunk_len, _ = _chunks(ops.a_row_len, hw.n_mult)
    if hw.profile is Profile.REFERENCE:
        unit_of_chunk = np.arange(chunk_len.size)  # one row (chunk) of A at a time
    else:
        unit_of_chunk = _greedy_pack(chunk_len, hw.n_mult)  # rows packed into clusters
    n_units = int(unit_of_chunk[-1]) + 1 if unit_of_chunk.size else 0
    unit_of_nnz = np.repeat(unit_of_chunk, chunk_len)
    b_len = ops.b_row_len[ops.a.indices].astype(np.int64)
    unit_nnz = np.bincount(unit_of_chunk, weights=chunk_len, minlength=n_units).astype(np.int64)
    unit_starts = np.cumsum(unit_nnz) - unit_nnz
    steps_u = np.maximum.reduceat(b_len, unit_starts) if b_len.size else np.zeros(
        0, dtype=np.int64)
    products_u = np.add.reduceat(b_len, unit_starts) if b_len.size else np.zeros(
        0, dtype=np.int64)
    mult = _fill_cycles(unit_nnz, np.cumsum(unit_nnz), hw, tally)
    row_first, row_lines = _line_span(ops.b.indptr[:-1], ops.b_row_len, hw)
    lines, owner = _fiber_trace(row_first, row_lines, ops.a.indices)
    outcome = simulate_lru(lines, hw.cache_sets, hw.cache_ways, hw.lru_budget, hw.seed,
                           hw.lru_engine)
    misses_u = np.bincount(unit_of_nnz[owner], weights=outcome.miss, minlength=n_units)
    rounds_u = _miss_rounds(outcome.miss, lines, ops.b.indptr[ops.a.indices][owner],
                            unit_of_nnz[owner], n_units, steps_u,
                            outcome.sampled_fraction == 1.0, hw)
    # Output of each unit: rows that fit are final; merged at one element per cycle.
    n_chunks = np.where(ops.a_row_len > 0, _ceil_div(ops.a_row_len, hw.n_mult), 0)
    single = n_chunks == 1
    out_u = np.zeros(n_units, dtype=np.int64)
    first_chunk = np.cumsum(n_chunks) - n_chunks
    single_rows = np.flatnonzero(single)
    np.add.at(out_u, unit_of_chunk[first_chunk[single_rows]], ops.c_row_nnz[single_rows])
    steps = int(steps_u.sum())
    if hw.profile is Profile.REFERENCE:
        issue = int((steps_u * _ceil_div(unit_nnz, hw.dn_bw)).sum())
        wait = steps * hw.step_cycles
        miss_wait = int(rounds_u.sum()) * hw.dram_latency_cycles
        root = int(np.maximum(0, out_u - steps_u * (1 + hw.step_cycles)).sum())
    else:
        issue = int(np.maximum.reduce([steps_u, _ceil_div(products_u, hw.dn_bw),
                                       _ceil_div(out_u, hw.rn_bw)]).sum())
        wait = 0
        miss_wait = int((misses_u > 0).sum()) * hw.dram_latency_cycles
        root = 0
    tally.add("stream_issue", issue)
    tally.add("stream_wait", wait)
    tally.add("stream_miss_wait", miss_wait)
    tally.add("merge_root_excess", root)
    mult += issue + wait + miss_wait + root
    # Rows longer than the array leave partial fibres in the PSRAM: merged afterwards.
    long_rows = n_chunks > 1
    merge, merge_reads, merge_writes = _merge_rows(
        np.where(long_rows, n_chunks, 0), ops.prod_row, ops.c_row_nnz, hw)
    tally.add("merge", merge)
    long_products = ops.prod_row[long_rows]
    demand = long_products * hw.element_bytes  # one long row's partial fibres at a time
    writes_out = int(_ceil_div(int(ops.c_row_nnz.sum()), hw.rn_bw)) if \
        hw.time_output_writes else 0
    tally.add("output_write", writes_out)
    parts = {"streamed": int(b_len.sum()), "distributed": int(b_len.sum()),
             "psram_writes": int(long_products.sum()) + merge_writes,
             "psram_reads": merge_reads}
    return _finish(dataflow, hw, tally, mult=mult + writes_out, merge=merge, steps=steps,
                   fills=n_units, ops=ops, traffic_parts=parts,
                   cache=(outcome.accesses, outcome.misses, outcome.sampled_fraction),
                   psram_demand=demand, output_elements=int(ops.c_row_nnz.sum()))
