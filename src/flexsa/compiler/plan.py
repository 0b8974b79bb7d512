"""Compressed GEMM plans: tiling, round-robin allocation statistics and mode selection.

A part of a GEMM (one group's share) has at most 2 x 2 x 2 distinct wave shapes (full or
edge tile along N, M and K). Output tiles (an (n, m) tile with its K loop) are handed to the
group's units round-robin in loop order (instance, N, M). A unit's time is

    head(first wave) + sum of gaps between consecutive waves + tail(last wave)

so it only needs, per unit, how many output tiles of each class it runs and how many
consecutive (tile class -> tile class) transitions it sees. Those counts are computed once
per part (O(#output tiles) integers, never the wave-by-wave program); every candidate mode
assignment is then evaluated with a few small dot products.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from flexsa.arch.config import ArchConfig
from flexsa.arch.timing import WaveShape, wave_cycles
from flexsa.compiler.modes import REUSE_RANK, Mode, geometry, table_mode, valid_modes
from flexsa.compiler.tiling import EDGE, FULL, Dim, GroupPart, partition, reduction_bytes
from flexsa.errors import ConfigError
from flexsa.workloads.layers import Gemm

MODE_POLICIES = ("auto", "table", "fw")
TILE_CLASSES = 4  # tile class = 2 * n_cls + m_cls


@dataclass(frozen=True)
class WaveClass:
    """All waves of a part with one shape: ``count`` waves of ``m x n x k`` in ``mode``."""

    n_cls: int
    m_cls: int
    k_cls: int
    m: int
    n: int
    k: int
    mode: Mode
    count: int


@dataclass(frozen=True)
class UnitSchedule:
    """Round-robin allocation of a part's output tiles to units, compressed.

    ``counts[u, t]``: tiles of class ``t`` on unit ``u``; ``pairs[u, 4a+b]``: consecutive
    tiles (class ``a`` then ``b``) on unit ``u``; ``first``/``last``: class of the unit's
    first/last tile (-1 for an idle unit).
    """

    counts: np.ndarray
    pairs: np.ndarray
    first: np.ndarray
    last: np.ndarray

    @property
    def busy_units(self) -> np.ndarray:
        return self.first >= 0


def unit_schedule(m_dim: Dim, n_dim: Dim, instances: int, units: int) -> UnitSchedule:
    n_tiles, m_tiles = n_dim.count, m_dim.count
    per_instance = n_tiles * m_tiles
    total = per_instance * instances
    order = np.arange(total, dtype=np.int64)
    rest = order % per_instance
    n_edge = (rest // m_tiles == n_tiles - 1) & bool(n_dim.edge)
    m_edge = (rest % m_tiles == m_tiles - 1) & bool(m_dim.edge)
    cls = 2 * n_edge.astype(np.int64) + m_edge.astype(np.int64)
    unit = order % units
    counts = np.bincount(unit * TILE_CLASSES + cls, minlength=units * TILE_CLASSES)
    follow = unit[:-units] * 16 + cls[:-units] * 4 + cls[units:] if total > units else unit[:0]
    pairs = np.bincount(follow, minlength=units * 16)
    first = np.full(units, -1, dtype=np.int64)
    last = np.full(units, -1, dtype=np.int64)
    head = min(units, total)
    first[:head] = cls[:head]
    tail_units = unit[total - head:]
    last[tail_units] = cls[total - head:]
    return UnitSchedule(counts.reshape(units, TILE_CLASSES), pairs.reshape(units, 16),
                        first, last)


Assignment = dict[tuple[int, int], Mode]


@dataclass(frozen=True)
class PartPlan:
    """The compiled (compressed) plan of one group's part of a GEMM."""

    part: GroupPart
    m_dim: Dim
    n_dim: Dim
    k_dim: Dim
    units: int
    modes: tuple[tuple[tuple[int, int], Mode], ...]

    def mode_of(self, n_cls: int, k_cls: int) -> Mode:
        return dict(self.modes)[(n_cls, k_cls)]

    @cached_property
    def schedule(self) -> UnitSchedule:
        return unit_schedule(self.m_dim, self.n_dim, self.part.instances, self.units)

    def wave_classes(self) -> list[WaveClass]:
        out = []
        for n_cls in self.n_dim.classes():
            for m_cls in self.m_dim.classes():
                for k_cls in self.k_dim.classes():
                    count = (self.part.instances * self.n_dim.count_of(n_cls)
                             * self.m_dim.count_of(m_cls) * self.k_dim.count_of(k_cls))
                    out.append(WaveClass(n_cls, m_cls, k_cls, self.m_dim.size(m_cls),
                                         self.n_dim.size(n_cls), self.k_dim.size(k_cls),
                                         self.mode_of(n_cls, k_cls), count))
        return out

    @property
    def waves(self) -> int:
        return self.part.instances * self.n_dim.count * self.m_dim.count * self.k_dim.count

    @property
    def output_tiles(self) -> int:
        return self.part.instances * self.n_dim.count * self.m_dim.count


