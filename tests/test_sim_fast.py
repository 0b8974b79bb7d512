"""Fast model: equals the wave-by-wave trace; invariants; golden numbers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flexsa.arch import PRESETS, arch_from_dict
from flexsa.compiler import compile_gemm, compile_program
from flexsa.pipeline import simulate_gemms, simulate_model
from flexsa.sim.fast import gemm_stats
from flexsa.sim.trace import trace_program
from flexsa.workloads import build_model
from flexsa.workloads.layers import Gemm, Phase

SMALL = {
    "plain4x2x2": arch_from_dict({"name": "p", "groups": 2, "cores_per_group": 2,
                                  "core_rows": 4, "core_cols": 4}),
    "flex4x2": arch_from_dict({"name": "f", "groups": 1, "cores_per_group": 8,
                               "core_rows": 4, "core_cols": 4, "flexsa": True,
                               "mode_switch_cycles": 3}),
    "flex_rect": arch_from_dict({"name": "r", "groups": 2, "cores_per_group": 4,
                                 "core_rows": 4, "core_cols": 8, "flexsa": True}),
}
ARCHS = {**PRESETS, **SMALL}
DIMS = st.one_of(st.sampled_from([1, 3, 71, 300]), st.integers(1, 90))
PHASES = st.sampled_from([Phase.FWD, Phase.WGRAD])


def _compare(arch_name: str, gemm: Gemm, policy: str = "auto") -> None:
    arch = ARCHS[arch_name]
    plan = compile_gemm(arch, gemm, policy)
    fast = gemm_stats(arch, plan)
    cycles, traces = trace_program(arch, compile_program(arch, gemm, policy))
    assert fast.cycles == cycles
    for key in fast.waves_by_mode:
        assert fast.waves_by_mode[key] == sum(t.waves_by_mode[key] for t in traces)
        assert fast.cycles_by_mode[key] == sum(t.cycles_by_mode[key] for t in traces)


@settings(max_examples=60, deadline=None)
@given(arch=st.sampled_from(sorted(ARCHS)), m=DIMS, n=DIMS, k=DIMS, phase=PHASES,
       instances=st.integers(1, 3), policy=st.sampled_from(["auto", "table", "fw"]))
def test_compressed_equals_wave_trace(arch: str, m: int, n: int, k: int, phase: Phase,
                                      instances: int, policy: str) -> None:
    _compare(arch, Gemm("h", phase, m, n, k, instances), policy)


EDGE_SHAPES = [(3, 71, 300), (300, 3, 71), (71, 300, 3), (1, 1, 1), (2000, 150, 300),
               (1000, 200, 130)]


@pytest.mark.parametrize("arch", sorted(PRESETS))
@pytest.mark.parametrize("shape", EDGE_SHAPES)
def test_compressed_equals_trace_edges(arch: str, shape: tuple[int, int, int]) -> None:
    _compare(arch, Gemm("e", Phase.FWD, *shape, 2))


@pytest.mark.parametrize("arch", sorted(SMALL))
@pytest.mark.parametrize("shape", EDGE_SHAPES[:4] + [(67, 37, 29)])
def test_compressed_equals_trace_small_arrays(arch: str, shape: tuple[int, int, int]) -> None:
    _compare(arch, Gemm("e", Phase.WGRAD, *shape, 2))


@pytest.mark.parametrize("arch", sorted(PRESETS))
@pytest.mark.parametrize("shape", [(3, 71, 300), (4096, 32, 256), (1024, 1024, 1024),
                                   (50176, 64, 147), (49, 2048, 512)])
def test_invariants(arch: str, shape: tuple[int, int, int]) -> None:
    result = simulate_gemms(PRESETS[arch], [Gemm("i", Phase.FWD, *shape)])
    assert result.macs == shape[0] * shape[1] * shape[2]
    assert 0 < result.pe_utilization <= 1
    data = result.as_dict()
    assert set(data["waves_by_mode"]) == {"FW", "HSW", "VSW", "ISW", "core"}
    assert set(data["traffic_bytes"]["gbuf_to_lbuf"]) == {"stationary", "streamed"}


@settings(max_examples=60, deadline=None)
@given(m=DIMS, n=DIMS, k=DIMS, scale=st.sampled_from([1, 4, 64]))
def test_flexsa_never_slower_than_one_big_core(m: int, n: int, k: int, scale: int) -> None:
    gemm = [Gemm("c", Phase.FWD, m * scale, n, k)]
    flex = simulate_gemms(PRESETS["1G1F"], gemm).cycles
    big = simulate_gemms(PRESETS["1G1C"], gemm).cycles
    assert flex <= big * 1.01


def test_golden_numbers() -> None:
    """Hand-checked: 1G1C, 1024x128x1024 = 32 full waves back to back.

    head k=128, 31 gaps of max(256, 128), tail 256 + 128 + 128 - 1.
    """
    result = simulate_gemms(PRESETS["1G1C"], [Gemm("g", Phase.FWD, 1024, 128, 1024)])
    assert result.cycles == 128 + 31 * 256 + 511 == 8575
    assert result.traffic.stationary == 32 * 128 * 128 * 2
    assert result.traffic.streamed == 32 * 256 * 128 * 2
    assert result.traffic.outputs == 1024 * 128 * 4
    assert result.traffic.overcore == 0
    # VSW halves the streaming of narrow tiles: gaps max(128, 128)
    vsw = simulate_gemms(PRESETS["1G1F"], [Gemm("g", Phase.FWD, 4096, 32, 256)])
    assert vsw.waves_by_mode["VSW"] == 32
    assert vsw.cycles == 128 + 31 * 128 + (128 + 128 + 64 - 1)


def test_identical_waves_counted_once_per_shape_and_combine() -> None:
    arch = PRESETS["1G4C"]
    gemms = [Gemm("a", Phase.FWD, 300, 70, 200), Gemm("b", Phase.FWD, 300, 70, 200, macs=5)]
    result = simulate_gemms(arch, gemms)
    assert result.macs == 300 * 70 * 200 + 5
    assert result.per_gemm[0].cycles == result.per_gemm[1].cycles
    first, second = simulate_gemms(arch, gemms[:1]), simulate_gemms(arch, gemms[1:])
    assert first.cycles + second.cycles == result.cycles  # one after the other
    assert first.traffic + second.traffic == result.traffic


def test_model_simulation_resnet50() -> None:
    model = build_model("resnet50")
    result = simulate_model(PRESETS["1G1F"], model, 2, phases="fwd")
    assert result.macs == sum(g.macs for g in result.per_gemm)
    assert 0 < result.pe_utilization <= 1
    assert result.waves_by_mode["core"] == 0


def test_memory_other_than_ideal_hbm2_or_bandwidth_rejected() -> None:
    from flexsa.errors import ConfigError

    with pytest.raises(ConfigError):
        simulate_gemms(PRESETS["1G1C"], [Gemm("g", Phase.FWD, 4, 4, 4)], memory="bogus")


@st.composite
def small_archs(draw):
    flexsa = draw(st.booleans())
    rows, cols = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    cores = draw(st.sampled_from([4, 8] if flexsa else [1, 2, 3]))
    unit_rows = rows * (2 if flexsa else 1)
    unit_cols = cols * (2 if flexsa else 1)
    per_core = 4 if flexsa else 1
    blk_m = draw(st.integers(1, 12))
    return arch_from_dict({
        "name": "rand", "groups": draw(st.integers(1, 3)), "cores_per_group": cores,
        "core_rows": rows, "core_cols": cols, "flexsa": flexsa,
        "mode_switch_cycles": draw(st.integers(0, 4)),
        "allocation": draw(st.sampled_from(["wave", "tile"])),
        "lbuf_streamed_elems": -(-blk_m * unit_rows // per_core),
        "lbuf_output_elems": -(-(blk_m + 1) * unit_cols // per_core)})


@settings(max_examples=60, deadline=None)
@given(arch=small_archs(), m=st.integers(1, 40), n=st.integers(1, 30), k=st.integers(1, 30),
       phase=PHASES, instances=st.integers(1, 3), policy=st.sampled_from(["auto", "table"]))
def test_compressed_equals_trace_random_archs(arch, m: int, n: int, k: int, phase: Phase,
                                              instances: int, policy: str) -> None:
    ARCHS["random"] = arch
    try:
        _compare("random", Gemm("r", phase, m, n, k, instances), policy)
    finally:
        del ARCHS["random"]


def test_overcore_bytes_golden() -> None:
    from flexsa.compiler.modes import Mode
    from flexsa.sim.fast import wave_overcore_bytes

    arch = PRESETS["1G1F"]  # r = c = 64
    fw = wave_overcore_bytes(arch, Mode.FW, 256, 128, 128)
    assert fw == (128 - 64) * 128 * 2 + 256 * 128 * 4 + 256 * 128 * 2
    hsw = wave_overcore_bytes(arch, Mode.HSW, 256, 128, 64)
    assert hsw == 64 * 128 * 2 + 256 * 64 * 2 + 128 * 128 * 4  # broadcast, pass-through, down
    vsw = wave_overcore_bytes(arch, Mode.VSW, 256, 64, 128)
    # broadcast, shift into cores 2/3, partial sums, rows of cores 1+3 over their own inputs
    assert vsw == 128 * 64 * 2 + 2 * 64 * 64 * 2 + 256 * 64 * 4 + 128 * 128 * 2
    isw = wave_overcore_bytes(arch, Mode.ISW, 10, 64, 64)
    # rows 3,3,2,2: top arrays get 3+3 (outputs down); cores 1 and 3 get 3+2 (side inputs)
    assert isw == 3 * 64 * 64 * 2 + (3 + 3) * 64 * 4 + (3 + 2) * 64 * 2
    assert wave_overcore_bytes(PRESETS["1G1C"], Mode.CORE, 256, 128, 128) == 0
