"""Shared pieces of the three cost models: the merge phase and the result's assembly."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from flexsa.sparse.banks import DepthEstimate
from flexsa.sparse.config import Dataflow, HardwareConfig, Profile
from flexsa.sparse.fibers import Operands, ceil_div
from flexsa.sparse.results import CycleTerms, DataflowResult, TierTraffic


def merge_rows(fibers: np.ndarray, elements: np.ndarray, c_row: np.ndarray,
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
    cycles = reads = writes = 0
    leaves = hw.n_mult
    while fibers.size and (fibers > leaves).any():
        multi = fibers > leaves
        groups = ceil_div(fibers[multi], leaves)
        out = np.minimum(elements[multi], groups * c_row[multi])
        cycles += int(out.sum() + groups.sum() * hw.merge_row_overhead)
        reads += int(elements[multi].sum())
        writes += int(out.sum())
        fibers[multi] = groups
        elements[multi] = out
    cycles += int(c_row.sum() + fibers.size * hw.merge_row_overhead)
    reads += int(elements.sum())
    return cycles, reads, writes


@dataclass(frozen=True)
class RunCounts:
    """What a cost model counted, before the shared DRAM/PSRAM/output terms are added."""

    terms: CycleTerms
    steps: int
    fills: int
    streamed: int
    distributed: int
    psram_writes: int
    psram_reads: int
    output_elements: int
    cache_accesses: int
    cache_misses: int
    cache_sampled_fraction: float
    psram_demand: np.ndarray
    estimate: DepthEstimate


def finish(dataflow: Dataflow, hw: HardwareConfig, ops: Operands,
           counts: RunCounts) -> DataflowResult:
    """Add output drain, PSRAM spills (ideal) and the DRAM-bandwidth bound; build the result."""
    terms = counts.terms
    if hw.time_output_writes:
        terms = replace(terms, output_drain=hw.dram_latency_cycles + hw.tree_levels)
    demand = np.asarray(counts.psram_demand, dtype=np.int64)
    spill = int(np.maximum(0, demand - hw.psram_bytes).sum()) if demand.size else 0
    if spill and hw.profile is Profile.IDEAL:  # written out and read back over DRAM
        terms = replace(terms, psram_spill=int(round(2 * spill / hw.dram_bytes_per_cycle)))
    dram_read = int(ops.a.nnz) * hw.element_bytes + counts.cache_misses * hw.cache_line_bytes
    dram_write = counts.output_elements * hw.element_bytes
    busy = terms.total
    bandwidth_cycles = (dram_read + dram_write) / hw.dram_bytes_per_cycle
    if bandwidth_cycles > busy:
        terms = replace(terms, dram_bandwidth_excess=int(math.ceil(bandwidth_cycles - busy)))
    traffic = TierTraffic(stationary_reads=int(ops.a.nnz), streamed_reads=counts.streamed,
                      distributed=counts.distributed, psram_writes=counts.psram_writes,
                      psram_reads=counts.psram_reads, output_writes=counts.output_elements,
                      dram_read_bytes=int(dram_read + spill),
                      dram_write_bytes=int(dram_write + spill))
    return DataflowResult(
        dataflow=dataflow, cycles=terms.total, multiply_cycles=terms.multiply,
        merge_cycles=terms.merge, other_cycles=terms.other, steps=counts.steps,
        stationary_fills=counts.fills, products=ops.products,
        c_nnz=int(ops.c_row_nnz.sum()), traffic=traffic,
        cache_accesses=int(counts.cache_accesses), cache_misses=int(counts.cache_misses),
        cache_sampled_fraction=float(counts.cache_sampled_fraction),
        psram_peak_bytes=int(demand.max()) if demand.size else 0, psram_spill_bytes=spill,
        terms=terms, depth_sampled_fraction=counts.estimate.sampled_fraction,
        depth_error_bound=round(counts.estimate.error_bound, 1),
        psram_demand=tuple(int(x) for x in demand))


def output_write_cycles(elements: int, hw: HardwareConfig) -> int:
    return int(ceil_div(elements, hw.rn_bw)) if hw.time_output_writes else 0