@dataclass(frozen=True)
class GemmPlan:
    """A GEMM compiled for an accelerator: one plan per active group, plus the reduction."""

    gemm: Gemm
    parts: tuple[PartPlan, ...]
    reduction_bytes: int
    axis: str


def wave_shape(arch: ArchConfig, mode: Mode, m: int, k: int) -> WaveShape:
    geo = geometry(arch, mode)
    return WaveShape(mode.value, -(-m // geo.count), k, geo.rows, geo.cols)


@dataclass(frozen=True)
class ClassCosts:
    """Per tile class: head, internal gaps, tail; per tile-class pair: the gap between them.

    ``*_by_mode`` hold the same cycles attributed to the mode of the wave that owns them
    (a wave owns the gap after it; the first wave also owns the head).
    """

    head: np.ndarray
    internal: np.ndarray
    tail: np.ndarray
    inter: np.ndarray
    owner_internal: tuple[tuple[tuple[Mode, int], ...], ...]
    owner_head: tuple[Mode | None, ...]
    owner_last: tuple[Mode | None, ...]


def class_costs(arch: ArchConfig, m_dim: Dim, n_dim: Dim, k_dim: Dim,
                assignment: Assignment) -> ClassCosts:
    switch = arch.mode_switch_cycles
    head = np.zeros(TILE_CLASSES, dtype=np.int64)
    internal = np.zeros(TILE_CLASSES, dtype=np.int64)
    tail = np.zeros(TILE_CLASSES, dtype=np.int64)
    inter = np.zeros(16, dtype=np.int64)
    firsts: dict[int, WaveShape] = {}
    lasts: dict[int, WaveShape] = {}
    owner_internal: list[tuple[tuple[Mode, int], ...]] = [()] * TILE_CLASSES
    owner_head: list[Mode | None] = [None] * TILE_CLASSES
    owner_last: list[Mode | None] = [None] * TILE_CLASSES
    kf, ke = k_dim.full, k_dim.edge
    for n_cls in n_dim.classes():
        for m_cls in m_dim.classes():
            tc = 2 * n_cls + m_cls
            m = m_dim.size(m_cls)
            full = edge = None
            if kf:
                full_mode = assignment[(n_cls, FULL)]
                full = wave_shape(arch, full_mode, m, k_dim.block)
            if ke:
                edge_mode = assignment[(n_cls, EDGE)]
                edge = wave_shape(arch, edge_mode, m, ke)
            first = full if full is not None else edge
            last = edge if edge is not None else full
            assert first is not None and last is not None
            owned: list[tuple[Mode, int]] = []
            if full is not None and kf > 1:
                owned.append((full_mode, (kf - 1) * wave_cycles(full, full, switch)))
            if full is not None and edge is not None:
                owned.append((full_mode, wave_cycles(full, edge, switch)))
            internal[tc] = sum(c for _, c in owned)
            owner_internal[tc] = tuple(owned)
            head[tc] = wave_cycles(None, first, switch)
            tail[tc] = wave_cycles(last, None, switch)
            owner_head[tc] = Mode(first.mode)
            owner_last[tc] = Mode(last.mode)
            firsts[tc], lasts[tc] = first, last
    for a, last_shape in lasts.items():
        for b, first_shape in firsts.items():
            inter[4 * a + b] = wave_cycles(last_shape, first_shape, switch)
    return ClassCosts(head, internal, tail, inter, tuple(owner_internal), tuple(owner_head),
                      tuple(owner_last))


def unit_cycles(schedule: UnitSchedule, costs: ClassCosts) -> np.ndarray:
    """Cycles of every unit (0 for an idle unit)."""
    busy = schedule.busy_units
    first = np.where(busy, schedule.first, 0)
    last = np.where(busy, schedule.last, 0)
    cycles = (schedule.counts @ costs.internal + schedule.pairs @ costs.inter
              + costs.head[first] + costs.tail[last])
    return np.where(busy, cycles, 0)


def _candidates(arch: ArchConfig, m_dim: Dim, n_dim: Dim, k_dim: Dim,
                policy: str) -> list[Assignment]:
    keys = [(nc, kc) for nc in n_dim.classes() for kc in k_dim.classes()]
    options: list[tuple[Mode, ...]] = []
    for nc, kc in keys:
        n, k = n_dim.size(nc), k_dim.size(kc)
        if policy == "table":
            options.append((table_mode(arch, n, k),))
        elif policy == "fw":
            options.append((valid_modes(arch, n, k)[0],))
        else:
            options.append(valid_modes(arch, n, k))
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*options)]


