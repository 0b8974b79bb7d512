"""The FlexSA unit (2x2 sub-cores with the extra paths and 1:2 multiplexers) and a plain core.

One builder makes both: a plain core is one ``r x c`` PE array with its feeders and
controller; a FlexSA unit is a ``2r x 2c`` array whose sub-core boundaries carry the
mode-selected paths of spec section 3 (``tall`` = FW/VSW, ``wide`` = FW/HSW):

* horizontal input into cores 1 and 3: core 0/2's last column (pass-through, wide) or the
  separate feeders of cores 1 and 3;
* vertical partial sums into cores 2 and 3: core 0/1's bottom row (tall) or zero, so the
  top row of cores 2 and 3 keeps an adder (a plain core's top row is multiply-only once
  synthesis folds the constant-zero partial sum);
* the output path of cores 0 and 1 down to the bottom output buffers (short modes);
* stationary: the shift chain continues from core 0/1 into core 2/3 (tall) or the top
  LBUF row is broadcast to core 2/3 (short); core 1 takes its own top LBUF (wide) or core
  0's (broadcast); the right half's ShiftV control runs ``c`` cycles behind (wide);
* streamed: core 2/3's feeder runs ``r`` cycles behind core 0/1's (tall) or is its own
  sub-array's feeder (short).

LBUFs are outside the unit: each feeder has a read port (address out, data in, read
combinationally like a register-file read) so synthesis counts the array, not SRAM.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Cat, Elaboratable, Module, Mux, Signal, Value, signed

from flexsa.rtl.config import RtlConfig
from flexsa.rtl.control import ControllerPorts, Emission, bits_for, build_controller
from flexsa.rtl.pe import ProcessingElement


@dataclass
class _Item:
    val: Value
    valid: Value
    tok: Value


@dataclass
class _Col:
    val: Value
    act: Value
    start: Value


class SystolicUnit(Elaboratable):
    """A FlexSA unit (``cfg.flexsa``) or one plain core, with its controller."""

    def __init__(self, cfg: RtlConfig, blackbox_pes: bool = False, prefix: str = "") -> None:
        self.cfg = cfg
        self.blackbox_pes = blackbox_pes
        self.ctl = ControllerPorts(cfg, prefix)
        r, c = cfg.rows, cfg.cols
        tops = 2 if cfg.flexsa else 1
        row_bits, m_bits = bits_for(cfg.unit_rows - 1), bits_for(cfg.blk_m)
        px = prefix
        self.st_addr = [Signal(row_bits + cfg.slot_bits, name=f"{px}st_addr{h}")
                        for h in range(tops)]
        self.st_data = [Signal(c * cfg.in_bits, name=f"{px}st_data{h}") for h in range(tops)]
        self.ld_addr = [Signal(m_bits + cfg.slot_bits, name=f"{px}ld_addr{q}")
                        for q in range(cfg.cores)]
        self.ld_data = [Signal(r * cfg.in_bits, name=f"{px}ld_data{q}")
                        for q in range(cfg.cores)]
        cols = cfg.unit_cols
        ports = ("bot", "top") if cfg.flexsa else ("bot",)
        self.out_val = {p: [Signal(signed(cfg.acc_bits), name=f"{px}{p}_val{j}")
                            for j in range(cols)] for p in ports}
        self.out_valid = {p: Signal(cols, name=f"{prefix}{p}_valid") for p in ports}
        self.out_first = {p: Signal(cols, name=f"{prefix}{p}_first") for p in ports}

    def ports(self) -> list[Signal]:
        out = [*self.ctl.ports(), *self.st_addr, *self.st_data, *self.ld_addr, *self.ld_data]
        for p in self.out_val:
            out += [*self.out_val[p], self.out_valid[p], self.out_first[p]]
        return out

    def elaborate(self, platform: object) -> Module:
        m = Module()
        cfg = self.cfg
        em = build_controller(m, cfg, self.ctl)
        busy: list[Value] = []
        cols = _stationary_inputs(m, cfg, em, self.st_addr, self.st_data)
        rows = _streamed_inputs(m, cfg, em, self.ld_addr, self.ld_data, busy)
        _pe_array(m, cfg, em, cols, rows, self, busy)
        m.d.comb += self.ctl.quiet.eq(em.engines_idle & ~Cat(*busy).any())
        return m


def _delay(m: Module, sig: Value, cycles: int, name: str) -> Value:
    """``sig`` delayed by ``cycles`` registers (the skew of systolic inputs)."""
    out = sig
    for i in range(cycles):
        reg = Signal(len(Value.cast(sig)), name=f"{name}_d{i}")
        m.d.sync += reg.eq(out)
        out = reg
    return out


def _modes(cfg: RtlConfig, em: Emission) -> tuple[Value, Value]:
    """(tall, wide): sub-arrays 2r tall (FW, VSW) and 2c wide (FW, HSW)."""
    if not cfg.flexsa:
        return Value.cast(1), Value.cast(1)
    return ~em.mode[0], ~em.mode[1]


def _top_core(m: Module, cfg: RtlConfig, h: int, act: Value, start: Value, addr: Value,
              data: Value) -> tuple[list[_Col], tuple[Value, Value, Value]]:
    """One top core's skewed stationary inputs; also its control at column ``c`` (for the
    right half in wide modes)."""
    c, bits = cfg.cols, cfg.in_bits
    out = []
    ctl = Cat(act, start, addr) if cfg.flexsa and h == 0 else Cat(act, start)
    for lj in range(c):
        if lj:
            reg = Signal(len(ctl), name=f"shctl{h}_{lj}")
            m.d.sync += reg.eq(ctl)
            ctl = reg
        val = _delay(m, data.word_select(lj, bits).as_signed(), lj, f"shval{h}_{lj}")
        out.append(_Col(val, ctl[0], ctl[1]))
    nxt = Signal(len(ctl), name=f"shctl{h}_{c}")
    m.d.sync += nxt.eq(ctl)
    return out, (nxt[0], nxt[1], nxt[2:])


def _stationary_inputs(m: Module, cfg: RtlConfig, em: Emission, addr: list[Signal],
                       data: list[Signal]) -> list[_Col]:
    m.d.comb += addr[0].eq(em.sh_addr)
    cols, chained = _top_core(m, cfg, 0, em.sh_act, em.sh_start, em.sh_addr, data[0])
    if not cfg.flexsa:
        return cols
    _, wide = _modes(cfg, em)
    act1, start1 = Mux(wide, chained[0], em.sh_act), Mux(wide, chained[1], em.sh_start)
    m.d.comb += addr[1].eq(Mux(wide, chained[2], em.sh_addr))
    data1 = Mux(wide, data[1], data[0])  # core 1: own top LBUF or core 0's (broadcast)
    right, _ = _top_core(m, cfg, 1, act1, start1, addr[1], data1)
    return cols + right


def _chain(m: Module, cfg: RtlConfig, name: str, src: tuple[Value, Value, Value, Value],
           enable: Value, busy: list[Value]) -> tuple[Value, Value, Value, Value]:
    """Feeder control passed down ``r`` cycles to the core below (tall sub-arrays)."""
    valid, tok, addr, k = src
    word: Value = Cat(valid & enable, tok & enable, addr, k)
    for i in range(cfg.rows):
        reg = Signal(len(word), name=f"{name}_{i}")
        m.d.sync += reg.eq(word)
        busy.append(reg[:2])
        word = reg
    na = len(Value.cast(addr))
    return word[0], word[1], word[2:2 + na], word[2 + na:]


def _streamed_inputs(m: Module, cfg: RtlConfig, em: Emission, addr: list[Signal],
                     data: list[Signal], busy: list[Value]) -> list[list[_Item]]:
    """Per core: its feeder's row items (cores 1 and 3 are used only in narrow modes)."""
    k = em.st_k

    def sub(s: int) -> tuple[Value, Value, Value, Value]:
        return em.st_valid[s], em.st_tok[s], em.st_addr, k

    srcs = [sub(0)]
    if cfg.flexsa:
        tall, wide = _modes(cfg, em)
        deep = tall & (k > cfg.rows)
        below0 = _chain(m, cfg, "chain0", sub(0), deep, busy)
        core1 = (em.st_valid[1] & ~wide, em.st_tok[1] & ~wide, em.st_addr, k)
        below1 = _chain(m, cfg, "chain1", core1, deep, busy)
        short2 = (Mux(wide, em.st_valid[1], em.st_valid[2]), em.st_tok[0], em.st_addr, k)
        short3 = (em.st_valid[3] & ~wide, em.st_tok[3] & ~wide, em.st_addr, k)
        srcs += [core1, _mux_src(tall, below0, short2), _mux_src(tall, below1, short3)]
    items = []
    for q, src in enumerate(srcs):
        m.d.comb += addr[q].eq(src[2])
        offset: Value | int = Mux(_modes(cfg, em)[0], cfg.rows, 0) if q >= 2 else 0
        items.append(_feeder_rows(m, cfg, q, src, offset, data[q], busy))
    return items


