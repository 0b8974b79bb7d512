"""Timing profiles as small strategy objects: how fills and streaming steps cost cycles.

``ReferenceTiming`` follows the published simulator (spec sections 6 and 6.1): a step costs the
controller's overhead, the bank-conflict depth of its requests and a DRAM round trip when one
of its lines misses; a fill likewise. ``IdealTiming`` follows the prose (spec section 2):
pipelined steps bounded by the distribution and reduction bandwidths, DRAM latency exposed once
per batch that misses, a prefetching stationary FIFO.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flexsa.sparse.banks import DepthEstimate, range_depth
from flexsa.sparse.config import HardwareConfig, Profile
from flexsa.sparse.fibers import ceil_div
from flexsa.sparse.streaming import Stream


@dataclass(frozen=True)
class StreamCost:
    overhead: int
    depth: int
    miss: int
    estimate: DepthEstimate


def stationary_new_line(start: np.ndarray, nnz: np.ndarray, hw: HardwareConfig) -> np.ndarray:
    """Whether each fill of a sequentially read stationary operand touches a new line."""
    if nnz.size == 0:
        return np.zeros(0, dtype=bool)
    end = np.asarray(start, dtype=np.int64) + nnz
    last_line = (end * hw.element_bytes - 1) // hw.cache_line_bytes
    previous = np.concatenate([[-1], last_line[:-1]])
    return (last_line > previous) & (nnz > 0)


@dataclass(frozen=True)
class ReferenceTiming:
    """Spec 6/6.1: every step and fill waits for all of its per-element requests."""

    profile: Profile = Profile.REFERENCE
    gustavson_one_row: bool = True  # one row (chunk) of A at a time
    ip_every_column: bool = True  # empty columns streamed, explicit zeros, dense C

    def fill(self, start: np.ndarray, nnz: np.ndarray, hw: HardwareConfig) -> int:
        """Per fill: overhead + requests queued on one bank + DRAM when a new line is touched."""
        if nnz.size == 0:
            return 0
        depth = range_depth(start, np.asarray(start) + nnz, hw)
        new = stationary_new_line(start, nnz, hw)
        return int(nnz.size * hw.step_cycles + depth.sum() +
                   int(new.sum()) * hw.dram_latency_cycles)

    def stream(self, stream: Stream, hw: HardwareConfig) -> StreamCost:
        estimate = stream.depth()
        return StreamCost(overhead=int(stream.steps.sum()) * hw.step_cycles,
                          depth=estimate.total,
                          miss=int(stream.rounds.sum()) * hw.dram_latency_cycles,
                          estimate=estimate)


@dataclass(frozen=True)
class IdealTiming:
    """Spec 2: pipelined steps, prefetched stationary stream, latency once per missing batch."""

    profile: Profile = Profile.IDEAL
    gustavson_one_row: bool = False  # rows packed into clusters
    ip_every_column: bool = False  # only non-empty columns, C written sparsely

    def fill(self, start: np.ndarray, nnz: np.ndarray, hw: HardwareConfig) -> int:
        if nnz.size == 0:
            return 0
        return int(ceil_div(nnz, hw.dn_bw).sum()) + hw.dram_latency_cycles

    def stream(self, stream: Stream, hw: HardwareConfig) -> StreamCost:
        issue = np.maximum.reduce([stream.steps, ceil_div(stream.distinct, hw.dn_bw),
                                   ceil_div(stream.products, hw.rn_bw),
                                   ceil_div(stream.outputs, hw.rn_bw)])
        miss = int((stream.misses > 0).sum()) * hw.dram_latency_cycles
        return StreamCost(overhead=0, depth=int(issue.sum()), miss=miss,
                          estimate=DepthEstimate(total=0, sampled_fraction=1.0,
                                                 error_bound=0.0))


Timing = ReferenceTiming | IdealTiming


def timing_for(hw: HardwareConfig) -> Timing:
    return ReferenceTiming() if hw.profile is Profile.REFERENCE else IdealTiming()
