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


def test_single_unit_closed_form_equals_counting() -> None:
    from flexsa.compiler.plan import _counted_schedule, _single_unit_schedule

    for total_m in (1, 5, 8, 13, 64):
        for total_n in (1, 4, 7, 12):
            for instances in (1, 2, 5):
                m_dim, n_dim = Dim(total_m, 8), Dim(total_n, 4)
                assert _single_unit_schedule(m_dim, n_dim, instances) == \
                    _counted_schedule(m_dim, n_dim, instances, 1)


def _brute_schedule(m_dim: Dim, n_dim: Dim, instances: int, units: int):
    from flexsa.compiler.plan import UnitSchedule

    classes = [2 * n_dim.cls_of(n) + m_dim.cls_of(m) for _ in range(instances)
               for n in range(n_dim.count) for m in range(m_dim.count)]
    counts = [[0] * 4 for _ in range(units)]
    pairs = [[0] * 16 for _ in range(units)]
    first, last = [-1] * units, [-1] * units
    for o, c in enumerate(classes):
        u = o % units
        counts[u][c] += 1
        if first[u] < 0:
            first[u] = c
        last[u] = c
        if o + units < len(classes):
            pairs[u][4 * c + classes[o + units]] += 1
    return UnitSchedule(tuple(map(tuple, counts)), tuple(map(tuple, pairs)), tuple(first),
                        tuple(last))


@pytest.mark.parametrize("units", [1, 2, 3, 4, 7])
def test_run_length_schedule_equals_brute_force(units: int) -> None:
    from flexsa.compiler.plan import _counted_schedule, _counted_schedule_py, unit_schedule

    for total_m in (1, 5, 8, 13, 40):
        for total_n in (1, 4, 7, 12):
            for instances in (1, 2, 5):
                m_dim, n_dim = Dim(total_m, 8), Dim(total_n, 4)
                expected = _brute_schedule(m_dim, n_dim, instances, units)
                assert _counted_schedule(m_dim, n_dim, instances, units) == expected
                assert _counted_schedule_py(m_dim, n_dim, instances, units) == expected
                assert unit_schedule(m_dim, n_dim, instances, units) == expected


def test_huge_gemm_is_fast_and_not_materialised() -> None:
    import time

    from flexsa.pipeline import simulate_gemms

    start = time.perf_counter()
    for name in ("1G4C", "4G1F"):
        result = simulate_gemms(PRESETS[name], [Gemm("big", Phase.FWD, 10**10, 4096, 4096)])
        assert 0 < result.pe_utilization <= 1
    assert time.perf_counter() - start < 5  # generous: O(N tiles), not O(M tiles)
