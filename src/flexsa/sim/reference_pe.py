"""The PE grid of the register-level reference (:mod:`flexsa.sim.reference`).

Registers, per-PE mode configuration and the three per-cycle steps (feeders, PE compute and
drain, ShiftV), each checking the hazards that would make the schedule compute wrong values.
Every PE carries its own mode register (``cfg``) and the cycle from which it may be used
(``ready``): under the ``drain`` rule all of them change at once when the unit is idle;
under ``wavefront`` a PE changes when the old wave's end flag passes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flexsa.arch.config import ArchConfig
from flexsa.compiler.modes import Geometry, Mode, geometry


class ReferenceHazard(RuntimeError):
    """The reference found a register-level hazard (a timing-model bug)."""


@dataclass
class Wave:
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
    end_flag: bool = False  # the next wave runs in another mode (wavefront rule)
    next_mode: Mode | None = None
    run: int = 0  # index of the first wave of this wave's run of one mode

    @property
    def m_sub(self) -> int:
        return max(self.rows)


@dataclass(frozen=True)
class Reg:
    val: int = 0
    valid: bool = False
    tok: bool = False   # swap token (first item of a wave's row)
    end: bool = False   # end flag (last item of a wave's row, before a mode change)
    wave: int = -1
    row: int = -1

    @property
    def busy(self) -> bool:
        return self.valid or self.tok or self.end


EMPTY = Reg()


class Layout:
    """A mode's geometry and, per PE, (sub-array, local row, local column)."""

    def __init__(self, geo: Geometry, rows: int, cols: int) -> None:
        self.geo = geo
        self.loc = [[(0, 0, 0)] * cols for _ in range(rows)]
        for s, (r0, c0) in enumerate(geo.origins):
            for li in range(geo.rows):
                for lj in range(geo.cols):
                    self.loc[r0 + li][c0 + lj] = (s, li, lj)

    def skew(self, i: int, j: int) -> int:
        _, li, lj = self.loc[i][j]
        return li + lj


def swap_delay(old: Layout, new: Layout) -> int:
    """Cycles after the old wave's stream start until its swap wavefront has passed every
    origin of the new mode's sub-arrays (their old-mode skew; brute force over origins)."""
    return max(old.skew(r0, c0) for r0, c0 in new.geo.origins)


class Grid:
    """Register state of one unit's PE grid and its per-PE mode configuration."""

    def __init__(self, arch: ArchConfig, waves: list[Wave]) -> None:
        self.rows, self.cols = arch.unit_rows, arch.unit_cols
        shape = (self.rows, self.cols)
        self.sh = np.zeros(shape, dtype=np.int64)
        self.sh_owner = np.full(shape, -1, dtype=np.int64)
        self.sh_pending = np.zeros(shape, dtype=bool)
        self.sh_writing = np.full(shape, -1, dtype=np.int64)  # ShiftV in flight
        self.w = np.zeros(shape, dtype=np.int64)
        self.a = [[EMPTY] * self.cols for _ in range(self.rows)]
        self.p = [[EMPTY] * self.cols for _ in range(self.rows)]
        self.layouts = {w.mode: Layout(geometry(arch, w.mode), *shape) for w in waves}
        first = waves[0].mode
        self.cfg = [[first] * self.cols for _ in range(self.rows)]
        self.run = np.zeros(shape, dtype=np.int64)  # the mode run the PE is configured for
        self.ready = np.zeros(shape, dtype=np.int64)
        self.switch_cycles = arch.mode_switch_cycles

    def idle(self) -> bool:
        return not any(r.busy for row in self.a for r in row) and \
            not any(r.valid for row in self.p for r in row)

    def set_all(self, wave: Wave, ready: int) -> None:
        """SetMode of the drain rule: every PE at once."""
        self.cfg = [[wave.mode] * self.cols for _ in range(self.rows)]
        self.run[:, :] = wave.run
        self.ready[:, :] = ready

    def origins_ready(self, wave: Wave, cycle: int) -> bool:
        """The PE at every origin of ``wave``'s sub-arrays has switched to its mode run
        (the stream engine's interlock under the wavefront rule)."""
        return all(self.run[r0, c0] == wave.run and self.ready[r0, c0] <= cycle
                   for r0, c0 in self.layouts[wave.mode].geo.origins)

    def origins_free(self, mode: Mode) -> bool:
        """No origin of ``mode``'s sub-arrays holds an unswapped shadow tile."""
        return all(not self.sh_pending[r0, c0] for r0, c0 in self.layouts[mode].geo.origins)


