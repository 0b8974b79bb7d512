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
  - mode switch, rule ``drain``: the unit drains (``m_sub + rows + cols - 1``), SetMode
    takes ``switch.cycles``, then the next ShiftV (``k_next``) runs on the idle array;
  - mode switch, rule ``wavefront``: every PE switches on its own once the old wave's
    last item has passed it (plus ``switch.cycles``); the new wave follows the old
    wavefront at the skew distance ``D`` (:func:`skew_distance`):
    ``D + max(m_sub + switch.cycles, k_next)``;
* tail (last wave: stream start to the cycle after its last output write):
  ``m_sub + rows + cols - 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

SWITCH_RULES = ("drain", "wavefront")


@dataclass(frozen=True)
class WaveShape:
    """What the timing of one wave depends on."""

    mode: str
    m_sub: int
    k: int
    rows: int
    cols: int


@dataclass(frozen=True)
class ModeSwitch:
    """How a unit changes mode: ``cycles`` of SetMode (per PE under ``wavefront``) and the
    ``rule`` (``drain``: the whole array empties first; ``wavefront``: see module doc)."""

    cycles: int = 1
    rule: str = "drain"

    def __post_init__(self) -> None:
        if self.rule not in SWITCH_RULES:
            raise ValueError(f"mode switch rule must be one of {SWITCH_RULES}, "
                             f"got {self.rule!r}")


def skew_distance(prev: WaveShape, nxt: WaveShape) -> int:
    """How far the old mode's skew runs behind the new one's, at the worst PE.

    A PE's skew is its row plus its column inside its sub-array. Sub-arrays of both modes
    tile the same unit with sizes that divide each other, so ``max over PEs of (old skew -
    new skew)`` is ``(rows_old - rows_new)+ + (cols_old - cols_new)+`` (attained at the
    origin of a new sub-array that lies inside an old one, e.g. PE (r, c) for FW -> ISW).
    """
    return max(prev.rows - nxt.rows, 0) + max(prev.cols - nxt.cols, 0)


def wave_cycles(prev: WaveShape | None, nxt: WaveShape | None, switch: ModeSwitch) -> int:
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
    if switch.rule == "wavefront":
        return skew_distance(prev, nxt) + max(prev.m_sub + switch.cycles, nxt.k)
    return drain + switch.cycles + nxt.k


def shift_offset(prev: WaveShape, nxt: WaveShape, switch: ModeSwitch) -> int:
    """Earliest ShiftV start of ``nxt`` minus the stream start of ``prev`` (the wave before
    it on the unit): right behind the swap token in the same mode; after the drain and
    SetMode under ``drain``; once the old swap wavefront has passed every origin of the new
    mode's sub-arrays under ``wavefront`` (``D`` cycles)."""
    if nxt.mode == prev.mode:
        return 0
    if switch.rule == "wavefront":
        return skew_distance(prev, nxt)
    return wave_cycles(prev, nxt, switch) - nxt.k
