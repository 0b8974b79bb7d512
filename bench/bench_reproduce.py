"""Wall time and peak memory of ``flexsa reproduce flexsa`` (goal, issue 13: <= 45 s, <= 1 GB).

Runs the reproduction from scratch (``--force``) in a subprocess and samples the resident
memory of the whole process tree (the command and its worker processes) from ``/proc``
every 20 ms. Prints one JSON object with provenance.

Usage (from the repository root):
    PYTHONPATH=src python bench/bench_reproduce.py [--out DIR] [-- extra reproduce args]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _tree(pid: int) -> list[int]:
    pids, stack = [], [pid]
    while stack:
        current = stack.pop()
        pids.append(current)
        stack.extend(_children(current))
    return pids


def _rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


class TreeSampler(threading.Thread):
    """Peak of the summed RSS of a process and all its descendants."""

    def __init__(self, pid: int, period: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.period, self.peak = pid, period, 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.peak = max(self.peak, sum(_rss_bytes(p) for p in _tree(self.pid)))
            time.sleep(self.period)


def measure(out: Path, extra: list[str]) -> dict[str, object]:
    cmd = [sys.executable, "-m", "flexsa", "reproduce", "flexsa", "--out", str(out),
           "--force", "-q", *extra]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - start
    sampler.stopped.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"reproduction failed ({proc.returncode}): {stderr.strip()}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    largest = usage.ru_maxrss * 1024
    return {"command": " ".join(["flexsa", *cmd[3:]]), "wall_seconds": round(wall, 2),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_tree_rss_mib": round(sampler.peak / 2**20, 1),
            "peak_single_process_rss_mib": round(largest / 2**20, 1),
            "cpu_count": os.cpu_count(), "load_avg_1min": round(os.getloadavg()[0], 2),
            "goal": {"wall_seconds": 45, "peak_rss_mib": 1024},
            "output": stdout.strip().splitlines()[-1] if stdout.strip() else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="output dir (default: temp)")
    parser.add_argument("extra", nargs="*", help="extra arguments for reproduce flexsa")
    args = parser.parse_args()
    from flexsa.report.output import dumps, provenance

    if args.out is None:
        with tempfile.TemporaryDirectory() as tmp:
            result = measure(Path(tmp) / "results", args.extra)
    else:
        result = measure(args.out, args.extra)
    print(dumps({"benchmark": "reproduce_flexsa", **result,
                 **provenance({"extra_args": args.extra})}))


if __name__ == "__main__":
    main()
