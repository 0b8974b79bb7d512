"""A PE-by-PE, register-by-register cycle simulator of one unit (the ground truth).

Slow pure Python, for small arrays (e.g. a plain 4x4 core or a FlexSA unit of 2x2 cores of
4x4 PEs). It executes a unit's instruction stream and defines the timing conventions that
the fast model (:mod:`flexsa.arch.timing`) reproduces in closed form:

* Every PE has a shadow stationary register ``sh`` (loaded by ShiftV through a vertical
  chain), an active stationary register ``w``, a horizontal input register ``a``, a
  vertical partial-sum register ``p`` and a mode register (which inputs it takes, whether
  its partial sum leaves for the output buffer). All registers update at the clock edge
  from the values at the start of the cycle.
* ShiftV of a ``k``-row tile takes ``k`` steps; column ``j`` of a sub-array runs ``j``
  cycles behind column 0 (skewed like the streamed rows). The chain is valid-gated: the data
  front reaches row ``i`` at step ``i``, rows at or below ``k`` are untouched. Zeros are
  shifted into columns ``>= n``. In sub-wave modes the tile is broadcast to every
  sub-array at once.
* Streamed row ``t`` enters sub-array row ``i`` at ``S + t + i`` (S: stream start); the
  first item of each row carries a swap token: PE ``(i, j)`` copies ``sh`` into ``w`` at
  ``S + i + j``. Rows at or below ``k`` carry no data: their PEs pass partial sums through.
* Partial sums leave the bottom row of a sub-array into the output buffer one cycle later
  (accumulating over K steps); columns ``>= n`` carry zeros that are dropped.
* A shadow register may be overwritten in the same cycle its value is swapped out, never
  before (hazard check). ShiftV of the next wave starts when the previous ShiftV has
  finished column 0 and the shadows of the sub-array origins are free; streaming starts
  when ShiftV has finished column 0 and the row feeders are free.
* Mode changes (``arch.mode_switch``):
  - ``drain``: SetMode waits until the unit is idle (no valid register, feeders done) and
    takes ``mode_switch_cycles``; every PE switches at once.
  - ``wavefront``: the last item of every row of the old wave (and, on rows without data,
    a flag-only item) carries an end flag; a PE switches to the next mode as the flag
    passes and may take new items ``mode_switch_cycles`` later. The next ShiftV starts
    once the old swap wavefront has passed every origin of the new sub-arrays; the next
    stream starts once the PE at every new origin has switched.
  The program starts in its first wave's mode.
* The unit's time is the first cycle at which it is idle after its last wave.

Hazards (a schedule that would compute wrong values) raise :class:`ReferenceHazard`:
an item reaching a PE configured for another mode or still switching, an item nobody
takes, two waves feeding one PE, two accumulations of one output element in a cycle, a
shadow register overwritten before its swap or by two ShiftVs, a swap of a wrong tile,
a partial sum misaligned with its input. The outputs are checked against ``A @ B``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from flexsa.arch.config import ArchConfig
from flexsa.compiler.isa import ExecGEMM, LdLBUF_H, LdLBUF_V, StLBUF, decode_gbuf_ptr
from flexsa.compiler.modes import geometry, split_rows
from flexsa.compiler.program import Program, UnitProgram
from flexsa.sim.reference_pe import (
    Grid,
    ReferenceHazard,
    Wave,
    compute,
    feeds,
    shift_step,
    swap_delay,
)

__all__ = ["ReferenceHazard", "ReferenceResult", "simulate_program", "simulate_unit"]

_Wave = Wave  # the RTL co-simulation reads the reference's wave list


@dataclass
class ReferenceResult:
    cycles: int
    outputs: dict[int, np.ndarray]
    stream_starts: list[int] = field(default_factory=list)
    shift_starts: list[int] = field(default_factory=list)


def _waves(prog: Program, unit: UnitProgram, a: np.ndarray, b: np.ndarray,
           arch: ArchConfig) -> list[Wave]:
    waves: list[Wave] = []
    tile = block = None
    out_tile = 0
    for instr in unit.instructions:
        if isinstance(instr, LdLBUF_V):
            i, row, col = decode_gbuf_ptr(instr.gbuf_ptr, prog.k, prog.n)
            tile = b[i, row:row + instr.k, col:col + instr.n]
        elif isinstance(instr, LdLBUF_H):
            i, row, col = decode_gbuf_ptr(instr.gbuf_ptr, prog.m, prog.k)
            block = a[i, row:row + instr.m, col:col + instr.k]
        elif isinstance(instr, ExecGEMM):
            assert tile is not None and block is not None
            geo = geometry(arch, instr.mode)
            rows = split_rows(instr.m, geo.count)
            starts = tuple(int(x) for x in np.cumsum((0, *rows[:-1])))
            waves.append(Wave(len(waves), instr.mode, instr.m, instr.n, instr.k, tile, block,
                              out_tile, rows, starts))
        elif isinstance(instr, StLBUF):
            out_tile += 1
    for wave, nxt in zip(waves, waves[1:], strict=False):
        nxt.run = wave.run if nxt.mode is wave.mode else nxt.index
        if nxt.mode is not wave.mode and arch.mode_switch == "wavefront":
            wave.end_flag, wave.next_mode = True, nxt.mode
    return waves


class _Engine:
    """The unit's control: the shift engine, the stream engine and SetMode."""

    def __init__(self, arch: ArchConfig, waves: list[Wave]) -> None:
        self.arch, self.waves = arch, waves
        self.grid = Grid(arch, waves)
        self.wavefront = arch.mode_switch == "wavefront"
        self.mode = waves[0].mode           # the drain rule's unit-wide mode
        self.switch_done = 0
        self.shift_next = self.stream_next = 0
        self.shift_x0: dict[int, int] = {}
        self.stream_s: dict[int, int] = {}

    def set_mode(self, cycle: int) -> None:
        """Drain rule: both engines reached a wave in another mode and the unit is idle."""
        waves, nxt = self.waves, self.shift_next
        if (not self.wavefront and nxt < len(waves) and waves[nxt].mode is not self.mode
                and self.stream_next == nxt and cycle >= self.switch_done
                and _feeders_done(waves, self.stream_s, cycle) and self.grid.idle()
                and _shift_done(waves, self.shift_x0, cycle)):
            self.mode = waves[nxt].mode
            self.switch_done = cycle + self.arch.mode_switch_cycles
            self.grid.set_all(waves[nxt], self.switch_done)

    def try_stream(self, cycle: int) -> int | None:
        idx = self.stream_next
        if idx >= len(self.waves) or idx >= self.shift_next:
            return None
        wave = self.waves[idx]
        if self.wavefront:
            if not self.grid.origins_ready(wave, cycle):
                return None
        elif wave.mode is not self.mode or cycle < self.switch_done:
            return None
        prev = self.waves[idx - 1] if idx else None
        if (self.shift_x0[idx] + wave.k <= cycle
                and (prev is None or self.stream_s[prev.index] + prev.m_sub <= cycle)):
            self.stream_s[idx] = cycle
            self.stream_next += 1
            return cycle
        return None

    def try_shift(self, cycle: int) -> int | None:
        idx = self.shift_next
        if idx >= len(self.waves) or not _shift_done(self.waves, self.shift_x0, cycle):
            return None
        wave = self.waves[idx]
        if self.wavefront:
            prev = self.waves[idx - 1] if idx else None
            if prev is not None and prev.mode is not wave.mode:
                start = self.stream_s.get(prev.index)
                layouts = self.grid.layouts
                if start is None or cycle < start + swap_delay(layouts[prev.mode],
                                                               layouts[wave.mode]):
                    return None
        elif wave.mode is not self.mode or cycle < self.switch_done:
            return None
        if not self.grid.origins_free(wave.mode):
            return None
        self.shift_x0[idx] = cycle
        self.shift_next += 1
        return cycle

    def finished(self, cycle: int) -> bool:
        return (self.stream_next == len(self.waves)
                and _feeders_done(self.waves, self.stream_s, cycle + 1) and self.grid.idle())


