"""``flexsa area --arch A [--json]`` and the core-splitting study."""

from __future__ import annotations

import typer

from flexsa.report.output import print_json, print_table, provenance


def area_cmd(
    arch: str = typer.Option("1G1C", "--arch",
                             help="preset, YAML file, or a splitting-study name (1x128^2, "
                                  "4x64^2, 16x32^2, 64x16^2)"),
    split_study: bool = typer.Option(False, "--split-study",
                                     help="print the core-splitting study instead"),
    energy_table: str = typer.Option(None, "--energy-table",
                                     help="YAML file overriding entries of the default table"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Area of PEs, SRAM buffers, data-path wires and FlexSA's extras (mm^2)."""
    from flexsa.energy.area import area_of
    from flexsa.energy.configs import resolve_arch, splitting_study
    from flexsa.energy.table import load_energy_table

    if split_study:
        from flexsa.commands.flags import ignored_with

        ignored_with("with --split-study (it costs its own four designs)", "arch")
    table = load_energy_table(energy_table)
    config = {"arch": arch, "energy_table": energy_table, "split_study": split_study}
    if split_study:
        study = splitting_study(table)
        base = study["1x128^2"].total
        if as_json:
            print_json({"split_study": {name: {**a.as_dict(), "ratio_to_1x128": a.total / base}
                                        for name, a in study.items()}, **provenance(config)})
            return
        rows = [(name, f"{a.pe:.2f}", f"{a.lbuf:.2f}", f"{a.gbuf:.2f}",
                 f"{a.wires + a.repeaters:.2f}", f"{a.total:.2f}", f"{a.total / base:.3f}")
                for name, a in study.items()]
        print_table("core-splitting study (mm2)",
                    ["name", "PE", "LBUF", "GBUF", "wires", "total", "ratio"], rows)
        return
    accel = resolve_arch(arch)
    area = area_of(accel, table)
    config["arch_config"] = accel.as_dict()
    if as_json:
        print_json({"area_mm2": area.as_dict(), **provenance(config)})
        return
    extra = area.flexsa
    parts = [("PEs", f"{area.pe:.3f}"), ("LBUF SRAM", f"{area.lbuf:.3f}"),
            ("GBUF SRAM", f"{area.gbuf:.3f}"), ("data-path wires", f"{area.wires:.3f}"),
            ("repeaters", f"{area.repeaters:.3f}"),
            ("FlexSA FMA upgrade", f"{extra.fma_upgrade:.3f}"),
            ("FlexSA switches", f"{extra.switches:.3f}"),
            ("FlexSA wires", f"{extra.wires:.3f}"),
            ("FlexSA repeaters", f"{extra.repeaters:.3f}"), ("total", f"{area.total:.3f}")]
    print_table(f"area of {area.arch} (mm2)", ["name", "mm2"], parts)
    if extra.total:
        typer.echo(f"FlexSA overhead over the plain cores: "
                   f"{100 * extra.total / area.plain_cores:.2f}%")


def register(app: typer.Typer) -> None:
    app.command("area")(area_cmd)
