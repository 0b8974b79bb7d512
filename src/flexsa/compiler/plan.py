"""Compressed GEMM plans: tiling, round-robin allocation statistics and mode selection.

A part of a GEMM (one group's share) has at most 2 x 2 x 2 distinct wave shapes (full or
edge tile along N, M and K). With the default ``wave`` allocation (spec 4.2, the arch's
``allocation`` knob) every wave is handed to the group's units round-robin in loop order
(instance, N, M, K), so the K steps of one output tile may run on several units, each
storing its partial sum for the GBUF to accumulate (``PartPlan.stores_per_tile``); with
``tile`` allocation an output tile and its whole K loop go to one unit. With one unit per
group both are the same program. A unit's time is

    head(first wave) + sum of gaps between consecutive waves + tail(last wave)

so it only needs, per unit, how many items (waves, or tiles with their K loop) of each
class it runs and how many consecutive (class -> class) transitions it sees. Those counts
are computed once per part (:mod:`flexsa.compiler.schedule`, never item by item); every
candidate mode assignment is then evaluated with a few small dot products.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property, lru_cache

from flexsa.arch.config import ArchConfig
from flexsa.arch.timing import WaveShape, wave_cycles
from flexsa.compiler.classes import ClassPair, TileClass, WaveKind
from flexsa.compiler.modes import REUSE_RANK, Mode, geometry, table_mode, valid_modes
from flexsa.compiler.schedule import (  # noqa: F401 (re-exported)
    TILE_CLASSES,
    WAVE_CLASSES,
    UnitSchedule,
    _counted_schedule,
    _counted_schedule_py,
    _single_unit_schedule,
    count_runs,
    unit_schedule,
    unit_wave_runs,
    wave_runs,
    wave_schedule,
)
from flexsa.compiler.scoring import GRID_SCORING, Candidates, score_grid
from flexsa.compiler.tiling import EDGE, FULL, Dim, GroupPart, partition, reduction_bytes
from flexsa.errors import ConfigError
from flexsa.workloads.layers import Gemm

MODE_POLICIES = ("auto", "table", "fw")
Assignment = dict[tuple[int, int], Mode]


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


def wave_class_costs(arch: ArchConfig, m_dim: Dim, n_dim: Dim, k_dim: Dim,
                     assignment: Assignment) -> ClassCosts:
    """Per wave class: head and tail; per pair: the gap (no internal K loop)."""
    switch = arch.switch_timing
    shapes: dict[int, tuple[WaveShape, Mode]] = {}
    for n_cls in n_dim.classes():
        for m_cls in m_dim.classes():
            for k_cls in k_dim.classes():
                mode = assignment[(n_cls, k_cls)]
                shape = wave_shape(arch, mode, m_dim.size(m_cls), k_dim.size(k_cls))
                shapes[WaveKind.get(n_cls, m_cls, k_cls).index] = (shape, mode)
    zero = [0] * WAVE_CLASSES
    head, tail, inter = list(zero), list(zero), [0] * WAVE_CLASSES ** 2
    owners: list[Mode | None] = [None] * WAVE_CLASSES
    for c, (shape, mode) in shapes.items():
        head[c] = wave_cycles(None, shape, switch)
        tail[c] = wave_cycles(shape, None, switch)
        owners[c] = mode
        for d, (other, _) in shapes.items():
            inter[ClassPair.of(c, d, WAVE_CLASSES).index] = wave_cycles(shape, other, switch)
    return ClassCosts(head, list(zero), tail, inter, [()] * WAVE_CLASSES, list(owners),
                      list(owners))


@dataclass(frozen=True)
class PartPlan:
    """The compiled (compressed) plan of one group's part of a GEMM."""

    part: GroupPart
    m_dim: Dim
    n_dim: Dim
    k_dim: Dim
    units: int
    modes: tuple[tuple[tuple[int, int], Mode], ...]
    allocation: str = "tile"  # "wave": waves round-robin over the units (see plan_part)

    def mode_of(self, n_cls: int, k_cls: int) -> Mode:
        return self._mode_map[(n_cls, k_cls)]

    @cached_property
    def _mode_map(self) -> dict[tuple[int, int], Mode]:
        return dict(self.modes)

    @property
    def by_wave(self) -> bool:
        return self.allocation == "wave"

    @cached_property
    def schedule(self) -> UnitSchedule:
        return part_schedule(self.m_dim, self.n_dim, self.k_dim, self.part.instances,
                             self.units, self.allocation)

    def costs(self, arch: ArchConfig) -> ClassCosts:
        return part_costs(arch, self.m_dim, self.n_dim, self.k_dim, dict(self.modes),
                          self.allocation)

    @property
    def stores_per_tile(self) -> int:
        """Output-buffer stores of one output tile: one per unit its waves visit."""
        return min(self.k_dim.count, self.units) if self.by_wave else 1

    def wave_classes(self) -> list[WaveClass]:
        """Every wave shape of the part and its count (computed once; callers only read)."""
        return self._wave_classes

    @cached_property
    def _wave_classes(self) -> list[WaveClass]:
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


