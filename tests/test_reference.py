"""The register-level reference simulator versus the fast timing model (exact cycles)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flexsa.arch import arch_from_dict
from flexsa.compiler import Mode, compile_gemm, compile_program
from flexsa.sim import reference
from flexsa.sim.fast import gemm_stats
from flexsa.sim.reference import simulate_program
from flexsa.sim.trace import trace_program
from flexsa.workloads.layers import Gemm, Phase

PLAIN = arch_from_dict({"name": "plain4", "groups": 1, "cores_per_group": 1, "core_rows": 4,
                        "core_cols": 4})
PLAIN_RECT = arch_from_dict({"name": "plain3x5", "groups": 2, "cores_per_group": 2,
                             "core_rows": 3, "core_cols": 5})
FLEX = arch_from_dict({"name": "flex4", "groups": 1, "cores_per_group": 4, "core_rows": 4,
                       "core_cols": 4, "flexsa": True})
FLEX_SLOW_SWITCH = arch_from_dict({"name": "flex4s", "groups": 1, "cores_per_group": 4,
                                   "core_rows": 4, "core_cols": 4, "flexsa": True,
                                   "mode_switch_cycles": 5})

CASES = [
    (PLAIN, (1, 1, 1), "auto"), (PLAIN, (5, 3, 2), "auto"), (PLAIN, (20, 8, 8), "auto"),
    (PLAIN, (17, 7, 11), "auto"), (PLAIN, (9, 4, 13), "auto"),
    (PLAIN_RECT, (19, 11, 7), "auto"),
    (FLEX, (1, 1, 1), "auto"), (FLEX, (20, 8, 8), "auto"), (FLEX, (20, 3, 9), "auto"),
    (FLEX, (33, 9, 3), "auto"), (FLEX, (17, 7, 11), "table"), (FLEX, (20, 3, 9), "table"),
    (FLEX, (33, 9, 3), "table"), (FLEX, (13, 3, 3), "auto"), (FLEX, (5, 3, 2), "fw"),
    (FLEX, (24, 13, 19), "table"), (FLEX_SLOW_SWITCH, (24, 13, 19), "table"),
    (FLEX_SLOW_SWITCH, (11, 2, 17), "table"),
]


def _run(arch, shape, policy, phase=Phase.FWD, instances=1):
    m, n, k = shape
    rng = np.random.default_rng(m * 10007 + n * 101 + k)
    a = rng.integers(-9, 10, (instances, m, k))
    b = rng.integers(-9, 10, (instances, k, n))
    gemm = Gemm("ref", phase, m, n, k, instances)
    prog = compile_program(arch, gemm, policy)
    cycles, c, results = simulate_program(arch, prog, a, b)
    return gemm, prog, cycles, c, a @ b, results


@pytest.mark.parametrize(("arch", "shape", "policy"), CASES,
                         ids=[f"{a.name}-{'x'.join(map(str, s))}-{p}" for a, s, p in CASES])
def test_reference_cycles_equal_fast_model(arch, shape, policy) -> None:
    gemm, prog, cycles, c, expected, results = _run(arch, shape, policy)
    assert np.array_equal(c, expected)
    trace_cycles, traces = trace_program(arch, prog)
    assert [r.cycles for r in results] == [t.cycles for t in traces]
    assert [r.stream_starts for r in results] == [list(t.starts) for t in traces]
    assert cycles == trace_cycles == gemm_stats(arch, compile_gemm(arch, gemm, policy)).cycles


def test_every_mode_and_switches_are_covered() -> None:
    seen: set[str] = set()
    switches = 0
    for arch, shape, policy in CASES:
        if not arch.flexsa:
            continue
        prog = compile_program(arch, Gemm("c", Phase.FWD, *shape), policy)
        modes = [i.mode.value for u in prog.units for i in u.instructions
                 if type(i).__name__ == "SetMode"]
        seen.update(modes)
        switches += max(len(modes) - 1, 0)
    assert seen == {m.value for m in (Mode.FW, Mode.HSW, Mode.VSW, Mode.ISW)}
    assert switches >= 3


def test_waves_overlap_in_the_reference() -> None:
    """Consecutive full waves stream back to back (gap = m) while ShiftV hides behind."""
    _, _, cycles, _, _, results = _run(PLAIN, (16, 4, 16), "auto")
    starts = results[0].stream_starts
    assert np.diff(starts).tolist() == [8] * (len(starts) - 1)  # blk_M = 8 rows per wave
    assert cycles == 4 + 7 * 8 + (8 + 4 + 4 - 1)


def test_reference_multi_unit_and_wgrad() -> None:
    _, _, cycles, c, expected, results = _run(PLAIN_RECT, (13, 6, 20), "auto", Phase.WGRAD, 2)
    assert np.array_equal(c, expected) and len(results) == 4
    arch_gemm = Gemm("ref", Phase.WGRAD, 13, 6, 20, 2)
    assert cycles == gemm_stats(PLAIN_RECT, compile_gemm(PLAIN_RECT, arch_gemm)).cycles


@settings(max_examples=25, deadline=None)
@given(m=st.integers(1, 30), n=st.integers(1, 10), k=st.integers(1, 12),
       policy=st.sampled_from(["auto", "table", "fw"]), flexsa=st.booleans())
def test_reference_random_shapes(m: int, n: int, k: int, policy: str, flexsa: bool) -> None:
    arch = FLEX_SLOW_SWITCH if flexsa else PLAIN
    gemm, prog, cycles, c, expected, _ = _run(arch, (m, n, k), policy)
    assert np.array_equal(c, expected)
    assert cycles == gemm_stats(arch, compile_gemm(arch, gemm, policy)).cycles


def test_reference_detects_an_early_shift(monkeypatch) -> None:
    """Without the shadow-free check the next ShiftV clobbers unswapped shadows."""
    monkeypatch.setattr(reference, "_shift_done", lambda waves, shift_x0, cycle: True)
    arch = PLAIN
    gemm = Gemm("h", Phase.FWD, 4, 4, 12)
    prog = compile_program(arch, gemm)
    rng = np.random.default_rng(1)
    a, b = rng.integers(1, 5, (1, 4, 12)), rng.integers(1, 5, (1, 12, 4))
    with pytest.raises(reference.ReferenceHazard):
        reference.simulate_program(arch, prog, a, b)


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(1, 3), cols=st.integers(1, 3), flexsa=st.booleans(),
       switch=st.integers(0, 3), m=st.integers(1, 14), n=st.integers(1, 8),
       k=st.integers(1, 8), policy=st.sampled_from(["auto", "table"]))
def test_reference_random_geometries(rows: int, cols: int, flexsa: bool, switch: int, m: int,
                                     n: int, k: int, policy: str) -> None:
    arch = arch_from_dict({"groups": 1, "cores_per_group": 4 if flexsa else 1,
                           "core_rows": rows, "core_cols": cols, "flexsa": flexsa,
                           "mode_switch_cycles": switch})
    gemm, prog, cycles, c, expected, results = _run(arch, (m, n, k), policy)
    assert np.array_equal(c, expected)
    assert cycles == gemm_stats(arch, compile_gemm(arch, gemm, policy)).cycles
