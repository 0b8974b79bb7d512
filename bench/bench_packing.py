"""Time column combining of a 512 x 4608 filter matrix (a 3x3 conv, 512 in / 512 out).

Run: PYTHONPATH=src python bench/bench_packing.py [--repeat N]
Prints the best wall time per configuration (dense numpy and scipy.sparse input).
"""

from __future__ import annotations

import argparse
import time

import scipy.sparse as sp

from flexsa.packing import ArrayShape, PackingConfig, pack, packing_metrics
from flexsa.packing.io import random_weights


def best_time(weights, config: PackingConfig, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = pack(weights, config)
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--density", type=float, default=0.1)
    args = parser.parse_args()
    weights = random_weights(f"512,4608,{args.density}", seed=0)
    for alpha, gamma, section in ((8, 0.0, 0), (8, 0.5, 0), (8, 0.5, 256), (16, 0.5, 0)):
        config = PackingConfig(alpha=alpha, gamma=gamma, section=section)
        for kind, matrix in (("dense", weights), ("csr", sp.csr_matrix(weights))):
            seconds, packing = best_time(matrix, config, args.repeat)
            metrics = packing_metrics(packing, ArrayShape(32, 32))
            print(f"512x4608 density {args.density} alpha={alpha} gamma={gamma} "
                  f"section={section} {kind:5s}: {seconds:6.3f} s  packed_cols="
                  f"{metrics.packed_cols} util {metrics.utilization_before:.3f}->"
                  f"{metrics.utilization_after:.3f}")



if __name__ == "__main__":
    main()
