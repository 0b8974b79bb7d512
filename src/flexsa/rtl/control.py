"""The unit's controller: shift engine (ShiftV), stream engine (ExecGEMM), mode register.

It implements the interlocks of the register-level reference (:mod:`flexsa.sim.reference`)
as hardware conditions evaluated every cycle, so the RTL's schedule is the reference's by
construction (docs/rtl.md):

* a ShiftV starts when its wave's mode is the current mode, no switch is in progress, the
  previous ShiftV has finished column 0 and every shifted wave has started streaming (so
  the shadow registers of the sub-arrays' first PEs are free; a stream start in the same
  cycle frees them);
* an ExecGEMM stream starts when its ShiftV has finished column 0 and the previous wave's
  row feeders are done with their last row;
* a mode switch happens when the next ShiftV needs another mode, every shifted wave has
  streamed, the feeders and the PE array are empty (``quiet``) and column 0 is not
  shifting; the new mode is in force the same cycle, and shifting/streaming are blocked for
  ``switch_cycles`` cycles (SetMode).
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Cat, Module, Mux, Signal, Value

from flexsa.rtl.config import RtlConfig


def bits_for(value: int) -> int:
    """Bits of an unsigned counter that holds ``0 .. value``."""
    return max(1, int(value).bit_length())


@dataclass
class Emission:
    """What the engines drive into the fabric this cycle (combinational)."""

    mode: Value  # effective mode (a switch takes effect in its own cycle)
    sh_act: Value  # a ShiftV step for column 0 of the sub-arrays
    sh_start: Value  # ... and it is step 0
    sh_addr: Value  # top LBUF address: Cat(tile row, wave slot)
    st_valid: list[Value]  # per sub-array: streamed row t is a real row
    st_tok: list[Value]  # per sub-array: row t == 0 carries the swap token
    st_addr: Value  # left LBUF address: Cat(t, wave slot)
    st_k: Value  # the streaming wave's k (rows of its stationary tile)
    engines_idle: Value  # the stream engine emits nothing after this cycle's row


class ControllerPorts:
    """Descriptor interface: the unit reads wave ``shift_ptr``'s mode and k and wave
    ``stream_ptr``'s m (an instruction decoder or the co-simulation's ROM drives them)."""

    def __init__(self, cfg: RtlConfig, prefix: str = "") -> None:
        def sig(name: str, width: int = 1) -> Signal:
            return Signal(width, name=prefix + name)

        self.go, self.n_waves = sig("go"), sig("n_waves", cfg.wave_bits)
        self.shift_ptr = sig("shift_ptr", cfg.wave_bits)
        self.stream_ptr = sig("stream_ptr", cfg.wave_bits)
        self.d_sh_mode = sig("d_sh_mode", 2)
        self.d_sh_k = sig("d_sh_k", bits_for(cfg.unit_rows))
        self.d_st_m = sig("d_st_m", bits_for(cfg.blk_m))
        self.stream_start, self.shift_start = sig("stream_start"), sig("shift_start")
        self.mode_switch, self.done, self.mode = sig("mode_switch"), sig("done"), sig("mode", 2)
        self.quiet = sig("quiet")  # driven by the unit: engines, feeders and PE array empty

    def ports(self) -> list[Signal]:
        return [self.go, self.n_waves, self.shift_ptr, self.stream_ptr, self.d_sh_mode,
                self.d_sh_k, self.d_st_m, self.stream_start, self.shift_start,
                self.mode_switch, self.done, self.mode]


class _Regs:
    """The controller's registers."""

    def __init__(self, cfg: RtlConfig) -> None:
        kbits, mbits = bits_for(cfg.unit_rows), bits_for(cfg.blk_m)
        self.cur_mode, self.sw_cnt = Signal(2), Signal(bits_for(cfg.switch_cycles))
        self.sh_active, self.sh_step, self.sh_k = Signal(), Signal(kbits), Signal(kbits)
        self.sh_slot = Signal(cfg.slot_bits)
        self.st_active, self.st_t, self.st_msub = Signal(), Signal(mbits), Signal(mbits)
        self.st_base, self.st_extra, self.st_k = Signal(mbits), Signal(2), Signal(kbits)
        self.st_slot = Signal(cfg.slot_bits)


