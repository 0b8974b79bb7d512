"""``flexsa verify``: functional check of a compiled GEMM against A @ B."""

from __future__ import annotations

import typer

from flexsa.errors import FlexsaError


def verify_command(
    arch: str = typer.Option(..., "--arch", help="preset name or YAML config file"),
    gemm: str = typer.Option(..., "--gemm", help="GEMM dimensions M,N,K"),
    seed: int = typer.Option(0, "--seed", help="seed of the random integer operands"),
    phase: str = typer.Option("fwd", help="fwd, dgrad or wgrad"),
    instances: int = typer.Option(1, "--instances", help="identical GEMM instances"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Compile, execute the program on random integers, compare with A @ B (exit 1 if not)."""
    from flexsa.arch import load_arch
    from flexsa.compiler.gemm_spec import parse_gemm_spec
    from flexsa.sim.functional import verify_gemm
    from flexsa.validation import positive
    from flexsa.validation import seed as check_seed

    accel = load_arch(arch)
    m, n, k = parse_gemm_spec(gemm)
    positive(instances, "--instances", limit="instances")
    rng_seed = check_seed(seed)
    if phase not in ("fwd", "dgrad", "wgrad"):
        raise FlexsaError(f"--phase must be fwd, dgrad or wgrad, got {phase!r}")
    ok, mismatches = verify_gemm(accel, m, n, k, seed=rng_seed, instances=instances, phase=phase)
    if as_json:
        from flexsa.report.output import print_json, provenance

        config = {"arch": accel.name, "gemm": {"m": m, "n": n, "k": k}, "phase": phase,
                  "instances": instances, "seed": seed}
        print_json({"ok": ok, "mismatches": mismatches, "outputs": m * n * instances,
                    **provenance(config)})
        if not ok:
            raise typer.Exit(1)
        return
    if ok:
        typer.echo(f"OK: {accel.name} GEMM {m}x{n}x{k} (seed {seed}) equals A @ B")
        return
    typer.echo(f"MISMATCH: {mismatches} of {m * n * instances} outputs differ", err=True)
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("verify")(verify_command)
