"""``flexsa pack``: column-combine one weight matrix and report the packing metrics."""

from __future__ import annotations

import typer

from flexsa.errors import FlexsaError


def pack_command(
    weights: str = typer.Option("", "--weights", help="weight matrix file (.npy, .npz)"),
    key: str = typer.Option("", "--key", help="array name inside an .npz (default: first)"),
    random: str = typer.Option("", "--random", help="ROWS,COLS,DENSITY random matrix instead"),
    alpha: int = typer.Option(8, "--alpha", help="max columns per group (multiplexer width)"),
    gamma: float = typer.Option(0.0, "--gamma", help="conflicts per group / rows"),
    section: int = typer.Option(0, "--section", help="columns per section (0: none)"),
    array: str = typer.Option("32,32", "--array", help="systolic array R,C for tile counts"),
    seed: int = typer.Option(0, "--seed", help="seed of --random"),
    out: str = typer.Option("", "--out", help="write packed weights + control values (.npz)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Pack the sparse columns of a filter matrix (rows = filters) into dense groups."""
    from flexsa.packing import ArrayShape, PackingConfig, pack, packing_metrics
    from flexsa.packing.io import load_weights, random_weights, save_packing
    from flexsa.report.output import print_json, print_table, provenance

    if bool(weights) == bool(random):
        raise FlexsaError("give exactly one of --weights FILE or --random ROWS,COLS,DENSITY")
    from flexsa.commands.guards import pack_guards

    seed = pack_guards(weights, key, random, alpha, gamma, section, array, out, seed)
    config = PackingConfig(alpha=alpha, gamma=gamma, section=section)
    shape = ArrayShape.parse(array)
    matrix = load_weights(weights, key) if weights else random_weights(random, seed)
    packing = pack(matrix, config)
    metrics = packing_metrics(packing, shape)
    if out:
        save_packing(out, packing)
    payload = {
        "rows": packing.rows, "cols": packing.cols, "packed_cols": packing.packed_cols,
        "groups": [list(g) for g in packing.groups],
        "dropped_zero_columns": list(packing.dropped_zero_columns),
        "utilization_before": metrics.utilization_before,
        "utilization_after": metrics.utilization_after,
        "conflict_pruned_fraction": metrics.conflict_pruned_fraction,
        "tiles_before": metrics.tiles_before, "tiles_after": metrics.tiles_after,
        "nnz_before": metrics.nnz_before, "nnz_after": metrics.nnz_after,
        "dropped_zero_rows": list(packing.dropped_zero_rows),
        **provenance({**config.as_dict(), "array": [shape.rows, shape.cols],
                      "weights": weights, "key": key, "random": random, "seed": seed,
                      "out": out}),
    }
    if as_json:
        print_json(payload)
        return
    rows = [(name, payload[name]) for name in (
        "rows", "cols", "packed_cols", "nnz_before", "nnz_after", "utilization_before",
        "utilization_after", "conflict_pruned_fraction", "tiles_before", "tiles_after")]
    print_table(f"column combining (alpha={alpha}, gamma={gamma})", ["metric", "value"],
                [(n, f"{v:.4f}" if isinstance(v, float) else v) for n, v in rows])


def register(app: typer.Typer) -> None:
    app.command("pack")(pack_command)
