"""A PE-by-PE, register-by-register cycle simulator of one unit (the ground truth).

Slow pure Python, for small arrays (e.g. a plain 4x4 core or a FlexSA unit of 2x2 cores of
4x4 PEs). It executes a unit's instruction stream and defines the timing conventions that
the fast model (:mod:`flexsa.arch.timing`) reproduces in closed form:

* Every PE has a shadow stationary register ``sh`` (loaded by ShiftV through a vertical
  chain), an active stationary register ``w``, a horizontal input register ``a`` and a
  vertical partial-sum register ``p``. All registers update at the clock edge from the
  values at the start of the cycle.
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
  finished column 0 and the shadow of PE (0, 0) is free; streaming starts when ShiftV has
  finished column 0 and the row feeders are free.
* SetMode (a mode change) waits until the unit is idle (no valid register, feeders done)
  and takes ``mode_switch_cycles``; the program starts in its first wave's mode.
* The unit's time is the first cycle at which it is idle after its last wave.

Hazards (a schedule that would compute wrong values) raise :class:`ReferenceHazard`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from flexsa.arch.config import ArchConfig
from flexsa.compiler.isa import ExecGEMM, LdLBUF_H, LdLBUF_V, StLBUF, decode_gbuf_ptr
from flexsa.compiler.modes import Geometry, Mode, geometry, split_rows
from flexsa.compiler.program import Program, UnitProgram


class ReferenceHazard(RuntimeError):
    """The reference found a register-level hazard (a timing-model bug)."""


@dataclass
class _Wave:
    index: int
    mode: Mode
    m: int
    n: int
    k: int
    tile: np.ndarray  # k x n stationary
    block: np.ndarray  # m x k streamed
    out_tile: int
    rows: tuple[int, ...] = ()
    starts: tuple[int, ...] = ()

    @property
    def m_sub(self) -> int:
        return max(self.rows)


@dataclass
class _Reg:
    val: int = 0
    valid: bool = False
    tok: bool = False
    wave: int = -1
    row: int = -1


@dataclass
class ReferenceResult:
    cycles: int
    outputs: dict[int, np.ndarray]
    stream_starts: list[int] = field(default_factory=list)
    shift_starts: list[int] = field(default_factory=list)


def _waves(prog: Program, unit: UnitProgram, a: np.ndarray, b: np.ndarray,
           arch: ArchConfig) -> list[_Wave]:
    waves: list[_Wave] = []
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
            waves.append(_Wave(len(waves), instr.mode, instr.m, instr.n, instr.k, tile, block,
                               out_tile, rows, starts))
        elif isinstance(instr, StLBUF):
            out_tile += 1
    return waves


class _Unit:
    """Register state of one unit's PE grid in one mode."""

    def __init__(self, arch: ArchConfig) -> None:
        self.arch = arch
        self.rows, self.cols = arch.unit_rows, arch.unit_cols
        shape = (self.rows, self.cols)
        self.sh = np.zeros(shape, dtype=np.int64)
        self.sh_owner = np.full(shape, -1, dtype=np.int64)
        self.sh_pending = np.zeros(shape, dtype=bool)
        self.w = np.zeros(shape, dtype=np.int64)
        self.a = [[_Reg() for _ in range(self.cols)] for _ in range(self.rows)]
        self.p = [[_Reg() for _ in range(self.cols)] for _ in range(self.rows)]
        self.geo: Geometry | None = None

    def idle(self) -> bool:
        return not any(r.valid or r.tok for row in self.a for r in row) and \
            not any(r.valid for row in self.p for r in row)

    def sub_arrays(self) -> list[tuple[int, int, int]]:
        assert self.geo is not None
        return [(s, r0, c0) for s, (r0, c0) in enumerate(self.geo.origins)]


