"""Time flexsa's SCALE-Sim mode against SCALE-Sim v3 itself on ResNet50 (batch 1).

    PYTHONPATH=src python bench/bench_scalesim.py                 # distinct layer shapes
    PYTHONPATH=src python bench/bench_scalesim.py --all           # every layer (slow)
    PYTHONPATH=src python bench/bench_scalesim.py --array 128 --dataflow is --json

The workload is flexsa's zoo ResNet50 written in SCALE-Sim's conv-topology form
(``model_to_topology``: padding folded into the IFMAP size). By default SCALE-Sim runs each
*distinct* layer shape once (ResNet50 repeats most of its bottleneck layers); its time for the
whole network is then EXTRAPOLATED as the sum over layers of the time measured for that
layer's shape, and its cycles per layer are the cycles of that shape (SCALE-Sim is
deterministic in the shape). ``--all`` runs SCALE-Sim on every layer instead and needs no
extrapolation. flexsa's mode is timed on the whole network (best of several repeats).
Needs the ``scalesim`` package (dev extra).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from timeit import Timer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--array", type=int, default=128, help="array rows = cols")
    parser.add_argument("--dataflow", default="is", choices=("is", "ws", "os"))
    parser.add_argument("--all", action="store_true", help="run SCALE-Sim on every layer")
    parser.add_argument("--limit", type=int, default=0,
                        help="run SCALE-Sim on the first N distinct shapes only (0: all)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    from flexsa.sim.scalesim import simulate_scalesim
    from flexsa.sim.scalesim_reference import run_reference
    from flexsa.workloads.scalesim_io import ScaleSimConfig, model_to_topology, topology_gemms
    from flexsa.workloads.zoo import build_model

    layers = model_to_topology(build_model("resnet50"))
    config = ScaleSimConfig(run_name="bench", array_rows=args.array, array_cols=args.array,
                            dataflow=args.dataflow)
    gemms = topology_gemms(layers)

    ours = simulate_scalesim(config, gemms, args.dataflow)
    timer = Timer(lambda: simulate_scalesim(config, gemms, args.dataflow))
    loops, _ = timer.autorange()
    ours_s = min(timer.repeat(repeat=5, number=loops)) / loops

    shape_of = [(x.ifmap_h, x.ifmap_w, x.filter_h, x.filter_w, x.channels, x.num_filters,
                 x.stride_h, x.copies) for x in layers]
    if args.all:
        to_run = list(range(len(layers)))
    else:
        first: dict[tuple[int, ...], int] = {}
        for i, shape in enumerate(shape_of):
            first.setdefault(shape, i)
        to_run = list(first.values())
        if args.limit:
            to_run = to_run[:args.limit]
    measured: dict[tuple[int, ...], tuple[float, int]] = {}
    ref_cycles: dict[int, int] = {}
    for i in to_run:
        start = time.perf_counter()
        report = run_reference(config, [layers[i]])
        seconds = time.perf_counter() - start
        cycles = sum(int(r["cycles"]) for r in report)
        ref_cycles[i] = cycles
        measured.setdefault(shape_of[i], (seconds, cycles))
        if not args.json:
            print(f"  SCALE-Sim {layers[i].name}: {cycles} cycles in {seconds:.2f} s",
                  file=sys.stderr, flush=True)

    covered = [i for i, shape in enumerate(shape_of) if shape in measured]
    scalesim_measured_s = sum(seconds for seconds, _ in measured.values()) if not args.all \
        else None
    scalesim_s = sum(measured[shape_of[i]][0] for i in covered)
    ours_rows = ours["layers"]
    mismatches = [layers[i].name for i in covered
                  if measured[shape_of[i]][1] != ours_rows[i]["cycles"]]
    covered_cycles = sum(ours_rows[i]["cycles"] for i in covered)
    result = {
        "workload": "resnet50 (flexsa zoo), batch 1, SCALE-Sim conv topology",
        "array": f"{args.array}x{args.array}", "dataflow": args.dataflow,
        "layers": len(layers), "layers_covered": len(covered),
        "scalesim_runs": len(to_run),
        "mode": "every layer run" if args.all else
                "distinct shapes run once; full-network SCALE-Sim time EXTRAPOLATED",
        "cycles_flexsa": ours["cycles"],
        "cycles_flexsa_covered_layers": covered_cycles,
        "cycles_identical": not mismatches,
        "mismatched_layers": mismatches,
        "flexsa_seconds": ours_s,
        "scalesim_seconds_measured": scalesim_measured_s if scalesim_measured_s is not None
        else scalesim_s,
        "scalesim_seconds_covered_layers": scalesim_s,
        "speedup": scalesim_s / ours_s,
        "python": platform.python_version(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0 if not mismatches else 1


if __name__ == "__main__":
    sys.exit(main())
