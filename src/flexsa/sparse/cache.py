"""Set-associative LRU cache model for the streamed operand, vectorised over sets.

A trace is an array of cache-line numbers (set = line mod n_sets). Sets are independent in a
set-associative LRU cache, so the model:

1. answers every set that never holds more distinct lines than it has ways analytically
   (only its compulsory misses miss, exact);
2. simulates the remaining sets in lock-step: step ``t`` processes the ``t``-th access of every
   overflowing set at once with numpy (tags and last-use stamps are ``sets x ways`` arrays);
3. above ``budget`` simulated accesses, simulates a seeded random sample of the overflowing
   sets and scales their misses (set sampling), reporting that it did so.

``cyclic_misses`` gives the exact answer for a trace repeated ``passes`` times (the inner
product re-streams B once per stationary batch) without expanding it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CacheOutcome:
    """Per-access miss flags (or expected misses when sampled) for one trace."""

    miss: np.ndarray  # float64 per access: 1.0 miss, 0.0 hit; scaled weights when sampled
    sampled_fraction: float  # 1.0 = every set simulated exactly

    @property
    def accesses(self) -> int:
        return int(self.miss.size)

    @property
    def misses(self) -> int:
        return int(round(float(self.miss.sum())))


def compiled_lru_available() -> bool:
    """Whether the optional numba kernel can be used (``pip install flexsa[fast]``)."""
    try:
        import flexsa.sparse._lru_numba  # noqa: F401
    except ImportError:
        return False
    return True


def simulate_lru(lines: np.ndarray, n_sets: int, ways: int, budget: int = 3_000_000,
                 seed: int = 0, engine: str = "auto") -> CacheOutcome:
    """Misses of an LRU ``n_sets x ways`` cache on the line trace ``lines`` (cold start).

    ``engine``: ``numba`` (exact, compiled), ``numpy`` (vectorised over sets, set sampling
    above ``budget``) or ``auto`` (numba when installed).
    """
    lines = np.asarray(lines, dtype=np.int64)
    miss = np.zeros(lines.size, dtype=np.float64)
    if lines.size == 0:
        return CacheOutcome(miss=miss, sampled_fraction=1.0)
    if engine == "numba" or (engine == "auto" and compiled_lru_available()):
        from flexsa.sparse._lru_numba import lru_kernel

        flags = lru_kernel(np.ascontiguousarray(lines), int(n_sets), int(ways))
        return CacheOutcome(miss=flags.astype(np.float64), sampled_fraction=1.0)
    sets = lines % n_sets
    order = _stable_order(sets, n_sets)
    sorted_sets = sets[order]
    sorted_lines = lines[order]
    counts = np.bincount(sorted_sets, minlength=n_sets)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    first_touch = _first_touch(sorted_lines)
    distinct = np.bincount(sorted_sets[first_touch], minlength=n_sets)
    overflow = distinct > ways
    # Sets that fit: compulsory misses only (exact).
    fits_access = ~overflow[sorted_sets]
    miss[order[fits_access & first_touch]] = 1.0
    # Overflowing sets whose lines are never reused after another line of the set came in
    # (streams): compulsory misses only, also exact.
    prev = np.r_[-1, sorted_lines[:-1]]
    same_set_prev = np.r_[False, sorted_sets[1:] == sorted_sets[:-1]]
    far_reuse = ~first_touch & ~(same_set_prev & (prev == sorted_lines))
    needs_sim = np.zeros(n_sets, dtype=bool)
    needs_sim[sorted_sets[far_reuse]] = True
    needs_sim &= overflow
    streaming = overflow[sorted_sets] & ~needs_sim[sorted_sets]
    miss[order[streaming & first_touch]] = 1.0
    hot = np.flatnonzero(needs_sim)
    if hot.size == 0:
        return CacheOutcome(miss=miss, sampled_fraction=1.0)
    chosen, fraction = _sample_sets(hot, counts, budget, seed)
    simulated = 0.0
    simulated_accesses = 0
    for set_id, flags in _lockstep(sorted_lines, starts, counts, chosen, ways):
        miss[order[starts[set_id]:starts[set_id] + counts[set_id]]] = flags
        simulated += float(flags.sum())
        simulated_accesses += flags.size
    if chosen.size < hot.size:
        # Unsampled sets get the sampled sets' miss ratio on every access (set sampling).
        chosen_mask = np.zeros(n_sets, dtype=bool)
        chosen_mask[chosen] = True
        rest = needs_sim[sorted_sets] & ~chosen_mask[sorted_sets]
        miss[order[rest]] = simulated / max(1, simulated_accesses)
    return CacheOutcome(miss=miss, sampled_fraction=fraction)


def _sample_sets(hot: np.ndarray, counts: np.ndarray, budget: int,
                 seed: int) -> tuple[np.ndarray, float]:
    """The sets to simulate (all, or a seeded sample within ``budget`` accesses) and the
    sampled fraction of sets."""
    hot_accesses = int(counts[hot].sum())
    if hot_accesses <= budget:
        return hot, 1.0
    keep = max(1, int(hot.size * budget / hot_accesses))
    chosen = np.sort(np.random.default_rng(seed).choice(hot, size=keep, replace=False))
    return chosen, chosen.size / hot.size


def _stable_order(keys: np.ndarray, n_keys: int) -> np.ndarray:
    """Stable argsort of small non-negative integer keys (radix sort on a narrow dtype)."""
    dtype = np.uint16 if n_keys <= np.iinfo(np.uint16).max else np.int64
    return np.argsort(keys.astype(dtype), kind="stable")


def _first_touch(lines: np.ndarray) -> np.ndarray:
    """True where a line appears for the first time in ``lines``."""
    if lines.size == 0:
        return np.zeros(0, dtype=bool)
    low = int(lines.min())
    first_index = np.full(int(lines.max()) - low + 1, lines.size, dtype=np.int64)
    positions = np.arange(lines.size, dtype=np.int64)
    np.minimum.at(first_index, lines - low, positions)
    return first_index[lines - low] == positions


def _lockstep(sorted_lines: np.ndarray, starts: np.ndarray, counts: np.ndarray,
              set_ids: np.ndarray, ways: int) -> list[tuple[int, np.ndarray]]:
    """Simulate the given sets in parallel; returns (set, miss flags in set order)."""
    n = set_ids.size
    lengths = counts[set_ids]
    depth = int(lengths.max())
    grid = np.full((depth, n), -1, dtype=np.int64)
    column = np.repeat(np.arange(n), lengths)
    offsets = np.concatenate([np.arange(length) for length in lengths]) if n else np.zeros(0)
    source = np.repeat(starts[set_ids], lengths) + offsets
    grid[offsets.astype(np.int64), column] = sorted_lines[source.astype(np.int64)]
    tags = np.full((n, ways), -1, dtype=np.int64)
    stamp = np.zeros((n, ways), dtype=np.int64)
    miss_grid = np.zeros((depth, n), dtype=bool)
    rows = np.arange(n)
    for t in range(depth):
        line = grid[t]
        match = tags == line[:, None]
        hit = match.any(axis=1)
        way = np.where(hit, match.argmax(axis=1), stamp.argmin(axis=1))
        active = line >= 0
        act = rows[active]
        tags[act, way[active]] = line[active]
        stamp[act, way[active]] = t + 1
        miss_grid[t] = active & ~hit
    return [(int(set_ids[i]), miss_grid[:lengths[i], i].astype(np.float64)) for i in range(n)]


def reference_lru(lines: np.ndarray, n_sets: int, ways: int) -> np.ndarray:
    """Plain per-access LRU (tests only): miss flag per access."""
    cache: list[list[int]] = [[] for _ in range(n_sets)]
    flags = np.zeros(len(lines), dtype=bool)
    for i, line in enumerate(int(x) for x in lines):
        content = cache[line % n_sets]
        if line in content:
            content.remove(line)
        else:
            flags[i] = True
            if len(content) == ways:
                content.pop(0)
        content.append(line)
    return flags


def cyclic_misses(lines: np.ndarray, passes: int, n_sets: int, ways: int,
                  engine: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Miss flags of the first pass and of every later pass of a trace repeated ``passes`` times.

    Exact for LRU: in a set holding at most ``ways`` distinct lines, only the first touches
    miss; in a set with more, a cyclic sweep evicts every line before its reuse, so every access
    that is not an immediate repeat of the previous access to the same set misses.
    """
    lines = np.asarray(lines, dtype=np.int64)
    first = simulate_lru(lines, n_sets, ways, budget=max(1, lines.size), engine=engine).miss > 0
    if passes <= 1 or lines.size == 0:
        return first, np.zeros(lines.size, dtype=bool)
    sets = lines % n_sets
    distinct = np.bincount(lines[_first_touch(lines)] % n_sets, minlength=n_sets)
    overflow = distinct > ways
    # In an overflowing set, an access hits only if the previous access to its set (cyclically)
    # was the same line.
    order = _stable_order(sets, n_sets)
    s_sorted = sets[order]
    l_sorted = lines[order]
    prev = np.roll(l_sorted, 1)
    set_start = np.r_[True, s_sorted[1:] != s_sorted[:-1]]
    # cyclic predecessor of a set's first access is the set's last access
    set_last = np.r_[s_sorted[1:] != s_sorted[:-1], True]
    prev[set_start] = l_sorted[set_last]
    repeat = prev == l_sorted
    later_sorted = overflow[s_sorted] & ~repeat
    later = np.zeros(lines.size, dtype=bool)
    later[order] = later_sorted
    return first, later
