"""Speed of the RTL co-simulation (Amaranth's Python simulator) and of its references.

Co-simulates one GEMM on FlexSA units of 2x2, 4x4 and 8x8 sub-cores and reports CPU time
and simulated unit cycles per CPU second, beside the register-level reference's time.
Needs the ``rtl`` extra. Run: ``PYTHONPATH=src python bench/bench_rtl.py``.
"""

from __future__ import annotations

import argparse
import time

from flexsa.compiler.program import compile_program
from flexsa.rtl.config import RtlConfig
from flexsa.rtl.cosim import cosim_arch, run_cosim
from flexsa.workloads.layers import Gemm, Phase


def _reference_cpu(rows: int, gemm: tuple[int, int, int]) -> float:
    import numpy as np

    from flexsa.sim.reference import simulate_program

    arch = cosim_arch(rows, rows, True)
    prog = compile_program(arch, Gemm("b", Phase.FWD, *gemm))
    rng = np.random.default_rng(0)
    a = rng.integers(-8, 8, (1, gemm[0], gemm[2]))
    b = rng.integers(-8, 8, (1, gemm[2], gemm[1]))
    start = time.process_time()
    simulate_program(arch, prog, a, b)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gemm", default="40,19,21", help="M,N,K")
    args = parser.parse_args()
    m, n, k = (int(x) for x in args.gemm.split(","))
    gemm = (m, n, k)
    for rows in (2, 4, 8):
        start = time.process_time()
        res = run_cosim(RtlConfig(rows, rows), gemm, seed=0)
        cpu = time.process_time() - start
        ref = _reference_cpu(rows, gemm)
        print(f"{rows}x{rows} sub-cores ({4 * rows * rows} PEs), GEMM {args.gemm}: "
              f"{res.cycles_rtl} cycles, {len(res.waves)} waves, ok={res.ok}; co-simulation "
              f"{cpu:.2f} s CPU ({res.cycles_rtl / cpu:.0f} cycles/s, incl. elaboration and "
              f"the reference run), reference alone {ref:.2f} s CPU")


if __name__ == "__main__":
    main()
