"""``flexsa reproduce flexagon``: the Flexagon evaluation over the 511 sparse layers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from flexsa.commands.guards import flexagon_guards
from flexsa.errors import ConfigError, WorkloadError


def flexagon(
    out: Path = typer.Option(..., "--out", help="output directory (resumable)"),
    models: list[str] | None = typer.Option(None, "--models",
                                            help="models to run (repeat or comma-separate; "
                                                 "default: all 8)"),
    quick: bool = typer.Option(False, "--quick",
                               help="a representative subset: the first 6 layers of each model"),
    max_layers: int = typer.Option(0, "--max-layers",
                                   help="only the first N layers of each model (0: all)"),
    profile: str = typer.Option("reference", "--profile", help="reference or ideal timing"),
    seed: int = typer.Option(0, "--seed", help="seed of the synthetic operands"),
    operands: str = typer.Option("marginals", "--operands",
                                 help="marginals (real row/column counts, default), uniform, "
                                      "or the artifact's Models folder (real operands)"),
    with_n_variants: bool = typer.Option(False, "--with-n-variants",
                                         help="let Flexagon also pick the N variants"),
    conversion_cost: float = typer.Option(0.0, "--conversion-cost",
                                          help="cycles per nonzero to convert B's format "
                                               "between layers (0: off)"),
    no_figures: bool = typer.Option(False, "--no-figures", help="skip the figures"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
    as_json: bool = typer.Option(False, "--json", help="print summary.json's content"),
) -> None:
    """Cycles of SIGMA-, SpArch-, GAMMA-like and Flexagon per layer and model; summary.json."""
    import time

    from flexsa.sparse.config import Profile, config_for, parse_profile

    seed = flexagon_guards(out, max_layers, conversion_cost, seed)
    timing = parse_profile(profile)
    # The published runs did not time output writes (spec section 6); the ideal profile does.
    hw = config_for(timing, time_output_writes=timing is not Profile.REFERENCE)
    layers, chosen = _select_layers(operands, models, max_layers or (6 if quick else 0))
    config = {"profile": hw.profile.value, "seed": seed, "operands": operands,
              "hardware": hw.as_dict(), "models": chosen,
              "layers_per_model": max_layers or (6 if quick else "all"),
              "with_n_variants": with_n_variants, "conversion_cycles_per_nnz": conversion_cost}
    run_key = {"profile": hw.profile.value, "seed": seed, "operands": operands,
               "hardware": hw.as_dict()}
    records_path = _open_run(out, run_key)
    records = _read_records(records_path)
    started = time.perf_counter()
    simulated = _simulate_missing(layers, records, records_path, hw, seed, quiet)
    summary = _write_outputs(out, layers, records, hw, config, with_n_variants,
                             conversion_cost, simulated, time.perf_counter() - started,
                             no_figures)
    _print_summary(summary, hw.profile.value, out, as_json)


def _select_layers(operands: str, models: list[str] | None, limit: int) -> tuple[list[Any],
                                                                                 list[str]]:
    """The layers to run (operands attached) and the chosen model names."""
    from flexsa.sparse.layers import load_layers, model_names

    if operands in {"marginals", "uniform"}:
        layers = load_layers(operands=operands)
    else:
        from flexsa.sparse.layers import attach_layer_dirs

        layers = attach_layer_dirs(load_layers(), Path(operands))
    known = model_names(layers)
    wanted = [name.strip() for item in (models or []) for name in item.split(",") if name.strip()]
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


def _open_run(out: Path, run_key: dict[str, Any]) -> Path:
    """Create/reuse the output directory; refuse one holding another run's records."""
    import json

    out.mkdir(parents=True, exist_ok=True)
    records_path = out / "layers.jsonl"
    config_path = out / "run_config.json"
    if config_path.exists() and json.loads(config_path.read_text()) != run_key:
        raise ConfigError(f"{str(out)!r} holds results of another profile/seed/operands/"
                          "hardware: use a new --out directory")
    config_path.write_text(json.dumps(run_key, indent=2))
    if records_path.exists() and records_path.stat().st_size:
        with records_path.open("rb") as handle:  # a line cut by an interrupted run
            handle.seek(-1, 2)
            if handle.read(1) != b"\n":
                with records_path.open("a") as sink:
                    sink.write("\n")
    return records_path


