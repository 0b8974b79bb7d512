"""Benchmark: a 1,000-point sweep of ResNet50 training GEMMs at batch 32 per point.

    PYTHONPATH=src python bench/bench_sweep.py --jobs 2

Spec: 5 presets x 10 core_rows x 4 core_cols x 5 gbuf_mib = 1,000 points, ideal memory.
Runs ``flexsa sweep`` in a subprocess (what a user runs) into a fresh store and prints the
wall time, points per second, and checks that the store has every point exactly once.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

SPEC = {
    "arch": ["1G1C", "1G4C", "4G4C", "1G1F", "4G1F"],
    "model": ["resnet50"],
    "batch": [32],
    "memory": ["ideal"],
    "set": {"arch.core_rows": [16, 24, 32, 48, 64, 80, 96, 112, 128, 160],
            "arch.core_cols": [32, 64, 96, 128],
            "arch.gbuf_mib": [10, 20, 40, 80, 160]},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--scheduler", default=None, help="Dask scheduler address")
    args = parser.parse_args()
    src = Path(__file__).resolve().parents[1] / "src"
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        spec_path, out = Path(tmp) / "spec.yaml", Path(tmp) / "results.sqlite"
        spec_path.write_text(yaml.safe_dump(SPEC))
        command = [sys.executable, "-m", "flexsa", "sweep", str(spec_path), "--out", str(out),
                   "--jobs", str(args.jobs), "--quiet"]
        if args.scheduler:
            command += ["--scheduler", args.scheduler]
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True)
        seconds = time.perf_counter() - start
        with sqlite3.connect(out) as conn:
            rows, distinct, ok = conn.execute(
                "SELECT COUNT(*), COUNT(DISTINCT point_id), SUM(status = 'ok') FROM points"
            ).fetchone()
            errors = conn.execute("SELECT error, COUNT(*) FROM points WHERE status = 'error' "
                                  "GROUP BY error").fetchall()
    print(f"points: {rows} ({distinct} distinct, {ok} ok), jobs: {args.jobs}, "
          f"wall: {seconds:.1f} s, {rows / seconds:.1f} points/s, "
          f"load average {os.getloadavg()[0]:.1f}")
    for message, count in errors:
        print(f"  {count} points with error: {message}")


if __name__ == "__main__":
    main()
