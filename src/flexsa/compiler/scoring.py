"""Mode selection over every candidate at once: the part's cycles as an integer grid.

A candidate assigns a mode to each (N, K) tile class; :func:`flexsa.compiler.plan.plan_part`
keeps the one with the fewest cycles (then the least reuse penalty, then the first in
product order). A unit's cycles are ``head(first) + tail(last) + sum counts x internal +
sum pairs x gap`` (:func:`flexsa.compiler.plan.unit_cycles`), and every one of those terms
depends on the modes of at most two tile classes. So each term is evaluated once per mode
combination of the classes it depends on, as an array that broadcasts over the grid of
all candidates (axis ``i``: the options of key ``i``, in ``itertools.product`` order), and
the sums, the maximum over units and the choice are a few numpy operations. Exactly the
same integers as scoring candidate by candidate (``score_each``; tested).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from flexsa.arch.config import ArchConfig
from flexsa.arch.timing import WaveShape, wave_cycles
from flexsa.compiler.classes import TILE_CLASSES, WAVE_CLASSES, ClassPair, TileClass, WaveKind
from flexsa.compiler.modes import REUSE_RANK, Mode
from flexsa.compiler.tiling import EDGE, FULL, Dim

if TYPE_CHECKING:
    from flexsa.compiler.schedule import UnitSchedule

GRID_SCORING = 4  # more candidates than this: score them as one grid

Key = tuple[int, int]                      # (n class, k class)
End = tuple[Key, int, int]                 # (key, m rows, k) of a class's first/last wave


@dataclass(frozen=True)
class Candidates:
    """Every mode assignment: one mode per key out of its ``options``, in product order
    (``itertools.product``); built on demand (a FlexSA part can have 256)."""

    keys: tuple[Key, ...]
    options: tuple[tuple[Mode, ...], ...]

    def __len__(self) -> int:
        return math.prod(len(o) for o in self.options)

    def __getitem__(self, index: int) -> dict[Key, Mode]:
        if not 0 <= index < len(self):
            raise IndexError(index)
        picks = []
        for opts in reversed(self.options):
            index, pick = divmod(index, len(opts))
            picks.append(opts[pick])
        return dict(zip(self.keys, reversed(picks), strict=True))

    def __iter__(self) -> Iterator[dict[Key, Mode]]:
        for combo in itertools.product(*self.options):
            yield dict(zip(self.keys, combo, strict=True))


def score_grid(arch: ArchConfig, m_dim: Dim, n_dim: Dim, k_dim: Dim,
               schedule: UnitSchedule, allocation: str, candidates: Candidates) -> int:
    """Index of the best candidate (in product order)."""
    keys, options = list(candidates.keys), list(candidates.options)
    grid = _Grid(arch, keys, options)
    ends, internal = _classes(m_dim, n_dim, k_dim, allocation)
    classes = len(ends)
    cycles = np.zeros(grid.shape, dtype=np.int64)
    inter: dict[int, np.ndarray] = {}
    for (counts, pairs), first, last in zip(schedule.nonzero, schedule.first, schedule.last,
                                            strict=True):
        if first < 0:
            continue
        total = grid.term([ends[first][0]], lambda s: wave_cycles(None, s[0], grid.switch))
        total = total + grid.term([ends[last][1]],
                                  lambda s: wave_cycles(s[0], None, grid.switch))
        for c, count in counts:
            gaps = internal[c]
            if gaps is not None:
                total = total + count * gaps(grid)
        for p, count in pairs:
            if p not in inter:
                pair = ClassPair.at(p, classes)
                a, b = pair.first, pair.second
                inter[p] = grid.term([ends[a][1], ends[b][0]],
                                     lambda s: wave_cycles(s[0], s[1], grid.switch))
            total = total + count * inter[p]
        cycles = np.maximum(cycles, total)
    penalty = np.zeros(grid.shape, dtype=np.int64)
    for axis, ((nc, kc), opts) in enumerate(zip(keys, options, strict=True)):
        weight = n_dim.count_of(nc) * k_dim.count_of(kc) * m_dim.count
        ranks = np.array([REUSE_RANK[mode] * weight for mode in opts], dtype=np.int64)
        penalty = penalty + ranks.reshape(grid.axis_shape(axis))
    flat_cycles, flat_penalty = cycles.ravel(), np.broadcast_to(penalty, grid.shape).ravel()
    tied = flat_cycles == flat_cycles.min()
    best = tied & (flat_penalty == flat_penalty[tied].min())
    return int(np.flatnonzero(best)[0])


class _Grid:
    """The candidate grid: one axis per key, its options in order."""

    def __init__(self, arch: ArchConfig, keys: list[Key], options: list[tuple[Mode, ...]]
                 ) -> None:
        from flexsa.compiler.plan import wave_shape

        self.arch, self.switch, self.wave_shape = arch, arch.switch_timing, wave_shape
        self.axis = {key: i for i, key in enumerate(keys)}
        self.options = options
        self.shape = tuple(len(o) for o in options)

    def axis_shape(self, axis: int) -> list[int]:
        return [n if i == axis else 1 for i, n in enumerate(self.shape)]

    def term(self, ends: list[End], value: Callable[[list[WaveShape]], int]) -> np.ndarray:
        """``value(shapes)`` of the waves ``ends`` (each in its key's mode), for every mode
        combination of their keys, broadcastable to the grid."""
        axes = sorted({self.axis[key] for key, _, _ in ends})
        out = np.zeros([n if i in axes else 1 for i, n in enumerate(self.shape)],
                       dtype=np.int64)
        for picks in itertools.product(*(range(self.shape[a]) for a in axes)):
            chosen = dict(zip(axes, picks, strict=True))
            shapes = [self.wave_shape(self.arch, self.options[self.axis[key]]
                                      [chosen[self.axis[key]]], m, k) for key, m, k in ends]
            out[tuple(chosen.get(i, 0) for i in range(len(self.shape)))] = value(shapes)
        return out


def _classes(m_dim: Dim, n_dim: Dim, k_dim: Dim, allocation: str
             ) -> tuple[list[tuple[End, End]], list[Callable[[_Grid], np.ndarray] | None]]:
    """Per item class (tile or wave class index): its (first wave, last wave) and, for a
    tile with a K loop, its internal gaps as a grid term (``plan.class_costs``' rules)."""
    if allocation == "wave":
        size = WAVE_CLASSES
        ends: list[tuple[End, End]] = [((FULL, FULL), 0, 0)] * size  # type: ignore[list-item]
        for nc in n_dim.classes():
            for mc in m_dim.classes():
                for kc in k_dim.classes():
                    end = ((nc, kc), m_dim.size(mc), k_dim.size(kc))
                    ends[WaveKind.get(nc, mc, kc).index] = (end, end)
        return ends, [None] * size
    ends = [(((FULL, FULL), 0, 0), ((FULL, FULL), 0, 0))] * TILE_CLASSES
    internal: list[Callable[[_Grid], np.ndarray] | None] = [None] * TILE_CLASSES
    kf, ke = k_dim.full, k_dim.edge
    for nc in n_dim.classes():
        for mc in m_dim.classes():
            m = m_dim.size(mc)
            full = ((nc, FULL), m, k_dim.block) if kf else None
            edge = ((nc, EDGE), m, ke) if ke else None
            first, last = full or edge, edge or full
            assert first is not None and last is not None
            tile = TileClass.of(nc, mc).index
            ends[tile] = (first, last)
            internal[tile] = _internal(full, edge, kf)
    return ends, internal


def _internal(full: End | None, edge: End | None, kf: int
              ) -> Callable[[_Grid], np.ndarray] | None:
    if full is None:
        return None

    def term(grid: _Grid) -> np.ndarray:
        total = np.zeros(1, dtype=np.int64)
        if kf > 1:
            total = total + (kf - 1) * grid.term(
                [full], lambda s: wave_cycles(s[0], s[0], grid.switch))
        if edge is not None:
            total = total + grid.term([full, edge],
                                      lambda s: wave_cycles(s[0], s[1], grid.switch))
        return total
    return term
