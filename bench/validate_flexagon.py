"""Per-layer agreement with the reference simulator (the 103 layers of the artifact's CSVs).

Run from the repository root:

    PYTHONPATH=src python bench/validate_flexagon.py [--operands marginals|uniform]
        [--models Alexnet,Vgg,Resnets,DistilBert] [--limit N] [--json OUT.json]

Simulates every layer of the four reference models with all six dataflows (reference profile,
output writes untimed as in the published runs) and prints, per dataflow, the geometric mean
and 10-90% range of ours / reference cycles, the best-dataflow agreement, the miss rates and
the geomean speedups of Flexagon over the three baselines on both sides. The reference CSVs
are test data (tests/data/flexagon_reference_*.csv); nothing is fitted to them.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ("Alexnet", "Vgg", "Resnets", "DistilBert")


def main() -> None:
    from flexsa.sparse.config import reference_config
    from flexsa.sparse.layers import load_layers, run_layer
    from flexsa.sparse.validation import agreement, load_reference

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operands", default="marginals", choices=["marginals", "uniform"])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--limit", type=int, default=0, help="first N layers per model")
    parser.add_argument("--json", type=Path, default=None, help="write the report here")
    args = parser.parse_args()
    hw = reference_config(time_output_writes=False)
    layers = {ly.key: ly for ly in load_layers(operands=args.operands)}
    reference = []
    for model in args.models.split(","):
        rows = load_reference(ROOT / "tests" / "data" / f"flexagon_reference_{model}.csv")
        reference += rows[:args.limit] if args.limit else rows
    ours = {}
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for ref in reference:
        run = run_layer(layers[ref.key], hw, seed=0)
        ours[ref.key] = {flow: {"cycles": r.cycles, "cache_miss_rate": r.cache_miss_rate}
                         for flow, r in run.results.items()}
        detail = " ".join(f"{f.value} {ours[ref.key][f]['cycles'] / ref.cycles[f]:.2f}"
                          for f in run.results)
        print(f"{ref.key}: {run.seconds:.1f}s ratios {detail}", flush=True)
    report = agreement(reference, ours)
    report["seconds"] = {"wall": round(time.perf_counter() - wall0, 1),
                         "cpu": round(time.process_time() - cpu0, 1)}
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
