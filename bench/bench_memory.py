"""Benchmark: full HBM2 simulation of one ResNet50 training iteration (batch 32) on all five
presets (GEMMs with the memory model, energy, area, plus the SIMD layers).

Run from the repository root:  PYTHONPATH=src python bench/bench_memory.py [--repeat N]
Each repeat starts from cold caches (a fresh interpreter per repeat).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

PRESETS = ("1G1C", "1G4C", "4G4C", "1G1F", "4G1F")


def run_once() -> dict[str, object]:
    from flexsa.arch import load_arch
    from flexsa.pipeline import simulate_model
    from flexsa.sim import memory_result, simd  # noqa: F401  (import cost excluded)
    from flexsa.workloads.zoo import build_model

    # the energy table is parsed inside the timed region
    start = time.perf_counter()
    model = build_model("resnet50")
    rows = {}
    for name in PRESETS:
        result = simulate_model(load_arch(name), model, 32, memory="hbm2")
        rows[name] = {"cycles": result.cycles, "stall_cycles": result.stall_cycles,
                      "pe_utilization": round(result.pe_utilization, 4),
                      "simd_cycles": result.simd_cycles,
                      "energy_mj": round(result.energy_pj["total"] / 1e9, 2)}
    return {"seconds": time.perf_counter() - start, "presets": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_once()))
        return
    times = []
    last: dict[str, object] = {}
    for _ in range(args.repeat):
        out = subprocess.run([sys.executable, __file__, "--child"], capture_output=True,
                             text=True, check=True)
        last = json.loads(out.stdout)
        times.append(float(last["seconds"]))  # type: ignore[arg-type]
    print(json.dumps(last["presets"], indent=1))
    print(f"ResNet50 batch 32, HBM2, 5 presets: best {min(times):.3f} s, "
          f"median {sorted(times)[len(times) // 2]:.3f} s over {len(times)} cold runs "
          "(imports excluded, model build included)")


if __name__ == "__main__":
    main()
