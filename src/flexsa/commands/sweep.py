"""``flexsa sweep SPEC.yaml --out results.sqlite`` and ``flexsa sweep show results.sqlite``."""

from __future__ import annotations

from typing import Any

import typer

from flexsa.errors import ConfigError

HELP = """Run a sweep, or export its results.

  flexsa sweep SPEC.yaml --out results.sqlite [--jobs N] [--scheduler tcp://HOST:PORT]

  flexsa sweep show results.sqlite [--csv | --parquet FILE]
"""


def sweep_command(
    args: list[str] = typer.Argument(..., metavar="SPEC.yaml | show STORE",
                                     help="a sweep spec to run, or `show STORE`"),
    out: str | None = typer.Option(None, "--out", "-o", help="SQLite result store (run)"),
    jobs: int = typer.Option(1, "--jobs", "-j", help="local worker processes (run)"),
    scheduler: str | None = typer.Option(None, "--scheduler",
                                         help="Dask scheduler address tcp://HOST:PORT (run)"),
    as_csv: bool = typer.Option(False, "--csv", help="print all rows as CSV (show)"),
    parquet: str | None = typer.Option(None, "--parquet", help="write rows to a Parquet file "
                                       "(show)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar (run)"),
) -> None:
    """Run a sweep over configs x models x pruning x memory x config fields, or show one."""
    if args[0] == "show":
        if len(args) != 2:
            raise ConfigError("usage: flexsa sweep show STORE.sqlite [--csv | --parquet FILE]")
        if out is not None or jobs != 1 or scheduler is not None:
            raise ConfigError("--out, --jobs and --scheduler apply to running a sweep, not show")
        _show(args[1], as_csv, parquet)
        return
    if len(args) != 1:
        raise ConfigError("usage: flexsa sweep SPEC.yaml --out STORE.sqlite [--jobs N]")
    if as_csv or parquet is not None:
        raise ConfigError("--csv and --parquet apply to `flexsa sweep show STORE`")
    if out is None:
        raise ConfigError("flexsa sweep SPEC.yaml needs --out STORE.sqlite")
    if jobs < 1:
        raise ConfigError(f"--jobs must be >= 1, got {jobs}")
    if jobs != 1 and scheduler is not None:
        raise ConfigError("give --jobs or --scheduler, not both (the Dask workers run the points)")
    _run(args[0], out, jobs, scheduler, quiet)


def _run(spec: str, out: str, jobs: int, scheduler: str | None, quiet: bool) -> None:
    import time

    from rich.console import Console

    from flexsa.report.progress import make_progress
    from flexsa.sweep.engine import run_sweep

    console = Console(stderr=True)
    bar = make_progress("sweep", rate_unit="points", remaining_label="left", console=console,
                        disable=quiet)
    state: dict[str, Any] = {}

    def progress(done: int, total: int) -> None:
        """Called after validation and the store check, then once per finished point."""
        now = time.perf_counter()
        if "task" not in state:
            bar.start()
            state["task"] = bar.add_task("sweep", total=total, rate="-")
            state["start"] = (now, done)
        start_time, start_done = state["start"]
        rate = (done - start_done) / (now - start_time) if now > start_time else 0.0
        bar.update(state["task"], completed=done, rate=f"{rate:.1f}")

    try:
        summary = run_sweep(spec, out, jobs=jobs, scheduler=scheduler, progress=progress)
    finally:
        if "task" in state:
            bar.stop()
    console.print(f"{summary.total} points: {summary.evaluated} evaluated, {summary.skipped} "
                  f"already in {summary.store}, {summary.errors} with errors "
                  f"({summary.seconds:.1f} s)")


def _show(store: str, as_csv: bool, parquet: str | None) -> None:
    from flexsa.sweep.results import columns_of, sweep_records

    if as_csv and parquet is not None:
        raise ConfigError("give at most one of --csv and --parquet")
    records = sweep_records(store)
    columns = columns_of(records)
    if parquet is not None:
        from flexsa.sweep.results import sweep_frame

        try:
            sweep_frame(store).to_parquet(parquet, index=False)
        except ImportError:
            raise ConfigError("--parquet needs pyarrow: pip install pyarrow") from None
        except OSError as err:
            raise ConfigError(f"cannot write {parquet!r}: {err.strerror or err}") from None
        typer.echo(f"wrote {len(records)} rows to {parquet}")
        return
    if as_csv:
        from flexsa.report.output import csv_text

        typer.echo(csv_text(records, columns), nl=False)
        return
    from flexsa.report.output import print_table

    shown = [c for c in columns if c in ("index", "arch", "model", "batch", "pruning", "memory",
                                         "cycles", "pe_utilization", "status")
             or c.startswith(("arch.", "model.", "energy_pj_total"))]
    rows = [[_cell(r.get(c)) for c in shown] for r in records]
    print_table(f"{store}: {len(records)} points", shown, rows)


def _cell(value: Any) -> Any:
    return f"{value:.4f}" if isinstance(value, float) else ("" if value is None else value)


def register(app: typer.Typer) -> None:
    app.command("sweep", help=HELP)(sweep_command)