def _feed(wave: _Wave, s: int, li: int, cycle: int, start: int) -> _Reg:
    """What the feeder of sub-array ``s`` row ``li`` drives in ``cycle``."""
    t = cycle - start - li
    if li >= wave.k or t < 0:
        return _Reg()
    rows = wave.rows[s]
    if t == 0 and rows == 0:
        return _Reg(tok=True, wave=wave.index)
    if t >= rows:
        return _Reg()
    value = int(wave.block[wave.starts[s] + t, li])
    return _Reg(val=value, valid=True, tok=(t == 0), wave=wave.index, row=t)


def simulate_unit(arch: ArchConfig, prog: Program, unit: UnitProgram, a: np.ndarray,
                  b: np.ndarray, max_cycles: int = 1_000_000) -> ReferenceResult:
    """Run one unit's program register by register; return its cycles and output tiles."""
    waves = _waves(prog, unit, a, b, arch)
    state = _Unit(arch)
    outputs: dict[int, np.ndarray] = {}
    result = ReferenceResult(0, outputs)
    if not waves:
        return result
    state.geo = geometry(arch, waves[0].mode)
    mode = waves[0].mode
    switch_done = 0
    shift_next = stream_next = 0
    shift_x0: dict[int, int] = {}
    stream_s: dict[int, int] = {}
    for cycle in range(max_cycles):
        # 1. mode switch barrier: both engines reached a wave in another mode
        if (shift_next < len(waves) and waves[shift_next].mode != mode
                and stream_next == shift_next and cycle >= switch_done
                and _feeders_done(waves, stream_s, cycle) and state.idle()
                and _shift_done(waves, shift_x0, cycle)):
            mode = waves[shift_next].mode
            state.geo = geometry(arch, mode)
            switch_done = cycle + arch.mode_switch_cycles
        # 2. stream start
        if (stream_next < len(waves) and stream_next < shift_next
                and waves[stream_next].mode == mode and cycle >= switch_done):
            wave = waves[stream_next]
            shifted = shift_x0[wave.index] + wave.k <= cycle
            prev = waves[stream_next - 1] if stream_next else None
            free = prev is None or stream_s[prev.index] + prev.m_sub <= cycle
            if shifted and free:
                stream_s[wave.index] = cycle
                result.stream_starts.append(cycle)
                stream_next += 1
        # 3. PE compute (reads registers at the start of the cycle)
        new_a, new_p, swaps = _compute(state, waves, stream_s, cycle, outputs)
        # 4. shift engine (after this cycle's swaps)
        for i, j in swaps:
            state.sh_pending[i, j] = False
        if (shift_next < len(waves) and waves[shift_next].mode == mode
                and cycle >= switch_done and _shift_done(waves, shift_x0, cycle)):
            free = all(not state.sh_pending[r0, c0] for _, r0, c0 in state.sub_arrays())
            if free:
                shift_x0[shift_next] = cycle
                result.shift_starts.append(cycle)
                shift_next += 1
        _shift_step(state, waves, shift_x0, cycle, swaps)
        state.a, state.p = new_a, new_p
        if stream_next == len(waves) and _feeders_done(waves, stream_s, cycle + 1) \
                and state.idle():
            result.cycles = cycle + 1
            break
    else:
        raise ReferenceHazard(f"no progress after {max_cycles} cycles")
    _check_outputs(waves, outputs)
    result.outputs = outputs
    return result


def _feeders_done(waves: list[_Wave], stream_s: dict[int, int], cycle: int) -> bool:
    if not stream_s:
        return True
    last = max(stream_s)
    wave = waves[last]
    return cycle > stream_s[last] + wave.m_sub - 1 + wave.k - 1


def _shift_done(waves: list[_Wave], shift_x0: dict[int, int], cycle: int) -> bool:
    """The previous ShiftV has finished column 0 (later columns follow its skew)."""
    if not shift_x0:
        return True
    last = max(shift_x0)
    return shift_x0[last] + waves[last].k <= cycle


