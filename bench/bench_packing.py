"""Time column combining of a 512 x 4608 filter matrix (a 3x3 conv, 512 in / 512 out),
and with ``--network NAME`` one prune step of the authors' schedule on a whole network.

Run: PYTHONPATH=src python bench/bench_packing.py [--repeat N] [--network vgg19_shift]
Prints the best wall time per configuration (dense numpy and scipy.sparse input) and the
CPU time of each prune step (magnitude prune + regroup + conflict prune of every layer).
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


def prune_steps(network: str, steps: int = 10) -> None:
    """CPU time of each step of the authors' ten-step schedule (alpha 8, gamma 0.5,
    256-column sections) on an untrained network (needs torch)."""
    import torch

    from flexsa.packing.joint.models import build_network
    from flexsa.packing.joint.train import TrainConfig, prune_and_combine, prune_rate
    from flexsa.packing.plans import AlphaPlan

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = build_network(network, 1 if network == "lenet5" else 3, 10,
                          AlphaPlan().resolve(network, 8))
    config = TrainConfig(gamma=0.5)
    for step in range(1, steps + 1):
        start = time.process_time()
        prune_and_combine(model, prune_rate(step, steps, 1.0), config)
        print(f"{network} prune step {step}/{steps}: {time.process_time() - start:.3f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--density", type=float, default=0.1)
    parser.add_argument("--network", default="", help="also time the prune steps of this")
    args = parser.parse_args()
    if args.network:
        prune_steps(args.network)
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
