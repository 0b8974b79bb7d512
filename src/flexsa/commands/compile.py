"""``flexsa compile``: compile one GEMM and print its plan or program."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from flexsa.errors import FlexsaError


def compile_command(
    arch: str = typer.Option(..., "--arch", help="preset name or YAML config file"),
    gemm: str = typer.Option(..., "--gemm", help="GEMM dimensions M,N,K"),
    phase: str = typer.Option("fwd", help="fwd, dgrad or wgrad (wgrad partitions K)"),
    instances: int = typer.Option(1, "--instances", help="identical GEMM instances (groups)"),
    mode_policy: str = typer.Option("auto", "--mode-policy", help="auto, table or fw"),
    listing: bool = typer.Option(False, "--listing", help="print the program readably"),
    out: Path | None = typer.Option(None, "--out", help="write the program as JSON lines"),
    dma: bool = typer.Option(False, "--dma", help="print the GBUF blocking and DMA program"),
    as_json: bool = typer.Option(False, "--json", help="print the plan (and with --dma the "
                                                       "DMA program) as one JSON object"),
) -> None:
    """Compile a GEMM: partition, tile, choose modes, emit the ISA program."""
    from flexsa.arch import load_arch
    from flexsa.commands.flags import exclusive
    from flexsa.compiler import compile_gemm, emit_program
    from flexsa.compiler.gemm_spec import parse_gemm_spec
    from flexsa.paths import output_file
    from flexsa.validation import gemm_size, positive
    from flexsa.workloads.layers import Gemm, Phase

    exclusive("as_json", "listing")
    accel = load_arch(arch)
    m, n, k = parse_gemm_spec(gemm)
    positive(instances, "--instances", limit="instances")
    gemm_size(m, n, k, instances)
    if out is not None:
        output_file(out, "--out")
    try:
        gemm_phase = Phase(phase)
    except ValueError:
        raise FlexsaError(f"--phase must be fwd, dgrad or wgrad, got {phase!r}") from None
    plan = compile_gemm(accel, Gemm("cli", gemm_phase, m, n, k, instances), mode_policy)
    if as_json:
        _print_plan_json(accel, plan, dma, out, {"arch": accel.name, "gemm": {
            "m": m, "n": n, "k": k}, "instances": instances, "phase": phase,
            "mode_policy": mode_policy})
        return
    typer.echo(f"; {accel.name}: GEMM {m}x{n}x{k} x{instances} ({phase}), waves of "
               f"blk_M={accel.blk_m} blk_N={accel.blk_n} blk_K={accel.blk_k}")
    for part in plan.parts:
        modes = ", ".join(f"n={part.n_dim.size(nc)},k={part.k_dim.size(kc)}->{mode.value}"
                          for (nc, kc), mode in part.modes)
        typer.echo(f"; group {part.part.group}: m={part.part.m} n={part.part.n} "
                   f"k={part.part.k}: {part.waves} waves on {part.units} unit(s); {modes}")
    if dma:
        from flexsa.compiler.blocking import dma_listing

        for line in dma_listing(plan.gemm, accel):
            typer.echo(line)
    if not (listing or out):
        return
    program = emit_program(accel, plan)
    if out is not None:
        out.write_text(program.to_jsonl())
        typer.echo(f"; wrote {program.instruction_count} instructions to {out}")
    if listing:
        for line in program.listing():
            typer.echo(line)


def _print_plan_json(accel: Any, plan: Any, dma: bool, out: Path | None,
                     config: dict[str, Any]) -> None:
    """The plan's parts (waves, units, modes), the DMA program, the written program."""
    from flexsa.report.output import print_json, provenance

    parts = [{"group": p.part.group, "m": p.part.m, "n": p.part.n, "k": p.part.k,
              "waves": p.waves, "units": p.units,
              "modes": [{"n": p.n_dim.size(nc), "k": p.k_dim.size(kc), "mode": mode.value}
                        for (nc, kc), mode in p.modes]} for p in plan.parts]
    payload: dict[str, Any] = {"blk_m": accel.blk_m, "blk_n": accel.blk_n,
                               "blk_k": accel.blk_k, "parts": parts}
    if dma:
        from flexsa.compiler.blocking import dma_listing

        payload["dma"] = list(dma_listing(plan.gemm, accel))
    if out is not None:
        from flexsa.compiler import emit_program

        program = emit_program(accel, plan)
        out.write_text(program.to_jsonl())
        payload["program"] = {"file": str(out), "instructions": program.instruction_count}
    print_json({**payload, **provenance(config)})


def register(app: typer.Typer) -> None:
    app.command("compile")(compile_command)
