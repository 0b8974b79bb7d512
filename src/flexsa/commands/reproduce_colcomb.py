"""``flexsa reproduce colcomb --out DIR``: column combining on LeNet-5, a VGG-style shift
network and ResNet-20 (baseline / combine / combine_prune, sweeps, figures, summary.json)."""

from __future__ import annotations

from pathlib import Path

import typer

from flexsa.errors import FlexsaError


def _floats(text: str, name: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise FlexsaError(f"{name} must be comma-separated numbers, got {text!r}") from None


def colcomb(
    out: str = typer.Option(..., "--out", help="output directory"),
    networks: str = typer.Option("lenet5,vgg_shift,resnet20", "--networks",
                                 help="comma-separated subset of the three networks"),
    data: str = typer.Option("digits", "--data", help="digits (bundled), mnist or cifar10"),
    data_dir: str = typer.Option("", "--data-dir", help="local MNIST/CIFAR-10 directory"),
    pretrain_epochs: int = typer.Option(3, "--pretrain-epochs", help="dense epochs"),
    epochs: int = typer.Option(4, "--epochs", help="epochs per configuration"),
    prune_steps: int = typer.Option(2, "--prune-steps", help="pruning epochs"),
    fractions: str = typer.Option("0.1,0.3,1.0", "--fractions",
                                  help="retraining data fractions (LeNet-5)"),
    array: str = typer.Option("32,32", "--array", help="bit-serial array R,C"),
    seed: int = typer.Option(0, "--seed", help="random seed"),
    threads: int = typer.Option(1, "--threads", help="torch threads"),
) -> None:
    """Reproduce the column-combining evaluation (brief CPU training on bundled data)."""
    from flexsa.packing.metrics import ArrayShape
    from flexsa.packing.names import check_data, check_network

    names = tuple(check_network(n.strip(), "--networks") for n in networks.split(",")
                  if n.strip())
    check_data(data, data_dir)
    shape = ArrayShape.parse(array)
    try:
        from flexsa.packing.joint.experiment import ExperimentConfig
        from flexsa.packing.joint.reproduce import CONFIGS, ReproduceConfig, reproduce
        from flexsa.packing.joint.train import TrainConfig
    except ImportError as err:  # pragma: no cover - torch missing
        raise FlexsaError(f"reproduce colcomb needs torch and scikit-learn "
                          f"(pip install 'flexsa[torch]'): {err}") from None
    from flexsa.report.output import dumps, print_table, provenance

    if epochs < 0 or pretrain_epochs < 0:
        raise FlexsaError("--epochs and --pretrain-epochs must be >= 0")
    config = ReproduceConfig(
        networks=names,
        fractions=_floats(fractions, "--fractions"),
        base=ExperimentConfig(data=data, data_dir=data_dir, pretrain_epochs=pretrain_epochs,
                              array=shape,
                              train=TrainConfig(epochs=epochs, prune_steps=prune_steps,
                                                seed=seed, threads=threads)))
    out_dir = Path(out)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise FlexsaError(f"--out: cannot create {out!r} ({err.strerror})") from None
    summary = {**reproduce(config, out_dir), **provenance(config.as_dict())}
    (out_dir / "summary.json").write_text(dumps(summary) + "\n", encoding="utf-8")
    rows = []
    for net, configs in summary["networks"].items():
        for name in CONFIGS:
            values = configs[name]
            ratio = summary["ratios_vs_baseline"][net][name]
            rows.append((net, name, f"{values['utilization']:.3f}", values["tiles"],
                         f"{ratio['throughput_x']:.2f}x", f"{ratio['energy_reduction_x']:.2f}x",
                         f"{values['accuracy']:.4f}"))
    print_table("column combining (ratios vs baseline)",
                ["model", "name", "utilization", "tiles", "throughput", "energy saving",
                 "accuracy"], rows)
    typer.echo(f"wrote {out_dir / 'summary.json'} and {len(summary['figures'])} figures "
               f"in {summary['seconds']:.0f} s")


def register(reproduce_app: typer.Typer) -> None:
    reproduce_app.command("colcomb")(colcomb)
