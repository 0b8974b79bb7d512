"""The replay cases: each runs real CLI commands and returns a canonical JSON-able record.

A case's record is compared exactly (floats by their JSON text) with the stored copy in
``tests/replay/data/<case>.json``. Volatile values are dropped before comparing or storing:
any key named ``provenance`` (dates, command lines, commits, host names), any key whose
name contains ``seconds`` (host timings; simulated time is implied by cycles and clock) and
``simulated_now`` (how much a resumed run reused). Everything else is locked.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

VOLATILE_EXACT = frozenset({"provenance", "simulated_now"})


def is_volatile(key: str) -> bool:
    return key in VOLATILE_EXACT or "seconds" in key


def canonical(value: Any) -> Any:
    """Drop volatile keys recursively; keep order-independent dict content."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in sorted(value.items()) if not is_volatile(str(k))}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def digest(value: Any) -> str:
    text = json.dumps(canonical(value), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def flexsa(*args: str) -> str:
    """Run ``python -m flexsa ARGS``; fail loudly with its stderr."""
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "flexsa", *args], capture_output=True,
                          text=True, timeout=900, env=env)
    if proc.returncode != 0:
        raise AssertionError(f"flexsa {' '.join(args)} exited {proc.returncode}:\n"
                             f"{proc.stderr[-3000:]}")
    return proc.stdout


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def store_digests(path: Path, field: str) -> dict[str, str]:
    """One digest per result record of a run store (``DIR/runs.sqlite``) that has ``field``,
    keyed (sorted) by it; a task whose result is a list of records contributes each."""
    from flexsa.runner import read_store

    _, rows = read_store(path)
    records = [r for row in rows for r in
               (row.result if isinstance(row.result, list) else [row.result])
               if isinstance(r, dict) and field in r]
    return {str(r[field]): digest(r) for r in sorted(records, key=lambda r: str(r[field]))}


# ------------------------------------------------------------------------------ cases
def case_reproduce_flexsa(tmp: Path) -> dict:
    """A reduced `reproduce flexsa`: two models (one with depthwise layers), three
    configs, both memories, the main, splitting and area studies."""
    out = tmp / "flexsa"
    flexsa("reproduce", "flexsa", "--out", str(out), "--models", "resnet50,mobilenet_v2",
           "--configs", "1G1C,1G4C,4G1F", "--memory", "ideal,hbm2",
           "--studies", "main,splitting,area", "-q", "--jobs", "2")
    return {"summary": canonical(read_json(out / "summary.json")),
            "runs": store_digests(out / "runs.sqlite", "key")}


def case_reproduce_flexagon(tmp: Path) -> dict:
    """`reproduce flexagon --quick` reduced to two models and two layers each."""
    out = tmp / "flexagon"
    flexsa("reproduce", "flexagon", "--out", str(out), "--quick", "--models", "Alexnet",
           "--models", "DistilBert", "--max-layers", "2", "--no-figures")
    return {"summary": canonical(read_json(out / "summary.json")),
            "layers": store_digests(out / "runs.sqlite", "signature")}


def case_reproduce_colcomb(tmp: Path) -> dict:
    """A small `reproduce colcomb`: LeNet-5, one epoch per stage, one data fraction."""
    out = tmp / "colcomb"
    flexsa("reproduce", "colcomb", "--out", str(out), "--networks", "lenet5",
           "--pretrain-epochs", "1", "--epochs", "1", "--prune-steps", "1",
           "--fractions", "1.0", "--seed", "0")
    return {"summary": canonical(read_json(out / "summary.json"))}


SWEEP_SPEC = """\
arch: [1G1C, 4G1F]
model: [resnet50]
batch: [8]
pruning: [none, low@50]
memory: [ideal, hbm2]
"""


def case_sweep(tmp: Path) -> dict:
    """An 8-point sweep through the SQLite store, exported as CSV."""
    spec = tmp / "sweep.yaml"
    spec.write_text(SWEEP_SPEC)
    store = tmp / "sweep.sqlite"
    flexsa("sweep", str(spec), "--out", str(store), "--jobs", "2", "-q")
    import csv
    import io

    text = flexsa("sweep", "show", str(store), "--csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    return {"rows": [canonical(r) for r in rows]}


SIMULATE_POINTS: tuple[tuple[str, ...], ...] = (
    ("--arch", "1G1C", "--gemm", "1000,150,300"),
    ("--arch", "1G1F", "--gemm", "1000,150,300"),
    ("--arch", "4G4C", "--gemm", "71,300,3"),
    ("--arch", "4G1F", "--gemm", "50000,256,2304", "--memory", "hbm2"),
    ("--arch", "4G4C", "--gemm", "50000,256,2304", "--memory", "135"),
    ("--arch", "1G4C", "--gemm", "300,50,140", "--mode-policy", "fw"),
    ("--arch", "1G1F", "--gemm", "4096,64,4096", "--mode-policy", "table"),
    ("--arch", "1G1C", "--gemm", "128,128,128", "--timing", "scalesim"),
    ("--arch", "1G1F", "--model", "resnet50", "--batch", "8", "--memory", "hbm2"),
    ("--arch", "4G1F", "--model", "resnet50", "--batch", "32", "--pruning", "high",
     "--epoch", "85"),
    ("--arch", "1G4C", "--model", "mobilenet_v2", "--batch", "16", "--phase", "wgrad"),
    ("--arch", "4G4C", "--model", "inception_v4", "--batch", "8", "--dgrad-form", "implicit",
     "--phase", "dgrad"),
)


def case_simulate(tmp: Path) -> dict:
    """`simulate --json` on a dozen points: GEMMs and models, every preset and memory."""
    del tmp
    return {" ".join(p): canonical(json.loads(flexsa("simulate", *p, "--json")))
            for p in SIMULATE_POINTS}


CASES: dict[str, Callable[[Path], dict]] = {
    "reproduce_flexsa": case_reproduce_flexsa,
    "reproduce_flexagon": case_reproduce_flexagon,
    "reproduce_colcomb": case_reproduce_colcomb,
    "sweep": case_sweep,
    "simulate": case_simulate,
}

DATA = Path(__file__).parent / "data"


def stored_path(name: str) -> Path:
    return DATA / f"{name}.json"


def dump(record: Any) -> str:
    return json.dumps(record, indent=1, sort_keys=True) + "\n"
