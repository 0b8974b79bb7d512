"""The GBUF->LBUF timing state of one unit, stepped wave by wave over a small wave table.

A block has only a handful of distinct waves (shape and load cycles), so every
wave-to-wave quantity the step needs (the core's gap, when the shadow registers free up,
the tail) is computed once per block into integer tables; the clock then steps over wave
indices with plain integer arithmetic. The rules are those of :class:`UnitClock` (spec
4.4 overlap), unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flexsa.arch.timing import ModeSwitch, WaveShape, shift_offset, wave_cycles

Wave = tuple[WaveShape, int, int]  # (shape, LdLBUF_V cycles, LdLBUF_H cycles)


class WaveTable:
    """Distinct waves of a block, indexed; per distinct shape pair: gap and shadow offset.

    ``shadow[a][b]``: earliest ShiftV start of a wave of shape ``b`` after a wave of shape
    ``a`` streamed from ``s``, minus ``s`` (core rules: in the same mode right behind the
    swap token, which frees the shadow registers of PE (0, 0) at ``s``; after a mode
    change as :func:`flexsa.arch.timing.shift_offset` says).
    """

    def __init__(self, switch: ModeSwitch) -> None:
        self.switch = switch
        self.index: dict[Wave, int] = {}
        self.shape_ids: dict[WaveShape, int] = {}
        self.shapes: list[WaveShape] = []
        self.sid: list[int] = []
        self.k: list[int] = []
        self.m_sub: list[int] = []
        self.vload: list[int] = []
        self.hload: list[int] = []
        self.gap: list[list[int]] = []
        self.shadow: list[list[int]] = []
        self.tail: list[int] = []

    def add(self, wave: Wave) -> int:
        found = self.index.get(wave)
        if found is not None:
            return found
        shape, vload, hload = wave
        sid = self.shape_ids.get(shape)
        if sid is None:
            sid = self._add_shape(shape)
        self.index[wave] = len(self.sid)
        self.sid.append(sid)
        self.k.append(shape.k)
        self.m_sub.append(shape.m_sub)
        self.vload.append(vload)
        self.hload.append(hload)
        return self.index[wave]

    def _add_shape(self, shape: WaveShape) -> int:
        sid = len(self.shapes)
        self.shape_ids[shape] = sid
        self.shapes.append(shape)
        self.tail.append(wave_cycles(shape, None, self.switch))
        for row in self.gap:
            row.append(0)
        for row in self.shadow:
            row.append(0)
        self.gap.append([0] * (sid + 1))
        self.shadow.append([0] * (sid + 1))
        for other_id, other in enumerate(self.shapes):
            for a, pa, b, pb in ((sid, shape, other_id, other), (other_id, other, sid, shape)):
                gap = wave_cycles(pa, pb, self.switch)
                self.gap[a][b] = gap
                self.shadow[a][b] = shift_offset(pa, pb, self.switch)
        return sid


class UnitClock:
    """The timing state of one unit (spec 4.4 overlap).

    One GBUF->LBUF port serves the unit's loads in program order (``LdLBUF_V`` then
    ``LdLBUF_H`` of each wave). Wave ``i``'s stationary load may start once the stationary
    LBUF half of wave ``i - 2`` is free (its tile is in the PEs: its ShiftV has ended), its
    streamed load once the streamed half of wave ``i - 2`` is free (its last row streamed
    in). ShiftV starts when the stationary load is complete and the PE shadow registers are
    free, so it overlaps the streamed load; streaming starts when ShiftV has ended, the
    streamed load is complete and the core's wave-to-wave rule allows. ``prev`` is the
    shape id of the last wave (-1 before the first).
    """

    __slots__ = ("h1", "h2", "port", "prev", "start", "table", "v1", "v2", "warm")

    def __init__(self, table: WaveTable, warm: bool = False) -> None:
        self.table = table
        self.warm = warm  # the first wave's inputs are already in the LBUFs (prefetched)
        self.port = self.start = 0
        self.v1 = self.v2 = 0   # stationary halves free (newest, oldest)
        self.h1 = self.h2 = 0   # streamed halves free
        self.prev = -1

    def step(self, wave: int) -> None:
        t = self.table
        prev = self.prev
        if prev < 0 and self.warm:
            vload = hload = 0
        else:
            vload, hload = t.vload[wave], t.hload[wave]
        port, v2 = self.port, self.v2
        vend = (port if port > v2 else v2) + vload
        h2 = self.h2
        hend = (vend if vend > h2 else h2) + hload
        self.port = hend
        sid = t.sid[wave]
        if prev < 0:
            shift_end = vend + t.k[wave]
            start = shift_end if shift_end > hend else hend
        else:
            start = self.start
            free = start + t.shadow[prev][sid]
            shift_end = (vend if vend > free else free) + t.k[wave]
            start = max(shift_end, hend, start + t.gap[prev][sid])
        self.start = start
        self.v2, self.v1 = self.v1, shift_end
        self.h2, self.h1 = self.h1, start + t.m_sub[wave]
        self.prev = sid

    def run(self, wave: int, count: int) -> None:
        """``count`` steps of one wave, jumping once the state repeats (exact: the state
        is shift-invariant)."""
        done = 0
        last: tuple[int, ...] | None = None
        last_start = 0
        while done < count:
            self.step(wave)
            done += 1
            norm = self.norm()
            if norm == last:
                self.shift((count - done) * (self.start - last_start))
                return
            last, last_start = norm, self.start

    def end(self) -> int:
        if self.prev < 0:
            return self.start
        return self.start + self.table.tail[self.prev]

    def norm(self) -> tuple[int, ...]:
        s = self.start
        return (self.prev, self.port - s, self.v1 - s, self.v2 - s, self.h1 - s, self.h2 - s)

    def shift(self, delta: int) -> None:
        self.port += delta
        self.start += delta
        self.v1 += delta
        self.v2 += delta
        self.h1 += delta
        self.h2 += delta


def repeat(clock: UnitClock, count: int, body: Callable[[UnitClock], None]) -> None:
    """Apply ``body(clock)`` ``count`` times, jumping once the state repeats."""
    done = 0
    last: tuple[int, ...] | None = None
    last_start = 0
    while done < count:
        body(clock)
        done += 1
        norm = clock.norm()
        if norm == last and clock.prev >= 0:
            clock.shift((count - done) * (clock.start - last_start))
            return
        last, last_start = norm, clock.start


def item_runs(table: WaveTable, pattern: Sequence[tuple[Wave, int]]) -> list[tuple[int, int]]:
    """An item (a wave, or a tile's K loop) as runs of (wave index, count)."""
    return [(table.add(wave), count) for wave, count in pattern]
