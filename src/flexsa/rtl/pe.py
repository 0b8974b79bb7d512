"""One processing element: the registers and arithmetic of the reference's PE.

``sh`` shadow stationary register (loaded by the valid-gated ShiftV chain), ``w`` active
stationary register (``sh`` copied in on the swap token), ``a`` horizontal input register
(value, valid, token), ``p`` vertical partial-sum register (value, valid, first-row flag).
``accumulate=False`` is a top-row PE of a plain core: no partial sum comes in, so it
multiplies only (a FlexSA unit's top row of cores 2 and 3 must accumulate).
"""

from __future__ import annotations

from amaranth.hdl import (
    ClockSignal,
    Elaboratable,
    Instance,
    Module,
    Mux,
    ResetSignal,
    Signal,
    signed,
)

from flexsa.rtl.config import RtlConfig


def pe_type(accumulate: bool) -> str:
    return "flexsa_pe_mac" if accumulate else "flexsa_pe_mul"


class ProcessingElement(Elaboratable):
    def __init__(self, cfg: RtlConfig, accumulate: bool) -> None:
        b, acc = cfg.in_bits, cfg.acc_bits
        self.accumulate = accumulate
        self.en, self.sh_in = Signal(name="en"), Signal(signed(b), name="sh_in")
        self.a_in, self.v_in = Signal(signed(b), name="a_in"), Signal(name="v_in")
        self.t_in = Signal(name="t_in")
        self.p_in, self.pv_in = Signal(signed(acc), name="p_in"), Signal(name="pv_in")
        self.pf_in = Signal(name="pf_in")
        self.sh, self.fr = Signal(signed(b), name="sh"), Signal(name="fr")
        self.a, self.av, self.at = Signal(signed(b), name="a"), Signal(name="av"), Signal(name="at")
        self.p = Signal(signed(acc), name="p")
        self.pv, self.pf = Signal(name="pv"), Signal(name="pf")

    def inputs(self) -> list[Signal]:
        extra = [self.p_in, self.pv_in, self.pf_in] if self.accumulate else []
        return [self.en, self.sh_in, self.a_in, self.v_in, self.t_in, *extra]

    def outputs(self) -> list[Signal]:
        return [self.sh, self.fr, self.a, self.av, self.at, self.p, self.pv, self.pf]

    def ports(self) -> list[Signal]:
        return self.inputs() + self.outputs()

    def instance(self) -> Instance:
        """A black-box instance of this PE's module (hierarchical synthesis)."""
        kwargs = {f"i_{s.name}": s for s in self.inputs()}
        kwargs.update({f"o_{s.name}": s for s in self.outputs()})
        return Instance(pe_type(self.accumulate), i_clk=ClockSignal(), i_rst=ResetSignal(),
                        **kwargs)

    def elaborate(self, platform: object) -> Module:
        m = Module()
        w = Signal.like(self.sh, name="w")
        m.d.sync += self.fr.eq(self.en)
        with m.If(self.en):
            m.d.sync += self.sh.eq(self.sh_in)
        w_eff = Mux(self.t_in, self.sh, w)  # swap on the token, used in the same cycle
        m.d.sync += [w.eq(w_eff), self.a.eq(self.a_in), self.av.eq(self.v_in),
                     self.at.eq(self.t_in)]
        prod = w_eff * self.a_in
        if self.accumulate:
            made, passed = self.p_in + prod, (self.p_in, self.pv_in, self.pf_in)
        else:
            made, passed = prod, (0, 0, 0)
        with m.If(self.v_in):
            m.d.sync += [self.p.eq(made), self.pv.eq(1), self.pf.eq(self.t_in)]
        with m.Else():
            m.d.sync += [self.p.eq(passed[0]), self.pv.eq(passed[1]), self.pf.eq(passed[2])]
        return m
