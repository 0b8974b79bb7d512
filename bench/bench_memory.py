"""Benchmark: full HBM2 simulation of one training iteration (batch 32) on all five presets
(GEMMs with the memory model, energy, area, plus the SIMD layers), per model: ResNet50, and
Inception v4 pruned (PruneTrain high, epoch 85: the reproduction's costliest instances, with
~16,000 distinct GBUF block shapes on the split-core configs).

Run from the repository root:  PYTHONPATH=src python bench/bench_memory.py [--repeat N]
Each repeat starts from cold caches (a fresh interpreter per repeat). Seconds are CPU
seconds of the child (``time.process_time``), so other jobs on the machine inflate them less.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

PRESETS = ("1G1C", "1G4C", "4G4C", "1G1F", "4G1F")


MODELS = ("resnet50", "inception_v4_high")


def _model(name: str) -> object:
    from flexsa.workloads.zoo import build_model

    if name == "inception_v4_high":  # the most pruned interval (as in docs/evaluation.md)
        from flexsa.report.evaluation.matrix import VARIANTS
        from flexsa.studies.flexsa_instances import model_instances

        variant = next(v for v in VARIANTS if v.run == "inception_v4_high")
        return model_instances(variant, 90, 10, 0)[-1][1]
    return build_model(name)


def run_once() -> dict[str, object]:
    from flexsa.arch import load_arch
    from flexsa.pipeline import simulate_model
    from flexsa.sim import memory_result, simd  # noqa: F401  (import cost excluded)

    # model building and the energy table are inside the timed region
    out: dict[str, object] = {}
    for model_name in MODELS:
        start = time.process_time()
        model = _model(model_name)
        rows = {}
        for name in PRESETS:
            result = simulate_model(load_arch(name), model, 32, memory="hbm2")
            rows[name] = {"cycles": result.cycles, "stall_cycles": result.stall_cycles,
                          "pe_utilization": round(result.pe_utilization, 4),
                          "simd_cycles": result.simd_cycles,
                          "energy_mj": round(result.energy_pj["total"] / 1e9, 2)}
        out[model_name] = {"seconds": time.process_time() - start, "presets": rows}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_once()))
        return
    times: dict[str, list[float]] = {name: [] for name in MODELS}
    last: dict[str, dict[str, object]] = {}
    for _ in range(args.repeat):
        out = subprocess.run([sys.executable, __file__, "--child"], capture_output=True,
                             text=True, check=True)
        last = json.loads(out.stdout)
        for name in MODELS:
            times[name].append(float(last[name]["seconds"]))  # type: ignore[arg-type]
    print(json.dumps({name: last[name]["presets"] for name in MODELS}, indent=1))
    for name in MODELS:
        runs = sorted(times[name])
        print(f"{name} batch 32, HBM2, 5 presets: best {runs[0]:.3f} s, median "
              f"{runs[len(runs) // 2]:.3f} s CPU over {len(runs)} cold runs (imports "
              "excluded, model build included)")


if __name__ == "__main__":
    main()
