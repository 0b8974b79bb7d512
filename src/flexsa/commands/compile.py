"""``flexsa compile``: compile one GEMM and print its plan or program."""

from __future__ import annotations

from pathlib import Path

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
) -> None:
    """Compile a GEMM: partition, tile, choose modes, emit the ISA program."""
    from flexsa.arch import load_arch
    from flexsa.compiler import compile_gemm, emit_program
    from flexsa.compiler.gemm_spec import parse_gemm_spec
    from flexsa.paths import output_file
    from flexsa.validation import gemm_size, positive
    from flexsa.workloads.layers import Gemm, Phase

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


def register(app: typer.Typer) -> None:
    app.command("compile")(compile_command)
