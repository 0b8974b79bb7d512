"""Issue 13 g: waves handed round-robin to a group's units (spec 4.2), validated against
the wave trace, the PE-level reference and functional execution."""

from __future__ import annotations

import numpy as np
import pytest

from flexsa.arch import arch_from_dict, load_arch, with_overrides
from flexsa.compiler import compile_gemm, compile_program
from flexsa.compiler.isa import StLBUF
from flexsa.errors import ConfigError
from flexsa.pipeline import simulate_gemms
from flexsa.sim.fast import gemm_stats
from flexsa.sim.functional import verify_gemm
from flexsa.sim.reference import simulate_program
from flexsa.sim.trace import trace_program
from flexsa.workloads.layers import Gemm, Phase

TWO = arch_from_dict({"name": "two", "groups": 1, "cores_per_group": 3, "core_rows": 4,
                      "core_cols": 4})


def test_wave_allocation_balances_few_output_tiles():
    # a weight gradient with 5 output tiles on 4 cores: whole tiles leave 3 cores idle
    # half the time; waves spread the K loop over all four
    gemm = [Gemm("w", Phase.WGRAD, 576, 64, 12544)]
    wave = simulate_gemms(load_arch("1G4C"), gemm)
    tile = simulate_gemms(with_overrides(load_arch("1G4C"), {"allocation": "tile"}), gemm)
    assert wave.cycles < 0.76 * tile.cycles  # (4 x 196 x 128 + 196 x 64) / 4 vs (196 x 192)
    # every core stores its partial sum of every output tile: 4x the output traffic
    assert wave.traffic.outputs == 4 * tile.traffic.outputs == 4 * 576 * 64 * 4


@pytest.mark.parametrize(("shape", "phase"), [((9, 5, 23), Phase.FWD), ((6, 7, 30), Phase.WGRAD),
                                              ((13, 4, 8), Phase.DGRAD)])
def test_wave_allocation_matches_pe_reference_and_executes(shape, phase):
    m, n, k = shape
    gemm = Gemm("r", phase, m, n, k, 2)
    prog = compile_program(TWO, gemm)
    stores = sum(isinstance(i, StLBUF) for u in prog.units for i in u.instructions)
    plan = compile_gemm(TWO, gemm)
    assert stores == sum(p.output_tiles * p.stores_per_tile for p in plan.parts)
    rng = np.random.default_rng(1)
    a, b = rng.integers(-9, 10, (2, m, k)), rng.integers(-9, 10, (2, k, n))
    cycles, c, _ = simulate_program(TWO, prog, a, b)
    assert np.array_equal(c, a @ b)
    assert cycles == trace_program(TWO, prog)[0] == gemm_stats(TWO, plan).cycles
    assert verify_gemm(TWO, m, n, k, instances=2, phase=phase.value) == (True, 0)


def test_allocation_knob_bad_value_is_one_line():
    with pytest.raises(ConfigError) as info:
        with_overrides(load_arch("1G4C"), {"allocation": "random"})
    assert "allocation" in str(info.value) and "\n" not in str(info.value)
