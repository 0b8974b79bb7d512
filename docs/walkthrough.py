"""Walkthrough: one ResNet50 layer from lowering to energy.

Run it with ``python docs/walkthrough.py`` (CI runs it through ``tests/test_walkthrough.py``).
Every number it prints is computed here; the asserts state what must hold.
"""

from __future__ import annotations

import numpy as np

from flexsa.arch import load_arch
from flexsa.compiler.plan import compile_gemm
from flexsa.compiler.program import compile_program
from flexsa.energy.area import area_of
from flexsa.pipeline import simulate_gemms
from flexsa.sim.functional import execute_program
from flexsa.workloads import Phase, build_model
from flexsa.workloads.lowering import lower_layer

LAYER = "layer3.1.conv2"  # a 3x3 conv, 256 -> 256 channels on a 14x14 map
BATCH = 32


def main() -> None:
    # 1. The workload: a layer record from the zoo, then pruned by shrinking its channel space.
    dense = build_model("resnet50")
    pruned = dense.with_widths({"layer3.1.conv1": 181, "layer3.1.conv2": 203})
    layer = pruned.layer(LAYER)
    print(f"1. {LAYER}: cin={layer.cin} cout={layer.cout} kernel={layer.kh}x{layer.kw} "
          f"input={layer.hin}x{layer.win}, {layer.macs:,} MACs per sample")
    assert (layer.cin, layer.cout) == (181, 203)

    # 2. Lowering: forward, data-gradient and weight-gradient GEMMs at the mini-batch.
    gemms = lower_layer(layer, BATCH)
    for gemm in gemms:
        print(f"2. {gemm.phase.value:5s} GEMM  M={gemm.m:6d} N={gemm.n:4d} K={gemm.k:6d}  "
              f"useful MACs={gemm.macs:,}")
    assert sum(g.macs for g in gemms) == 3 * BATCH * layer.macs

    # 3. Compilation for a FlexSA unit of 4 cores of 64x64: tiles and their modes.
    arch = load_arch("1G1F")
    fwd = gemms[0]
    plan = compile_gemm(arch, fwd)
    part = plan.parts[0]
    print(f"3. {arch.name}: {part.waves:,} waves; modes per (n, k) tile class: "
          + ", ".join(f"{cls}->{mode.value}" for cls, mode in part.modes))

    # 4. The ISA program of a small instance of the same GEMM, executed on numpy integers.
    small = type(fwd)(LAYER, Phase.FWD, 196, fwd.n, fwd.k)
    program = compile_program(arch, small)
    rng = np.random.default_rng(0)
    a = rng.integers(-8, 8, size=(1, small.m, small.k))
    b = rng.integers(-8, 8, size=(1, small.k, small.n))
    assert np.array_equal(execute_program(arch, program, a, b), a @ b)
    print(f"4. program of {program.instruction_count} instructions reproduces A @ B exactly; "
          "first lines:")
    for line in list(program.listing())[:6]:
        print("      " + line)

    # 5. Timing: the three GEMMs on the plain big core and on FlexSA, ideal memory and HBM2.
    for name in ("1G1C", "1G1F"):
        config = load_arch(name)
        ideal = simulate_gemms(config, gemms)
        hbm2 = simulate_gemms(config, gemms, memory="hbm2")
        modes = {mode.value: count for mode, count in ideal.waves_by_mode.items()}
        print(f"5. {name}: ideal {ideal.cycles:,} cycles (PE utilization "
              f"{ideal.pe_utilization:.3f}); HBM2 {hbm2.cycles:,} cycles "
              f"({hbm2.stall_cycles:,} stall cycles); waves by mode {modes}")
        assert hbm2.cycles >= ideal.cycles
        assert ideal.macs == sum(g.macs for g in gemms)

        # 6. Energy of the run by component, and the chip's area.
        energy = hbm2.energy_pj
        parts = ("comp", "lbuf", "gbuf", "dram", "overcore", "forwarding")
        print("6. energy (uJ): " + ", ".join(f"{p}={energy[p] / 1e6:.1f}" for p in parts)
              + f", total={energy['total'] / 1e6:.1f}")
        assert abs(sum(energy[p] for p in parts) - energy["total"]) < 1e-6 * energy["total"]
        print(f"   area: {area_of(config).total:.2f} mm^2")


if __name__ == "__main__":
    main()
