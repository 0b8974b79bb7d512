"""The search tiler and the independent-core bound (beyond the paper)."""

from __future__ import annotations

import pytest

pytest.importorskip("flexsa.compiler.plan")

from flexsa.arch import load_arch  # noqa: E402
from flexsa.compiler.search import independent_core_bound, search_gemms  # noqa: E402
from flexsa.pipeline import simulate_gemms  # noqa: E402
from flexsa.workloads.layers import Gemm, Phase  # noqa: E402

GEMMS = [Gemm("a", Phase.FWD, 3136, 71, 300), Gemm("b", Phase.WGRAD, 300, 71, 3136),
         Gemm("c", Phase.FWD, 50, 200, 100), Gemm("d", Phase.DGRAD, 777, 3, 131, 2)]


@pytest.mark.parametrize("name", ["1G1F", "4G1F", "1G1C"])
def test_search_never_slower_and_heuristic_matches_core(name: str) -> None:
    arch = load_arch(name)
    totals = search_gemms(arch, GEMMS, {})
    assert totals.heuristic_cycles == simulate_gemms(arch, GEMMS).cycles
    assert totals.search_cycles <= totals.heuristic_cycles
    assert totals.macs == sum(g.macs for g in GEMMS)
    bound = independent_core_bound(arch, GEMMS)
    assert totals.macs / (arch.total_pes * totals.search_cycles) <= bound <= 1.0


def test_search_helps_an_irregular_gemm() -> None:
    arch = load_arch("1G1F")
    gemm = [Gemm("x", Phase.FWD, 1000, 200, 200)]  # 200 = 128 + 72: a ragged edge tile
    totals = search_gemms(arch, gemm, {})
    assert totals.search_cycles < totals.heuristic_cycles


def test_bound_of_a_perfectly_tiled_gemm_is_one() -> None:
    arch = load_arch("1G1F")
    assert independent_core_bound(arch, [Gemm("p", Phase.FWD, 4096, 128, 128)]) == 1.0
