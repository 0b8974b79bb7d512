"""Start-up time of the CLI: ``flexsa simulate --arch 1G1C --gemm 64,64,64`` end to end.

    PYTHONPATH=src python bench/bench_startup.py              # 15 runs, best and median
    PYTHONPATH=src python bench/bench_startup.py --runs 30 --json
    PYTHONPATH=src python bench/bench_startup.py -- model list   # any other command

Each run is a fresh ``python -m flexsa ...`` subprocess. A first, untimed run fills a
private bytecode cache (``PYTHONPYCACHEPREFIX``), as an installed package has its ``.pyc``
files; ``--cold`` instead forbids bytecode caching (``PYTHONDONTWRITEBYTECODE=1``), so flexsa's
own modules are compiled on every run. Reports wall time and the CPU time of the child
(user + system, less sensitive to other load on a shared box), best and median, plus the
time of a bare ``python -c pass`` for reference. The target is a best wall time under
0.25 s on the 2-core development box.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

DEFAULT = ["simulate", "--arch", "1G1C", "--gemm", "64,64,64"]


def _time(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _series(cmd: list[str], env: dict[str, str], runs: int) -> dict[str, float]:
    _time(cmd, env)  # warm the bytecode and file caches
    walls, cpus = zip(*(_time(cmd, env) for _ in range(runs)), strict=True)
    return {"wall_best_s": min(walls), "wall_median_s": statistics.median(walls),
            "cpu_best_s": min(cpus), "cpu_median_s": statistics.median(cpus)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs (after one warm-up)")
    parser.add_argument("--cold", action="store_true",
                        help="no bytecode cache: compile flexsa's modules on every run")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("command", nargs="*", help="flexsa arguments (default: %(default)s)",
                        default=DEFAULT)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ)
        if args.cold:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
            env.pop("PYTHONPYCACHEPREFIX", None)
        else:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = cache
        flexsa = _series([sys.executable, "-m", "flexsa", *args.command], env, args.runs)
        bare = _series([sys.executable, "-c", "pass"], env, args.runs)
    result = {"command": "flexsa " + " ".join(args.command), "runs": args.runs,
              "bytecode_cache": not args.cold, "flexsa": flexsa, "python_bare": bare,
              "load_average": os.getloadavg()[0], "python": platform.python_version(),
              "cpus": os.cpu_count()}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{result['command']}  ({args.runs} runs, bytecode cache "
          f"{'on' if not args.cold else 'off'}, load average {result['load_average']:.2f})")
    for name, row in (("flexsa", flexsa), ("python -c pass", bare)):
        print(f"  {name:15s} wall best {row['wall_best_s'] * 1e3:6.0f} ms  median "
              f"{row['wall_median_s'] * 1e3:6.0f} ms | cpu best {row['cpu_best_s'] * 1e3:6.0f} ms"
              f"  median {row['cpu_median_s'] * 1e3:6.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
