"""``flexsa model list`` and ``flexsa model show``."""

from __future__ import annotations

import typer

from flexsa.errors import WorkloadError
from flexsa.report.output import csv_text, print_json, print_table, provenance

model_app = typer.Typer(help="Built-in models and their training GEMMs.", no_args_is_help=True)


@model_app.command("list")
def list_models(as_json: bool = typer.Option(False, "--json",
                                             help="print one JSON object")) -> None:
    """List the built-in models."""
    from flexsa.workloads.zoo import MODEL_BUILDERS, MODEL_DESCRIPTIONS, build_model

    models = {name: build_model(name) for name in MODEL_BUILDERS}
    if as_json:
        print_json({"models": [{"name": name, "params": model.params,
                                "macs_per_sample": int(model.macs),
                                "description": MODEL_DESCRIPTIONS[name]}
                               for name, model in models.items()], **provenance({})})
        return
    rows = [(name, model.params, f"{model.macs / 1e9:.4f}", MODEL_DESCRIPTIONS[name])
            for name, model in models.items()]
    print_table("flexsa models", ["name", "params", "GMACs/sample", "description"], rows)


@model_app.command("show")
def show(
    name: str = typer.Argument(..., help="model name (see `flexsa model list`) or a model file"),
    batch: int = typer.Option(..., "--batch", "-b", help="mini-batch size"),
    phase: str = typer.Option("all", help="fwd, dgrad, wgrad or all"),
    width_mult: float = typer.Option(1.0, "--width-mult", help="channel width multiplier"),
    resolution: int = typer.Option(0, help="input resolution (0: the model's default)"),
    seq_len: int = typer.Option(0, "--seq-len", help="sequence length (BERT; 0: default 128)"),
    dgrad_form: str = typer.Option("split", help="data-gradient form: split, implicit, col2im"),
    depthwise: str = typer.Option(
        "simd", "--depthwise",
        help="depthwise convs: simd (no GEMM: the SIMD unit runs them), per-channel, or "
             "packed (block-diagonal GEMMs filling a 128x128 unit)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    as_csv: bool = typer.Option(False, "--csv", help="print CSV rows"),
) -> None:
    """Print the training GEMMs of a model at a mini-batch."""
    from flexsa.commands.flags import exclusive
    from flexsa.validation import positive
    from flexsa.workloads.depthwise import describe, parse_depthwise
    from flexsa.workloads.lowering import lower_model, phase_totals
    from flexsa.workloads.sources import load_workload

    exclusive("as_json", "as_csv")
    positive(batch, "--batch", limit="batch", error=WorkloadError)
    depthwise = parse_depthwise(depthwise, "--depthwise").value
    model = load_workload(name, width_mult=width_mult, resolution=resolution, seq_len=seq_len)
    gemms = lower_model(model, batch, phase, dgrad_form, depthwise)
    totals = phase_totals(lower_model(model, batch, "all", dgrad_form, depthwise))
    info = describe(model, depthwise, (128, 128))
    if as_json:
        print_json({"model": model.name, "batch": batch,
                    "gemms": [g.as_dict() for g in gemms], "totals": totals,
                    **({"depthwise": info} if info else {}),
                    **provenance({"width_mult": width_mult, "phase": phase,
                                  "dgrad_form": dgrad_form, "depthwise": depthwise,
                                  "resolution": resolution, "seq_len": seq_len})})
        return
    if as_csv:
        typer.echo(csv_text([g.as_dict() for g in gemms],
                            ["layer", "phase", "m", "n", "k", "groups", "macs", "part"]), nl=False)
        return
    rows = [(g.layer, g.phase.value, g.m, g.n, g.k, g.groups, g.macs) for g in gemms]
    print_table(f"{model.name}: training GEMMs at batch {batch}",
                ["layer", "phase", "m", "n", "k", "groups", "macs"], rows)
    typer.echo("useful MACs: " + ", ".join(f"{k}={v:,}" for k, v in totals.items()))
    if info:
        typer.echo(f"depthwise ({info['layers']} layers, --depthwise {depthwise}): "
                   f"{info['note']}")


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")
