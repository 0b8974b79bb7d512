"""Compiled per-access LRU kernel (optional: used when numba is installed, extra ``fast``)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def lru_kernel(lines: np.ndarray, n_sets: int, ways: int) -> np.ndarray:  # pragma: no cover
    """Exact miss flags of an ``n_sets x ways`` LRU cache on the line trace (cold start)."""
    tags = np.full((n_sets, ways), -1, np.int64)
    stamp = np.zeros((n_sets, ways), np.int64)
    miss = np.zeros(lines.size, np.bool_)
    for i in range(lines.size):
        line = lines[i]
        s = line % n_sets
        way = -1
        victim = 0
        oldest = stamp[s, 0]
        for w in range(ways):
            if tags[s, w] == line:
                way = w
                break
            if stamp[s, w] < oldest:
                oldest = stamp[s, w]
                victim = w
        if way < 0:
            miss[i] = True
            way = victim
            tags[s, way] = line
        stamp[s, way] = i + 1
    return miss
