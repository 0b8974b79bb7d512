"""Simulation harness: the unit plus ideal LBUFs and the wave descriptor ROM.

The LBUFs hold every wave of the program at once (one ``slot`` per wave): the reference's
ideal memory, where loads (LdLBUF_V/H) are double-buffered and always ready. The placement
below is what the load engine does per mode (the LBUF broadcast): each core's left LBUF
gets the streamed rows of its sub-array and the K slice of its rows of that sub-array.
"""

from __future__ import annotations

from typing import Any

from amaranth.hdl import Elaboratable, Module, unsigned
from amaranth.lib.memory import Memory

from flexsa.arch.config import ArchConfig
from flexsa.compiler.modes import Mode
from flexsa.rtl.config import MODE_CODES, RtlConfig
from flexsa.rtl.control import bits_for
from flexsa.rtl.unit import SystolicUnit

#: (sub-array, first K row) of every core's feeder per mode; None: the core is fed by the
#: horizontal pass-through (wide modes) and its feeder is unused.
FEEDER_SOURCES: dict[Mode, tuple[tuple[int, int] | None, ...]] = {
    Mode.CORE: ((0, 0),),
    Mode.FW: ((0, 0), None, (0, 1), None),
    Mode.HSW: ((0, 0), None, (1, 0), None),
    Mode.VSW: ((0, 0), (1, 0), (0, 1), (1, 1)),
    Mode.ISW: ((0, 0), (1, 0), (2, 0), (3, 0)),
}


def pack(values: list[int], bits: int) -> int:
    """Little-endian packing of signed ``values`` into one word (two's complement)."""
    mask = (1 << bits) - 1
    word = 0
    for i, v in enumerate(values):
        word |= (int(v) & mask) << (i * bits)
    return word


def _rom(m: Module, name: str, width: int, init: list[int], depth: int) -> Any:
    mem = Memory(shape=unsigned(width), depth=depth, init=init)
    m.submodules[name] = mem
    return mem.read_port(domain="comb")


class CosimTop(Elaboratable):
    """The unit under test with its program's waves in ROMs and ideal LBUFs."""

    def __init__(self, cfg: RtlConfig, arch: ArchConfig, waves: list[Any]) -> None:
        self.cfg, self.arch, self.waves = cfg, arch, waves
        self.unit = SystolicUnit(cfg)

    def _top_lbuf(self, h: int) -> list[int]:
        cfg, r_bits = self.cfg, bits_for(self.cfg.unit_rows - 1)
        words = [0] * ((1 << cfg.slot_bits) << r_bits)
        for w in self.waves:
            for row in range(w.k):
                vals = [int(w.tile[row, col]) if col < w.n else 0
                        for col in range(h * cfg.cols, (h + 1) * cfg.cols)]
                words[(w.index << r_bits) | row] = pack(vals, cfg.in_bits)
        return words

    def _left_lbuf(self, q: int) -> list[int]:
        cfg, m_bits = self.cfg, bits_for(self.cfg.blk_m)
        words = [0] * ((1 << cfg.slot_bits) << m_bits)
        for w in self.waves:
            source = FEEDER_SOURCES[w.mode][q]
            if source is None:
                continue
            s, half = source
            first = half * cfg.rows
            for t in range(w.rows[s]):
                row = w.starts[s] + t
                vals = [int(w.block[row, first + i]) if first + i < w.k else 0
                        for i in range(cfg.rows)]
                words[(w.index << m_bits) | t] = pack(vals, cfg.in_bits)
        return words

    def elaborate(self, platform: object) -> Module:
        m = Module()
        cfg, unit, ctl = self.cfg, self.unit, self.unit.ctl
        m.submodules.unit = unit
        depth = 1 << cfg.wave_bits
        k_bits = len(ctl.d_sh_k)
        shift = _rom(m, "shift_rom", 2 + k_bits,
                     [MODE_CODES[w.mode] | (w.k << 2) for w in self.waves], depth)
        stream = _rom(m, "stream_rom", len(ctl.d_st_m), [w.m for w in self.waves], depth)
        m.d.comb += [ctl.n_waves.eq(len(self.waves)), shift.addr.eq(ctl.shift_ptr),
                     ctl.d_sh_mode.eq(shift.data[:2]), ctl.d_sh_k.eq(shift.data[2:]),
                     stream.addr.eq(ctl.stream_ptr), ctl.d_st_m.eq(stream.data)]
        for h, (addr, data) in enumerate(zip(unit.st_addr, unit.st_data, strict=True)):
            port = _rom(m, f"top_lbuf{h}", len(data), self._top_lbuf(h), 1 << len(addr))
            m.d.comb += [port.addr.eq(addr), data.eq(port.data)]
        for q, (addr, data) in enumerate(zip(unit.ld_addr, unit.ld_data, strict=True)):
            port = _rom(m, f"left_lbuf{q}", len(data), self._left_lbuf(q), 1 << len(addr))
            m.d.comb += [port.addr.eq(addr), data.eq(port.data)]
        return m
