"""The streamed cache's banks (spec section 6.1): per-step bank-conflict depth.

Every controller of the reference simulator issues one 4-byte request per element it needs and
starts the next step only after all of them have returned. The cache has ``n_banks`` banks
(consecutive lines in consecutive banks) and accepts up to ``cache_ports`` requests per cycle
but only one per bank per cycle, so a step's requests drain in

    depth = max(max over banks of the requests landing in that bank, ceil(requests / ports))

cycles. Two request shapes occur:

* **per-element requests** (outer product, Gustavson): in step ``s`` every mapped fibre asks
  for its ``s``-th element; ``weight`` multipliers ask for the same element (outer product:
  the nonzeros of one A column share their B row). Counted exactly per (step, bank) with a
  sort, for the groups (batches) chosen by :func:`choose_groups`;
* **contiguous ranges** (inner product): a step loads elements ``lo..hi-1`` of one B column;
  the depth has a closed form (:func:`range_depth`).

When the element count of a layer exceeds the budget, a seeded random sample of groups is
counted exactly and the total is the ratio estimate (depth per step of the sampled groups times
all steps), with its 95% error bound (:class:`DepthEstimate`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from flexsa.sparse.config import HardwareConfig
from flexsa.sparse.fibers import ceil_div, positions


@dataclass(frozen=True)
class DepthEstimate:
    """Sum over all steps of the bank-conflict depth, exact or estimated from a sample."""

    total: int
    sampled_fraction: float  # share of the groups counted exactly (1.0 = all)
    error_bound: float  # 95% half-width of ``total`` (0 when exact)


def choose_groups(elements: np.ndarray, budget: int, seed: int) -> np.ndarray:
    """All groups when their elements fit the budget, else a seeded random subset (sorted)."""
    n = elements.size
    total = float(elements.sum())
    if total <= budget or n <= 1:
        return np.arange(n, dtype=np.int64)
    share = budget / total
    rng = np.random.default_rng(seed)
    picked = np.flatnonzero(rng.random(n) < share)
    if picked.size == 0:
        picked = np.array([int(rng.integers(n))], dtype=np.int64)
    return picked.astype(np.int64)


def ratio_estimate(depth: np.ndarray, steps: np.ndarray, chosen: np.ndarray,
                   n_groups: int) -> DepthEstimate:
    """Total depth over all groups from the chosen groups' exact depths (ratio to steps)."""
    if chosen.size == n_groups:
        return DepthEstimate(total=int(depth.sum()), sampled_fraction=1.0, error_bound=0.0)
    x = steps[chosen].astype(np.float64)
    y = depth.astype(np.float64)
    all_steps = float(steps.sum())
    ratio = float(y.sum() / x.sum()) if x.sum() > 0 else 0.0
    n = chosen.size
    fraction = n / n_groups
    if n > 1:
        residual = float(np.square(y - ratio * x).sum()) / (n - 1)
        error = 1.96 * n_groups * math.sqrt(max(0.0, (1.0 - fraction) * residual / n))
    else:
        error = float(ratio * all_steps)
    return DepthEstimate(total=int(round(ratio * all_steps)), sampled_fraction=fraction,
                         error_bound=error)


