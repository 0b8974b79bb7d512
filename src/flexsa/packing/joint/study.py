"""Column combining (``flexsa reproduce colcomb``): one runner task per network, then
``summary.json``, figures and ``report.html`` from the stored results.

A network's task trains and costs everything of that network (pretraining, the three
configurations, the alpha and gamma sweeps, the retraining-fraction study); it is the
natural unit because every part starts from the network's pretrained weights. The store's
identity is the whole configuration except the network list, so a rerun with other
``--networks`` reuses every stored network and a rerun with another setting is refused.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flexsa.report.progress import progress_bar
from flexsa.runner import STORE_FILE as STORE
from flexsa.runner import StoreIdentity, Task, prepare_out_dir, read_store, run_tasks

KIND = "reproduce-colcomb"


@dataclass(frozen=True)
class NetworkWork:
    """The runner's work function: ``{"network": name}`` -> that network's results."""

    config: Any   # flexsa.packing.joint.reproduce.ReproduceConfig

    def __call__(self, task: dict[str, Any]) -> dict[str, Any]:
        import torch

        from flexsa.packing.joint.reproduce import run_network

        torch.set_num_threads(self.config.base.train.threads)
        return run_network(self.config, task["network"])


def identity(config: Any) -> StoreIdentity:
    shared = {k: v for k, v in config.as_dict().items() if k != "networks"}
    return StoreIdentity(KIND, shared, what="colcomb run store",
                         mismatch="holds results of other colcomb settings; use a new --out "
                                  "directory or the settings that created it")


def reproduce(config: Any, out_dir: Path, progress: bool = False) -> dict[str, Any]:
    """Run (or resume) every network into ``out_dir/runs.sqlite``; write ``summary.json``,
    figures and ``report.html``; return the summary."""
    from flexsa.packing.joint.reproduce import summarise
    from flexsa.report.html.colcomb import write_report
    from flexsa.report.output import dumps, provenance
    from flexsa.report.provenance import run_provenance

    out = prepare_out_dir(out_dir)
    start, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    tasks = [Task({"network": name}, i, name) for i, name in enumerate(config.networks)]
    with progress_bar("colcomb networks", progress) as bar:
        run_tasks(tasks, NetworkWork(config), out / STORE, identity(config), progress=bar)
    _, rows = read_store(out / STORE)
    stored = {row.config["network"]: row.result for row in rows}
    summary = summarise(config, {name: stored[name] for name in config.networks}, out)
    used = resource.getrusage(resource.RUSAGE_SELF)
    summary["provenance"].update({
        "wall_seconds": time.perf_counter() - start,
        "cpu_seconds": (used.ru_utime - cpu.ru_utime) + (used.ru_stime - cpu.ru_stime)})
    meta = provenance(config.as_dict())
    summary["config"] = meta.pop("config")
    summary["provenance"].update(meta)
    summary["provenance"].update(run_provenance())
    (out / "summary.json").write_text(dumps(summary) + "\n", encoding="utf-8")
    write_report(summary, out)
    return summary
