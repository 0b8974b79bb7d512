"""``flexsa sparse simulate``: one SpMSpM on the Flexagon engine with a chosen dataflow."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from flexsa.commands.guards import sparse_guards
from flexsa.errors import WorkloadError

sparse_app = typer.Typer(help="Sparse x sparse GEMM (Flexagon engine).", no_args_is_help=True)


_SYN = "(synthetic operands: --m --n --k --nnz-a --nnz-b all required)"


@sparse_app.command("simulate")
def simulate_cmd(
    dataflow: str = typer.Option(..., "--dataflow", "-d",
                                 help="IP_M, IP_N, OP_M, OP_N, Gust_M, Gust_N or all"),
    case: Path | None = typer.Option(None, "--case", help="case JSON (A, B dense lists)"),
    a_file: Path | None = typer.Option(None, "--a", help="A as .npz (scipy) or .mtx"),
    b_file: Path | None = typer.Option(None, "--b", help="B as .npz (scipy) or .mtx"),
    layer_dir: Path | None = typer.Option(None, "--layer-dir",
                                          help="a layer folder of the Flexagon artifact "
                                               "(layer_info.json + CSR/CSC pointer files)"),
    m: int = typer.Option(0, "--m", show_default=False, help=f"rows of A and C {_SYN}"),
    n: int = typer.Option(0, "--n", show_default=False, help=f"columns of B and C {_SYN}"),
    k: int = typer.Option(0, "--k", show_default=False, help=f"inner dimension {_SYN}"),
    nnz_a: int = typer.Option(-1, "--nnz-a", show_default=False, help=f"nonzeros of A {_SYN}"),
    nnz_b: int = typer.Option(-1, "--nnz-b", show_default=False, help=f"nonzeros of B {_SYN}"),
    seed: int = typer.Option(0, "--seed", help="seed of the synthetic operands"),
    profile: str = typer.Option("reference", "--profile", help="reference or ideal timing"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    save_c: Path | None = typer.Option(None, "--save-c",
                                       help="write C (of the first dataflow) as a scipy .npz"),
) -> None:
    """Simulate C = A @ B: cycles (multiply/merge), traffic per tier, cache and PSRAM."""
    import numpy as np

    from flexsa.report.output import print_json, provenance
    from flexsa.sparse.config import ALL_DATAFLOWS, config_for, parse_dataflow, parse_profile
    from flexsa.sparse.engine import simulate

    seed = sparse_guards(m, n, k, nnz_a, nnz_b, save_c, (case, a_file, b_file), seed)
    flows = ALL_DATAFLOWS if dataflow.strip().lower() == "all" else (parse_dataflow(dataflow),)
    hw = config_for(parse_profile(profile))
    problem, reference, expected, source = _load_problem(
        case, a_file, b_file, layer_dir, (m, n, k, nnz_a, nnz_b, seed))
    exact = (problem.a @ problem.b).tocsr()
    if expected is not None and not np.array_equal(exact.toarray(), expected):
        raise WorkloadError(f"case {str(case)!r}: its C differs from A @ B")
    runs = []
    for flow in flows:
        c, result = simulate(problem, flow, hw)
        difference = (c - exact).tocsr()
        error = float(abs(difference).max()) if difference.nnz else 0.0
        runs.append((result, error))
        if save_c is not None and len(runs) == 1:
            import scipy.sparse as sp

            sp.save_npz(save_c, c)
    if as_json:
        print_json({"problem": {"m": problem.m, "n": problem.n, "k": problem.k,
                                "nnz_a": int(problem.a.nnz), "nnz_b": int(problem.b.nnz)},
                    "results": [{**r.as_dict(), "c_max_abs_error": e,
                                 "reference_cycles": reference.get(r.dataflow.value)}
                                for r, e in runs],
                    **provenance({"source": source, "hardware": hw.as_dict()})})
        return
    _print_runs(problem, hw, runs, reference)


def _print_runs(problem: Any, hw: Any, runs: Sequence[tuple[Any, float]],
                reference: dict[str, int]) -> None:
    rows = []
    for result, error in runs:
        ref = reference.get(result.dataflow.value)
        rows.append((result.dataflow.value, result.cycles, result.multiply_cycles,
                     result.merge_cycles, f"{result.cache_miss_rate:.3f}",
                     result.psram_spill_bytes, f"{ref:,}" if ref else "-",
                     f"{(result.cycles - ref) / ref:+.1%}" if ref else "-",
                     "ok" if error == 0.0 else f"err {error:g}"))
    _print_wide_table(f"{problem.m}x{problem.k} @ {problem.k}x{problem.n} "
                      f"(nnz A {problem.a.nnz:,}, B {problem.b.nnz:,}), {hw.profile.value}",
                      ["dataflow", "cycles", "multiply", "merge", "miss rate", "spill bytes",
                       "reference", "diff", "C"], rows)
    typer.echo("C: computed in each dataflow's order and compared with scipy (ok = exact); "
               "miss rate = streamed-cache line misses per access")


def _load_problem(case: Path | None, a_file: Path | None, b_file: Path | None,
                  layer_dir: Path | None, synthetic: tuple[int, ...]) -> tuple[Any, ...]:
    """(problem, reference cycles, expected C, source) from exactly one input option."""
    from flexsa.sparse.formats import generate_problem, load_case, load_matrix, make_problem

    reference: dict[str, int] = {}
    expected = None
    sources = sum(x is not None for x in (case, a_file or b_file, layer_dir))
    if sources > 1:
        raise WorkloadError("give one of --case, --a/--b, --layer-dir or the synthetic sizes")
    if layer_dir is not None:
        from flexsa.sparse.layerdir import load_layer_dir

        return load_layer_dir(layer_dir), reference, expected, {"layer_dir": str(layer_dir)}
    if case is not None:
        loaded = load_case(case)
        return loaded.problem, loaded.reference_cycles, loaded.expected_c, {"case": str(case)}
    if a_file is not None or b_file is not None:
        if a_file is None or b_file is None:
            raise WorkloadError("--a and --b go together: give both matrix files")
        problem = make_problem(load_matrix(a_file, "A"), load_matrix(b_file, "B"),
                               name=a_file.stem)
        return problem, reference, expected, {"a": str(a_file), "b": str(b_file)}
    m, n, k, nnz_a, nnz_b, seed = synthetic
    if min(m, n, k) <= 0 or nnz_a < 0 or nnz_b < 0:
        raise WorkloadError("give --case FILE, --a/--b files, --layer-dir DIR, or all of --m "
                            "--n --k --nnz-a --nnz-b (sizes > 0, nnz >= 0)")
    problem = generate_problem(m, n, k, nnz_a, nnz_b, seed=seed)
    return problem, reference, expected, {"m": m, "n": n, "k": k, "nnz_a": nnz_a,
                                          "nnz_b": nnz_b, "seed": seed}


def _print_wide_table(title: str, columns: Sequence[str],
                      rows: Sequence[Sequence[object]]) -> None:
    """A table fitted to the terminal (columns dropped, never a number broken)."""
    from flexsa.report.output import print_table

    print_table(title, columns, rows)


def register(app: typer.Typer) -> None:
    app.add_typer(sparse_app, name="sparse")
