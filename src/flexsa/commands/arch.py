"""``flexsa arch list`` and ``flexsa arch show``."""

from __future__ import annotations

import typer

from flexsa.report.output import print_json, print_table, provenance

arch_app = typer.Typer(help="Accelerator configurations (presets and YAML files).",
                       no_args_is_help=True)


@arch_app.command("list")
def list_archs(as_json: bool = typer.Option(False, "--json",
                                            help="print one JSON object")) -> None:
    """List the preset accelerator configurations."""
    from flexsa.arch import PRESETS

    if as_json:
        print_json({"presets": [{"name": a.name, "groups": a.groups,
                                 "cores_per_group": a.cores_per_group,
                                 "core_rows": a.core_rows, "core_cols": a.core_cols,
                                 "flexsa": a.flexsa, "total_pes": a.total_pes,
                                 "blk_m": a.blk_m, "description": a.description}
                                for a in PRESETS.values()], **provenance({})})
        return

    rows = [(a.name, a.groups, a.cores_per_group, f"{a.core_rows}x{a.core_cols}",
             "yes" if a.flexsa else "no", a.total_pes, a.blk_m, a.description)
            for a in PRESETS.values()]
    print_table("flexsa accelerator presets",
                ["name", "groups", "cores/group", "core", "flexsa", "PEs", "blk_M",
                 "description"], rows)


@arch_app.command("show")
def show(name: str = typer.Argument(..., help="preset name or YAML config file"),
         as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """Show one configuration with its derived sizes."""
    from flexsa.arch import load_arch

    arch = load_arch(name)
    derived = {"total_pes": arch.total_pes, "units_per_group": arch.units_per_group,
               "unit_rows": arch.unit_rows, "unit_cols": arch.unit_cols, "blk_m": arch.blk_m,
               "blk_n": arch.blk_n, "blk_k": arch.blk_k,
               "gbuf_bytes_per_group": arch.gbuf_bytes_per_group,
               "peak_tflops": round(arch.peak_tflops, 3)}
    if as_json:
        print_json({"arch": arch.as_dict(), "derived": derived, **provenance(arch.as_dict())})
        return
    typer.echo(f"{arch.name}: {arch.summary()}")
    for key, value in arch.as_dict().items():
        if key == "memory":
            for mkey, mvalue in value.items():
                typer.echo(f"  memory.{mkey}: {mvalue}")
        else:
            typer.echo(f"  {key}: {value}")
    for key, value in derived.items():
        typer.echo(f"  ({key}: {value})")


def register(app: typer.Typer) -> None:
    app.add_typer(arch_app, name="arch")