def _mux_src(sel: Value, a: tuple[Value, Value, Value, Value],
             b: tuple[Value, Value, Value, Value]) -> tuple[Value, Value, Value, Value]:
    return (Mux(sel, a[0], b[0]), Mux(sel, a[1], b[1]), Mux(sel, a[2], b[2]),
            Mux(sel, a[3], b[3]))


def _feeder_rows(m: Module, cfg: RtlConfig, q: int, src: tuple[Value, Value, Value, Value],
                 offset: Value | int, data: Value, busy: list[Value]) -> list[_Item]:
    valid, tok, _, k = src
    items = []
    for i in range(cfg.rows):
        live = (offset + i) < k
        word: Value = Cat(data.word_select(i, cfg.in_bits), valid & live, tok & live)
        for d in range(i):
            reg = Signal(len(word), name=f"feed{q}_{i}_d{d}")
            m.d.sync += reg.eq(word)
            busy.append(reg[cfg.in_bits:])
            word = reg
        items.append(_Item(word[:cfg.in_bits].as_signed(), word[cfg.in_bits],
                           word[cfg.in_bits + 1]))
    return items


def _pe_array(m: Module, cfg: RtlConfig, em: Emission, cols: list[_Col],
              feeds: list[list[_Item]], unit: SystolicUnit, busy: list[Value]) -> None:
    rows_n, cols_n, r, c = cfg.unit_rows, cfg.unit_cols, cfg.rows, cfg.cols
    tall, wide = _modes(cfg, em)
    pe = [[_place_pe(m, cfg, i, j, unit.blackbox_pes) for j in range(cols_n)]
          for i in range(rows_n)]
    for i in range(rows_n):
        for j in range(cols_n):
            x, col = pe[i][j], cols[j]
            split_row = cfg.flexsa and i == r
            above = pe[i - 1][j] if i else None
            # stationary shift chain (valid-gated: the front reaches local row li at step li)
            if above is None:
                en, sh_in = col.act, col.val
            elif split_row:
                en = col.act & Mux(tall, above.fr & ~col.start, 1)
                sh_in = Mux(tall, above.sh, col.val)
            else:
                en, sh_in = col.act & above.fr & ~col.start, above.sh
            # streamed input: feeder, left neighbour, or (cores 1/3) either
            core_row, feed_core = (i - r, 2) if (cfg.flexsa and i >= r) else (i, 0)
            if j == 0:
                ain = feeds[feed_core][core_row]
            elif cfg.flexsa and j == c:
                lft, own = pe[i][j - 1], feeds[feed_core + 1][core_row]
                ain = _Item(Mux(wide, lft.a, own.val), Mux(wide, lft.av, own.valid),
                            Mux(wide, lft.at, own.tok))
            else:
                lft = pe[i][j - 1]
                ain = _Item(lft.a, lft.av, lft.at)
            m.d.comb += [x.en.eq(en), x.sh_in.eq(sh_in), x.a_in.eq(ain.val),
                         x.v_in.eq(ain.valid), x.t_in.eq(ain.tok)]
            if above is not None and split_row:  # FMA row: partial sums from above or none
                m.d.comb += [x.p_in.eq(Mux(tall, above.p, 0)), x.pv_in.eq(above.pv & tall),
                             x.pf_in.eq(above.pf & tall)]
            elif above is not None:
                m.d.comb += [x.p_in.eq(above.p), x.pv_in.eq(above.pv), x.pf_in.eq(above.pf)]
            busy += [x.av, x.at, x.pv]
    for j in range(cols_n):
        bot = pe[rows_n - 1][j]
        m.d.comb += [unit.out_val["bot"][j].eq(bot.p), unit.out_valid["bot"][j].eq(bot.pv),
                     unit.out_first["bot"][j].eq(bot.pf)]
        if cfg.flexsa:  # output path of cores 0 and 1 down to the bottom output buffers
            top = pe[r - 1][j]
            m.d.comb += [unit.out_val["top"][j].eq(top.p),
                         unit.out_valid["top"][j].eq(top.pv & ~tall),
                         unit.out_first["top"][j].eq(top.pf)]


