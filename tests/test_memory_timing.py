"""Finite-bandwidth timing: exact agreement with the cycle-stepped reference, invariants."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flexsa.arch import load_arch, with_overrides
from flexsa.errors import ConfigError
from flexsa.pipeline import simulate_gemms, simulate_model
from flexsa.sim.memory import block_timing, gemm_memory
from flexsa.sim.memory_reference import reference_block, reference_stall
from flexsa.sim.memory_spec import parse_memory
from flexsa.workloads.layers import Gemm, Im2col, Phase
from flexsa.workloads.zoo import build_model

PRESETS = ("1G1C", "1G4C", "4G4C", "1G1F", "4G1F")


def _small_arch(base: str, rows: int, cols: int, gbuf_mib: float, latency: int, port: float):
    return with_overrides(load_arch(base), {
        "core_rows": rows, "core_cols": cols, "memory.gbuf_mib": gbuf_mib,
        "memory.dram_latency_cycles": latency, "memory.gbuf_to_lbuf_bytes_per_cycle": port})


@settings(max_examples=60, deadline=None)
@given(base=st.sampled_from(PRESETS), rows=st.sampled_from([2, 4]),
       cols=st.sampled_from([2, 4]), m=st.integers(1, 50), n=st.integers(1, 30),
       k=st.integers(1, 40), port=st.sampled_from([1.0, 4.0, 16.0, math.inf]),
       allocation=st.sampled_from(["wave", "tile"]))
def test_block_timing_equals_wave_by_wave_reference(base, rows, cols, m, n, k, port,
                                                    allocation):
    arch = with_overrides(_small_arch(base, rows, cols, 1.0, 0, 512.0),
                          {"allocation": allocation})
    fast = block_timing(arch, m, n, k, port, "auto")
    assert (fast.compute, fast.memory, fast.warm, fast.tail) == \
        reference_block(arch, m, n, k, port)
    assert fast.memory >= fast.warm >= fast.compute


@settings(max_examples=50, deadline=None)
@given(base=st.sampled_from(PRESETS), rows=st.sampled_from([2, 4]),
       cols=st.sampled_from([2, 4]), gbuf=st.sampled_from([0.004, 0.01, 0.03]),
       latency=st.sampled_from([0, 3, 20]), port=st.sampled_from([4.0, 16.0, 1e9]),
       memory=st.sampled_from([0.5, 2.0, 10.0, "hbm2"]), phase=st.sampled_from(list(Phase)),
       m=st.integers(1, 60), n=st.integers(1, 30), k=st.integers(1, 40),
       inst=st.integers(1, 2),
       view=st.sampled_from([None, Im2col(3, 3, 1, 5), Im2col(3, 3, 2, 4, "k"),
                             Im2col(1, 1, 2, 7)]))
def test_gemm_stalls_equal_cycle_stepped_reference(base, rows, cols, gbuf, latency, port,
                                                   memory, phase, m, n, k, inst, view):
    arch = _small_arch(base, rows, cols, gbuf, latency, port)
    spec = parse_memory(memory, arch)
    gemm = Gemm("t", phase, m, n, k, inst, im2col=view)
    try:
        fast = gemm_memory(arch, spec, gemm).stall_cycles
    except ConfigError:
        return  # GBUF share too small for one block: a legitimate refusal
    assert fast == reference_stall(arch, spec, gemm)
    assert fast >= 0


def test_long_runs_jump_exactly():
    # many identical tiles and K steps: the fast model jumps over them
    arch = _small_arch("1G4C", 4, 4, 0.05, 7, 8.0)
    for m, n, k in [(400, 8, 64), (96, 40, 12), (1000, 4, 4)]:
        fast = block_timing(arch, m, n, k, 2.0, "auto")
        assert (fast.compute, fast.memory, fast.warm, fast.tail) == \
            reference_block(arch, m, n, k, 2.0)
    spec = parse_memory(3.0, arch)
    gemm = Gemm("long", Phase.FWD, 900, 24, 40)
    assert gemm_memory(arch, spec, gemm).stall_cycles == reference_stall(arch, spec, gemm)


@pytest.mark.parametrize("arch_name", PRESETS)
def test_hbm2_never_faster_than_ideal(arch_name):
    arch = load_arch(arch_name)
    gemms = [Gemm("a", Phase.FWD, 12544, 64, 576), Gemm("b", Phase.WGRAD, 576, 64, 12544),
             Gemm("c", Phase.DGRAD, 3136, 256, 2304), Gemm("d", Phase.FWD, 97, 1000, 2048)]
    ideal = simulate_gemms(arch, gemms, memory="ideal")
    hbm2 = simulate_gemms(arch, gemms, memory="hbm2")
    slow = simulate_gemms(arch, gemms, memory=20.0)
    assert ideal.stall_cycles == 0
    assert hbm2.cycles >= ideal.cycles and hbm2.cycles == ideal.cycles + hbm2.stall_cycles
    assert slow.cycles >= hbm2.cycles
    assert hbm2.memory_system["ideal_cycles"] == ideal.cycles
    # traffic does not depend on the bandwidth
    assert hbm2.traffic_bytes["dram_to_gbuf"] == ideal.traffic_bytes["dram_to_gbuf"] > 0


def test_more_bandwidth_never_slower():
    arch = load_arch("1G4C")
    gemms = [Gemm("a", Phase.FWD, 25088, 128, 1152), Gemm("b", Phase.WGRAD, 1152, 128, 25088)]
    cycles = [simulate_gemms(arch, gemms, memory=bw).cycles for bw in (50, 100, 270, 1000, 1e6)]
    assert cycles == sorted(cycles, reverse=True)


@pytest.mark.parametrize("bad", [0, -5, "0", "nan", "inf", "fast", ""])
def test_bad_bandwidth_is_config_error(bad):
    with pytest.raises(ConfigError) as info:
        parse_memory(bad, load_arch("1G1C"))
    assert "\n" not in str(info.value)


def test_energy_components_sum_and_area_in_result():
    result = simulate_gemms(load_arch("1G1F"), [Gemm("a", Phase.FWD, 5000, 200, 300)],
                            memory="hbm2")
    energy = result.energy_pj
    assert set(energy) == {"comp", "lbuf", "gbuf", "dram", "overcore", "forwarding", "total"}
    assert energy["total"] == pytest.approx(sum(v for k, v in energy.items() if k != "total"))
    assert energy["overcore"] > 0 and result.area_mm2 > 0


@pytest.mark.slow
def test_resnet50_model_run_reports_simd_and_stalls():
    model = build_model("resnet50")
    ideal = simulate_model(load_arch("1G1C"), model, 32)
    hbm2 = simulate_model(load_arch("1G1C"), model, 32, memory="hbm2")
    assert hbm2.cycles > ideal.cycles
    assert ideal.simd_cycles and hbm2.simd_cycles and hbm2.simd_cycles >= ideal.simd_cycles
    traffic = hbm2.traffic_bytes
    assert traffic["dram_to_gbuf"] + traffic["gbuf_to_dram"] >= \
        hbm2.memory_system["compulsory_dram_bytes"]


def test_cli_simulate_json_memory_fields(cli):
    out = cli("simulate", "--arch", "4G1F", "--gemm", "3000,200,700", "--memory", "hbm2",
              "--json")
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    for key in ("stall_cycles", "energy_pj", "area_mm2"):
        assert key in payload
    assert {"dram_to_gbuf", "gbuf_to_dram"} <= set(payload["traffic_bytes"])
    assert payload["config"]["memory"] == "hbm2"
    out = cli("simulate", "--arch", "1G1C", "--model", "mobilenet_v2", "--batch", "2",
              "--memory", "300", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["simd_cycles"] > 0


@pytest.mark.parametrize("args", [["--memory", "0"], ["--memory", "-1"], ["--memory", "x"]])
def test_cli_bad_memory_exit_2(cli, args):
    out = cli("simulate", "--arch", "1G1C", "--gemm", "100,100,100", *args)
    assert out.returncode == 2
    assert out.stderr.startswith("error:") and out.stderr.count("\n") == 1


def test_cli_gbuf_too_small_exit_2(cli, tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text("base: 1G1C\nmemory:\n  gbuf_mib: 0.01\n")
    out = cli("simulate", "--arch", str(config), "--gemm", "1000,1000,1000")
    assert out.returncode == 2
    assert "too small for one block" in out.stderr and out.stderr.count("\n") == 1


def test_gbuf_ports_knob():
    base = load_arch("1G4C")
    gemm = [Gemm("a", Phase.FWD, 25088, 128, 576)]
    default = simulate_gemms(base, gemm, memory="hbm2")
    uneven = simulate_gemms(with_overrides(base, {"memory.gbuf_ports": 3}), gemm, memory="hbm2")
    assert parse_memory("hbm2", base).unit_port_bytes_per_cycle == 256
    assert parse_memory("hbm2", with_overrides(base, {"memory.gbuf_ports": 3})) \
        .unit_port_bytes_per_cycle == 256 / 2
    assert uneven.stall_cycles > default.stall_cycles
    with pytest.raises(ConfigError):
        with_overrides(base, {"memory.gbuf_ports": -1})