def _compute(state: _Unit, waves: list[_Wave], stream_s: dict[int, int], cycle: int,
             outputs: dict[int, np.ndarray]) -> tuple[list[list[_Reg]], list[list[_Reg]],
                                                       list[tuple[int, int]]]:
    assert state.geo is not None
    geo = state.geo
    new_a = [[_Reg() for _ in range(state.cols)] for _ in range(state.rows)]
    new_p = [[_Reg() for _ in range(state.cols)] for _ in range(state.rows)]
    swaps: list[tuple[int, int]] = []
    active = [w for w in stream_s if stream_s[w] <= cycle and waves[w].mode is geo.mode]
    for s, r0, c0 in state.sub_arrays():
        for li in range(geo.rows):
            for lj in range(geo.cols):
                i, j = r0 + li, c0 + lj
                if lj == 0:
                    ain = _Reg()
                    for w in active[-2:]:
                        item = _feed(waves[w], s, li, cycle, stream_s[w])
                        if item.valid or item.tok:
                            ain = item
                else:
                    ain = state.a[i][j - 1]
                pin = state.p[i - 1][j] if li > 0 else _Reg()
                if ain.tok:
                    if not state.sh_pending[i, j] or state.sh_owner[i, j] != ain.wave:
                        raise ReferenceHazard(f"cycle {cycle}: PE({i},{j}) swaps a shadow "
                                              f"not loaded for wave {ain.wave}")
                    state.w[i, j] = state.sh[i, j]
                    swaps.append((i, j))
                if ain.valid:
                    if li > 0 and (not pin.valid or (pin.wave, pin.row) != (ain.wave, ain.row)):
                        raise ReferenceHazard(f"cycle {cycle}: PE({i},{j}) partial sum "
                                              "misaligned with its input")
                    total = (pin.val if pin.valid else 0) + int(state.w[i, j]) * ain.val
                    new_p[i][j] = _Reg(val=total, valid=True, wave=ain.wave, row=ain.row)
                else:
                    new_p[i][j] = pin
                new_a[i][j] = ain
                if li == geo.rows - 1:
                    _drain(state.p[i][j], waves, s, lj, outputs)
    return new_a, new_p, swaps


def _drain(reg: _Reg, waves: list[_Wave], s: int, col: int,
           outputs: dict[int, np.ndarray]) -> None:
    """The output buffer takes the bottom register's value (one cycle after it was made)."""
    if not reg.valid:
        return
    wave = waves[reg.wave]
    if col >= wave.n:
        if reg.val != 0:
            raise ReferenceHazard("a column outside the tile produced a non-zero output")
        return
    acc = outputs.setdefault(wave.out_tile, np.zeros((wave.m, wave.n), dtype=np.int64))
    acc[wave.starts[s] + reg.row, col] += reg.val


def _shift_step(state: _Unit, waves: list[_Wave], shift_x0: dict[int, int], cycle: int,
                swaps: list[tuple[int, int]]) -> None:
    assert state.geo is not None
    geo = state.geo
    for w, x0 in shift_x0.items():
        wave = waves[w]
        if cycle < x0 or cycle > x0 + wave.k - 1 + geo.cols - 1:
            continue
        for _, r0, c0 in state.sub_arrays():
            for lj in range(geo.cols):
                step = cycle - x0 - lj
                if not 0 <= step < wave.k:
                    continue
                j = c0 + lj
                column = state.sh[r0:r0 + wave.k, j].copy()
                for li in range(step + 1):
                    i = r0 + li
                    if state.sh_pending[i, j]:
                        raise ReferenceHazard(f"cycle {cycle}: ShiftV overwrites the unswapped "
                                              f"shadow of PE({i},{j})")
                entering = int(wave.tile[wave.k - 1 - step, lj]) if lj < wave.n else 0
                for li in range(step, 0, -1):
                    state.sh[r0 + li, j] = column[li - 1]
                state.sh[r0, j] = entering
                if step == wave.k - 1:
                    state.sh_pending[r0:r0 + wave.k, j] = True
                    state.sh_owner[r0:r0 + wave.k, j] = w


def _check_outputs(waves: list[_Wave], outputs: dict[int, np.ndarray]) -> None:
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