def feed(wave: Wave, s: int, li: int, cycle: int, start: int) -> Reg:
    """What the feeder of sub-array ``s`` row ``li`` drives in ``cycle``: the wave's row
    ``t`` (swap token on the first, end flag on the last before a mode change); rows at or
    below ``k`` carry no data, only the end flag (so every PE of the sub-array sees it)."""
    t = cycle - start - li
    if t < 0:
        return EMPTY
    rows = wave.rows[s]
    end = wave.end_flag and t == max(rows, 1) - 1
    if li >= wave.k:
        return Reg(end=True, wave=wave.index) if end else EMPTY
    if rows == 0:
        return Reg(tok=True, end=end, wave=wave.index) if t == 0 else EMPTY
    if t >= rows:
        return EMPTY
    value = int(wave.block[wave.starts[s] + t, li])
    return Reg(val=value, valid=True, tok=(t == 0), end=end, wave=wave.index, row=t)


def feeds(grid: Grid, waves: list[Wave], stream_s: dict[int, int],
          cycle: int) -> dict[tuple[int, int], Reg]:
    """Every feeder's item this cycle, keyed by the PE it enters (its wave's geometry)."""
    out: dict[tuple[int, int], Reg] = {}
    for w, start in stream_s.items():
        wave = waves[w]
        geo = grid.layouts[wave.mode].geo
        if cycle < start or cycle >= start + max(wave.m_sub, 1) + geo.rows:
            continue
        for s, (r0, c0) in enumerate(geo.origins):
            for li in range(geo.rows):
                item = feed(wave, s, li, cycle, start)
                if item.busy:
                    if (r0 + li, c0) in out:
                        raise ReferenceHazard(f"cycle {cycle}: two waves feed PE({r0 + li},"
                                              f"{c0}) at once")
                    out[(r0 + li, c0)] = item
    return out


def compute(grid: Grid, waves: list[Wave], fed: dict[tuple[int, int], Reg], cycle: int,
            outputs: dict[int, np.ndarray]) -> list[tuple[int, int]]:
    """One cycle of every PE in its own mode (reads registers at the start of the cycle);
    returns the PEs that swapped. Every item must be taken by a PE of its wave's mode."""
    new_a = [[EMPTY] * grid.cols for _ in range(grid.rows)]
    new_p = [[EMPTY] * grid.cols for _ in range(grid.rows)]
    swaps: list[tuple[int, int]] = []
    taken: set[tuple[str, int, int]] = set()
    for i in range(grid.rows):
        for j in range(grid.cols):
            mode = grid.cfg[i][j]
            _, li, lj = grid.layouts[mode].loc[i][j]
            ain = fed.pop((i, j), EMPTY) if lj == 0 else _take(grid, waves, "a", i, j - 1,
                                                               taken)
            pin = _take(grid, waves, "p", i - 1, j, taken) if li > 0 else EMPTY
            for item in (ain, pin):
                if item.busy and (waves[item.wave].run != grid.run[i, j] or
                                  cycle < grid.ready[i, j]):
                    raise ReferenceHazard(
                        f"cycle {cycle}: PE({i},{j}) configured for {mode.value} (waves from "
                        f"{grid.run[i, j]}, ready at {grid.ready[i, j]}) receives an item of "
                        f"wave {item.wave} ({waves[item.wave].mode.value})")
            new_p[i][j] = _mac(grid, i, j, li, ain, pin, cycle, swaps)
            new_a[i][j] = ain
            if ain.end:  # the old wave's last item has passed: switch this PE
                next_mode = waves[ain.wave].next_mode
                assert next_mode is not None
                grid.cfg[i][j] = next_mode
                grid.run[i, j] = ain.wave + 1
                grid.ready[i, j] = cycle + 1 + grid.switch_cycles
    if fed:
        raise ReferenceHazard(f"cycle {cycle}: PE(s) {sorted(fed)} in another mode than "
                              "the wave fed into them")
    _drain_and_check(grid, waves, taken, cycle, outputs)
    grid.a, grid.p = new_a, new_p
    return swaps


def _take(grid: Grid, waves: list[Wave], kind: str, i: int, j: int,
          taken: set[tuple[str, int, int]]) -> Reg:
    """A PE's input from its left (``a``) or upper (``p``) neighbour. An item at the last
    column (row) of its own wave's sub-array is not passed on: it carries that fact (the
    producer's mode decided it), so the neighbour ignores it even if it has switched to a
    mode whose sub-array continues there."""
    reg = grid.a[i][j] if kind == "a" else grid.p[i][j]
    if not reg.busy:
        return EMPTY
    layout = grid.layouts[waves[reg.wave].mode]
    _, li, lj = layout.loc[i][j]
    if (lj == layout.geo.cols - 1) if kind == "a" else (li == layout.geo.rows - 1):
        return EMPTY
    taken.add((kind, i, j))
    return reg


