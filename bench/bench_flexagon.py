"""Time all 511 Flexagon layers x 6 dataflows (the issue's 5-minute budget).

Run from the repository root:

    PYTHONPATH=src python bench/bench_flexagon.py [--distinct] [--profile reference]

By default every one of the 511 layers is generated and simulated with all six dataflows
(C computed once per layer with scipy, then the per-dataflow counts), with no reuse between
identical layers. ``--distinct`` simulates each distinct layer signature once, as
``flexsa reproduce flexagon`` does. Prints wall and CPU time and the slowest layers.
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
    parser.add_argument("--lru", default="auto", choices=["auto", "numba", "numpy"],
                        help="cache-model engine (auto: numba when installed)")
    args = parser.parse_args()
    hw = config_for(parse_profile(args.profile), lru_engine=args.lru)
    layers = load_layers()
    if args.distinct:
        layers = list({layer.signature: layer for layer in reversed(layers)}.values())[::-1]
    if args.limit:
        layers = layers[:args.limit]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    timings = []
    for layer in layers:
        run = run_layer(layer, hw, 0, ALL_DATAFLOWS)
        timings.append((run.seconds, layer.key))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    load = os.getloadavg()[0]
    from flexsa.sparse.cache import compiled_lru_available

    engine = args.lru if args.lru != "auto" else (
        "numba" if compiled_lru_available() else "numpy")
    print(f"{len(layers)} layers x {len(ALL_DATAFLOWS)} dataflows ({args.profile} profile, "
          f"{engine} LRU): "
          f"wall {wall:.1f} s, CPU {cpu:.1f} s, 1-min load average at the end {load:.1f} "
          f"on {os.cpu_count()} cores")
    slowest = ", ".join(f"{key} {sec:.1f}s" for sec, key in sorted(timings, reverse=True)[:5])
    print(f"slowest layers: {slowest}")
    print("PASS" if wall < 300 else "FAIL", "(budget 300 s wall)")


if __name__ == "__main__":
    main()
