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

    def __init__(self, cfg: RtlConfig) -> None:
        self.go = Signal()
        self.n_waves = Signal(cfg.wave_bits)
        self.shift_ptr = Signal(cfg.wave_bits)
        self.stream_ptr = Signal(cfg.wave_bits)
        self.d_sh_mode = Signal(2)
        self.d_sh_k = Signal(bits_for(cfg.unit_rows))
        self.d_st_m = Signal(bits_for(cfg.blk_m))
        self.stream_start = Signal()
        self.shift_start = Signal()
        self.mode_switch = Signal()
        self.done = Signal()
        self.mode = Signal(2)
        self.quiet = Signal()  # driven by the unit: engines, feeders and PE array empty

    def ports(self) -> list[Signal]:
        return [self.go, self.n_waves, self.shift_ptr, self.stream_ptr, self.d_sh_mode,
                self.d_sh_k, self.d_st_m, self.stream_start, self.shift_start,
                self.mode_switch, self.done, self.mode]


def build_controller(m: Module, cfg: RtlConfig, io: ControllerPorts) -> Emission:
    kbits, mbits = bits_for(cfg.unit_rows), bits_for(cfg.blk_m)
    row_bits = bits_for(cfg.unit_rows - 1)
    sw = cfg.switch_cycles
    cur_mode = Signal(2)
    sw_cnt = Signal(bits_for(sw))
    sh_active, sh_step, sh_k = Signal(), Signal(kbits), Signal(kbits)
    sh_slot = Signal(cfg.slot_bits)
    st_active, st_t, st_msub = Signal(), Signal(mbits), Signal(mbits)
    st_base, st_extra, st_k = Signal(mbits), Signal(2), Signal(kbits)
    st_slot = Signal(cfg.slot_bits)

    more = io.shift_ptr != io.n_waves
    blocked = sw_cnt != 0
    all_streamed = io.stream_ptr == io.shift_ptr
    switch_now = Signal()
    eff_mode = Signal(2)
    eff_blocked = Signal()
    if cfg.flexsa:
        m.d.comb += [
            switch_now.eq(io.go & more & (io.d_sh_mode != cur_mode) & all_streamed & ~blocked
                          & io.quiet & ~sh_active),
            eff_mode.eq(Mux(switch_now, io.d_sh_mode, cur_mode)),
            eff_blocked.eq(Mux(switch_now, int(sw > 0), blocked)),
        ]
        mode_ok: Value = io.d_sh_mode == eff_mode
    else:
        mode_ok = Value.cast(1)
    stream_now = io.go & ~all_streamed & ~eff_blocked & ~sh_active & ~st_active
    shift_now = io.go & more & mode_ok & ~eff_blocked & ~sh_active & (all_streamed | stream_now)
    m.d.comb += [io.stream_start.eq(stream_now), io.shift_start.eq(shift_now),
                 io.mode_switch.eq(switch_now), io.mode.eq(eff_mode),
                 io.done.eq(io.go & (io.stream_ptr == io.n_waves) & io.quiet & ~sh_active)]

    # mode register and SetMode delay
    with m.If(~io.go):
        m.d.sync += cur_mode.eq(io.d_sh_mode)
    with m.Elif(switch_now):
        m.d.sync += [cur_mode.eq(io.d_sh_mode), sw_cnt.eq(max(sw - 1, 0))]
    with m.Elif(blocked):
        m.d.sync += sw_cnt.eq(sw_cnt - 1)

    # shift engine: k steps feeding tile rows k-1 .. 0 into column 0 of every sub-array
    with m.If(shift_now):
        m.d.sync += [io.shift_ptr.eq(io.shift_ptr + 1), sh_k.eq(io.d_sh_k), sh_step.eq(1),
                     sh_slot.eq(io.shift_ptr[:cfg.slot_bits]), sh_active.eq(io.d_sh_k > 1)]
    with m.Elif(sh_active):
        m.d.sync += [sh_step.eq(sh_step + 1), sh_active.eq(sh_step + 1 != sh_k)]
    step = Mux(shift_now, 0, sh_step)
    k_now = Mux(shift_now, io.d_sh_k, sh_k)
    sh_row = Signal(row_bits)
    m.d.comb += sh_row.eq(k_now - 1 - step)
    sh_addr = Cat(sh_row, Mux(shift_now, io.shift_ptr[:cfg.slot_bits], sh_slot))

    # stream engine: m_sub = ceil(m / sub-arrays) cycles, rows split as split_rows()
    shift_by = (eff_mode[0] + eff_mode[1]) if cfg.flexsa else Value.cast(0)
    base_now, extra_now = Signal(mbits), Signal(2)
    m.d.comb += [base_now.eq(io.d_st_m >> shift_by),
                 extra_now.eq(io.d_st_m & ((Value.cast(1) << shift_by) - 1))]
    msub_now = base_now + (extra_now != 0)
    with m.If(stream_now):
        m.d.sync += [io.stream_ptr.eq(io.stream_ptr + 1), st_t.eq(1), st_msub.eq(msub_now),
                     st_base.eq(base_now), st_extra.eq(extra_now), st_k.eq(sh_k),
                     st_slot.eq(io.stream_ptr[:cfg.slot_bits]), st_active.eq(msub_now > 1)]
    with m.Elif(st_active):
        m.d.sync += [st_t.eq(st_t + 1), st_active.eq(st_t + 1 != st_msub)]
    emit = stream_now | st_active
    t = Mux(stream_now, 0, st_t)
    base = Mux(stream_now, base_now, st_base)
    extra = Mux(stream_now, extra_now, st_extra)
    subs = 4 if cfg.flexsa else 1
    valid = [emit & ((t < base) | ((t == base) & (s < extra))) for s in range(subs)]
    tok = emit & (t == 0)
    st_addr = Cat(t, Mux(stream_now, io.stream_ptr[:cfg.slot_bits], st_slot))
    return Emission(eff_mode, shift_now | sh_active, shift_now, sh_addr, valid,
                    [tok] * subs, st_addr, Mux(stream_now, sh_k, st_k), ~st_active)
