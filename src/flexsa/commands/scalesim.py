"""``flexsa scalesim``: SCALE-Sim v3 compute timing from its own ``.cfg`` and topology files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import typer

from flexsa.errors import WorkloadError

if TYPE_CHECKING:
    from flexsa.workloads.scalesim_io import TopologyForm


def scalesim_command(
    config: Path = typer.Option(..., "--config", help="SCALE-Sim .cfg file"),
    topology: Path | None = typer.Option(
        None, "--topology",
        help="SCALE-Sim topology CSV (default: the config's [network_presets] TopologyCsvLoc)"),
    form: str = typer.Option("auto", "--form",
                             help="topology form: auto (from the header), conv or gemm"),
    dataflow: str = typer.Option("", "--dataflow",
                                 help="override the config's dataflow: is, ws or os"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Reproduce SCALE-Sim v3's per-layer compute cycles, utilization and mapping efficiency."""
    from dataclasses import replace

    from flexsa.report.output import print_json, print_table, provenance
    from flexsa.sim.scalesim import simulate_scalesim
    from flexsa.workloads.scalesim_io import read_scalesim_config, read_topology, topology_gemms

    if form not in ("auto", "conv", "gemm"):
        raise WorkloadError(f"--form must be auto, conv or gemm, got {form!r}")
    if dataflow and dataflow.strip().lower() not in ("is", "ws", "os"):
        raise WorkloadError(f"--dataflow must be is, ws or os, got {dataflow!r}")
    cfg = read_scalesim_config(config)
    if dataflow:
        cfg = replace(cfg, dataflow=dataflow.strip().lower())
    topology = topology or _config_topology(config, cfg.topology_path)
    layers = read_topology(topology, cast("TopologyForm", form))
    result = simulate_scalesim(cfg, topology_gemms(layers), cfg.dataflow)
    if as_json:
        print_json({**result, **provenance({**cfg.as_dict(), "config_file": str(config),
                                            "topology_file": str(topology), "form": form})})
        return
    rows = [(r["layer"], r["m"], r["n"], r["k"], r["groups"], r["cycles"],
             f"{100 * r['pe_utilization']:.2f}", f"{100 * r['mapping_efficiency']:.2f}")
            for r in result["layers"]]
    title = (f"SCALE-Sim v3 timing: {cfg.array_rows}x{cfg.array_cols} array, "
             f"dataflow {cfg.dataflow} (ideal memory, no stalls)")
    footer = ("total", "", "", "", "", f"{result['cycles']:,}",
              f"{100 * result['pe_utilization']:.2f}",
              f"{100 * result['mapping_efficiency']:.2f}")
    print_table(title, ["layer", "m", "n", "k", "copies", "cycles", "util %", "mapping eff %"],
                rows, footer=footer)


def _config_topology(config: Path, location: str) -> Path:
    if not location:
        raise WorkloadError("--topology is required: the config has no [network_presets] "
                            "TopologyCsvLoc")
    path = Path(location)
    return path if path.is_absolute() else config.parent / path


def register(app: typer.Typer) -> None:
    app.command("scalesim")(scalesim_command)