def build_controller(m: Module, cfg: RtlConfig, io: ControllerPorts) -> Emission:
    sw = cfg.switch_cycles
    g = _Regs(cfg)
    more = io.shift_ptr != io.n_waves
    blocked = g.sw_cnt != 0
    all_streamed = io.stream_ptr == io.shift_ptr
    switch_now, eff_mode, eff_blocked = Signal(), Signal(2), Signal()
    if cfg.flexsa:
        m.d.comb += [
            switch_now.eq(io.go & more & (io.d_sh_mode != g.cur_mode) & all_streamed
                          & ~blocked & io.quiet & ~g.sh_active),
            eff_mode.eq(Mux(switch_now, io.d_sh_mode, g.cur_mode)),
            eff_blocked.eq(Mux(switch_now, int(sw > 0), blocked)),
        ]
        mode_ok: Value = io.d_sh_mode == eff_mode
    else:
        mode_ok = Value.cast(1)
    stream_now = io.go & ~all_streamed & ~eff_blocked & ~g.sh_active & ~g.st_active
    shift_now = (io.go & more & mode_ok & ~eff_blocked & ~g.sh_active
                 & (all_streamed | stream_now))
    m.d.comb += [io.stream_start.eq(stream_now), io.shift_start.eq(shift_now),
                 io.mode_switch.eq(switch_now), io.mode.eq(eff_mode),
                 io.done.eq(io.go & (io.stream_ptr == io.n_waves) & io.quiet & ~g.sh_active)]
    # mode register and SetMode delay
    with m.If(~io.go):
        m.d.sync += g.cur_mode.eq(io.d_sh_mode)
    with m.Elif(switch_now):
        m.d.sync += [g.cur_mode.eq(io.d_sh_mode), g.sw_cnt.eq(max(sw - 1, 0))]
    with m.Elif(blocked):
        m.d.sync += g.sw_cnt.eq(g.sw_cnt - 1)
    sh_addr = _shift_engine(m, cfg, io, g, shift_now)
    return _stream_engine(m, cfg, io, g, stream_now, shift_now, eff_mode, sh_addr)


def _shift_engine(m: Module, cfg: RtlConfig, io: ControllerPorts, g: _Regs,
                  shift_now: Value) -> Value:
    """k steps feeding tile rows k-1 .. 0 into column 0 of every sub-array; the top LBUF
    address of this cycle's step."""
    with m.If(shift_now):
        m.d.sync += [io.shift_ptr.eq(io.shift_ptr + 1), g.sh_k.eq(io.d_sh_k),
                     g.sh_step.eq(1), g.sh_slot.eq(io.shift_ptr[:cfg.slot_bits]),
                     g.sh_active.eq(io.d_sh_k > 1)]
    with m.Elif(g.sh_active):
        m.d.sync += [g.sh_step.eq(g.sh_step + 1), g.sh_active.eq(g.sh_step + 1 != g.sh_k)]
    step = Mux(shift_now, 0, g.sh_step)
    k_now = Mux(shift_now, io.d_sh_k, g.sh_k)
    sh_row = Signal(bits_for(cfg.unit_rows - 1))
    m.d.comb += sh_row.eq(k_now - 1 - step)
    return Cat(sh_row, Mux(shift_now, io.shift_ptr[:cfg.slot_bits], g.sh_slot))


def _stream_engine(m: Module, cfg: RtlConfig, io: ControllerPorts, g: _Regs,
                   stream_now: Value, shift_now: Value, eff_mode: Value,
                   sh_addr: Value) -> Emission:
    """m_sub = ceil(m / sub-arrays) cycles of rows, split over the sub-arrays as
    :func:`flexsa.compiler.modes.split_rows` (larger shares first)."""
    mbits = bits_for(cfg.blk_m)
    shift_by = (eff_mode[0] + eff_mode[1]) if cfg.flexsa else Value.cast(0)
    base_now, extra_now = Signal(mbits), Signal(2)
    m.d.comb += [base_now.eq(io.d_st_m >> shift_by),
                 extra_now.eq(io.d_st_m & ((Value.cast(1) << shift_by) - 1))]
    msub_now = base_now + (extra_now != 0)
    with m.If(stream_now):
        m.d.sync += [io.stream_ptr.eq(io.stream_ptr + 1), g.st_t.eq(1),
                     g.st_msub.eq(msub_now), g.st_base.eq(base_now),
                     g.st_extra.eq(extra_now), g.st_k.eq(g.sh_k),
                     g.st_slot.eq(io.stream_ptr[:cfg.slot_bits]),
                     g.st_active.eq(msub_now > 1)]
    with m.Elif(g.st_active):
        m.d.sync += [g.st_t.eq(g.st_t + 1), g.st_active.eq(g.st_t + 1 != g.st_msub)]
    emit = stream_now | g.st_active
    t = Mux(stream_now, 0, g.st_t)
    base = Mux(stream_now, base_now, g.st_base)
    extra = Mux(stream_now, extra_now, g.st_extra)
    subs = 4 if cfg.flexsa else 1
    valid = [emit & ((t < base) | ((t == base) & (s < extra))) for s in range(subs)]
    tok = emit & (t == 0)
    st_addr = Cat(t, Mux(stream_now, io.stream_ptr[:cfg.slot_bits], g.st_slot))
    return Emission(eff_mode, shift_now | g.sh_active, shift_now, sh_addr, valid,
                    [tok] * subs, st_addr, Mux(stream_now, g.sh_k, g.st_k), ~g.st_active)
