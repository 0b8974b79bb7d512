"""Speed of the fast FlexSA timing model.

Simulates every training GEMM (fwd, dgrad, wgrad) of ResNet50 at mini-batch 32 on the five
presets and reports the wall time (best of ``--repeat`` runs; model lowering excluded).
Run: ``PYTHONPATH=src python bench/bench_core.py``.
"""

from __future__ import annotations

import argparse
import time

from flexsa.arch import PRESETS
from flexsa.pipeline import simulate_gemms
from flexsa.workloads import build_model, lower_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="resnet50")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    gemms = lower_model(build_model(args.model), args.batch, "all")
    best = best_cpu = float("inf")
    results = {}
    for _ in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        results = {name: simulate_gemms(arch, gemms) for name, arch in PRESETS.items()}
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    print(f"{args.model} batch {args.batch}: {len(gemms)} training GEMMs x {len(PRESETS)} "
          f"presets simulated in {best * 1000:.1f} ms wall, {best_cpu * 1000:.1f} ms CPU "
          f"(best of {args.repeat})")
    for name, result in results.items():
        print(f"  {name}: cycles={result.cycles:,} utilization={result.pe_utilization:.4f}")


if __name__ == "__main__":
    main()
