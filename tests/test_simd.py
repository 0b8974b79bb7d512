"""SIMD unit: element-wise layers, memory bound, reported separately from GEMM time."""

from __future__ import annotations

import math

import pytest

from flexsa.arch import load_arch
from flexsa.errors import ConfigError
from flexsa.sim.simd import simd_breakdown, simd_cycles
from flexsa.workloads.layers import ElementwiseLayer
from flexsa.workloads.zoo import build_model


def test_golden_small_and_large_layer():
    arch = load_arch("1G1C")  # 0.7 GHz, 10 MiB GBUF, 512 B/cycle GBUF port, 270 GB/s
    layer = ElementwiseLayer("relu", "relu", 1_000_000, 1, 1)
    result = simd_breakdown([layer], 1, arch, memory="hbm2")
    # forward: 4 MB (in + out, FP16) fits in half the GBUF -> GBUF bandwidth bound
    assert result.fwd_cycles == math.ceil(4_000_000 / 512)
    # backward: 6 MB (dY, X, dX) does not fit -> DRAM bound at 270 GB/s / 0.7 GHz
    assert result.bwd_cycles == math.ceil(6_000_000 / (270 / 0.7))
    assert result.flops == 3_000_000 and result.bytes == 10_000_000


def test_compute_bound_layer():
    arch = load_arch("1G1C")
    layer = ElementwiseLayer("softmax", "softmax", 1000, 500, 1)
    result = simd_breakdown([layer], 1, arch, memory="ideal", backward=False)
    assert result.fwd_cycles == math.ceil(500_000 / (500 / 0.7))


def test_resnet50_simd_scales_and_memory_order():
    model = build_model("resnet50")
    arch = load_arch("1G1F")
    ideal = simd_cycles(model, 32, arch, memory="ideal")
    hbm2 = simd_cycles(model, 32, arch, memory="hbm2")
    slow = simd_cycles(model, 32, arch, memory=50.0)
    assert 0 < ideal <= hbm2 <= slow
    fwd = simd_cycles(model, 32, arch, memory="hbm2", phases="fwd")
    assert 0 < fwd < hbm2
    assert simd_cycles(model, 64, arch) > 1.9 * simd_cycles(model, 32, arch)
    faster = simd_cycles(model, 32, arch, memory="ideal", simd_gflops=5000.0)
    assert faster <= ideal


@pytest.mark.parametrize("gflops", [0.0, -1.0, float("nan")])
def test_bad_simd_throughput(gflops):
    with pytest.raises(ConfigError):
        simd_breakdown([ElementwiseLayer("a", "add", 10)], 1, load_arch("1G1C"),
                       simd_gflops=gflops)
