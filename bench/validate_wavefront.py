"""Random unit programs under both mode-switch rules: PE-level reference vs closed form.

Run from the repository root:

    PYTHONPATH=src:. python bench/validate_wavefront.py [--seed 7] [--count 1500]

Every sequence (2-7 waves in random modes, ``m``, ``n``, ``k`` within each mode's limits,
``mode_switch_cycles`` 0-3) runs on a random unit of 2x2 sub-cores (1x1 .. 8x4 PEs) under
``drain`` and ``wavefront``; the reference's per-wave stream starts, end cycle and outputs
must equal the closed form (``flexsa.arch.timing.wave_cycles`` via the trace) and
``A @ B``, and ``wavefront`` must never be slower. Prints the counts; exit 1 on any
difference. The same check runs (fewer examples) in ``tests/test_wavefront.py``.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

CORES = ((2, 2), (2, 3), (3, 2), (1, 2), (4, 4), (4, 8), (8, 4), (1, 1), (3, 3))


def main() -> int:
    from tests.test_wavefront import MODES, _arch, _run

    from flexsa.compiler.modes import Mode

    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--count", type=int, default=1500)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    runs = switches = bad = 0
    start = time.perf_counter()
    for case in range(args.count):
        rows, cols = CORES[rng.integers(len(CORES))]
        waves = []
        for _ in range(rng.integers(2, 8)):
            mode = MODES[rng.integers(4)]
            tall, wide = mode in (Mode.FW, Mode.VSW), mode in (Mode.FW, Mode.HSW)
            k = int(rng.integers(1, (2 * rows if tall else rows) + 1))
            n = int(rng.integers(1, (2 * cols if wide else cols) + 1))
            waves.append((mode, int(rng.integers(1, 4 * rows + 1)), n, k))
        switch = int(rng.integers(0, 4))
        ends = {}
        for rule in ("drain", "wavefront"):
            ref, trace = _run(_arch(rows, cols, rule, switch), waves, case)
            runs += 1
            if ref.stream_starts != list(trace.starts) or ref.cycles != trace.cycles:
                bad += 1
                print(f"differs: {rule} core {rows}x{cols} switch {switch} {waves}")
            ends[rule] = ref.cycles
        bad += ends["wavefront"] > ends["drain"]
        switches += sum(a[0] is not b[0] for a, b in zip(waves, waves[1:], strict=False))
    print(f"{runs} runs ({args.count} sequences x 2 rules), {switches} mode changes per rule, "
          f"{bad} differences, {time.perf_counter() - start:.1f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
