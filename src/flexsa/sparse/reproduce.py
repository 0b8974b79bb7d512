"""The Flexagon evaluation (``flexsa reproduce flexagon``): one runner task per distinct layer
signature, then ``summary.json``, ``layers.csv``, figures and ``report.html`` from the store.

The store's identity is the run key (timing profile, seed, operands, hardware): a rerun into
the same ``--out`` with another one is refused with one line. Model and layer selections are
not part of it, so reruns with other ``--models``/``--max-layers`` reuse every stored layer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flexsa.errors import WorkloadError
from flexsa.report.progress import progress_bar
from flexsa.runner import STORE_FILE as STORE
from flexsa.runner import StoreIdentity, Task, prepare_out_dir, read_store, run_tasks

KIND = "reproduce-flexagon"


@dataclass(frozen=True)
class FlexagonRun:
    """Everything one ``reproduce flexagon`` needs (validated by the command)."""

    out: Path
    hw: Any                     # flexsa.sparse.config.HardwareConfig
    seed: int
    operands: str
    models: tuple[str, ...] = ()
    layer_limit: int = 0        # the first N layers of each model (0: all)
    with_n_variants: bool = False
    conversion_cost: float = 0.0
    figures: bool = True
    progress: bool = True
    jobs: int = 1
    scheduler: str | None = None

    def run_key(self) -> dict[str, Any]:
        return {"profile": self.hw.profile.value, "seed": self.seed, "operands": self.operands,
                "hardware": self.hw.as_dict()}


def select_layers(operands: str, models: tuple[str, ...], limit: int
                  ) -> tuple[list[Any], list[str]]:
    """The layers to run (operands attached) and the chosen model names."""
    from flexsa.sparse.layers import load_layers, model_names

    if operands in {"marginals", "uniform"}:
        layers = load_layers(operands=operands)
    else:
        from flexsa.sparse.layers import attach_layer_dirs

        layers = attach_layer_dirs(load_layers(), Path(operands))
    known = model_names(layers)
    wanted = [name.strip() for item in models for name in item.split(",") if name.strip()]
    lookup = {name.lower(): name for name in known}
    unknown = [name for name in wanted if name.lower() not in lookup]
    if unknown:
        raise WorkloadError(f"unknown model {unknown[0]!r} in --models: use {', '.join(known)}")
    chosen = [lookup[name.lower()] for name in wanted] or known
    layers = [ly for ly in layers if ly.model in chosen]
    if limit:
        position: dict[str, int] = {}
        kept = []
        for ly in layers:
            position[ly.model] = position.get(ly.model, 0) + 1
            if position[ly.model] <= limit:
                kept.append(ly)
        layers = kept
    return layers, chosen


@dataclass(frozen=True)
class SignatureWork:
    """The runner's work function: ``{"signature": ...}`` -> that layer's record."""

    layers: dict[str, Any]
    hw: Any
    seed: int

    def __call__(self, config: dict[str, Any]) -> dict[str, Any]:
        from flexsa.sparse.study import evaluate_signature

        return evaluate_signature(self.layers[config["signature"]], self.hw, self.seed)


def identity(run: FlexagonRun) -> StoreIdentity:
    return StoreIdentity(KIND, run.run_key(), what="flexagon run store",
                         mismatch="holds results of another profile/seed/operands/hardware: "
                                  "use a new --out directory")


def reproduce(run: FlexagonRun) -> dict[str, Any]:
    """Run (or resume) the evaluation into ``run.out``; write every output; the summary."""
    layers, chosen = select_layers(run.operands, run.models, run.layer_limit)
    out = prepare_out_dir(run.out)
    distinct = {ly.signature: ly for ly in reversed(layers)}   # first occurrence wins
    order = list(dict.fromkeys(ly.signature for ly in layers))
    tasks = [Task({"signature": sig}, i, distinct[sig].key) for i, sig in enumerate(order)]
    started = time.perf_counter()
    with progress_bar("flexagon layers", run.progress) as progress:
        summary = run_tasks(tasks, SignatureWork(distinct, run.hw, run.seed), out / STORE,
                            identity(run), jobs=run.jobs, scheduler=run.scheduler, chunk=1,
                            progress=progress)
    _, rows = read_store(out / STORE)
    records = {row.config["signature"]: row.result for row in rows}
    config = {"profile": run.hw.profile.value, "seed": run.seed, "operands": run.operands,
              "hardware": run.hw.as_dict(), "models": chosen,
              "layers_per_model": run.layer_limit or "all",
              "with_n_variants": run.with_n_variants,
              "conversion_cycles_per_nnz": run.conversion_cost}
    return write_outputs(run, layers, records, config, summary.evaluated,
                         time.perf_counter() - started)


def write_outputs(run: FlexagonRun, layers: list[Any], records: dict[str, Any],
                  config: dict[str, Any], simulated: int, elapsed: float) -> dict[str, Any]:
    from flexsa.report.html.flexagon import write_report
    from flexsa.report.output import dumps, provenance
    from flexsa.sparse.study import representative, summarise, write_figures

    summary = summarise(layers, records, run.hw, run.with_n_variants, run.conversion_cost)
    rows = summary.pop("layer_rows")
    summary["representative_layers"] = representative(layers, records)
    summary["run"] = {"layers": len(layers),
                      "distinct_layers": len({ly.signature for ly in layers}),
                      "simulated_now": simulated}
    summary.update(provenance(config))
    # volatile metadata (dates, host timings) only here, so replay tests can ignore it
    summary["provenance"] = _volatile(summary, elapsed)
    (run.out / "summary.json").write_text(dumps(summary) + "\n")
    _write_layers(run.out, rows, config)
    if run.figures:
        write_figures(summary, run.out)
    write_report(summary, run.out)
    return summary


def _write_layers(out: Path, rows: list[dict[str, Any]], config: dict[str, Any]) -> None:
    """layers.csv (a design's column is its cycles) with layers.csv.meta.json."""
    from flexsa.report.output import write_csv

    designs = ("sigma_like", "sparch_like", "gamma_like", "flexagon")
    flat = [{(f"{k}_cycles" if k in designs else k): v for k, v in row.items()
             if k != "cycles_m"} for row in rows]
    units = {c: "cycles" for c in (flat[0] if flat else {}) if "cycles" in c}
    units |= {c: "ratio" for c in (flat[0] if flat else {}) if c.startswith("miss_rate")}
    write_csv(out / "layers.csv", flat, units, config)


def _volatile(summary: dict[str, Any], elapsed: float) -> dict[str, Any]:
    """Host times (moved out of the deterministic summary), date, command, commit."""
    from flexsa.report.provenance import run_provenance

    volatile = run_provenance(elapsed)
    predictor = summary.get("predictor", {})
    for key, name in (("predictor_seconds_total", "predictor_host_seconds"),
                      ("simulation_seconds_total", "simulation_host_seconds")):
        if key in predictor:
            volatile[name] = predictor.pop(key)
    return volatile
