"""``flexsa colcomb train``: joint prune -> combine -> retrain of a small network."""

from __future__ import annotations

from typing import Any

import typer

from flexsa.commands.guards import colcomb_guards
from flexsa.errors import FlexsaError

colcomb_app = typer.Typer(help="Column combining: joint optimisation of accuracy and "
                          "array utilization (needs torch).", no_args_is_help=True)


@colcomb_app.command("train")
def train(
    model: str = typer.Option("lenet5", "--model",
                              help="lenet5, vgg_shift, vgg19_shift or resnet20"),
    data: str = typer.Option("digits", "--data", help="digits (bundled), mnist or cifar10"),
    data_dir: str = typer.Option("", "--data-dir", help="local MNIST/CIFAR-10 directory"),
    resolution: int = typer.Option(0, "--resolution",
                                   help="training input size (0: model default)"),
    alpha: int = typer.Option(8, "--alpha",
                              help="columns per group on every planned layer but the first"),
    alphas: str = typer.Option("", "--alphas",
                               help="per-layer plan A,B,... or per-stage stage:A,B,C"),
    gamma: float = typer.Option(0.5, "--gamma", help="conflicts per group / rows"),
    pretrain_epochs: int = typer.Option(3, "--pretrain-epochs", help="dense epochs first"),
    epochs: int = typer.Option(4, "--epochs", help="prune -> combine -> retrain epochs"),
    prune_steps: int = typer.Option(10, "--prune-steps",
                                    help="prune steps over the first half of training"),
    schedule: str = typer.Option("authors", "--schedule", help="authors or cumulative"),
    prune_scale: float = typer.Option(0.8, "--prune-scale",
                                      help="final prune rate = scale x (1 - 1/alpha)"),
    l1: float = typer.Option(1e-5, "--l1", help="L1 penalty on the combined layers"),
    lr: float = typer.Option(2e-3, "--lr", help="Adam learning rate"),
    batch_size: int = typer.Option(64, "--batch-size", help="mini-batch size"),
    fraction: float = typer.Option(1.0, "--fraction", help="share of training data to retrain"),
    compare_scratch: bool = typer.Option(False, "--compare-scratch",
                                         help="also train from scratch on the same share"),
    section: int = typer.Option(256, "--section", help="columns per packing section (0: none)"),
    layers: str = typer.Option("conv", "--layers",
                               help="layers pruned, combined and counted: conv or all"),
    rows: str = typer.Option("nonzero", "--rows", help="rows counted: nonzero or all"),
    cost_resolution: int = typer.Option(0, "--cost-resolution",
                                        help="input size costed (0: the paper's)"),
    array: str = typer.Option("32,32", "--array", help="bit-serial array R,C"),
    seed: int = typer.Option(0, "--seed", help="random seed"),
    threads: int = typer.Option(1, "--threads", help="torch threads"),
    out: str = typer.Option("", "--out", help="write the result JSON here"),
    as_json: bool = typer.Option(False, "--json", help="print the result JSON"),
) -> None:
    """Pretrain densely, prune -> combine -> retrain, fold BN, quantise to 8 bits and cost
    the network on the bit-serial array against the dense baseline."""
    opts = {**locals(), "network": model}
    config = experiment_config(opts, (model,))
    from flexsa.packing.joint.experiment import run_experiment
    from flexsa.report.output import dumps, print_json, provenance

    result = run_experiment(config)
    result["provenance"].update(provenance(config.as_dict()))
    result["config"] = result["provenance"].pop("config")
    if out:
        _write(out, dumps(result))
    if as_json:
        print_json(result)
    else:
        _print_result(result, opts)


def experiment_config(opts: dict[str, Any], networks: tuple[str, ...]) -> Any:
    """Validate the options (before importing torch), then build the ExperimentConfig."""
    from flexsa.packing.metrics import ArrayShape
    from flexsa.packing.plans import SCHEDULES, check_choice, check_data, check_plan_options

    colcomb_guards(opts)
    check_plan_options(networks, opts["alpha"], opts["alphas"], opts["layers"],
                       opts["rows"], opts["cost_resolution"])
    check_choice(opts["schedule"], SCHEDULES, "--schedule")
    check_data(opts["data"], opts["data_dir"])
    ArrayShape.parse(opts["array"])
    try:
        from flexsa.packing.joint.experiment import ExperimentConfig
    except ImportError as err:  # pragma: no cover - torch missing
        raise FlexsaError(f"column combining needs torch and scikit-learn "
                          f"(pip install 'flexsa[torch]'): {err}") from None
    return ExperimentConfig.from_options(opts)


def _print_result(result: dict[str, Any], opts: dict[str, Any]) -> None:
    from flexsa.report.output import print_table

    packed, base = result["packed"], result["baseline_pretrained"]
    table = [(key, _fmt(base[key]), _fmt(packed[key]))
             for key in ("accuracy", "utilization", "tiles", "throughput", "throughput_tiles",
                         "energy_per_sample", "nonzero_weights")]
    print_table(f"{opts['model']} on {opts['data']}: dense baseline vs alpha="
                f"{opts['alphas'] or opts['alpha']}, gamma={opts['gamma']}",
                ["metric", "baseline", "packed"], table)
    if "scratch_accuracy" in result:
        typer.echo(f"from scratch on {opts['fraction']:.0%} of the data: "
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