def _mac(grid: Grid, i: int, j: int, li: int, ain: Reg, pin: Reg, cycle: int,
         swaps: list[tuple[int, int]]) -> Reg:
    if ain.tok:
        if not grid.sh_pending[i, j] or grid.sh_owner[i, j] != ain.wave:
            raise ReferenceHazard(f"cycle {cycle}: PE({i},{j}) swaps a shadow "
                                  f"not loaded for wave {ain.wave}")
        grid.w[i, j] = grid.sh[i, j]
        swaps.append((i, j))
    if not ain.valid:
        return pin
    if li > 0 and (not pin.valid or (pin.wave, pin.row) != (ain.wave, ain.row)):
        raise ReferenceHazard(f"cycle {cycle}: PE({i},{j}) partial sum misaligned with its "
                              "input")
    total = (pin.val if pin.valid else 0) + int(grid.w[i, j]) * ain.val
    return Reg(val=total, valid=True, wave=ain.wave, row=ain.row)


def _drain_and_check(grid: Grid, waves: list[Wave], taken: set[tuple[str, int, int]],
                     cycle: int, outputs: dict[int, np.ndarray]) -> None:
    """Partial sums at the bottom of their wave's sub-array enter the output buffer (one
    cycle after they were made); any other item nobody took is lost (a hazard)."""
    written: set[tuple[int, int, int]] = set()
    for i in range(grid.rows):
        for j in range(grid.cols):
            reg = grid.a[i][j]
            if reg.busy:
                layout = grid.layouts[waves[reg.wave].mode]
                if layout.loc[i][j][2] < layout.geo.cols - 1 and ("a", i, j) not in taken:
                    raise ReferenceHazard(f"cycle {cycle}: the input held by PE({i},{j}) "
                                          "is lost (its neighbour switched mode)")
            reg = grid.p[i][j]
            if not reg.valid:
                continue
            layout = grid.layouts[waves[reg.wave].mode]
            s, li, lj = layout.loc[i][j]
            if li < layout.geo.rows - 1:
                if ("p", i, j) not in taken:
                    raise ReferenceHazard(f"cycle {cycle}: the partial sum held by "
                                          f"PE({i},{j}) is lost")
                continue
            _drain(reg, waves[reg.wave], s, lj, outputs, written, cycle)


def _drain(reg: Reg, wave: Wave, s: int, col: int, outputs: dict[int, np.ndarray],
           written: set[tuple[int, int, int]], cycle: int) -> None:
    """The output buffer accumulates the value; one accumulation per element and cycle."""
    if col >= wave.n:
        if reg.val != 0:
            raise ReferenceHazard("a column outside the tile produced a non-zero output")
        return
    row = wave.starts[s] + reg.row
    if (wave.out_tile, row, col) in written:
        raise ReferenceHazard(f"cycle {cycle}: two accumulations of output ({row},{col}) "
                              f"of tile {wave.out_tile} in one cycle")
    written.add((wave.out_tile, row, col))
    acc = outputs.setdefault(wave.out_tile, np.zeros((wave.m, wave.n), dtype=np.int64))
    acc[row, col] += reg.val


def shift_step(grid: Grid, waves: list[Wave], shift_x0: dict[int, int], cycle: int) -> None:
    """One step of every ShiftV in flight, each in its own wave's geometry (the stationary
    path of a column is configured by the ShiftV that uses it). A shadow register is
    written by one ShiftV at a time, and never while it holds an unswapped tile."""
    for w, x0 in shift_x0.items():
        wave = waves[w]
        geo = grid.layouts[wave.mode].geo
        if cycle < x0 or cycle > x0 + wave.k - 1 + geo.cols - 1:
            continue
        for r0, c0 in geo.origins:
            for lj in range(geo.cols):
                step = cycle - x0 - lj
                if 0 <= step < wave.k:
                    _shift_column(grid, wave, r0, c0 + lj, lj, step, cycle)


def _shift_column(grid: Grid, wave: Wave, r0: int, j: int, lj: int, step: int,
                  cycle: int) -> None:
    column = grid.sh[r0:r0 + wave.k, j].copy()
    for i in range(r0, r0 + step + 1):
        if grid.sh_pending[i, j]:
            raise ReferenceHazard(f"cycle {cycle}: ShiftV overwrites the unswapped "
                                  f"shadow of PE({i},{j})")
        if grid.sh_writing[i, j] not in (-1, wave.index):
            raise ReferenceHazard(f"cycle {cycle}: two ShiftVs in the shadow of PE({i},{j})")
        grid.sh_writing[i, j] = wave.index
    entering = int(wave.tile[wave.k - 1 - step, lj]) if lj < wave.n else 0
    for li in range(step, 0, -1):
        grid.sh[r0 + li, j] = column[li - 1]
    grid.sh[r0, j] = entering
    if step == wave.k - 1:
        grid.sh_pending[r0:r0 + wave.k, j] = True
        grid.sh_owner[r0:r0 + wave.k, j] = wave.index
        grid.sh_writing[r0:r0 + wave.k, j] = -1
