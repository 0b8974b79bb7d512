"""The evaluation's simulator calls agree with the public simulator API."""

from __future__ import annotations

import dataclasses

import pytest

from flexsa.pipeline import simulate_gemms, simulate_model
from flexsa.studies.flexsa_backend import ToolkitBackend, Workload
from flexsa.workloads.layers import Gemm, Phase

GEMMS = (Gemm("a", Phase.FWD, 3137, 71, 300), Gemm("b", Phase.WGRAD, 300, 71, 3139),
         Gemm("c", Phase.DGRAD, 777, 3, 131, 2), Gemm("d", Phase.FWD, 3137, 71, 300),
         Gemm("e", Phase.FWD, 5, 1000, 2048), Gemm("f", Phase.WGRAD, 9, 1, 50001, 32))


@pytest.mark.parametrize("arch_name", ["1G1C", "1G4C", "4G4C", "1G1F", "4G1F", "16G4C"])
def test_simulate_many_equals_simulate_gemms(arch_name: str) -> None:
    backend = ToolkitBackend()
    many = backend.simulate_many(arch_name, Workload(None, 32, GEMMS), ["ideal", "hbm2"])
    arch = backend.arch(arch_name)
    for memory in ("ideal", "hbm2"):
        result = simulate_gemms(arch, list(GEMMS), memory=memory)
        got = many[memory]
        assert (got.cycles, got.macs, got.stall_cycles) == (result.cycles, result.macs,
                                                            result.stall_cycles)
        assert got.waves_by_mode == result.as_dict()["waves_by_mode"]
        assert got.cycles_by_mode == result.as_dict()["cycles_by_mode"]
        traffic = result.traffic_bytes
        assert got.gbuf_to_lbuf_stationary == traffic["gbuf_to_lbuf"]["stationary"]
        assert got.gbuf_to_lbuf_streamed == traffic["gbuf_to_lbuf"]["streamed"]
        assert (got.overcore, got.dram_to_gbuf) == (traffic["overcore"],
                                                    traffic["dram_to_gbuf"])
        assert got.energy_pj == result.energy_pj and got.simd_cycles is None


def test_a_filtered_model_workload_drops_those_gemms_and_keeps_its_simd_work() -> None:
    from flexsa.workloads.depthwise import depthwise_convs
    from flexsa.workloads.zoo import build_model

    backend, model = ToolkitBackend(), build_model("mobilenet_v2")
    full = backend.workload(model, 2, "split", depthwise="per-channel", arch_name="1G1F")
    names = {layer.name for layer in depthwise_convs(model)}
    nodw = dataclasses.replace(full, gemms=tuple(g for g in full.gemms if g.layer not in names))
    got = backend.simulate("1G1F", nodw, "ideal")
    arch = backend.arch("1G1F")
    direct = simulate_gemms(arch, nodw.gemms)
    assert (got.cycles, got.macs) == (direct.cycles, direct.macs) and got.macs < \
        backend.simulate("1G1F", full, "ideal").macs
    simd = simulate_model(arch, model, 2, depthwise="per-channel").simd_cycles
    assert got.simd_cycles == simd


def test_splitting_arch_has_64_cores_of_16x16() -> None:
    arch = ToolkitBackend().arch("16G4C")
    assert (arch.groups, arch.cores_per_group, arch.core_rows, arch.core_cols) == (16, 4, 16, 16)
    assert arch.total_pes == 16384 and not arch.flexsa
    assert dataclasses.asdict(arch)["name"] == "16G4C"
