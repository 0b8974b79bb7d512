"""Two-level blocking: DRAM traffic bounds, DMA program, replication and reduction."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flexsa.arch import with_overrides
from flexsa.compiler.blocking import dma_program, plan_block, plan_gemm
from flexsa.energy.configs import SPLIT_STUDY
from flexsa.errors import ConfigError
from flexsa.workloads.layers import Gemm, Phase

ONE = SPLIT_STUDY["1x128^2"]           # 1 group, 10 MiB
FOUR_GROUPS = SPLIT_STUDY["16x32^2"]   # 4 groups, 2.5 MiB each


def _dma_totals(plan, arch):
    reads = writes = 0
    for dma in dma_program(plan, arch):
        if dma.op == "LdGBUF":
            reads += dma.nbytes
        else:
            writes += dma.nbytes
    return reads, writes


def test_everything_fits_gives_compulsory_traffic():
    gemm = Gemm("x", Phase.FWD, 1000, 300, 500)
    plan = plan_gemm(gemm, ONE)
    # outputs go to DRAM as FP16 (memory.dram_output_bytes)
    assert plan.dram_bytes == plan.compulsory_bytes == (1000 * 500 + 500 * 300) * 2 + 1000 * 300 * 2
    assert plan.parts[0].plan.block_count >= 1


def test_large_gemm_exceeds_compulsory_and_matches_dma_program():
    gemm = Gemm("big", Phase.FWD, 20000, 2048, 4608)
    plan = plan_gemm(gemm, ONE)
    assert plan.dram_bytes > plan.compulsory_bytes
    part = plan.parts[0].plan
    assert part.footprint_bytes <= ONE.gbuf_bytes_per_group
    assert _dma_totals(plan, ONE) == (plan.dram_to_gbuf, plan.gbuf_to_dram)


@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 3000), n=st.integers(1, 700), k=st.integers(1, 3000),
       inst=st.integers(1, 3), phase=st.sampled_from(list(Phase)), gbuf=st.sampled_from(
           [1.0, 2.0, 10.0]), arch=st.sampled_from(["1x128^2", "16x32^2"]))
def test_traffic_bounds_and_dma_consistency(m, n, k, inst, phase, gbuf, arch):
    hw = with_overrides(SPLIT_STUDY[arch], {"memory.gbuf_mib": gbuf})
    gemm = Gemm("g", phase, m, n, k, inst)
    plan = plan_gemm(gemm, hw)
    assert plan.dram_bytes >= plan.compulsory_bytes
    assert _dma_totals(plan, hw) == (plan.dram_to_gbuf, plan.gbuf_to_dram)
    for part in plan.parts:
        assert part.plan.footprint_bytes <= hw.gbuf_bytes_per_group
    extra = plan.replication_bytes + 2 * plan.reduction_bytes
    fits = all(2 * ((p.m * p.k + p.k * p.n) * 2 + p.m * p.n * 4) <= hw.gbuf_bytes_per_group
               for p in plan.parts)
    if fits:
        assert plan.dram_bytes == plan.compulsory_bytes + extra


def test_multi_group_replicates_shared_operand():
    gemm = Gemm("f", Phase.FWD, 4096, 256, 256)
    plan = plan_gemm(gemm, FOUR_GROUPS)
    assert len(plan.parts) == 4 and plan.axis == "m"
    assert plan.replication_bytes == 3 * 256 * 256 * 2
    assert plan.dram_bytes == plan.compulsory_bytes + plan.replication_bytes


def test_multi_group_wgrad_reduces_partial_sums():
    gemm = Gemm("w", Phase.WGRAD, 256, 256, 50000)
    plan = plan_gemm(gemm, FOUR_GROUPS)
    assert plan.axis == "k" and len(plan.parts) == 4
    assert plan.reduction_bytes == 3 * 256 * 256 * 4
    assert plan.gbuf_to_dram == 3 * 256 * 256 * 4 + 256 * 256 * 2  # FP32 partials, FP16 result
    assert plan.dram_bytes == plan.compulsory_bytes + 2 * plan.reduction_bytes


def test_more_gbuf_never_more_traffic():
    gemm = Gemm("big", Phase.DGRAD, 50000, 1024, 2304)
    traffic = [plan_gemm(gemm, with_overrides(ONE, {"memory.gbuf_mib": mib})).dram_bytes
               for mib in (0.5, 1, 2, 5, 10, 40)]
    assert traffic == sorted(traffic, reverse=True)


def test_gbuf_too_small_is_one_line_error():
    with pytest.raises(ConfigError) as info:
        plan_block(1000, 1000, 1000, 256, 128, 128, 1000.0, 2, 4)
    assert "too small for one block" in str(info.value) and "\n" not in str(info.value)
