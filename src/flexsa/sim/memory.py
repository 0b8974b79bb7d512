"""Finite-bandwidth timing: DRAM -> GBUF blocks and GBUF -> LBUF wave loads.

The ideal-memory cycles of the core model are the baseline; this model adds the stall
cycles a finite memory system costs (so ``--memory hbm2`` is never faster than ideal).

**Blocks (DRAM level).** Each group runs its part of a GEMM as the sequence of GBUF blocks
chosen by :mod:`flexsa.compiler.blocking` (K innermost). The GBUF is double-buffered: the
DMA of block ``b`` may start once block ``b - 2`` has finished and its output block (if it
completes one) has been stored. One DRAM channel per group (the DRAM bandwidth split evenly
over the active groups) serves, in order, ``L0, L1, S0, L2, S1, L3, ...`` (``L`` loads, ``S``
stores); an operation issued at ``t`` ends at ``max(channel free, t + latency) + ceil(bytes /
bandwidth)``. Block ``b`` starts when block ``b - 1`` has ended and its load is complete, and
lasts ``X_b`` (below). A K-partitioned GEMM ends with the cross-group reduction: the reducer
reads the other groups' partial sums, ``latency + ceil(bytes / full DRAM bandwidth)``.

**Waves (GBUF -> LBUF level).** Inside a block the core's schedule runs unchanged (output
tiles round-robin to the units, K innermost). Each unit has its own GBUF read port of
``spec.unit_port_bytes_per_cycle`` (default its edges, (rows + cols) x input bytes) and
double-buffered LBUFs; spec 4.4's overlap (see :class:`UnitClock`): the stationary load
(``LdLBUF_V``, ``k x n``) of wave ``i`` starts when the port is free and wave ``i - 2``'s
stationary half is free (its tile shifted into the PEs), the streamed load (``LdLBUF_H``,
``m x k``) after it once wave ``i - 2``'s streamed half is consumed (its last row streamed
in); ShiftV runs as soon as the stationary load is in, overlapping the streamed load, and
otherwise the wave follows the core's timing rules. ``X_b`` is the block's time from idle
with these loads; ``C_b`` the same without them (the core's timing of the block).

**Stalls.** A part's stall cycles are ``end of its block pipeline - sum_b C_b`` (>= 0: the
time its units waited for DRAM or the GBUF port); a GEMM's stall is the largest over its
groups plus the reduction; the GEMM's cycles are the core's ideal cycles plus that stall.

Every identical block (same sizes) and identical GEMM is evaluated once; runs of identical
waves, tiles and blocks are jumped over once their timing state repeats (the state is
shift-invariant, so the jump is exact). :func:`flexsa.sim.memory_reference` checks this
against a plain event-by-event walk of the explicit programs.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from flexsa.arch.config import ArchConfig
from flexsa.compiler.blocking import (
    GemmMemoryPlan,
    PartBlocking,
    a_elems,
    block_ranges,
    plan_gemm,
    store_word,
)
from flexsa.compiler.classes import TileClass, WaveKind
from flexsa.compiler.plan import PartPlan, plan_part, unit_cycles, unit_wave_runs, wave_shape
from flexsa.compiler.schedule import class_dim
from flexsa.compiler.tiling import EDGE, FULL, Dim, GroupPart
from flexsa.sim.memory_spec import MemorySpec
from flexsa.sim.unit_clock import Wave, WaveTable, item_runs, walk
from flexsa.workloads.layers import Gemm, Im2col


def transfer_cycles(nbytes: int, bytes_per_cycle: float) -> int:
    if nbytes <= 0 or math.isinf(bytes_per_cycle):
        return 0
    return math.ceil(nbytes / bytes_per_cycle)


# ---------------------------------------------------------------------- wave level
def tile_patterns(arch: ArchConfig, plan: PartPlan, port_bpc: float
                  ) -> dict[int, list[tuple[Wave, int]]]:
    """Per tile class (:class:`TileClass` index): the K loop as runs of (wave, load cycles)."""
    ib = arch.input_bytes
    out: dict[int, list[tuple[Wave, int]]] = {}
    for n_cls in plan.n_dim.classes():
        n = plan.n_dim.size(n_cls)
        for m_cls in plan.m_dim.classes():
            m = plan.m_dim.size(m_cls)
            runs: list[tuple[Wave, int]] = []
            for k_cls in plan.k_dim.classes():
                k = plan.k_dim.size(k_cls)
                shape = wave_shape(arch, plan.mode_of(n_cls, k_cls), m, k)
                vload = transfer_cycles(k * n * ib, port_bpc)
                hload = transfer_cycles(m * k * ib, port_bpc)
                runs.append(((shape, vload, hload), plan.k_dim.count_of(k_cls)))
            out[TileClass.of(n_cls, m_cls).index] = runs
    return out


@lru_cache(maxsize=4096)
def unit_sequences(by_wave: bool, m_dim: Dim, n_dim: Dim, k_dim: Dim, instances: int,
                   units: int) -> tuple[list[tuple[list[tuple[int, int]], int]], ...]:
    """The distinct per-unit item sequences (waves, or output tiles with their K loop) as
    (group of (class, count) runs, repeats); they depend only on the tile classes and
    counts, so one per class structure (``class_dim``) serves every block size."""
    if by_wave:
        unit_runs = unit_wave_runs(m_dim, n_dim, k_dim, instances, units)
    else:
        unit_runs = unit_tile_runs(m_dim, n_dim, instances, units)
    distinct = dict.fromkeys(tuple(runs) for runs in unit_runs if runs)
    return tuple(periods(list(runs)) for runs in distinct)


def unit_tile_runs(m_dim: Dim, n_dim: Dim, instances: int, units: int
                   ) -> list[list[tuple[int, int]]]:
    """Per unit: its output tiles' classes in order, run-length encoded (class, count)."""
    total = instances * n_dim.count * m_dim.count
    order = np.arange(total, dtype=np.int64)
    per_instance = n_dim.count * m_dim.count
    rest = order % per_instance
    n_edge = (rest // m_dim.count == n_dim.count - 1) & bool(n_dim.edge)
    m_edge = (rest % m_dim.count == m_dim.count - 1) & bool(m_dim.edge)
    cls = 2 * n_edge.astype(np.int64) + m_edge.astype(np.int64)  # TileClass.index, vectorised
    out: list[list[tuple[int, int]]] = []
    for u in range(units):
        seq = cls[u::units]
        if seq.size == 0:
            out.append([])
            continue
        cuts = np.flatnonzero(np.diff(seq)) + 1
        starts = np.concatenate(([0], cuts))
        ends = np.concatenate((cuts, [seq.size]))
        out.append([(int(seq[a]), int(b - a)) for a, b in zip(starts, ends, strict=True)])
    return out


@dataclass(frozen=True)
class BlockTiming:
    """A block's time from idle: ``compute`` (core rules), ``memory`` (with wave loads),
    ``warm`` (with loads, every unit's first wave prefetched into its LBUFs); ``tail``: the
    cycles at its end with every unit's port idle; ``lbuf_bytes``: its GBUF -> LBUF bytes."""

    compute: int
    memory: int
    lbuf_bytes: int
    warm: int = 0
    tail: int = 0


def wave_patterns(arch: ArchConfig, plan: PartPlan, port_bpc: float
                  ) -> dict[int, list[tuple[Wave, int]]]:
    """Per wave class (:class:`WaveKind` index): that one wave and its loads."""
    ib = arch.input_bytes
    out: dict[int, list[tuple[Wave, int]]] = {}
    for wc in plan.wave_classes():
        shape = wave_shape(arch, wc.mode, wc.m, wc.k)
        wave = (shape, transfer_cycles(wc.k * wc.n * ib, port_bpc),
                transfer_cycles(wc.m * wc.k * ib, port_bpc))
        out[WaveKind.get(wc.n_cls, wc.m_cls, wc.k_cls).index] = [(wave, 1)]
    return out


def _units_end(arch: ArchConfig, plan: PartPlan, port_bpc: float
               ) -> tuple[int, int, int]:
    """(cold end, warm end, last port-busy cycle) of the block's units; warm: every unit's
    first wave prefetched (see :func:`flexsa.sim.unit_clock.walk`)."""
    if plan.by_wave:
        patterns = wave_patterns(arch, plan, port_bpc)
    else:
        patterns = tile_patterns(arch, plan, port_bpc)
    table = WaveTable(arch.switch_timing)
    items = {cls: item_runs(table, pattern) for cls, pattern in patterns.items()}
    end = warm_end = port = 0
    for sequence in unit_sequences(plan.by_wave, class_dim(plan.m_dim), class_dim(plan.n_dim),
                                   class_dim(plan.k_dim), plan.part.instances, plan.units):
        program = [([(items[cls], count) for cls, count in group], repeats)
                   for group, repeats in sequence]
        cold, warm, busy = walk(table, program)
        end, warm_end, port = max(end, cold), max(warm_end, warm), max(port, busy)
    return end, warm_end, port


def periods(items: list[tuple[int, int]], limit: int = 12
            ) -> list[tuple[list[tuple[int, int]], int]]:
    """``items`` as (block, repeats) with repeated blocks of up to ``limit`` items merged
    (a unit's share of a wave-allocated K loop repeats every few output tiles)."""
    out = []
    i, n = 0, len(items)
    while i < n:
        best_p, best_r = 1, 1
        for p in range(1, min(limit, (n - i) // 2) + 1):
            block = items[i:i + p]
            r = 1
            while items[i + r * p:i + (r + 1) * p] == block:
                r += 1
            if r > 1 and r * p > best_p * best_r:
                best_p, best_r = p, r
        out.append((items[i:i + best_p], best_r))
        i += best_p * best_r
    return out


@lru_cache(maxsize=65536)
def block_timing(arch: ArchConfig, m: int, n: int, k: int, port_bpc: float,
                 policy: str) -> BlockTiming:
    """Timing of one GBUF block (a single-instance ``m x n x k`` sub-GEMM) on a group."""
    plan = plan_part(arch, GroupPart(0, m, n, k, 0, 0, 1), policy)
    compute = int(max(unit_cycles(plan.schedule, plan.costs(arch))))
    nbytes = sum(wc.count * (wc.k * wc.n + wc.m * wc.k) for wc in plan.wave_classes())
    if math.isinf(port_bpc):
        return BlockTiming(compute, compute, nbytes * arch.input_bytes, compute, compute)
    memory, warm, port = _units_end(arch, plan, port_bpc)
    return BlockTiming(compute, memory, nbytes * arch.input_bytes, warm, memory - port)


# ---------------------------------------------------------------------- block level
class Block(NamedTuple):
    """One GBUF block of a part: its sizes and the DMA bytes it loads and stores."""

    m: int
    n: int
    k: int
    load_bytes: int
    store_bytes: int
    exposed: bool = False  # loads a single-buffered resident panel: issued after block b-1


def part_blocks(part: PartBlocking, ib: int, im2col: Im2col | None = None) -> Iterator[Block]:
    """One instance's blocks in DMA order (the same walk as ``blocking.part_dma``)."""
    p = part.plan
    ms, ns, ks = block_ranges(p.m, p.bm), block_ranges(p.n, p.bn), block_ranges(p.k, p.bk)
    outer, inner = (ns, ms) if p.order == "NMK" else (ms, ns)
    last_a = last_b = None
    ob = store_word(part)
    for o in outer:
        for i in inner:
            (m0, mm), (n0, nn) = (i, o) if p.order == "NMK" else (o, i)
            for j, (k0, kk) in enumerate(ks):
                load = 0
                new_a, new_b = (m0, k0) != last_a, (k0, n0) != last_b
                if new_a:
                    load += int(a_elems(im2col, mm, kk)) * ib
                if new_b:
                    load += kk * nn * ib
                exposed = p.single_resident and last_b is not None and (
                    new_b if p.order == "NMK" else new_a)
                last_a, last_b = (m0, k0), (k0, n0)
                store = mm * nn * ob if j == len(ks) - 1 else 0
                yield Block(mm, nn, kk, load, store, exposed)


STORE, LOAD = 0, 1  # request kinds; requests issued in the same cycle: stores first


class Channel:
    """A DRAM channel serving requests in issue order (same cycle: stores first, then by
    block). A request issued at ``t`` ends at ``max(free, t + latency) + ceil(bytes / bw)``."""

    __slots__ = ("bpc", "free", "latency")

    def __init__(self, bytes_per_cycle: float, latency: int) -> None:
        self.bpc = bytes_per_cycle
        self.latency = latency
        self.free = 0

    def serve(self, nbytes: int, issue: int) -> int:
        end = max(self.free, issue + self.latency) + transfer_cycles(nbytes, self.bpc)
        self.free = end
        return end


def pipeline(blocks: Sequence[Block], timings: Sequence[BlockTiming], channel: Channel) -> int:
    """End of a group's block pipeline (see the module docstring).

    Block ``b``'s first LBUF loads (``memory - warm`` cycles) start once its DRAM load is
    done and block ``b - 1``'s ports are idle (its last ``tail`` cycles); the block then
    runs ``warm`` cycles from when both those loads and block ``b - 1`` are done. Its store is
    issued when it has computed; the load of block ``b + 2`` is issued when block ``b`` is
    done (computed and stored), of an ``exposed`` block ``b + 1`` (a new single-buffered
    resident panel) only then. The channel serves requests in issue order (ties: the store
    first, loads by block; load issue times need not be monotone); zero-byte requests complete
    at their issue time. Requests that cannot precede the next store are known when it is
    served, so one pass with a small heap of pending loads suffices.
    """
    count = len(blocks)
    load_end: list[int | None] = [None] * count
    pending = [(0, b) for b in range(min(2, count))   # (issue, block)
               if b == 0 or not blocks[b].exposed]

    def serve_next() -> None:
        issue, i = heapq.heappop(pending)
        nbytes = blocks[i].load_bytes
        load_end[i] = channel.serve(nbytes, issue) if nbytes > 0 else issue

    computed = finish = tail = 0
    for b in range(count):
        while load_end[b] is None:
            serve_next()
        timing = timings[b]
        prefetch = max(computed - tail, load_end[b] or 0)
        computed = max(computed, prefetch + timing.memory - timing.warm) + timing.warm
        tail = timing.tail
        while pending and pending[0][0] < computed:
            serve_next()
        nbytes = blocks[b].store_bytes
        done = max(computed, channel.serve(nbytes, computed)) if nbytes > 0 else computed
        finish = max(finish, done)
        if b + 2 < count and not blocks[b + 2].exposed:
            heapq.heappush(pending, (done, b + 2))
        if b + 1 < count and blocks[b + 1].exposed:
            heapq.heappush(pending, (done, b + 1))
    return finish


@dataclass(frozen=True)
class PartTiming:
    end: int
    compute: int
    lbuf_bytes: int
    peak_dram_bpc: float
    peak_lbuf_bpc: float
    partial_store_bytes: int


def block_sequence(part: PartBlocking, arch: ArchConfig, im2col: Im2col | None = None
                   ) -> list[Block]:
    blocks = list(part_blocks(part, arch.input_bytes, im2col))
    return blocks * part.instances


def part_timing(arch: ArchConfig, spec: MemorySpec, part: PartBlocking, dram_bpc: float,
                policy: str, im2col: Im2col | None = None) -> PartTiming:
    port = spec.unit_port_bytes_per_cycle
    blocks = block_sequence(part, arch, im2col)
    distinct = {(b.m, b.n, b.k) for b in blocks}
    by_shape = {key: block_timing(arch, *key, port, policy) for key in distinct}
    timings = [by_shape[(b.m, b.n, b.k)] for b in blocks]
    end = pipeline(blocks, timings,
                   Channel(dram_bpc, spec.dram_latency_cycles))
    compute = sum(t.compute for t in timings)
    peak_dram = max((b.load_bytes / t.compute for b, t in zip(blocks, timings, strict=True)
                     if t.compute), default=0.0)
    peak_lbuf = max((t.lbuf_bytes / t.compute for t in timings if t.compute), default=0.0)
    per_instance = sum(b.m * b.n for b in blocks) // part.instances
    partial = (per_instance - part.m * part.n) * arch.output_bytes * part.instances
    return PartTiming(end, compute, sum(t.lbuf_bytes for t in timings), peak_dram, peak_lbuf,
                      partial)


# ---------------------------------------------------------------------- GEMM level
@dataclass(frozen=True)
class GemmMemory:
    """Memory-system results of one GEMM."""

    stall_cycles: int
    dram_to_gbuf: int
    gbuf_to_dram: int
    compulsory_bytes: int
    peak_dram_bpc: float
    peak_lbuf_bpc: float
    partial_store_bytes: int


def reduction_cycles(plan: GemmMemoryPlan, spec: MemorySpec) -> int:
    if plan.reduction_bytes == 0 or spec.ideal:
        return 0
    return spec.dram_latency_cycles + transfer_cycles(plan.reduction_bytes,
                                                      spec.dram_bytes_per_cycle)


def _gemm_memory(arch: ArchConfig, spec: MemorySpec, gemm: Gemm, policy: str) -> GemmMemory:
    plan = plan_gemm(gemm, arch)
    stall = 0
    peak_dram = peak_lbuf = 0.0
    partial = 0
    if spec.ideal:
        for part in plan.parts:
            partial += _partial_bytes(part, arch)
    else:
        dram_bpc = spec.dram_bytes_per_cycle / len(plan.parts)
        worst = 0
        seen: dict[tuple[object, ...], PartTiming] = {}
        for part in plan.parts:
            key = (part.m, part.n, part.k, part.instances, part.plan)
            if key not in seen:
                seen[key] = part_timing(arch, spec, part, dram_bpc, policy, gemm.im2col)
            timing = seen[key]
            worst = max(worst, timing.end - timing.compute)
            peak_dram = max(peak_dram, timing.peak_dram_bpc * len(plan.parts))
            peak_lbuf = max(peak_lbuf, timing.peak_lbuf_bpc * len(plan.parts))
            partial += timing.partial_store_bytes
        stall = worst + reduction_cycles(plan, spec)
    return GemmMemory(stall, plan.dram_to_gbuf * 1, plan.gbuf_to_dram, plan.compulsory_bytes,
                      peak_dram, peak_lbuf, partial)


def _partial_bytes(part: PartBlocking, arch: ArchConfig) -> int:
    nk = math.ceil(part.plan.k / part.plan.bk)
    return (nk - 1) * part.m * part.n * arch.output_bytes * part.instances


_GEMM_MEMORY: dict[tuple[object, ...], GemmMemory] = {}
_GEMM_MEMORY_LIMIT = 65536  # entries; then cleared


def gemm_memory(arch: ArchConfig, spec: MemorySpec, gemm: Gemm, policy: str = "auto"
                ) -> GemmMemory:
    """Stall cycles and DRAM traffic of ``gemm`` (identical shapes evaluated once: the
    result depends on the shape, phase and implicit-GEMM view, not on the layer's name)."""
    key = (arch, spec, gemm.m, gemm.n, gemm.k, gemm.groups, gemm.phase, policy, gemm.im2col)
    found = _GEMM_MEMORY.get(key)
    if found is None:
        if len(_GEMM_MEMORY) >= _GEMM_MEMORY_LIMIT:
            _GEMM_MEMORY.clear()
        found = _GEMM_MEMORY[key] = _gemm_memory(arch, spec, gemm, policy)
    return found


__all__ = ["EDGE", "FULL", "BlockTiming", "GemmMemory", "block_timing", "gemm_memory",
           "part_timing", "pipeline"]
