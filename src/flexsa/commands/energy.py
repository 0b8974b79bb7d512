"""``flexsa energy table`` and ``flexsa energy export --format accelergy DIR``."""

from __future__ import annotations

from collections.abc import Sequence

import typer

from flexsa.errors import ConfigError
from flexsa.report.output import print_json, print_table, provenance

energy_app = typer.Typer(help="Energy/area table (sourced data) and Accelergy export.",
                         no_args_is_help=True)

TABLE_OPTION = typer.Option(None, "--energy-table",
                            help="YAML file overriding entries of the default table")


@energy_app.command("table")
def table_cmd(
    energy_table: str = TABLE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Print every energy/area entry with its unit, node, scaled value and source."""
    from flexsa.energy.table import load_energy_table

    table = load_energy_table(energy_table)
    if as_json:
        print_json({"energy_table": table.as_dict(),
                    **provenance({"energy_table": energy_table})})
        return
    rows = [(e.name, f"{e.value:g}", e.unit, f"{e.node_nm:g}" if e.node_nm else "-",
             f"{e.scaled:.6g}", e.source) for e in table.entries]
    _print_wide(f"energy/area table ({table.origin}), scaled to {table.target_node_nm:g} nm",
                ["name", "value", "unit", "node nm", "scaled", "source"], rows)
    points = [(p.name, p.capacity_bytes, p.port_bits, f"{p.read_pj:.4g}",
               f"{p.write_pj:.4g}", f"{p.area_mm2:.4g}", p.cells, p.source)
              for p in table.sram_points]
    _print_wide("SRAM points (pJ per port-width access, mm2)",
                ["name", "bytes", "port bits", "read pJ", "write pJ", "area mm2", "cells",
                 "source"], points)
    derived = [("MAC (FP16 x FP16 + FP32)", f"{table.mac_pj:.4g} pJ",
                f"{table.mac_area_um2:.5g} um2")]
    print_table("derived", ["name", "energy", "area"], derived)


def _print_wide(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """The table fitted to the terminal: the inputs (value, node) give way before the source."""
    print_table(title, columns, rows, drop_first=("node nm", "value", "cells", "bytes"))


@energy_app.command("export")
def export_cmd(
    out_dir: str = typer.Argument(..., help="output directory"),
    fmt: str = typer.Option("accelergy", "--format", help="export format: accelergy"),
    arch: str = typer.Option("1G1C", "--arch", help="architecture preset or YAML file"),
    energy_table: str = TABLE_OPTION,
) -> None:
    """Write Accelergy ERT.yaml and ART.yaml for an architecture."""
    from flexsa.energy.accelergy import write_accelergy
    from flexsa.energy.configs import resolve_arch
    from flexsa.energy.table import load_energy_table

    if fmt != "accelergy":
        raise ConfigError(f"--format {fmt!r} is not supported; use accelergy")
    from flexsa.paths import output_dir

    output_dir(out_dir, "OUT_DIR", ConfigError)
    paths = write_accelergy(resolve_arch(arch), out_dir, load_energy_table(energy_table))
    for path in paths:
        typer.echo(f"wrote {path}")


def register(app: typer.Typer) -> None:
    app.add_typer(energy_app, name="energy")
