"""The systolic-wave timing rules: ONE parameterised function for every mode and plain cores.

These closed forms are derived from (and tested against) the register-level reference
simulator :mod:`flexsa.sim.reference`; docs/core.md explains each term.

A wave runs on ``count`` lock-stepped sub-arrays of ``rows x cols`` PEs (a plain core or
FlexSA FW: one sub-array; HSW/VSW: two; ISW: four). Its stationary tile is ``k x n``; its
``m`` streamed rows are split over the sub-arrays, the largest share being ``m_sub``.

* head (first wave on an idle unit): ``k`` cycles of ShiftV before streaming starts;
* gap (stream start to the next wave's stream start on the same unit):
  - same mode: ``max(m_sub, k_next)`` - the next ShiftV runs behind the current wave's
    swap wavefront, so it is hidden unless the next tile is taller than this wave is long;
  - mode switch: the unit drains (``m_sub + rows + cols - 1``), SetMode takes
    ``switch_cycles``, then the next ShiftV (``k_next``) runs on the idle array;
* tail (last wave: stream start to the cycle after its last output write):
  ``m_sub + rows + cols - 1``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WaveShape:
    """What the timing of one wave depends on."""

    mode: str
    m_sub: int
    k: int
    rows: int
    cols: int


def wave_cycles(prev: WaveShape | None, nxt: WaveShape | None, switch_cycles: int) -> int:
    """Cycles between consecutive events of a unit's wave sequence.

    ``prev=None``: head (idle unit to the first stream start); ``nxt=None``: tail (last
    stream start to idle); both given: the gap between their stream starts.
    """
    if prev is None:
        if nxt is None:
            return 0
        return nxt.k
    drain = prev.m_sub + prev.rows + prev.cols - 1
    if nxt is None:
        return drain
    if nxt.mode == prev.mode:
        return max(prev.m_sub, nxt.k)
    return drain + switch_cycles + nxt.k
