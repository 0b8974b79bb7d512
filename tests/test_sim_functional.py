"""Functional execution of compiled programs reproduces A @ B exactly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flexsa.arch import PRESETS, arch_from_dict
from flexsa.compiler import compile_program
from flexsa.compiler.isa import ExecGEMM, ShiftV
from flexsa.compiler.program import UnitProgram
from flexsa.sim.functional import ExecutionError, execute_program, verify_gemm
from flexsa.workloads.layers import Gemm, Phase

DIMS = st.one_of(st.sampled_from([1, 3, 71, 300]), st.integers(1, 400))


@settings(max_examples=40, deadline=None)
@given(arch=st.sampled_from(sorted(PRESETS)), m=DIMS, n=DIMS, k=DIMS,
       phase=st.sampled_from(["fwd", "dgrad", "wgrad"]), seed=st.integers(0, 2**16),
       policy=st.sampled_from(["auto", "table", "fw"]))
def test_program_reproduces_matmul(arch: str, m: int, n: int, k: int, phase: str, seed: int,
                                   policy: str) -> None:
    ok, mismatches = verify_gemm(PRESETS[arch], m, n, k, seed=seed, phase=phase, policy=policy)
    assert ok, mismatches


@pytest.mark.parametrize("arch", sorted(PRESETS))
@pytest.mark.parametrize("shape", [(3, 71, 300), (300, 3, 71), (71, 300, 3), (1, 1, 1)])
def test_edge_shapes_every_preset(arch: str, shape: tuple[int, int, int]) -> None:
    assert verify_gemm(PRESETS[arch], *shape, seed=7, instances=2, phase="wgrad")[0]
    assert verify_gemm(PRESETS[arch], *shape, seed=8, instances=2, phase="fwd")[0]


def test_custom_multi_unit_flexsa() -> None:
    arch = arch_from_dict({"groups": 3, "cores_per_group": 8, "core_rows": 4, "core_cols": 8,
                           "flexsa": True})
    for phase in ("fwd", "wgrad"):
        assert verify_gemm(arch, 37, 41, 23, seed=1, instances=2, phase=phase)[0]


def test_broken_program_is_detected() -> None:
    arch = PRESETS["1G1F"]
    prog = compile_program(arch, Gemm("t", Phase.FWD, 10, 10, 10))
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, (1, 10, 10)), rng.integers(0, 5, (1, 10, 10))
    without_shift = tuple(i for i in prog.units[0].instructions if not isinstance(i, ShiftV))
    broken = type(prog)(**{**prog.__dict__, "units": (UnitProgram(0, 0, without_shift),)})
    with pytest.raises(ExecutionError):
        execute_program(arch, broken, a, b)
    doubled = tuple(x for i in prog.units[0].instructions
                    for x in ((i, i) if isinstance(i, ExecGEMM) else (i,)))
    wrong = type(prog)(**{**prog.__dict__, "units": (UnitProgram(0, 0, doubled),)})
    assert not np.array_equal(execute_program(arch, wrong, a, b), a @ b)


@settings(max_examples=40, deadline=None)
@given(flexsa=st.booleans(), rows=st.integers(1, 5), cols=st.integers(1, 5),
       groups=st.integers(1, 3), m=st.integers(1, 30), n=st.integers(1, 20),
       k=st.integers(1, 20), phase=st.sampled_from(["fwd", "wgrad"]),
       policy=st.sampled_from(["auto", "table"]))
def test_random_small_archs_reproduce_matmul(flexsa: bool, rows: int, cols: int, groups: int,
                                             m: int, n: int, k: int, phase: str,
                                             policy: str) -> None:
    arch = arch_from_dict({"groups": groups, "cores_per_group": 8 if flexsa else 2,
                           "core_rows": rows, "core_cols": cols, "flexsa": flexsa})
    assert verify_gemm(arch, m, n, k, seed=m + n + k, instances=2, phase=phase,
                       policy=policy)[0]
