"""``flexsa reproduce flexagon``: the Flexagon evaluation over the 511 sparse layers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from flexsa.commands.guards import flexagon_guards


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
    jobs: int = typer.Option(1, "--jobs", "-j", help="local worker processes"),
    scheduler: str = typer.Option(None, "--scheduler",
                                  help="run the layers on a Dask scheduler tcp://HOST:PORT "
                                       "(workers need flexsa)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
    as_json: bool = typer.Option(False, "--json", help="print summary.json's content"),
) -> None:
    """Cycles of SIGMA-, SpArch-, GAMMA-like and Flexagon per layer and model; summary.json."""
    from flexsa.errors import ConfigError
    from flexsa.sparse.config import Profile, config_for, parse_profile
    from flexsa.sparse.reproduce import FlexagonRun, reproduce
    from flexsa.validation import positive

    seed = flexagon_guards(out, max_layers, conversion_cost, seed)
    positive(jobs, "--jobs", limit="workers", error=ConfigError)
    timing = parse_profile(profile)
    # The published runs did not time output writes (spec section 6); the ideal profile does.
    hw = config_for(timing, time_output_writes=timing is not Profile.REFERENCE)
    run = FlexagonRun(out, hw, seed, operands, tuple(models or ()),
                      max_layers or (6 if quick else 0), with_n_variants, conversion_cost,
                      figures=not no_figures, progress=not quiet, jobs=jobs,
                      scheduler=scheduler)
    summary = reproduce(run)
    _print_summary(summary, hw.profile.value, out, as_json)


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


def register(reproduce_app: typer.Typer) -> None:
    reproduce_app.command("flexagon")(flexagon)
