"""``flexsa colcomb train``: joint prune -> combine -> retrain of a small network."""

from __future__ import annotations

import typer

from flexsa.errors import FlexsaError

colcomb_app = typer.Typer(help="Column combining: joint optimisation of accuracy and "
                          "array utilization (needs torch).", no_args_is_help=True)


@colcomb_app.command("train")
def train(
    model: str = typer.Option("lenet5", "--model", help="lenet5, vgg_shift or resnet20"),
    data: str = typer.Option("digits", "--data", help="digits (bundled), mnist or cifar10"),
    data_dir: str = typer.Option("", "--data-dir", help="local MNIST/CIFAR-10 directory"),
    resolution: int = typer.Option(0, "--resolution", help="input size (0: model default)"),
    alpha: int = typer.Option(8, "--alpha", help="columns per group on combinable layers"),
    gamma: float = typer.Option(0.5, "--gamma", help="conflicts per group / rows"),
    pretrain_epochs: int = typer.Option(3, "--pretrain-epochs", help="dense epochs first"),
    epochs: int = typer.Option(4, "--epochs", help="prune -> combine -> retrain epochs"),
    prune_steps: int = typer.Option(2, "--prune-steps", help="pruning epochs (first half)"),
    prune_scale: float = typer.Option(0.8, "--prune-scale",
                                      help="final prune rate = scale x (1 - 1/alpha)"),
    l1: float = typer.Option(1e-5, "--l1", help="L1 penalty on the weights"),
    lr: float = typer.Option(2e-3, "--lr", help="Adam learning rate"),
    batch_size: int = typer.Option(64, "--batch-size", help="mini-batch size"),
    fraction: float = typer.Option(1.0, "--fraction", help="share of training data to retrain"),
    compare_scratch: bool = typer.Option(False, "--compare-scratch",
                                         help="also train from scratch on the same share"),
    section: int = typer.Option(0, "--section", help="columns per packing section (0: none)"),
    array: str = typer.Option("32,32", "--array", help="bit-serial array R,C"),
    seed: int = typer.Option(0, "--seed", help="random seed"),
    threads: int = typer.Option(1, "--threads", help="torch threads"),
    out: str = typer.Option("", "--out", help="write the result JSON here"),
    as_json: bool = typer.Option(False, "--json", help="print the result JSON"),
) -> None:
    """Pretrain densely, prune -> combine -> retrain, fold BN, quantise to 8 bits and cost
    the network on the bit-serial array against the dense baseline."""
    from flexsa.packing.metrics import ArrayShape
    from flexsa.packing.names import check_data, check_network

    check_network(model)
    check_data(data, data_dir)
    if alpha < 1:
        raise FlexsaError(f"--alpha must be an integer >= 1, got {alpha}")
    if not gamma >= 0:
        raise FlexsaError(f"--gamma must be >= 0, got {gamma}")
    shape = ArrayShape.parse(array)
    try:
        from flexsa.packing.joint.experiment import ExperimentConfig, run_experiment
        from flexsa.packing.joint.train import TrainConfig
    except ImportError as err:  # pragma: no cover - torch missing
        raise FlexsaError(f"colcomb train needs torch and scikit-learn "
                          f"(pip install 'flexsa[torch]'): {err}") from None
    from flexsa.report.output import dumps, print_json, print_table, provenance

    config = ExperimentConfig(
        network=model, data=data, data_dir=data_dir, resolution=resolution, alpha=alpha,
        pretrain_epochs=pretrain_epochs, fraction=fraction, compare_scratch=compare_scratch,
        array=shape,
        train=TrainConfig(epochs=epochs, gamma=gamma, prune_steps=prune_steps,
                          prune_scale=prune_scale, l1=l1, lr=lr, batch_size=batch_size,
                          section=section, seed=seed, threads=threads))
    result = {**run_experiment(config), **provenance(config.as_dict())}
    if out:
        _write(out, dumps(result))
    if as_json:
        print_json(result)
        return
    packed, base = result["packed"], result["baseline_pretrained"]
    rows = [(key, _fmt(base[key]), _fmt(packed[key]))
            for key in ("accuracy", "utilization", "tiles", "throughput", "energy_per_sample",
                        "nonzero_weights")]
    print_table(f"{model} on {data}: dense baseline vs alpha={alpha}, gamma={gamma}",
                ["metric", "baseline", "packed"], rows)
    if "scratch_accuracy" in result:
        typer.echo(f"from scratch on {fraction:.0%} of the data: "
                   f"accuracy {result['scratch_accuracy']:.4f}")


def _fmt(value: float) -> str:
    return f"{value:.4g}" if isinstance(value, float) else f"{value:,}"


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    except OSError as err:
        raise FlexsaError(f"--out: cannot write {path!r} ({err.strerror})") from None


def register(app: typer.Typer) -> None:
    app.add_typer(colcomb_app, name="colcomb")