def _simulate_missing(layers: list[Any], records: dict[str, Any], records_path: Path,
                      hw: Any, seed: int, quiet: bool = False) -> int:
    """Simulate every layer signature not yet recorded, appending one JSON line each."""
    import json

    from flexsa.report.progress import make_progress
    from flexsa.sparse.study import evaluate_signature

    todo: dict[str, Any] = {}
    for layer in layers:
        if layer.signature not in records and layer.signature not in todo:
            todo[layer.signature] = layer
    with make_progress(disable=quiet) as progress, records_path.open("a") as sink:
        task = progress.add_task("flexagon layers", total=len(todo))
        for signature, layer in todo.items():
            progress.update(task, description=f"{layer.key}")
            record = evaluate_signature(layer, hw, seed)
            sink.write(json.dumps(record) + "\n")
            sink.flush()
            records[signature] = record
            progress.advance(task)
    return len(todo)


def _write_outputs(out: Path, layers: list[Any], records: dict[str, Any], hw: Any,
                   config: dict[str, Any], with_n_variants: bool, conversion_cost: float,
                   simulated: int, elapsed: float, no_figures: bool) -> dict[str, Any]:
    from flexsa.report.output import dumps, provenance
    from flexsa.sparse.study import representative, summarise, write_figures

    summary = summarise(layers, records, hw, with_n_variants, conversion_cost)
    rows = summary.pop("layer_rows")
    summary["representative_layers"] = representative(layers, records)
    summary["run"] = {"layers": len(layers),
                      "distinct_layers": len({ly.signature for ly in layers}),
                      "simulated_now": simulated}
    summary.update(provenance(config))
    # volatile metadata (dates, host timings) only here, so replay tests can ignore it
    summary["provenance"] = _volatile(summary, elapsed)
    (out / "summary.json").write_text(dumps(summary) + "\n")
    _write_layers(out, rows, config)
    if not no_figures:
        write_figures(summary, out)
    from flexsa.report.html.flexagon import write_report

    write_report(summary, out)
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


def _print_summary(summary: dict[str, Any], profile: str, out: Path, as_json: bool) -> None:
    from flexsa.report.output import print_json, print_table

    if as_json:
        print_json(summary)
        return
    table = []
    for model, entry in summary["models"].items():
        flows = entry["best_dataflow_per_layer"]
        mix = ", ".join(f"{f} {flows.count(f)}" for f in sorted(set(flows)))
        table.append((model, entry["cycles"]["flexagon"],
                      *(f"{entry['speedup'][f'vs_{b}']:.2f}" for b in
                        ("sigma_like", "sparch_like", "gamma_like")), mix))
    geo = summary["geomean_speedup"]
    print_table(f"Flexagon speedups ({profile} profile)",
                ["model", "flexagon cycles", "vs sigma", "vs sparch", "vs gamma", "best"],
                table, footer=["geomean", "", f"{geo['vs_sigma_like']:.2f}",
                               f"{geo['vs_sparch_like']:.2f}", f"{geo['vs_gamma_like']:.2f}",
                               ""])
    pred = summary["predictor"]
    typer.echo(f"predictor: {pred['matches_oracle']}/{pred['layers']} layers match the oracle, "
               f"geomean slowdown {pred['geomean_slowdown_vs_oracle']:.3f}x; "
               f"results and report.html in {out}")


def _read_records(path: Path) -> dict[str, dict[str, object]]:
    import json

    records: dict[str, dict[str, object]] = {}
    if not path.exists():
        return records
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by an interrupted run: recomputed
        records[record["signature"]] = record
    return records


def register(reproduce_app: typer.Typer) -> None:
    reproduce_app.command("flexagon")(flexagon)
