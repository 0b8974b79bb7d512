"""Time all 511 Flexagon layers x 6 dataflows (the issue's 2-minute budget).

Run from the repository root:

    PYTHONPATH=src python bench/bench_flexagon.py [--distinct] [--profile reference]
        [--operands marginals|uniform]

By default every one of the 511 layers gets its operands (matched to the real row/column
counts, as ``flexsa reproduce flexagon`` does) and is simulated with all six dataflows (C
computed once per layer with scipy, then the per-dataflow counts). ``--distinct`` simulates
each distinct layer signature once (with marginal-matched operands every layer is distinct).
Prints wall and CPU time (the machine is shared: CPU time is the stable figure), the operand
generation share and the slowest layers.
"""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    from flexsa.sparse.config import ALL_DATAFLOWS, config_for, parse_profile
    from flexsa.sparse.layers import load_layers, run_layer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distinct", action="store_true", help="each distinct layer once")
    parser.add_argument("--profile", default="reference")
    parser.add_argument("--limit", type=int, default=0, help="only the first N layers")
    parser.add_argument("--operands", default="marginals", choices=["marginals", "uniform"])
    parser.add_argument("--lru", default="auto", choices=["auto", "numba", "numpy"],
                        help="cache-model engine (auto: numba when installed)")
    args = parser.parse_args()
    hw = config_for(parse_profile(args.profile), lru_engine=args.lru)
    layers = load_layers(operands=args.operands)
    if args.distinct:
        layers = list({layer.signature: layer for layer in reversed(layers)}.values())[::-1]
    if args.limit:
        layers = layers[:args.limit]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    timings = []
    generation = 0.0
    for layer in layers:
        start = time.process_time()
        problem = layer.problem(0)
        generation += time.process_time() - start
        run = run_layer(layer, hw, 0, ALL_DATAFLOWS, problem=problem)
        timings.append((run.seconds, layer.key))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    load = os.getloadavg()[0]
    from flexsa.sparse.cache import compiled_lru_available

    engine = args.lru if args.lru != "auto" else (
        "numba" if compiled_lru_available() else "numpy")
    print(f"{len(layers)} layers x {len(ALL_DATAFLOWS)} dataflows ({args.profile} profile, "
          f"{engine} LRU): "
          f"wall {wall:.1f} s, CPU {cpu:.1f} s (operand generation {generation:.1f} s CPU), "
          f"1-min load average at the end {load:.1f} on {os.cpu_count()} cores")
    slowest = ", ".join(f"{key} {sec:.1f}s" for sec, key in sorted(timings, reverse=True)[:5])
    print(f"slowest layers: {slowest}")
    print("PASS" if cpu < 120 else "FAIL", "(budget 120 s; CPU time, the machine is shared)")


if __name__ == "__main__":
    main()
