"""Round-robin allocation statistics of a part's output tiles or waves (compressed).

Output tiles (``tile`` allocation) or waves (``wave`` allocation, spec 4.2) are handed to a
group's units round-robin in loop order (instance, N, M[, K]). A unit's time is a sum over
its consecutive items, so it needs only, per unit, how many items of each class it runs and
how many consecutive (class -> class) pairs it sees. They are counted from the run-length
form of the item sequence in O(runs x units) integers, never item by item.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from flexsa.compiler.classes import TILE_CLASSES, WAVE_CLASSES, ClassPair, TileClass
from flexsa.compiler.tiling import EDGE, FULL, Dim

PURE_PYTHON_LIMIT = 4096  # runs x units below which plain Python beats numpy
WAVE_PYTHON_LIMIT = 256   # the same for wave runs (longer runs: more Python per run)


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

    @cached_property
    def nonzero(self) -> tuple[tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]],
                               ...]:
        """Per unit: its (class, count) and (pair index, count) entries that are not 0."""
        return tuple((tuple((c, v) for c, v in enumerate(counts) if v),
                      tuple((c, v) for c, v in enumerate(pairs) if v))
                     for counts, pairs in zip(self.counts, self.pairs, strict=True))


def _row_runs(n_cls: int, m_dim: Dim) -> list[tuple[int, int]]:
    """Run-length form of one row of output tiles (fixed N tile, every M tile)."""
    runs = [(TileClass.of(n_cls, FULL).index, m_dim.full)] if m_dim.full else []
    if m_dim.edge:
        runs.append((TileClass.of(n_cls, EDGE).index, 1))
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
            inside[ClassPair.same(cls, TILE_CLASSES).index] += run - 1
        for (a, _), (b, _) in itertools.pairwise(runs):
            inside[ClassPair.of(a, b, TILE_CLASSES).index] += 1
        for i in range(16):
            pairs[i] += inside[i] * repeat * instances
        if repeat > 1:
            pairs[ClassPair.of(runs[-1][0], runs[0][0], TILE_CLASSES).index] += ((repeat - 1)
                                                                              * instances)
    for (runs_a, _), (runs_b, _) in itertools.pairwise(sequence):
        pairs[ClassPair.of(runs_a[-1][0], runs_b[0][0], TILE_CLASSES).index] += instances
    first_cls, last_cls = sequence[0][0][0][0], sequence[-1][0][-1][0]
    if instances > 1:
        pairs[ClassPair.of(last_cls, first_cls, TILE_CLASSES).index] += instances - 1
    return UnitSchedule((tuple(counts),), (tuple(pairs),), (first_cls,), (last_cls,))


def class_dim(dim: Dim) -> Dim:
    """The smallest dimension with ``dim``'s tile classes and counts (full tiles, and an
    edge tile or not): every round-robin statistic depends on those alone, so schedules are
    computed once per class structure, not per size."""
    return Dim(2 * dim.full + (1 if dim.edge else 0), 2)


def unit_schedule(m_dim: Dim, n_dim: Dim, instances: int, units: int) -> UnitSchedule:
    """Per-unit tile-class counts and transitions (closed form for a single unit)."""
    return _unit_schedule(class_dim(m_dim), class_dim(n_dim), instances, units)


@lru_cache(maxsize=4096)
def _unit_schedule(m_dim: Dim, n_dim: Dim, instances: int, units: int) -> UnitSchedule:
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
    return count_runs_py(runs * instances, units, TILE_CLASSES)


def count_runs_py(runs: list[tuple[int, int]], units: int, classes: int) -> UnitSchedule:
    """:func:`count_runs` in plain Python (faster for few runs)."""
    starts = list(itertools.accumulate((n for _, n in runs), initial=0))
    total = starts[-1]
    counts = [[0] * classes for _ in range(units)]
    pairs = [[0] * classes * classes for _ in range(units)]
    every_count = [0] * classes  # added to every unit
    every_same = [0] * classes
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
                pairs[(low + i) % units][ClassPair.same(c, classes).index] += 1
        for pos in range(max(low, high - units + 1), high + 1):
            target = pos + units
            if target < total:
                later = bisect.bisect_right(starts, target) - 1
                pairs[pos % units][ClassPair.of(c, runs[later][0], classes).index] += 1
    for u in range(units):
        for c in range(classes):
            counts[u][c] += every_count[c]
            pairs[u][ClassPair.same(c, classes).index] += every_same[c]
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


def _class_sums(slots: np.ndarray, table: np.ndarray, classes: int, units: int) -> np.ndarray:
    """(units x classes) sums of a (runs x units) count table grouped by run class (exact:
    the counts stay far below 2**53)."""
    sums = np.bincount(slots, weights=table.ravel(), minlength=classes * units)
    return np.rint(sums).astype(np.int64).reshape(classes, units).T


def _counted_schedule(m_dim: Dim, n_dim: Dim, instances: int, units: int) -> UnitSchedule:
    """Round-robin counts from the run-length form: O(runs x units), independent of M."""
    cls, length = _runs(m_dim, n_dim, instances)
    return count_runs(cls, length, units, TILE_CLASSES)


def count_runs(cls: np.ndarray, length: np.ndarray, units: int, classes: int) -> UnitSchedule:
    """Per-unit class counts, consecutive-pair counts, first and last class when the items
    of the runs ``(cls, length)`` (in order) are handed to ``units`` round-robin."""
    start = np.cumsum(length) - length
    end = start + length - 1
    total = int(end[-1]) + 1
    per_run = _in_range(start, end, units)
    # (class, unit) sums of the (runs x units) tables in one bincount each
    slots = (cls[:, None] * units + np.arange(units, dtype=np.int64)[None, :]).ravel()
    counts = _class_sums(slots, per_run, classes, units)
    pairs = np.zeros((units, classes * classes), dtype=np.int64)
    same = _in_range(start, np.minimum(end - units, total - 1 - units), units)
    pairs[:, ::classes + 1] = _class_sums(  # ClassPair.same(c, classes).index, every c
        slots, same, classes, units)
    # pairs whose successor lies in a later run: the last `units` positions of each run
    offsets = np.arange(units, dtype=np.int64)[None, :]
    pos = (end[:, None] - offsets).ravel()
    ok = (pos >= np.repeat(start, units)) & (pos + units <= total - 1)
    pos = pos[ok]
    src = np.repeat(cls, units)[ok]
    dst = cls[np.searchsorted(start, pos + units, side="right") - 1]
    square = classes * classes
    # ClassPair.of(src, dst, classes).index, vectorised
    pairs += np.bincount((pos % units) * square + src * classes + dst,
                         minlength=units * square).reshape(units, square)
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


# ------------------------------------------------------------ wave allocation (spec 4.2)


@lru_cache(maxsize=1024)
def wave_runs(m_dim: Dim, n_dim: Dim, k_dim: Dim, instances: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """Classes and lengths of the runs of equal wave classes in loop order (N, M, K)."""
    tile_cls, tile_len = _runs(m_dim, n_dim, instances)
    k_classes = k_dim.classes()
    # WaveKind.of(tile, k).index == 2 * tile.index + k, vectorised
    if len(k_classes) == 1:
        cls = 2 * tile_cls + k_classes[0]
        length = tile_len * k_dim.count
    else:  # every tile: its full K steps, then its K edge
        tiles = np.repeat(tile_cls, tile_len)
        cls = np.stack([2 * tiles + FULL, 2 * tiles + EDGE], axis=1).ravel()
        length = np.tile(np.array([k_dim.full, 1], dtype=np.int64), tiles.size)
    keep = np.concatenate(([True], cls[1:] != cls[:-1]))
    starts = np.flatnonzero(keep)
    return cls[starts], np.add.reduceat(length, starts)


def wave_schedule(m_dim: Dim, n_dim: Dim, k_dim: Dim, instances: int,
                  units: int) -> UnitSchedule:
    """Every wave handed to the units round-robin: per-unit wave-class statistics."""
    return _wave_schedule(class_dim(m_dim), class_dim(n_dim), class_dim(k_dim), instances,
                          units)


@lru_cache(maxsize=4096)
def _wave_schedule(m_dim: Dim, n_dim: Dim, k_dim: Dim, instances: int,
                   units: int) -> UnitSchedule:
    cls, length = wave_runs(m_dim, n_dim, k_dim, instances)
    if cls.size * units <= WAVE_PYTHON_LIMIT:
        return count_runs_py(list(zip(cls.tolist(), length.tolist(), strict=True)), units,
                             WAVE_CLASSES)
    return count_runs(cls, length, units, WAVE_CLASSES)


def unit_wave_runs(m_dim: Dim, n_dim: Dim, k_dim: Dim, instances: int, units: int
                   ) -> list[list[tuple[int, int]]]:
    """Per unit: its waves' classes in order, run-length encoded (class, count)."""
    m_dim, n_dim, k_dim = class_dim(m_dim), class_dim(n_dim), class_dim(k_dim)
    cls, length = wave_runs(m_dim, n_dim, k_dim, instances)
    start = np.cumsum(length) - length
    per_run = _in_range(start, start + length - 1, units)
    out: list[list[tuple[int, int]]] = []
    for u in range(units):
        mask = per_run[:, u] > 0
        c, n = cls[mask], per_run[mask, u]
        if c.size == 0:
            out.append([])
            continue
        keep = np.flatnonzero(np.concatenate(([True], c[1:] != c[:-1])))
        out.append(list(zip(c[keep].tolist(), np.add.reduceat(n, keep).tolist(),
                            strict=True)))
    return out