def simulate_unit(arch: ArchConfig, prog: Program, unit: UnitProgram, a: np.ndarray,
                  b: np.ndarray, max_cycles: int = 1_000_000) -> ReferenceResult:
    """Run one unit's program register by register; return its cycles and output tiles."""
    waves = _waves(prog, unit, a, b, arch)
    outputs: dict[int, np.ndarray] = {}
    result = ReferenceResult(0, outputs)
    if not waves:
        return result
    eng = _Engine(arch, waves)
    grid = eng.grid
    for cycle in range(max_cycles):
        eng.set_mode(cycle)
        started = eng.try_stream(cycle)
        if started is not None:
            result.stream_starts.append(started)
        fed = feeds(grid, waves, eng.stream_s, cycle)
        swaps = compute(grid, waves, fed, cycle, outputs)
        for i, j in swaps:   # the shift engine sees this cycle's swaps
            grid.sh_pending[i, j] = False
        shifted = eng.try_shift(cycle)
        if shifted is not None:
            result.shift_starts.append(shifted)
        shift_step(grid, waves, eng.shift_x0, cycle)
        if eng.finished(cycle):
            result.cycles = cycle + 1
            break
    else:
        raise ReferenceHazard(f"no progress after {max_cycles} cycles")
    _check_outputs(waves, outputs)
    result.outputs = outputs
    return result


def _feeders_done(waves: list[Wave], stream_s: dict[int, int], cycle: int) -> bool:
    if not stream_s:
        return True
    last = max(stream_s)
    wave = waves[last]
    return cycle > stream_s[last] + wave.m_sub - 1 + wave.k - 1


def _shift_done(waves: list[Wave], shift_x0: dict[int, int], cycle: int) -> bool:
    """The previous ShiftV has finished column 0 (later columns follow its skew)."""
    if not shift_x0:
        return True
    last = max(shift_x0)
    return shift_x0[last] + waves[last].k <= cycle


def _check_outputs(waves: list[Wave], outputs: dict[int, np.ndarray]) -> None:
    for wave in waves:
        if wave.out_tile not in outputs:
            raise ReferenceHazard(f"output tile {wave.out_tile} was never written")


def simulate_program(arch: ArchConfig, prog: Program, a: np.ndarray,
                     b: np.ndarray) -> tuple[int, np.ndarray, list[ReferenceResult]]:
    """Every unit of ``prog``: (GEMM cycles, C, per-unit results)."""
    c = np.zeros((prog.instances, prog.m, prog.n), dtype=np.int64)
    results = []
    for unit in prog.units:
        res = simulate_unit(arch, prog, unit, a, b)
        results.append(res)
        tile = 0
        for instr in unit.instructions:
            if isinstance(instr, StLBUF):
                i, row, col = decode_gbuf_ptr(instr.gbuf_ptr, prog.m, prog.n)
                c[i, row:row + instr.m, col:col + instr.n] += res.outputs[tile]
                tile += 1
    return max(r.cycles for r in results), c, results
