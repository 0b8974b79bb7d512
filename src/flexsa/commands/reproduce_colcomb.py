"""``flexsa reproduce colcomb --out DIR``: column combining on LeNet-5, a VGG-style shift
network and ResNet-20 (baseline / combine / combine_prune, sweeps, figures, summary.json)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from flexsa.errors import FlexsaError


def _floats(text: str, name: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise FlexsaError(f"{name} must be comma-separated numbers, got {text!r}") from None


def colcomb(
    out: str = typer.Option(..., "--out", help="output directory"),
    networks: str = typer.Option("lenet5,vgg19_shift,resnet20", "--networks",
                                 help="comma-separated: lenet5, vgg_shift, vgg19_shift, "
                                      "resnet20"),
    data: str = typer.Option("digits", "--data", help="digits (bundled), mnist or cifar10"),
    data_dir: str = typer.Option("", "--data-dir", help="local MNIST/CIFAR-10 directory"),
    alpha: int = typer.Option(8, "--alpha", help="alpha of the combining configurations"),
    alphas: str = typer.Option("", "--alphas",
                               help="per-layer plan A,B,... or per-stage stage:A,B,C"),
    gamma: float = typer.Option(0.5, "--gamma", help="gamma of combine_prune"),
    pretrain_epochs: int = typer.Option(3, "--pretrain-epochs", help="dense epochs"),
    epochs: int = typer.Option(4, "--epochs", help="epochs per configuration"),
    prune_steps: int = typer.Option(10, "--prune-steps", help="prune steps (first half)"),
    schedule: str = typer.Option("authors", "--schedule", help="authors or cumulative"),
    fractions: str = typer.Option("0.1,0.3,1.0", "--fractions",
                                  help="retraining data fractions (LeNet-5)"),
    section: int = typer.Option(256, "--section", help="columns per packing section"),
    layers: str = typer.Option("conv", "--layers", help="layers pruned and counted: conv, all"),
    rows: str = typer.Option("nonzero", "--rows", help="rows counted: nonzero or all"),
    cost_resolution: int = typer.Option(0, "--cost-resolution",
                                        help="input size costed (0: the paper's)"),
    array: str = typer.Option("32,32", "--array", help="bit-serial array R,C"),
    seed: int = typer.Option(0, "--seed", help="random seed"),
    threads: int = typer.Option(1, "--threads", help="torch threads"),
    quiet: bool = typer.Option(False, "--quiet", "-q",
                               help="no table, only the final line (training prints nothing)"),
    as_json: bool = typer.Option(False, "--json", help="print summary.json's content"),
) -> None:
    """Reproduce the column-combining evaluation (brief CPU training on bundled data)."""
    from flexsa.commands.colcomb import experiment_config

    opts = {k: v for k, v in locals().items() if k not in ("quiet", "as_json")}
    names = tuple(n.strip() for n in networks.split(",") if n.strip())
    if not names:
        raise FlexsaError("--networks: give at least one network")
    base = experiment_config({**opts, "network": names[0]}, names)
    from flexsa.packing.joint.reproduce import ReproduceConfig
    from flexsa.packing.joint.study import reproduce

    config = ReproduceConfig(networks=names, gamma=gamma, base=base,
                             fractions=_floats(fractions, "--fractions"))
    out_dir = Path(out)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise FlexsaError(f"--out: cannot create {out!r} ({err.strerror})") from None
    summary = reproduce(config, out_dir, progress=not quiet and not as_json)
    _print_summary(summary, out_dir, quiet, as_json)


def _print_summary(summary: dict[str, Any], out_dir: Path, quiet: bool = False,
                   as_json: bool = False) -> None:
    from flexsa.packing.joint.reproduce import CONFIGS
    from flexsa.report.output import print_json, print_table

    if as_json:
        print_json(summary)
        return
    table = []
    for net, configs in summary["networks"].items():
        for name in CONFIGS:
            values = configs[name]
            ratio = summary["ratios_vs_baseline"][net][name]
            table.append((net, name, f"{values['utilization']:.3f}", values["tiles"],
                          f"{ratio['throughput_x']:.2f}x", f"{ratio['throughput_tiles_x']:.2f}x",
                          f"{ratio['energy_reduction_x']:.2f}x", f"{values['accuracy']:.4f}"))
    if not quiet:
        print_table("column combining (ratios vs baseline)",
                    ["model", "name", "utilization", "tiles", "throughput (cycles)",
                     "throughput (tiles)", "energy saving", "accuracy"], table)
    prov = summary["provenance"]
    typer.echo(f"wrote {out_dir / 'summary.json'}, report.html and "
               f"{len(summary['figures'])} figures "
               f"in {prov['wall_seconds']:.0f} s ({prov['cpu_seconds']:.0f} s CPU)")


def register(reproduce_app: typer.Typer) -> None:
    reproduce_app.command("colcomb")(colcomb)
