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


Item = list[tuple[int, int]]          # (wave index, count) runs: a tile's K loop, or one wave
Group = list[tuple[Item, int]]        # (item, count) runs
Program = list[tuple[Group, int]]     # (group, repeats): one unit's whole wave sequence
Marks = list[tuple[tuple[int, ...], int]]  # per top-level group: (normalised state, start)


class Walk:
    """:class:`UnitClock` over a :data:`Program`, written for speed: the state lives in
    local variables while one wave repeats, and every level of repetition (a wave's run,
    an item's run, a group's repeats) is jumped over as soon as one more pass leaves the
    normalised state unchanged (exact: the rules are shift-invariant max-plus steps)."""

    __slots__ = ("gap", "hload", "k", "m_sub", "shadow", "sid", "skip", "st", "tail",
                 "vload")

    def __init__(self, table: WaveTable, warm: bool = False) -> None:
        self.vload, self.hload, self.sid, self.k = table.vload, table.hload, table.sid, table.k
        self.m_sub, self.gap, self.shadow, self.tail = (table.m_sub, table.gap, table.shadow,
                                                        table.tail)
        self.st = [0, 0, 0, 0, 0, 0, -1]  # port, start, v1, v2, h1, h2, prev (shape id)
        self.skip = warm  # the first wave's loads are already in the LBUFs (prefetched)

    def run(self, w: int, count: int) -> None:
        """``count`` waves ``w`` in a row (the step of :meth:`UnitClock.step`, inlined)."""
        if count <= 0:
            return
        port, start, v1, v2, h1, h2, prev = self.st
        vload, hload, sid, k, msub = (self.vload[w], self.hload[w], self.sid[w], self.k[w],
                                      self.m_sub[w])
        last: tuple[int, ...] | None = None
        last_start = done = 0
        if prev < 0:  # the unit's first wave: no predecessor
            vl, hl = (0, 0) if self.skip else (vload, hload)
            vend = (port if port > v2 else v2) + vl
            hend = (vend if vend > h2 else h2) + hl
            shift_end = vend + k
            start = shift_end if shift_end > hend else hend
            port, v2, v1, h2, h1, prev = hend, v1, shift_end, h1, start + msub, sid
            done = 1
        gap, shadow = self.gap[prev][sid], self.shadow[prev][sid]
        while done < count:
            vend = (port if port > v2 else v2) + vload
            hend = (vend if vend > h2 else h2) + hload
            free = start + shadow
            shift_end = (vend if vend > free else free) + k
            nxt = start + gap
            if hend > nxt:
                nxt = hend
            start = shift_end if shift_end > nxt else nxt
            port, v2, v1, h2, h1 = hend, v1, shift_end, h1, start + msub
            if prev != sid:
                prev = sid
                gap, shadow = self.gap[sid][sid], self.shadow[sid][sid]
            done += 1
            norm = (port - start, v1 - start, v2 - start, h1 - start, h2 - start)
            if norm == last:  # a fixed point: every further wave adds the same delta
                d = (count - done) * (start - last_start)
                port, start, v1, v2, h1, h2 = (port + d, start + d, v1 + d, v2 + d, h1 + d,
                                               h2 + d)
                break
            last, last_start = norm, start
        self.st = [port, start, v1, v2, h1, h2, prev]

    def norm(self) -> tuple[int, ...]:
        port, s, v1, v2, h1, h2, prev = self.st
        return (prev, port - s, v1 - s, v2 - s, h1 - s, h2 - s)

    def shift(self, d: int) -> None:
        st = self.st
        self.st = [st[0] + d, st[1] + d, st[2] + d, st[3] + d, st[4] + d, st[5] + d, st[6]]

    def item(self, item: Item, count: int) -> None:
        """``count`` copies of ``item`` in a row, jumped once the state repeats."""
        if len(item) == 1 and item[0][1] == 1:
            self.run(item[0][0], count)
            return
        last: tuple[int, ...] | None = None
        last_start = 0
        for done in range(1, count + 1):
            for w, n in item:
                self.run(w, n)
            norm = self.norm()
            if norm == last:
                self.shift((count - done) * (self.st[1] - last_start))
                return
            last, last_start = norm, self.st[1]

    def group(self, group: Group, repeats: int) -> None:
        """``repeats`` copies of ``group`` in a row, jumped once the state repeats."""
        last: tuple[int, ...] | None = None
        last_start = 0
        for done in range(1, repeats + 1):
            for item, count in group:
                self.item(item, count)
            norm = self.norm()
            if norm == last:
                self.shift((repeats - done) * (self.st[1] - last_start))
                return
            last, last_start = norm, self.st[1]

    def end(self) -> int:
        start, prev = self.st[1], self.st[6]
        return start if prev < 0 else start + self.tail[prev]


def walk(table: WaveTable, program: Program) -> tuple[int, int, int]:
    """(cold end, warm end, last port-busy cycle) of one unit running ``program``; warm:
    its first wave prefetched. The warm walk stops at the first group boundary where its
    normalised state equals the cold walk's: from there on it is the cold walk shifted."""
    cold = Walk(table)
    marks: Marks = []
    for group, repeats in program:
        cold.group(group, repeats)
        marks.append((cold.norm(), cold.st[1]))
    end = cold.end()
    warm = Walk(table, warm=True)
    for (group, repeats), (norm, start) in zip(program, marks, strict=True):
        warm.group(group, repeats)
        if warm.norm() == norm:
            return end, end - (start - warm.st[1]), cold.st[0]
    return end, warm.end(), cold.st[0]


def item_runs(table: WaveTable, pattern: Sequence[tuple[Wave, int]]) -> list[tuple[int, int]]:
    """An item (a wave, or a tile's K loop) as runs of (wave index, count)."""
    return [(table.add(wave), count) for wave, count in pattern]