def _reuse_penalty(assignment: Assignment, m_dim: Dim, n_dim: Dim, k_dim: Dim) -> int:
    return sum(REUSE_RANK[mode] * n_dim.count_of(nc) * k_dim.count_of(kc) * m_dim.count
               for (nc, kc), mode in assignment.items())


def plan_part(arch: ArchConfig, part: GroupPart, policy: str = "auto") -> PartPlan:
    """Tile a part and choose its modes.

    ``auto`` (default): the spec's candidate modes per (N, K) tile class, keeping a mode
    with less reuse only where it lowers the part's cycles (ties go to more reuse);
    ``table``: the spec's table as is; ``fw``: FW only.
    """
    if policy not in MODE_POLICIES:
        raise ConfigError(f"unknown mode policy {policy!r}; use one of {', '.join(MODE_POLICIES)}")
    m_dim, n_dim, k_dim = Dim(part.m, arch.blk_m), Dim(part.n, arch.blk_n), Dim(part.k, arch.blk_k)
    units = arch.units_per_group
    candidates = _candidates(arch, m_dim, n_dim, k_dim, policy)
    best = candidates[0]
    if len(candidates) > 1:
        schedule = unit_schedule(m_dim, n_dim, part.instances, units)
        scored = []
        for assignment in candidates:
            costs = class_costs(arch, m_dim, n_dim, k_dim, assignment)
            cycles = int(unit_cycles(schedule, costs).max())
            scored.append((cycles, _reuse_penalty(assignment, m_dim, n_dim, k_dim)))
        best = candidates[min(range(len(candidates)), key=lambda i: scored[i])]
    return PartPlan(part, m_dim, n_dim, k_dim, units, tuple(sorted(best.items())))


def compile_gemm(arch: ArchConfig, gemm: Gemm, policy: str = "auto") -> GemmPlan:
    """Partition, tile and choose modes for one GEMM (the program is not materialised)."""
    from flexsa.compiler.tiling import partition_axis

    parts = tuple(plan_part(arch, part, policy) for part in partition(arch, gemm))
    return GemmPlan(gemm, parts, reduction_bytes(arch, gemm), partition_axis(gemm))
