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

import bisect
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
PURE_PYTHON_LIMIT = 4096  # runs x units below which plain Python beats numpy


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

    ``counts[u][t]``: tiles of class ``t`` on unit ``u``; ``pairs[u][4a+b]``: consecutive
    tiles (class ``a`` then ``b``) on unit ``u``; ``first``/``last``: class of the unit's
    first/last tile (-1 for an idle unit).
    """

    counts: tuple[tuple[int, ...], ...]
    pairs: tuple[tuple[int, ...], ...]
    first: tuple[int, ...]
    last: tuple[int, ...]


def _row_runs(n_cls: int, m_dim: Dim) -> list[tuple[int, int]]:
    """Run-length form of one row of output tiles (fixed N tile, every M tile)."""
    runs = [(2 * n_cls + FULL, m_dim.full)] if m_dim.full else []
    if m_dim.edge:
        runs.append((2 * n_cls + EDGE, 1))
    return runs


def _single_unit_schedule(m_dim: Dim, n_dim: Dim, instances: int) -> UnitSchedule:
    """Closed form for one unit per group: the tiles in loop order, run-length encoded."""
    counts = [0] * TILE_CLASSES
    pairs = [0] * 16
    rows = [(nc, n_dim.count_of(nc)) for nc in n_dim.classes()]
    for nc, repeat in rows:
        for cls, run in _row_runs(nc, m_dim):
            counts[cls] += instances * repeat * run
    # consecutive tiles inside a row, between rows, between instances
    sequence: list[tuple[list[tuple[int, int]], int]] = [(_row_runs(nc, m_dim), rep)
                                                          for nc, rep in rows]
    for runs, repeat in sequence:
        inside = [0] * 16
        for cls, run in runs:
            inside[5 * cls] += run - 1
        for (a, _), (b, _) in itertools.pairwise(runs):
            inside[4 * a + b] += 1
        for i in range(16):
            pairs[i] += inside[i] * repeat * instances
        if repeat > 1:
            pairs[4 * runs[-1][0] + runs[0][0]] += (repeat - 1) * instances
    for (runs_a, _), (runs_b, _) in itertools.pairwise(sequence):
        pairs[4 * runs_a[-1][0] + runs_b[0][0]] += instances
    first_cls, last_cls = sequence[0][0][0][0], sequence[-1][0][-1][0]
    if instances > 1:
        pairs[4 * last_cls + first_cls] += instances - 1
    return UnitSchedule((tuple(counts),), (tuple(pairs),), (first_cls,), (last_cls,))


def unit_schedule(m_dim: Dim, n_dim: Dim, instances: int, units: int) -> UnitSchedule:
    """Per-unit tile-class counts and transitions (closed form for a single unit)."""
    if units == 1:
        return _single_unit_schedule(m_dim, n_dim, instances)
    runs = instances * (n_dim.count * len(m_dim.classes()))
    if runs * units <= PURE_PYTHON_LIMIT:
        return _counted_schedule_py(m_dim, n_dim, instances, units)
    return _counted_schedule(m_dim, n_dim, instances, units)


def _counted_schedule_py(m_dim: Dim, n_dim: Dim, instances: int, units: int) -> UnitSchedule:
    """The run-length counting of :func:`_counted_schedule` in plain Python (few runs)."""
    runs: list[tuple[int, int]] = []
    for nc in n_dim.classes():
        runs += _row_runs(nc, m_dim) * n_dim.count_of(nc)
    runs *= instances
    starts = list(itertools.accumulate((n for _, n in runs), initial=0))
    total = starts[-1]
    counts = [[0] * TILE_CLASSES for _ in range(units)]
    pairs = [[0] * 16 for _ in range(units)]
    every_count = [0] * TILE_CLASSES  # added to every unit
    every_same = [0] * TILE_CLASSES
    for r, (c, length) in enumerate(runs):
        low = starts[r]
        high = low + length - 1
        base, rem = divmod(length, units)
        every_count[c] += base
        for i in range(rem):
            counts[(low + i) % units][c] += 1
        same = min(high - units, total - 1 - units) - low + 1  # successors in this run
        if same > 0:
            base, rem = divmod(same, units)
            every_same[c] += base
            for i in range(rem):
                pairs[(low + i) % units][5 * c] += 1
        for pos in range(max(low, high - units + 1), high + 1):
            target = pos + units
            if target < total:
                later = bisect.bisect_right(starts, target) - 1
                pairs[pos % units][4 * c + runs[later][0]] += 1
    for u in range(units):
        for c in range(TILE_CLASSES):
            counts[u][c] += every_count[c]
            pairs[u][5 * c] += every_same[c]
    first, last = [-1] * units, [-1] * units
    for pos in range(min(units, total)):
        first[pos] = runs[bisect.bisect_right(starts, pos) - 1][0]
        end = total - 1 - pos
        last[end % units] = runs[bisect.bisect_right(starts, end) - 1][0]
    return UnitSchedule(tuple(map(tuple, counts)), tuple(map(tuple, pairs)), tuple(first),
                        tuple(last))


def _runs(m_dim: Dim, n_dim: Dim, instances: int) -> tuple[np.ndarray, np.ndarray]:
    """Classes and lengths of the runs of equal tile classes, in loop order."""
    row_cls: list[int] = []
    row_len: list[int] = []
    for nc in n_dim.classes():
        runs = _row_runs(nc, m_dim)
        repeat = n_dim.count_of(nc)
        row_cls += [c for c, _ in runs] * repeat
        row_len += [n for _, n in runs] * repeat
    return (np.tile(np.asarray(row_cls, dtype=np.int64), instances),
            np.tile(np.asarray(row_len, dtype=np.int64), instances))


def _in_range(low: np.ndarray, high: np.ndarray, units: int) -> np.ndarray:
    """(runs x units) counts of positions o in [low, high] with o % units == u."""
    u = np.arange(units, dtype=np.int64)[None, :]
    upper = (high[:, None] - u + units) // units
    lower = (low[:, None] - 1 - u + units) // units
    return np.maximum(upper - lower, 0)


def _counted_schedule(m_dim: Dim, n_dim: Dim, instances: int, units: int) -> UnitSchedule:
    """Round-robin counts from the run-length form: O(runs x units), independent of M."""
    cls, length = _runs(m_dim, n_dim, instances)
    start = np.cumsum(length) - length
    end = start + length - 1
    total = int(end[-1]) + 1
    per_run = _in_range(start, end, units)
    counts = np.zeros((units, TILE_CLASSES), dtype=np.int64)
    for c in range(TILE_CLASSES):
        counts[:, c] = per_run[cls == c].sum(axis=0)
    pairs = np.zeros((units, 16), dtype=np.int64)
    same = _in_range(start, np.minimum(end - units, total - 1 - units), units)
    for c in range(TILE_CLASSES):
        pairs[:, 5 * c] += same[cls == c].sum(axis=0)
    # pairs whose successor lies in a later run: the last `units` positions of each run
    offsets = np.arange(units, dtype=np.int64)[None, :]
    pos = (end[:, None] - offsets).ravel()
    ok = (pos >= np.repeat(start, units)) & (pos + units <= total - 1)
    pos = pos[ok]
    src = np.repeat(cls, units)[ok]
    dst = cls[np.searchsorted(start, pos + units, side="right") - 1]
    pairs += np.bincount((pos % units) * 16 + src * 4 + dst,
                         minlength=units * 16).reshape(units, 16)
    head = min(units, total)
    edge_pos = np.concatenate([np.arange(head), np.arange(total - head, total)])
    edge_cls = cls[np.searchsorted(start, edge_pos, side="right") - 1].tolist()
    first = [-1] * units
    last = [-1] * units
    first[:head] = edge_cls[:head]
    for p, c in zip(edge_pos[head:].tolist(), edge_cls[head:], strict=True):
        last[p % units] = c
    return UnitSchedule(tuple(map(tuple, counts.tolist())), tuple(map(tuple, pairs.tolist())),
                        tuple(first), tuple(last))


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
    switch = arch.mode_switch_cycles
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
            tc = 2 * n_cls + m_cls
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
            inter[4 * a + b] = wave_cycles(last_shape, first_shape, switch)
    return ClassCosts(head, internal, tail, inter, owner_internal, owner_head, owner_last)


def unit_cycles(schedule: UnitSchedule, costs: ClassCosts) -> list[int]:
    """Cycles of every unit (0 for an idle unit)."""
    out = []
    for counts, pairs, first, last in zip(schedule.counts, schedule.pairs, schedule.first,
                                          schedule.last, strict=True):
        if first < 0:
            out.append(0)
            continue
        total = costs.head[first] + costs.tail[last]
        total += sum(c * v for c, v in zip(counts, costs.internal, strict=True) if c)
        total += sum(c * v for c, v in zip(pairs, costs.inter, strict=True) if c)
        out.append(total)
    return out


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
    schedule = unit_schedule(m_dim, n_dim, part.instances, units)
    if len(candidates) > 1:
        scored = []
        for assignment in candidates:
            costs = class_costs(arch, m_dim, n_dim, k_dim, assignment)
            cycles = max(unit_cycles(schedule, costs))
            scored.append((cycles, _reuse_penalty(assignment, m_dim, n_dim, k_dim)))
        best = candidates[min(range(len(candidates)), key=lambda i: scored[i])]
    plan = PartPlan(part, m_dim, n_dim, k_dim, units, tuple(sorted(best.items())))
    plan.__dict__["schedule"] = schedule  # computed above; cached_property slot
    return plan


def compile_gemm(arch: ArchConfig, gemm: Gemm, policy: str = "auto") -> GemmPlan:
    """Partition, tile and choose modes for one GEMM (the program is not materialised)."""
    from flexsa.compiler.tiling import partition_axis

    parts = tuple(plan_part(arch, part, policy) for part in partition(arch, gemm))
    return GemmPlan(gemm, parts, reduction_bytes(arch, gemm), partition_axis(gemm))
