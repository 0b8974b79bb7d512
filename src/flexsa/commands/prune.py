"""``flexsa prune trajectory`` and ``flexsa prune train`` (PruneTrain)."""

from __future__ import annotations

from pathlib import Path

import typer

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
    from flexsa.report.output import dumps, print_json, print_table
    from flexsa.workloads.pruning.trajectory import make_trajectory, width_trajectory

    if width_mult and strength:
        raise WorkloadError("give either --strength or --width-mult, not both")
    if width_mult:
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


def register(app: typer.Typer) -> None:
    app.add_typer(prune_app, name="prune")
