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
tiles round-robin to the units, K innermost). Each unit reads the GBUF at
``spec.unit_port_bytes_per_cycle`` (the group's ``gbuf_to_lbuf_bytes_per_cycle`` split over
``gbuf_ports`` ports, default one per unit) and has double-buffered LBUFs: the load
of wave ``i`` (stationary ``k x n`` plus streamed ``m x k``) starts when the port is free and
wave ``i - 2``'s LBUF half has been consumed (its last row streamed in); the wave's ShiftV
starts when its load is complete, and otherwise the wave follows the core's timing rules.
``X_b`` is the block's time from idle with these loads; ``C_b`` the same without them (the
core's timing of the block).

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
from typing import Any, NamedTuple

import numpy as np

from flexsa.arch.config import ArchConfig
from flexsa.arch.timing import WaveShape, wave_cycles
from flexsa.compiler.blocking import GemmMemoryPlan, PartPlan, block_ranges, plan_gemm
from flexsa.compiler.plan import PartPlan as CorePartPlan
from flexsa.compiler.plan import class_costs, plan_part, unit_cycles, wave_shape
from flexsa.compiler.tiling import EDGE, FULL, GroupPart
from flexsa.sim.memory_spec import MemorySpec
from flexsa.workloads.layers import Gemm

Wave = tuple[WaveShape, int]  # (shape, load cycles)


def transfer_cycles(nbytes: int, bytes_per_cycle: float) -> int:
    if nbytes <= 0 or math.isinf(bytes_per_cycle):
        return 0
    return math.ceil(nbytes / bytes_per_cycle)


# ---------------------------------------------------------------------- wave level
class UnitClock:
    """The timing state of one unit: port free, last stream start, LBUF halves free."""

    __slots__ = ("f1", "f2", "port", "prev", "start", "switch")

    def __init__(self, switch: int, origin: int = 0) -> None:
        self.port = origin
        self.start = origin
        self.f1 = origin
        self.f2 = origin
        self.prev: WaveShape | None = None
        self.switch = switch

    def step(self, shape: WaveShape, load: int) -> None:
        port = max(self.port, self.f2) + load
        start = port + shape.k
        if self.prev is not None:
            start = max(start, self.start + wave_cycles(self.prev, shape, self.switch))
        self.port, self.start = port, start
        self.f2, self.f1 = self.f1, start + shape.m_sub
        self.prev = shape

    def end(self) -> int:
        if self.prev is None:
            return self.start
        return self.start + wave_cycles(self.prev, None, self.switch)

    def norm(self) -> tuple[object, ...]:
        s = self.start
        return (self.prev, self.port - s, self.f1 - s, self.f2 - s)

    def shift(self, delta: int) -> None:
        self.port += delta
        self.start += delta
        self.f1 += delta
        self.f2 += delta


def _repeat(clock: UnitClock, count: int, body: Any) -> None:
    """Apply ``body(clock)`` ``count`` times, jumping once the state repeats."""
    done = 0
    last: tuple[object, ...] | None = None
    last_start = 0
    while done < count:
        body(clock)
        done += 1
        norm = clock.norm()
        if norm == last and clock.prev is not None:
            clock.shift((count - done) * (clock.start - last_start))
            return
        last, last_start = norm, clock.start


def _run_tile(clock: UnitClock, pattern: Sequence[tuple[Wave, int]]) -> None:
    for (shape, load), count in pattern:
        _repeat(clock, count, lambda c, s=shape, ld=load: c.step(s, ld))


def tile_patterns(arch: ArchConfig, plan: CorePartPlan, port_bpc: float
                  ) -> dict[int, list[tuple[Wave, int]]]:
    """Per tile class (2 * n_cls + m_cls): the K loop as runs of (wave, load cycles)."""
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
                load = transfer_cycles((k * n + m * k) * ib, port_bpc)
                runs.append(((shape, load), plan.k_dim.count_of(k_cls)))
            out[2 * n_cls + m_cls] = runs
    return out


