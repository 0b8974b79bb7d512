"""Time the pruning-trajectory generator (one trajectory per model and strength).

Run: PYTHONPATH=src python bench/prune_trajectory.py
"""

from __future__ import annotations

import time

from flexsa.workloads.pruning import make_trajectory
from flexsa.workloads.pruning.statistics import resnet50_statistics


def main() -> None:
    resnet50_statistics()  # load the reference statistics once (cached)
    for model in ("resnet50", "inception_v4", "mobilenet_v2"):
        for strength in ("low", "high"):
            start = time.perf_counter()
            traj = make_trajectory(model, strength)
            elapsed = time.perf_counter() - start
            print(f"{model:13s} {strength:4s} {elapsed * 1000:7.1f} ms  "
                  f"final {traj.final_train_flops_ratio:.4f}")


if __name__ == "__main__":
    main()