@lru_cache(maxsize=65536)
def wave_shape(arch: ArchConfig, mode: Mode, m: int, k: int) -> WaveShape:
    geo = geometry(arch, mode)
    return WaveShape(mode.value, -(-m // geo.count), k, geo.rows, geo.cols)


@dataclass(frozen=True)
class ClassCosts:
    """Per tile class: head, internal gaps, tail; per tile-class pair: the gap between them.

    ``owner_*`` name the mode of the wave that owns those cycles (a wave owns the gap after
    it; the first wave also owns the head).
    """

    head: list[int]
    internal: list[int]
    tail: list[int]
    inter: list[int]
    owner_internal: list[tuple[tuple[Mode, int], ...]]
    owner_head: list[Mode | None]
    owner_last: list[Mode | None]


def class_costs(arch: ArchConfig, m_dim: Dim, n_dim: Dim, k_dim: Dim,
                assignment: Assignment) -> ClassCosts:
    """Per tile class (its whole K loop): head, internal gaps, tail; per pair: the gap."""
    switch = arch.switch_timing
    head, internal, tail = [0] * TILE_CLASSES, [0] * TILE_CLASSES, [0] * TILE_CLASSES
    inter = [0] * 16
    firsts: dict[int, WaveShape] = {}
    lasts: dict[int, WaveShape] = {}
    owner_internal: list[tuple[tuple[Mode, int], ...]] = [()] * TILE_CLASSES
    owner_head: list[Mode | None] = [None] * TILE_CLASSES
    owner_last: list[Mode | None] = [None] * TILE_CLASSES
    kf, ke = k_dim.full, k_dim.edge
    for n_cls in n_dim.classes():
        full_mode = assignment.get((n_cls, FULL))
        edge_mode = assignment.get((n_cls, EDGE))
        for m_cls in m_dim.classes():
            tc = TileClass.of(n_cls, m_cls).index
            m = m_dim.size(m_cls)
            full = wave_shape(arch, full_mode, m, k_dim.block) if kf and full_mode else None
            edge = wave_shape(arch, edge_mode, m, ke) if ke and edge_mode else None
            first = full or edge
            last = edge or full
            assert first is not None and last is not None
            owned: list[tuple[Mode, int]] = []
            if full is not None and full_mode is not None:
                if kf > 1:
                    owned.append((full_mode, (kf - 1) * wave_cycles(full, full, switch)))
                if edge is not None:
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
            inter[ClassPair.of(a, b, TILE_CLASSES).index] = wave_cycles(last_shape, first_shape,
                                                                        switch)
    return ClassCosts(head, internal, tail, inter, owner_internal, owner_head, owner_last)


def unit_cycles(schedule: UnitSchedule, costs: ClassCosts) -> list[int]:
    """Cycles of every unit (0 for an idle unit)."""
    out = []
    head, tail, internal, inter = costs.head, costs.tail, costs.internal, costs.inter
    for (counts, pairs), first, last in zip(schedule.nonzero, schedule.first, schedule.last,
                                            strict=True):
        if first < 0:
            out.append(0)
            continue
        total = head[first] + tail[last]
        for c, v in counts:
            total += v * internal[c]
        for c, v in pairs:
            total += v * inter[c]
        out.append(total)
    return out


def _candidates(arch: ArchConfig, m_dim: Dim, n_dim: Dim, k_dim: Dim,
                policy: str) -> Candidates:
    return _candidates_of(arch, tuple((nc, n_dim.size(nc)) for nc in n_dim.classes()),
                          tuple((kc, k_dim.size(kc)) for kc in k_dim.classes()), policy)


@lru_cache(maxsize=4096)
def _candidates_of(arch: ArchConfig, n_sizes: tuple[tuple[int, int], ...],
                   k_sizes: tuple[tuple[int, int], ...], policy: str) -> Candidates:
    """Every mode assignment to try per (N, K) tile class."""
    keys = [(nc, kc) for nc, _ in n_sizes for kc, _ in k_sizes]
    options: list[tuple[Mode, ...]] = []
    for (_, n), (_, k) in itertools.product(n_sizes, k_sizes):
        if policy == "table":
            options.append((table_mode(arch, n, k),))
        elif policy == "fw":
            options.append((valid_modes(arch, n, k)[0],))
        else:
            options.append(valid_modes(arch, n, k))
    return Candidates(tuple(keys), tuple(options))


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
    allocation = arch.allocation if units > 1 else "tile"  # one unit: the same program
    candidates = _candidates(arch, m_dim, n_dim, k_dim, policy)
    best = candidates[0]
    schedule = part_schedule(m_dim, n_dim, k_dim, part.instances, units, allocation)
    if len(candidates) > GRID_SCORING:
        best = candidates[score_grid(arch, m_dim, n_dim, k_dim, schedule, allocation,
                                     candidates)]
    elif len(candidates) > 1:
        best = candidates[score_each(arch, m_dim, n_dim, k_dim, schedule, allocation,
                                     candidates)]
    plan = PartPlan(part, m_dim, n_dim, k_dim, units, tuple(sorted(best.items())), allocation)
    plan.__dict__["schedule"] = schedule  # computed above; cached_property slot
    return plan


def score_each(arch: ArchConfig, m_dim: Dim, n_dim: Dim, k_dim: Dim, schedule: UnitSchedule,
               allocation: str, candidates: Candidates) -> int:
    """Index of the best candidate (fewest cycles, then least reuse penalty, then first),
    each candidate's costs evaluated in turn (the reference for :func:`score_grid`)."""
    scored = []
    for assignment in candidates:
        costs = part_costs(arch, m_dim, n_dim, k_dim, assignment, allocation)
        cycles = max(unit_cycles(schedule, costs))
        scored.append((cycles, _reuse_penalty(assignment, m_dim, n_dim, k_dim)))
    return min(range(len(candidates)), key=lambda i: scored[i])


def part_schedule(m_dim: Dim, n_dim: Dim, k_dim: Dim, instances: int, units: int,
                  allocation: str) -> UnitSchedule:
    """Tile statistics (``tile``: output tiles round-robin) or wave statistics (``wave``)."""
    if allocation == "wave":
        return wave_schedule(m_dim, n_dim, k_dim, instances, units)
    return unit_schedule(m_dim, n_dim, instances, units)


def part_costs(arch: ArchConfig, m_dim: Dim, n_dim: Dim, k_dim: Dim, assignment: Assignment,
               allocation: str) -> ClassCosts:
    """The class costs matching :func:`part_schedule`."""
    if allocation == "wave":
        return _wave_costs(arch, _shape_key(m_dim), _shape_key(n_dim), _shape_key(k_dim),
                           tuple(sorted(assignment.items())))
    return class_costs(arch, m_dim, n_dim, k_dim, assignment)


def _shape_key(dim: Dim) -> Dim:
    """A dimension with the same tile sizes and classes (what the costs depend on)."""
    return Dim((1 if dim.full else 0) * dim.block + dim.edge, dim.block)


@lru_cache(maxsize=65536)
def _wave_costs(arch: ArchConfig, m_dim: Dim, n_dim: Dim, k_dim: Dim,
                modes: tuple[tuple[tuple[int, int], Mode], ...]) -> ClassCosts:
    return wave_class_costs(arch, m_dim, n_dim, k_dim, dict(modes))


def compile_gemm(arch: ArchConfig, gemm: Gemm, policy: str = "auto") -> GemmPlan:
    """Partition, tile and choose modes for one GEMM (the program is not materialised)."""
    from flexsa.compiler.tiling import partition_axis

    parts = tuple(plan_part(arch, part, policy) for part in partition(arch, gemm))
    return GemmPlan(gemm, parts, reduction_bytes(arch, gemm), partition_axis(gemm))
