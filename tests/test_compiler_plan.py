"""Compiler: partitioning, tiling, mode heuristic, program emission and serialisation."""

from __future__ import annotations

import pytest

from flexsa.arch import PRESETS, arch_from_dict
from flexsa.compiler import Mode, compile_gemm, compile_program
from flexsa.compiler.gemm_spec import parse_gemm_spec
from flexsa.compiler.isa import ExecGEMM, SetMode, StLBUF, Sync
from flexsa.compiler.program import program_from_jsonl
from flexsa.compiler.tiling import Dim, partition
from flexsa.errors import FlexsaError, WorkloadError
from flexsa.workloads.layers import Gemm, Phase


def _modes(arch_name: str, m: int, n: int, k: int) -> set[Mode]:
    plan = compile_gemm(PRESETS[arch_name], Gemm("t", Phase.FWD, m, n, k))
    return {mode for part in plan.parts for _, mode in part.modes}


def test_dim_tiles() -> None:
    dim = Dim(300, 128)
    assert (dim.full, dim.edge, dim.count) == (2, 44, 3)
    assert dim.tiles() == [(0, 128), (128, 128), (256, 44)]
    assert Dim(256, 128).classes() == (0,)


def test_partition_m_for_fwd_and_k_for_wgrad() -> None:
    arch = PRESETS["4G4C"]
    fwd = partition(arch, Gemm("t", Phase.FWD, 1001, 64, 64))
    assert [p.m for p in fwd] == [251, 250, 250, 250] and [p.m0 for p in fwd][1] == 251
    wgrad = partition(arch, Gemm("t", Phase.WGRAD, 64, 64, 10))
    assert [p.k for p in wgrad] == [3, 3, 2, 2] and all(p.m == 64 for p in wgrad)
    assert compile_gemm(arch, Gemm("t", Phase.WGRAD, 64, 64, 10)).reduction_bytes == 3 * 64 * 64 * 4
    assert len(partition(arch, Gemm("t", Phase.FWD, 2, 5, 5))) == 2  # idle groups dropped


def test_heuristic_uses_vsw_for_narrow_and_hsw_for_shallow_tiles() -> None:
    assert _modes("1G1F", 4096, 32, 512) == {Mode.VSW}
    assert _modes("1G1F", 4096, 512, 32) == {Mode.HSW}
    assert _modes("1G1F", 4096, 32, 32) == {Mode.ISW}
    assert _modes("1G1F", 4096, 512, 512) == {Mode.FW}
    assert _modes("1G1C", 4096, 32, 32) == {Mode.CORE}
    assert Mode.VSW in _modes("1G1F", 1000, 150, 300)  # the N edge tile (22 <= 64)


def test_less_reuse_only_where_it_helps() -> None:
    # one row cannot be split: FW has the most reuse and is as fast
    assert _modes("1G1F", 1, 512, 512) == {Mode.FW}


def test_program_structure_and_round_trip() -> None:
    arch = PRESETS["1G1F"]
    prog = compile_program(arch, Gemm("t", Phase.FWD, 300, 150, 300))
    unit = prog.units[0].instructions
    execs = [i for i in unit if isinstance(i, ExecGEMM)]
    assert len(execs) == 2 * 2 * 3  # n tiles x m tiles x k tiles
    assert isinstance(unit[0], SetMode) and isinstance(unit[-1], Sync)
    assert sum(isinstance(i, StLBUF) for i in unit) == 4
    again = program_from_jsonl(prog.to_jsonl())
    assert again == prog
    listing = list(prog.listing())
    assert any("ExecGEMM(VSW" in line for line in listing)


def test_round_robin_over_units() -> None:
    prog = compile_program(PRESETS["1G4C"], Gemm("t", Phase.FWD, 512, 128, 64))
    tiles = [sum(isinstance(i, StLBUF) for i in u.instructions) for u in prog.units]
    assert tiles == [2, 2, 2, 2]  # 4 m tiles x 2 n tiles over 4 cores


def test_custom_arch_with_two_units_per_group() -> None:
    arch = arch_from_dict({"groups": 1, "cores_per_group": 8, "core_rows": 4, "core_cols": 4,
                           "flexsa": True})
    assert arch.units_per_group == 2
    prog = compile_program(arch, Gemm("t", Phase.FWD, 40, 9, 9))
    assert len(prog.units) == 2


@pytest.mark.parametrize("text", ["0,1,1", "1,2", "a,b,c", "3.5,1,1", "-1,2,3", "1,2,3,4"])
def test_bad_gemm_spec(text: str) -> None:
    with pytest.raises(WorkloadError):
        parse_gemm_spec(text)


def test_gemm_spec_ok() -> None:
    assert parse_gemm_spec("3, 71,300") == (3, 71, 300)


def test_unknown_policy() -> None:
    with pytest.raises(FlexsaError, match="mode policy"):
        compile_gemm(PRESETS["1G1F"], Gemm("t", Phase.FWD, 4, 4, 4), "best")
