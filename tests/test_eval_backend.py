"""The evaluation's simulator calls agree with the public simulator API."""

from __future__ import annotations

import dataclasses

import pytest

pytest.importorskip("flexsa.sim")

from flexsa.report.evaluation.backend import ToolkitBackend, Workload  # noqa: E402
from flexsa.sim import simulate_gemms  # noqa: E402
from flexsa.workloads.layers import Gemm, Phase  # noqa: E402

GEMMS = (Gemm("a", Phase.FWD, 3136, 71, 300), Gemm("b", Phase.WGRAD, 300, 71, 3136),
         Gemm("c", Phase.DGRAD, 777, 3, 131, 2))


def _memories() -> list[str]:
    try:
        import flexsa.sim.memory_result  # noqa: F401
    except ImportError:
        return ["ideal"]
    return ["ideal", "hbm2"]


@pytest.mark.parametrize("arch_name", ["1G1C", "4G1F"])
def test_simulate_many_equals_simulate_gemms(arch_name: str) -> None:
    backend = ToolkitBackend()
    workload = Workload(None, 32, GEMMS)
    memories = _memories()
    many = backend.simulate_many(arch_name, workload, memories)
    arch = backend.arch(arch_name)
    for memory in memories:
        result = simulate_gemms(arch, list(GEMMS), memory=memory)
        got = many[memory]
        assert got.cycles == result.cycles and got.macs == result.macs
        assert got.stall_cycles == getattr(result, "stall_cycles", 0)
        assert dict(got.waves_by_mode) == dict(result.waves_by_mode)
        energy = getattr(result, "energy_pj", None)
        if energy:
            assert got.energy_pj == pytest.approx(dict(energy))


def test_splitting_arch_has_64_cores_of_16x16() -> None:
    arch = ToolkitBackend().arch("16G4C")
    assert (arch.groups, arch.cores_per_group, arch.core_rows, arch.core_cols) == (16, 4, 16, 16)
    assert arch.total_pes == 16384 and not arch.flexsa
    assert dataclasses.asdict(arch)["name"] == "16G4C"
