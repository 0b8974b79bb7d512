"""The ``wavefront`` mode-switch rule: the PE-level reference versus the closed form.

Random unit programs (any sequence of waves in any mode, shapes within each mode's limits)
run register by register under both rules; the reference's per-wave stream starts, end
cycle and outputs must equal the closed form (``wave_cycles`` via the trace) and ``A @ B``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flexsa.arch import arch_from_dict
from flexsa.arch.timing import ModeSwitch, WaveShape, wave_cycles
from flexsa.compiler.isa import ExecGEMM, LdLBUF_H, LdLBUF_V, SetMode, StLBUF
from flexsa.compiler.modes import Mode
from flexsa.compiler.program import Program, UnitProgram
from flexsa.errors import ConfigError
from flexsa.sim import reference_pe
from flexsa.sim.reference import ReferenceHazard, simulate_unit
from flexsa.sim.trace import trace_unit

MODES = (Mode.FW, Mode.HSW, Mode.VSW, Mode.ISW)


def _arch(rows: int, cols: int, rule: str, switch: int):
    return arch_from_dict({"name": f"f{rows}x{cols}", "groups": 1, "cores_per_group": 4,
                           "core_rows": rows, "core_cols": cols, "flexsa": True,
                           "mode_switch_cycles": switch, "mode_switch": rule})


def _program(arch, waves: list[tuple[Mode, int, int, int]]) -> Program:
    """One unit running ``waves`` (mode, m, n, k), each from the top-left corner of A and B
    into its own output tile."""
    m_all, n_all, k_all = (max(w[i] for w in waves) for i in (1, 2, 3))
    instrs: list[object] = []
    mode = None
    for wmode, m, n, k in waves:
        if wmode is not mode:
            instrs.append(SetMode(wmode, m, n, k))
            mode = wmode
        instrs += [LdLBUF_V(0, 0, k, n), LdLBUF_H(0, 0, k, m), ExecGEMM(wmode, m, n, k),
                   StLBUF(0, 0, m, n)]
    unit = UnitProgram(0, 0, tuple(instrs))  # type: ignore[arg-type]
    return Program(arch.name, m_all, n_all, k_all, 1, "M", False, (unit,))


def _run(arch, waves, seed: int):
    prog = _program(arch, waves)
    rng = np.random.default_rng(seed)
    a = rng.integers(-9, 10, (1, prog.m, prog.k))
    b = rng.integers(-9, 10, (1, prog.k, prog.n))
    ref = simulate_unit(arch, prog, prog.units[0], a, b)
    for tile, (_, m, n, k) in enumerate(waves):
        assert np.array_equal(ref.outputs[tile], a[0, :m, :k] @ b[0, :k, :n])
    return ref, trace_unit(arch, prog.units[0])


@st.composite
def _waves(draw, rows: int, cols: int) -> list[tuple[Mode, int, int, int]]:
    out = []
    for _ in range(draw(st.integers(2, 6))):
        mode = draw(st.sampled_from(MODES))
        tall = mode in (Mode.FW, Mode.VSW)
        wide = mode in (Mode.FW, Mode.HSW)
        k = draw(st.integers(1, 2 * rows if tall else rows))
        n = draw(st.integers(1, 2 * cols if wide else cols))
        m = draw(st.integers(1, 4 * rows))
        out.append((mode, m, n, k))
    return out


@settings(max_examples=200, deadline=None)
@given(data=st.data(), core=st.sampled_from([(2, 2), (2, 3), (3, 2), (1, 2)]),
       rule=st.sampled_from(["drain", "wavefront"]), switch=st.integers(0, 3))
def test_random_wave_sequences_small_cores(data, core, rule, switch) -> None:
    arch = _arch(*core, rule, switch)
    waves = data.draw(_waves(*core))
    ref, trace = _run(arch, waves, 1)
    assert ref.stream_starts == list(trace.starts)
    assert ref.cycles == trace.cycles


@settings(max_examples=40, deadline=None)
@given(data=st.data(), core=st.sampled_from([(4, 4), (4, 8), (8, 4)]),
       rule=st.sampled_from(["drain", "wavefront"]), switch=st.integers(0, 2))
def test_random_wave_sequences(data, core, rule, switch) -> None:
    arch = _arch(*core, rule, switch)
    waves = data.draw(_waves(*core))
    ref, trace = _run(arch, waves, 2)
    assert ref.stream_starts == list(trace.starts)
    assert ref.cycles == trace.cycles


def test_wavefront_gap_by_hand() -> None:
    """FW -> ISW on a unit of 4x4 sub-cores: the new bottom-right origin PE(4, 4) sits at
    old skew 8, so the new wave follows 8 cycles behind: 8 + max(m + w, k)."""
    arch = _arch(4, 4, "wavefront", 1)
    ref, trace = _run(arch, [(Mode.FW, 5, 8, 8), (Mode.ISW, 6, 4, 4)], 0)
    assert ref.stream_starts == [8, 8 + 8 + max(5 + 1, 4)] == list(trace.starts)
    drain = _arch(4, 4, "drain", 1)
    ref_drain, _ = _run(drain, [(Mode.FW, 5, 8, 8), (Mode.ISW, 6, 4, 4)], 0)
    assert ref_drain.stream_starts == [8, 8 + (5 + 16 - 1) + 1 + 4]
    fw, isw = WaveShape("FW", 5, 8, 8, 8), WaveShape("ISW", 2, 4, 4, 4)
    assert wave_cycles(fw, isw, ModeSwitch(1, "wavefront")) == 14
    assert wave_cycles(isw, fw, ModeSwitch(1, "wavefront")) == max(2 + 1, 8)


def test_loosened_stream_interlock_is_caught(monkeypatch) -> None:
    """Starting the new wave when only origin PE(0, 0) has switched sends new items into
    PEs still configured for the old mode: a hazard."""
    def first_origin_only(self, wave, cycle):
        return self.run[0, 0] == wave.run and self.ready[0, 0] <= cycle
    monkeypatch.setattr(reference_pe.Grid, "origins_ready", first_origin_only)
    with pytest.raises(ReferenceHazard):
        _run(_arch(4, 4, "wavefront", 0), [(Mode.FW, 5, 8, 8), (Mode.ISW, 6, 4, 4)], 0)


def test_loosened_shift_interlock_is_caught(monkeypatch) -> None:
    """Starting the new ShiftV right after the old stream start (without waiting for the
    old swap wavefront to pass the new origins) overlaps the old ShiftV: a hazard."""
    from flexsa.sim import reference

    monkeypatch.setattr(reference, "swap_delay", lambda old, new: 0)
    with pytest.raises(ReferenceHazard):
        _run(_arch(2, 2, "wavefront", 0), [(Mode.FW, 2, 4, 4), (Mode.VSW, 3, 2, 4)], 0)


def test_bad_mode_switch_is_one_line(tmp_path, capsys) -> None:
    with pytest.raises(ConfigError, match="mode_switch"):
        _arch(2, 2, "eager", 1)
    path = tmp_path / "a.yaml"
    path.write_text("base: 1G1F\nmode_switch: eager\n")
    from flexsa.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--arch", str(path), "--gemm", "8,8,8"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1 and "mode_switch" in err[0]


@pytest.mark.parametrize(("shape", "policy"), [((17, 7, 11), "table"), ((24, 13, 19), "table"),
                                               ((33, 9, 3), "auto"), ((20, 3, 9), "auto"),
                                               ((40, 5, 13), "auto")])
def test_compiled_gemms_reference_trace_fast(shape, policy) -> None:
    """Compiled programs (mode changes at edge tiles) under the wavefront rule: the
    reference, the wave trace and the compressed fast model agree; never slower than drain."""
    from flexsa.compiler import compile_gemm, compile_program
    from flexsa.sim.fast import gemm_stats
    from flexsa.sim.reference import simulate_program
    from flexsa.sim.trace import trace_program
    from flexsa.workloads.layers import Gemm, Phase

    arch = _arch(4, 4, "wavefront", 1)
    gemm = Gemm("w", Phase.FWD, *shape)
    prog = compile_program(arch, gemm, policy)
    rng = np.random.default_rng(3)
    a = rng.integers(-9, 10, (1, shape[0], shape[2]))
    b = rng.integers(-9, 10, (1, shape[2], shape[1]))
    cycles, c, results = simulate_program(arch, prog, a, b)
    assert np.array_equal(c, a @ b)
    trace_cycles, traces = trace_program(arch, prog)
    assert [r.stream_starts for r in results] == [list(t.starts) for t in traces]
    assert cycles == trace_cycles == gemm_stats(arch, compile_gemm(arch, gemm, policy)).cycles
    drain = _arch(4, 4, "drain", 1)
    assert cycles <= gemm_stats(drain, compile_gemm(drain, gemm, policy)).cycles


@settings(max_examples=30, deadline=None)
@given(base=st.sampled_from(["1G1F", "4G1F"]), rows=st.sampled_from([2, 4]),
       cols=st.sampled_from([2, 4]), m=st.integers(1, 50), n=st.integers(1, 30),
       k=st.integers(1, 40), port=st.sampled_from([1.0, 4.0, 16.0]),
       policy=st.sampled_from(["auto", "table"]))
def test_memory_model_equals_memory_reference(base, rows, cols, m, n, k, port,
                                              policy) -> None:
    """The GBUF->LBUF timing (fast model and event-level reference) under wavefront."""
    from flexsa.arch import load_arch, with_overrides
    from flexsa.sim.memory import block_timing
    from flexsa.sim.memory_reference import reference_block

    arch = with_overrides(load_arch(base), {"core_rows": rows, "core_cols": cols,
                                            "mode_switch": "wavefront",
                                            "memory.gbuf_mib": 1.0})
    fast = block_timing(arch, m, n, k, port, policy)
    assert (fast.compute, fast.memory, fast.warm, fast.tail) == \
        reference_block(arch, m, n, k, port, policy)


def test_rtl_refuses_wavefront(capsys) -> None:
    from flexsa.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["rtl", "verify", "--gemm", "4,4,4", "--mode-switch", "wavefront"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1 and "drain" in err[0]