def element_depth(pair_group: np.ndarray, pair_start: np.ndarray, pair_len: np.ndarray,
                  pair_weight: np.ndarray, steps: np.ndarray, hw: HardwareConfig
                  ) -> DepthEstimate:
    """Sum over all steps of the bank-conflict depth of per-element requests.

    Pair ``i`` is a fibre of ``pair_len[i]`` elements stored from element ``pair_start[i]``
    that ``pair_weight[i]`` multipliers of group ``pair_group[i]`` read one element per step
    (step ``s`` requests element ``pair_start[i] + s``); group ``g`` takes ``steps[g]`` steps.
    Steps are cut into blocks of one line's worth of elements (a fibre changes bank once per
    block). Up to ``hw.depth_budget`` elements every block is counted; above, every
    ``stride``-th block of each group (random phase, systematic sample) and the total is the
    ratio estimate with its 95% bound.
    """
    block = hw.elements_per_line
    n_groups = steps.size
    total = int(pair_len.sum())
    if total == 0:
        return DepthEstimate(total=0, sampled_fraction=1.0, error_bound=0.0)
    stride = max(1, -(-total // hw.depth_budget))
    phase = np.random.default_rng(hw.seed).integers(0, stride, size=n_groups) if stride > 1 \
        else np.zeros(n_groups, dtype=np.int64)
    n_blocks = ceil_div(steps, block)
    # the kept blocks of every group, numbered 0..units-1 (group-major)
    kept = np.where(n_blocks > phase, (n_blocks - phase - 1) // stride + 1, 0)
    unit_base = np.cumsum(kept) - kept
    ph = phase[pair_group]
    pair_blocks = ceil_div(pair_len, block)
    count = np.where(pair_blocks > ph, (pair_blocks - ph - 1) // stride + 1, 0)
    owner = np.repeat(np.arange(pair_len.size), count)
    j = positions(count)
    blk = ph[owner] + stride * j
    unit = unit_base[pair_group[owner]] + j
    length = np.minimum(block, pair_len[owner] - block * blk)
    element_owner = np.repeat(np.arange(owner.size), length)
    t = positions(length)
    address = pair_start[owner][element_owner] + block * blk[element_owner] + t
    bank = (address * hw.element_bytes // hw.cache_line_bytes) % hw.n_banks
    key = (unit[element_owner] * block + t) * hw.n_banks + bank
    weight = pair_weight[owner][element_owner]
    depth = _step_depth(key, weight, hw)
    units = int(kept.sum())
    y = np.bincount(depth[0] // block, weights=depth[1], minlength=units)
    unit_group = np.repeat(np.arange(n_groups), kept)
    unit_blk = phase[unit_group] + stride * positions(kept)
    x = np.minimum(block, steps[unit_group] - block * unit_blk).astype(np.float64)
    return _ratio(y, x, float(steps.sum()), int(n_blocks.sum()), stride)


def _step_depth(key: np.ndarray, weight: np.ndarray, hw: HardwareConfig) -> tuple[
        np.ndarray, np.ndarray]:
    """(step id, depth) of every step from (step * n_banks + bank) keys and request weights."""
    order = np.argsort(key, kind="stable")
    key = key[order]
    weight = weight[order]
    run = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    per_bank = np.add.reduceat(weight, run)
    run_step = key[run] // hw.n_banks
    step_run = np.flatnonzero(np.r_[True, run_step[1:] != run_step[:-1]])
    worst = np.maximum.reduceat(per_bank, step_run)
    requests = np.add.reduceat(per_bank, step_run)
    return run_step[step_run], np.maximum(worst, ceil_div(requests, hw.cache_ports))


def _ratio(y: np.ndarray, x: np.ndarray, all_steps: float, all_units: int,
           stride: int) -> DepthEstimate:
    if stride == 1:
        return DepthEstimate(total=int(round(float(y.sum()))), sampled_fraction=1.0,
                             error_bound=0.0)
    ratio = float(y.sum() / x.sum()) if x.sum() > 0 else 0.0
    n = y.size
    fraction = n / max(1, all_units)
    if n > 1:
        residual = float(np.square(y - ratio * x).sum()) / (n - 1)
        error = 1.96 * all_units * math.sqrt(max(0.0, (1.0 - fraction) * residual / n))
    else:
        error = ratio * all_steps
    return DepthEstimate(total=int(round(ratio * all_steps)), sampled_fraction=fraction,
                         error_bound=error)


def range_depth(lo: np.ndarray, hi: np.ndarray, hw: HardwareConfig) -> np.ndarray:
    """Bank-conflict depth of loading the contiguous elements ``lo..hi-1`` in one step.

    Line ``l`` holds ``e`` elements and sits in bank ``l mod n_banks``; the bank at position
    ``p`` of the range holds lines ``p, p + n_banks, ...``, all full except possibly the first
    and the last line of the range. Candidates p = 0, 1, 2 and the last line's position cover
    the maximum (the count of lines per position never increases with p).
    """
    shape = np.broadcast_shapes(np.shape(lo), np.shape(hi))
    lo = np.broadcast_to(np.asarray(lo, dtype=np.int64), shape).ravel()
    hi = np.broadcast_to(np.asarray(hi, dtype=np.int64), shape).ravel()
    e = hw.elements_per_line
    banks = hw.n_banks
    count = hi - lo
    first_line = lo // e
    n_lines = np.where(count > 0, (hi - 1) // e - first_line + 1, 0)
    first_count = np.minimum(count, e - lo % e)
    last_count = (hi - 1) % e + 1
    # up to n_banks lines every line has its own bank: the fullest line decides
    best = np.where(n_lines >= 3, e, np.maximum(first_count, np.where(n_lines == 2,
                                                                       last_count, 0)))
    wide = np.flatnonzero(n_lines > banks)
    if wide.size:
        nl, fc, lc = n_lines[wide], first_count[wide], last_count[wide]
        last_pos = (nl - 1) % banks
        load = np.zeros(wide.size, dtype=np.int64)
        for candidate in (np.zeros_like(nl), np.ones_like(nl), np.full_like(nl, 2), last_pos):
            load = np.maximum(load, _position_load(candidate, nl, last_pos, fc, lc, e, banks))
        best[wide] = load
    depth = np.maximum(best, ceil_div(count, hw.cache_ports))
    return np.where(count > 0, depth, 0).reshape(shape)


def _position_load(p: np.ndarray, n_lines: np.ndarray, last_pos: np.ndarray,
                   first_count: np.ndarray, last_count: np.ndarray, e: int,
                   banks: int) -> np.ndarray:
    valid = p < np.minimum(n_lines, banks)
    lines = np.where(valid, (n_lines - 1 - p) // banks + 1, 0)
    load = lines * e
    load = load - np.where(valid & (p == 0), e - first_count, 0)
    load = load - np.where(valid & (p == last_pos), e - last_count, 0)
    return np.where(valid, load, 0)


def miss_rounds(outcome_miss: np.ndarray, lines: np.ndarray, fiber_start: np.ndarray,
                group: np.ndarray, n_groups: int, steps: np.ndarray, exact: bool,
                hw: HardwareConfig) -> np.ndarray:
    """DRAM round trips per group (batch) when every step waits for all of its loads.

    Access ``i`` reads line ``lines[i]`` of a fibre starting at element ``fiber_start[i]``;
    one element per step, so the line is first needed at step
    ``max(0, first element of the line - fibre start)``. A missing line costs one round at
    the earliest step that needs it; misses needed at the same step share the round. With
    sampled (fractional) miss weights, falls back to ``min(steps, misses)`` per group.
    """
    if not exact:
        misses = np.bincount(group, weights=outcome_miss, minlength=n_groups)
        return np.minimum(steps, np.ceil(misses)).astype(np.int64)
    missed = outcome_miss > 0
    if not missed.any():
        return np.zeros(n_groups, dtype=np.int64)
    per_line = hw.elements_per_line
    step = np.maximum(0, lines * per_line - fiber_start)
    # Within a group the fibres come in increasing k and the streamed operand is stored in k
    # order, so the trace's lines never decrease inside a group: equal (group, line) accesses
    # are runs.
    run_start = np.flatnonzero(np.r_[True, (group[1:] != group[:-1]) |
                                     (lines[1:] != lines[:-1])])
    any_miss = np.maximum.reduceat(missed, run_start)
    round_group = group[run_start][any_miss]
    round_step = np.minimum.reduceat(step, run_start)[any_miss]  # earliest step needing it
    width = int(round_step.max()) + 1
    key = round_group * width + round_step  # misses needed at one step share a round
    if n_groups * width <= 32_000_000:  # distinct (group, step) pairs via a bitmap
        seen = np.zeros(n_groups * width, dtype=bool)
        seen[key] = True
        return np.count_nonzero(seen.reshape(n_groups, width), axis=1).astype(np.int64)
    key = np.sort(key)
    key = key[np.r_[True, key[1:] != key[:-1]]]
    return np.bincount(key // width, minlength=n_groups).astype(np.int64)
