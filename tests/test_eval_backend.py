"""The evaluation's simulator calls agree with the public simulator API."""

from __future__ import annotations

import dataclasses

import pytest

pytest.importorskip("flexsa.sim")

from flexsa.report.evaluation.backend import (  # noqa: E402
    ToolkitBackend,
    Workload,
    gemm_stats_by_part,
)
from flexsa.sim import simulate_gemms  # noqa: E402
from flexsa.sim.fast import simulate_gemm_stats  # noqa: E402
from flexsa.workloads.layers import Gemm, Phase  # noqa: E402

GEMMS = (Gemm("a", Phase.FWD, 3137, 71, 300), Gemm("b", Phase.WGRAD, 300, 71, 3139),
         Gemm("c", Phase.DGRAD, 777, 3, 131, 2), Gemm("d", Phase.FWD, 3137, 71, 300),
         Gemm("e", Phase.FWD, 5, 1000, 2048), Gemm("f", Phase.WGRAD, 9, 1, 50001, 32))


def _memories() -> list[str]:
    try:
        import flexsa.sim.memory_result  # noqa: F401
    except ImportError:
        return ["ideal"]
    return ["ideal", "hbm2"]


@pytest.mark.parametrize("arch_name", ["1G1C", "1G4C", "4G4C", "1G1F", "4G1F", "16G4C"])
def test_simulate_many_equals_simulate_gemms(arch_name: str) -> None:
    backend = ToolkitBackend()
    workload = Workload(None, 32, GEMMS)
    memories = _memories()
    many = backend.simulate_many(arch_name, workload, memories)
    arch = backend.arch(arch_name)
    stats = gemm_stats_by_part(arch, list(GEMMS))
    reference = simulate_gemm_stats(arch, list(GEMMS))
    assert [s.group_cycles for s in stats] == [s.group_cycles for s in reference]
    assert [s.wave_classes for s in stats] == [s.wave_classes for s in reference]
    assert [s.output_tiles for s in stats] == [s.output_tiles for s in reference]
    for memory in memories:
        result = simulate_gemms(arch, list(GEMMS), memory=memory)
        got = many[memory]
        assert got.cycles == result.cycles and got.macs == result.macs
        assert got.stall_cycles == getattr(result, "stall_cycles", 0)
        assert dict(got.waves_by_mode) == dict(result.waves_by_mode)
        assert dict(got.cycles_by_mode) == dict(result.cycles_by_mode)
        traffic = result.traffic_bytes
        assert got.gbuf_to_lbuf_stationary == traffic["gbuf_to_lbuf"]["stationary"]
        assert got.gbuf_to_lbuf_streamed == traffic["gbuf_to_lbuf"]["streamed"]
        assert got.overcore == traffic["overcore"]
        energy = getattr(result, "energy_pj", None)
        if energy:
            assert got.energy_pj == pytest.approx(dict(energy))


def test_splitting_arch_has_64_cores_of_16x16() -> None:
    arch = ToolkitBackend().arch("16G4C")
    assert (arch.groups, arch.cores_per_group, arch.core_rows, arch.core_cols) == (16, 4, 16, 16)
    assert arch.total_pes == 16384 and not arch.flexsa
    assert dataclasses.asdict(arch)["name"] == "16G4C"