def unit_tile_runs(plan: CorePartPlan) -> list[list[tuple[int, int]]]:
    """Per unit: its output tiles' classes in order, run-length encoded (class, count)."""
    n_dim, m_dim, units = plan.n_dim, plan.m_dim, plan.units
    total = plan.output_tiles
    order = np.arange(total, dtype=np.int64)
    per_instance = n_dim.count * m_dim.count
    rest = order % per_instance
    n_edge = (rest // m_dim.count == n_dim.count - 1) & bool(n_dim.edge)
    m_edge = (rest % m_dim.count == m_dim.count - 1) & bool(m_dim.edge)
    cls = 2 * n_edge.astype(np.int64) + m_edge.astype(np.int64)
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
    """A block's time from idle: ``compute`` (core rules) and ``memory`` (with wave loads);
    ``lbuf_bytes``: its GBUF -> LBUF bytes."""

    compute: int
    memory: int
    lbuf_bytes: int


def _units_end(arch: ArchConfig, plan: CorePartPlan, port_bpc: float) -> int:
    patterns = tile_patterns(arch, plan, port_bpc)
    end = 0
    for runs in unit_tile_runs(plan):
        if not runs:
            continue
        clock = UnitClock(arch.mode_switch_cycles)
        for cls, count in runs:
            _repeat(clock, count, lambda c, p=patterns[cls]: _run_tile(c, p))
        end = max(end, clock.end())
    return end


@lru_cache(maxsize=65536)
def block_timing(arch: ArchConfig, m: int, n: int, k: int, port_bpc: float,
                 policy: str) -> BlockTiming:
    """Timing of one GBUF block (a single-instance ``m x n x k`` sub-GEMM) on a group."""
    plan = plan_part(arch, GroupPart(0, m, n, k, 0, 0, 1), policy)
    costs = class_costs(arch, plan.m_dim, plan.n_dim, plan.k_dim, dict(plan.modes))
    compute = int(max(unit_cycles(plan.schedule, costs)))
    memory = compute if math.isinf(port_bpc) else _units_end(arch, plan, port_bpc)
    nbytes = sum(wc.count * (wc.k * wc.n + wc.m * wc.k) for wc in plan.wave_classes())
    return BlockTiming(compute, memory, nbytes * arch.input_bytes)


# ---------------------------------------------------------------------- block level
class Block(NamedTuple):
    """One GBUF block of a part: its sizes and the DMA bytes it loads and stores."""

    m: int
    n: int
    k: int
    load_bytes: int
    store_bytes: int


def part_blocks(part: PartPlan, ib: int, ob: int) -> Iterator[Block]:
    """One instance's blocks in DMA order (the same walk as ``blocking.part_dma``)."""
    p = part.plan
    ms, ns, ks = block_ranges(p.m, p.bm), block_ranges(p.n, p.bn), block_ranges(p.k, p.bk)
    outer, inner = (ns, ms) if p.order == "NMK" else (ms, ns)
    last_a = last_b = None
    for o in outer:
        for i in inner:
            (m0, mm), (n0, nn) = (i, o) if p.order == "NMK" else (o, i)
            for j, (k0, kk) in enumerate(ks):
                load = 0
                if (m0, k0) != last_a:
                    load += mm * kk * ib
                    last_a = (m0, k0)
                if (k0, n0) != last_b:
                    load += kk * nn * ib
                    last_b = (k0, n0)
                store = mm * nn * ob if j == len(ks) - 1 else 0
                yield Block(mm, nn, kk, load, store)


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


def pipeline(blocks: Sequence[Block], durations: Sequence[int], channel: Channel) -> int:
    """End of a group's block pipeline (see the module docstring).

    Block ``b`` starts when block ``b - 1`` has computed and its load is done; its store is
    issued when it has computed; the load of block ``b + 2`` is issued when block ``b`` is
    done (computed and stored). The channel serves requests in issue order (ties: the store
    first, loads by block; load issue times need not be monotone); zero-byte requests complete
    at their issue time. Requests that cannot precede the next store are known when it is
    served, so one pass with a small heap of pending loads suffices.
    """
    count = len(blocks)
    load_end: list[int | None] = [None] * count
    pending: list[tuple[int, int]] = [(0, b) for b in range(min(2, count))]  # (issue, block)

    def serve_next() -> None:
        issue, i = heapq.heappop(pending)
        nbytes = blocks[i].load_bytes
        load_end[i] = channel.serve(nbytes, issue) if nbytes > 0 else issue

    computed = finish = 0
    for b in range(count):
        while load_end[b] is None:
            serve_next()
        computed = max(computed, load_end[b] or 0) + durations[b]
        while pending and pending[0][0] < computed:
            serve_next()
        nbytes = blocks[b].store_bytes
        done = max(computed, channel.serve(nbytes, computed)) if nbytes > 0 else computed
        finish = max(finish, done)
        if b + 2 < count:
            heapq.heappush(pending, (done, b + 2))
    return finish


@dataclass(frozen=True)
class PartTiming:
    end: int
    compute: int
    lbuf_bytes: int
    peak_dram_bpc: float
    peak_lbuf_bpc: float
    partial_store_bytes: int


def block_sequence(part: PartPlan, arch: ArchConfig) -> list[Block]:
    blocks = list(part_blocks(part, arch.input_bytes, arch.output_bytes))
    return blocks * part.instances


def part_timing(arch: ArchConfig, spec: MemorySpec, part: PartPlan, dram_bpc: float,
                policy: str) -> PartTiming:
    port = spec.unit_port_bytes_per_cycle
    blocks = block_sequence(part, arch)
    distinct = {(b.m, b.n, b.k) for b in blocks}
    by_shape = {key: block_timing(arch, *key, port, policy) for key in distinct}
    timings = [by_shape[(b.m, b.n, b.k)] for b in blocks]
    end = pipeline(blocks, [t.memory for t in timings],
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


@lru_cache(maxsize=65536)
def _gemm_memory(arch: ArchConfig, spec: MemorySpec, m: int, n: int, k: int, groups: int,
                 phase: Any, policy: str) -> GemmMemory:
    gemm = Gemm("mem", phase, m, n, k, groups)
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
                seen[key] = part_timing(arch, spec, part, dram_bpc, policy)
            timing = seen[key]
            worst = max(worst, timing.end - timing.compute)
            peak_dram = max(peak_dram, timing.peak_dram_bpc * len(plan.parts))
            peak_lbuf = max(peak_lbuf, timing.peak_lbuf_bpc * len(plan.parts))
            partial += timing.partial_store_bytes
        stall = worst + reduction_cycles(plan, spec)
    return GemmMemory(stall, plan.dram_to_gbuf * 1, plan.gbuf_to_dram, plan.compulsory_bytes,
                      peak_dram, peak_lbuf, partial)


def _partial_bytes(part: PartPlan, arch: ArchConfig) -> int:
    nk = math.ceil(part.plan.k / part.plan.bk)
    return (nk - 1) * part.m * part.n * arch.output_bytes * part.instances


def gemm_memory(arch: ArchConfig, spec: MemorySpec, gemm: Gemm, policy: str = "auto"
                ) -> GemmMemory:
    """Stall cycles and DRAM traffic of ``gemm`` (identical shapes evaluated once)."""
    return _gemm_memory(arch, spec, gemm.m, gemm.n, gemm.k, gemm.groups, gemm.phase, policy)


__all__ = ["EDGE", "FULL", "BlockTiming", "GemmMemory", "block_timing", "gemm_memory",
           "part_timing", "pipeline"]