def _place_pe(m: Module, cfg: RtlConfig, i: int, j: int, blackbox: bool) -> ProcessingElement:
    """PE (i, j): multiply-only in row 0, multiply-accumulate elsewhere (incl. row r of a
    FlexSA unit: the FMA upgrade). A black box (a module instance) for synthesis."""
    pe = ProcessingElement(cfg, accumulate=i > 0)
    if blackbox:
        pe._MustUse__silence = True  # only its ports are used (a black-box instance)
        m.submodules[f"pe_{i}_{j}"] = pe.instance()
    else:
        m.submodules[f"pe_{i}_{j}"] = pe
    return pe


class FourCores(Elaboratable):
    """The baseline: four independent plain cores of the same size, each with its own
    controller and feeders (ports prefixed ``c0_`` .. ``c3_``)."""

    def __init__(self, cfg: RtlConfig, blackbox_pes: bool = False) -> None:
        from dataclasses import replace

        self.cores = [SystolicUnit(replace(cfg, flexsa=False), blackbox_pes, f"c{q}_")
                      for q in range(4)]

    def ports(self) -> list[Signal]:
        return [p for core in self.cores for p in core.ports()]

    def elaborate(self, platform: object) -> Module:
        m = Module()
        for q, core in enumerate(self.cores):
            m.submodules[f"core{q}"] = core
        return m
