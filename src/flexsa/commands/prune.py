"""``flexsa prune trajectory`` and ``flexsa prune train`` (PruneTrain)."""

from __future__ import annotations

from pathlib import Path

import typer

from flexsa.commands.flags import given
from flexsa.errors import WorkloadError

prune_app = typer.Typer(help="Pruning while training: trajectories and PruneTrain.",
                        no_args_is_help=True)


@prune_app.command("trajectory")
def trajectory(
    model: str = typer.Option(..., "--model", "-m", help="zoo model (resnet50, inception_v4, "
                              "mobilenet_v2, ...)"),
    strength: str = typer.Option("", help="low (48% of dense training FLOPs at the end), high "
                                 "(25%) or a target fraction in (0, 1]"),
    width_mult: float = typer.Option(0.0, "--width-mult", help="instead of pruning: a "
                                     "uniformly thinner model, e.g. 0.75 (MobileNet v2)"),
    epochs: int = typer.Option(90, help="training epochs"),
    interval: int = typer.Option(10, help="epochs between reconfigurations"),
    seed: int = typer.Option(0, help="seed of the per-space jitter"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    out: Path | None = typer.Option(None, "--out", "-o", help="also write the JSON to a file"),
) -> None:
    """Per-interval channel counts of a model pruned while training (no training needed)."""
    from flexsa.commands.flags import exclusive, ignored_with
    from flexsa.paths import output_file
    from flexsa.report.output import dumps, print_json, print_table
    from flexsa.validation import seed as check_seed
    from flexsa.workloads.pruning.trajectory import make_trajectory, width_trajectory

    exclusive("strength", "width_mult")
    seed = check_seed(seed)
    if given_width := given("width_mult"):
        ignored_with("with --width-mult (no jitter)", "seed")
    if out is not None:
        output_file(out, "--out")
    if given_width or width_mult:
        traj = width_trajectory(model, width_mult, epochs=epochs, interval=interval)
    else:
        traj = make_trajectory(model, strength or "low", epochs=epochs, interval=interval,
                               seed=seed)
    payload = traj.as_dict()
    if out is not None:
        out.write_text(dumps(payload) + "\n")
    if as_json:
        print_json(payload)
        return
    rows = []
    for item, pruned in zip(traj.intervals, traj.models(), strict=True):
        rows.append((item.epoch_start, item.epoch_end, f"{item.train_flops_ratio:.4f}",
                     f"{pruned.macs / 1e9:.4f}", pruned.params))
    print_table(f"{traj.model_name} pruning trajectory ({traj.strength}, seed {traj.seed})",
                ["epoch_start", "epoch_end", "train_flops_ratio", "fwd GMACs/sample", "params"],
                rows)
    typer.echo(f"final train-FLOPs ratio {traj.final_train_flops_ratio:.4f}, "
               f"run average {traj.mean_train_flops_ratio:.4f}")


@prune_app.command("train")
def train(
    model: str = typer.Option("small-resnet", "--model", "-m", help="network to train: "
                              "small-resnet (bottleneck ResNet on sklearn's digits)"),
    epochs: int = typer.Option(10, help="training epochs"),
    interval: int = typer.Option(2, help="epochs between reconfigurations"),
    penalty_ratio: float = typer.Option(0.8, "--penalty-ratio", help="group-lasso share of "
                                        "the first iteration's loss, in (0, 1)"),
    lr: float = typer.Option(0.05, help="peak SGD learning rate (momentum 0.9, cosine decay)"),
    batch_size: int = typer.Option(32, "--batch-size", help="mini-batch size"),
    threshold: float = typer.Option(1e-4, help="a channel is dense if any |w| >= this"),
    seed: int = typer.Option(0, help="seed of the data split, initialisation and shuffling"),
    threads: int = typer.Option(1, help="torch CPU threads"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    out: Path | None = typer.Option(None, "--out", "-o", help="directory for the run JSON and "
                                    "one workload file per reconfiguration"),
) -> None:
    """PruneTrain a small ResNet on the digits (offline): accuracy and FLOPs per interval."""
    from flexsa.paths import output_dir
    from flexsa.validation import positive
    from flexsa.validation import seed as check_seed
    from flexsa.workloads.pruning.config import PruneTrainConfig, check_model_name

    config = PruneTrainConfig(epochs, interval, penalty_ratio, threshold, lr,
                              batch_size=batch_size, seed=check_seed(seed))
    check_model_name(model)
    positive(threads, "--threads", limit="workers", error=WorkloadError)
    if out is not None:
        output_dir(out, "--out", WorkloadError)
    import torch

    from flexsa.report.output import print_json, print_table, provenance
    from flexsa.workloads.pruning.digits import run_digits

    torch.set_num_threads(threads)

    def progress(report: object) -> None:
        if not as_json:
            typer.echo(_interval_line(report), err=True)

    result = run_digits(config, model, progress)
    payload = {"model": model, **result.as_dict(),
               **provenance({"model": model, **config.as_dict(), "threads": threads})}
    if out is not None:
        _write_run(out, payload, result)
    if as_json:
        print_json(payload)
        return
    rows = [(i.epoch_start, i.epoch_end, f"{i.train_flops_ratio:.4f}", f"{i.accuracy:.4f}",
             f"{i.pruned_train_flops_ratio:.4f}", f"{i.pruned_accuracy:.4f}",
             " ".join(i.removed_blocks) or "-") for i in result.intervals]
    print_table(f"PruneTrain {model} on digits (penalty ratio {penalty_ratio:g}, "
                f"lambda {result.penalty_lambda:.3g})",
                ["from", "to", "flops", "accuracy", "flops after", "acc. after", "removed"],
                rows)
    typer.echo("flops: training-FLOPs ratio of the model trained in the interval (vs dense); "
               "after: once reconfigured at its end")
    typer.echo(f"final: accuracy {result.final_accuracy:.4f}, train-FLOPs ratio "
               f"{result.final_train_flops_ratio:.4f}, run average "
               f"{result.mean_train_flops_ratio:.4f}")


def _interval_line(report: object) -> str:
    from flexsa.workloads.pruning.prunetrain import IntervalReport

    assert isinstance(report, IntervalReport)
    return (f"epochs {report.epoch_start}-{report.epoch_end}: accuracy {report.accuracy:.4f}, "
            f"train-FLOPs ratio {report.train_flops_ratio:.4f} -> "
            f"{report.pruned_train_flops_ratio:.4f} after reconfiguration")


def _write_run(out: Path, payload: dict[str, object], result: object) -> None:
    from flexsa.report.output import dumps
    from flexsa.workloads.pruning.export import model_to_dict
    from flexsa.workloads.pruning.prunetrain import PruneTrainResult

    assert isinstance(result, PruneTrainResult)
    out.mkdir(parents=True, exist_ok=True)
    (out / "run.json").write_text(dumps(payload) + "\n")
    for index, item in enumerate(result.intervals):
        name = f"interval{index:02d}_e{item.epoch_start}-{item.epoch_end}.json"
        (out / name).write_text(dumps(model_to_dict(item.model)) + "\n")
    (out / "final.json").write_text(dumps(model_to_dict(result.final)) + "\n")


def register(app: typer.Typer) -> None:
    app.add_typer(prune_app, name="prune")
