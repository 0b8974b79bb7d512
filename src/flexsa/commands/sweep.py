"""``flexsa sweep [run] SPEC.yaml --out results.sqlite`` and ``flexsa sweep show STORE``."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from flexsa.errors import ConfigError

HELP = """Run a sweep (`flexsa sweep SPEC.yaml --out STORE`, short for `sweep run`), or
export its rows (`flexsa sweep show STORE`)."""


class _SpecGroup(TyperGroup):
    """``flexsa sweep SPEC.yaml ...`` runs the spec (``run`` may be left out)."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "run", self.commands["run"], args
        return super().resolve_command(ctx, args)


sweep_app = typer.Typer(cls=_SpecGroup, help=HELP, no_args_is_help=True)


@sweep_app.command("run")
def run_command(
    spec: str = typer.Argument(..., metavar="SPEC.yaml", help="the sweep spec (YAML)"),
    out: str = typer.Option(..., "--out", "-o", help="SQLite result store (created or resumed)"),
    jobs: int = typer.Option(1, "--jobs", "-j", help="local worker processes"),
    scheduler: str | None = typer.Option(None, "--scheduler",
                                         help="Dask scheduler address tcp://HOST:PORT"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
) -> None:
    """Run a sweep over configs x models x pruning x memory x config fields (resumable)."""
    from flexsa.validation import positive

    positive(jobs, "--jobs", limit="workers", error=ConfigError)
    if jobs != 1 and scheduler is not None:
        raise ConfigError("give --jobs or --scheduler, not both (the Dask workers run the points)")
    _run(spec, out, jobs, scheduler, quiet)


@sweep_app.command("show")
def show_command(
    store: str = typer.Argument(..., metavar="STORE.sqlite", help="a sweep result store"),
    as_csv: bool = typer.Option(False, "--csv", help="print all rows as CSV"),
    out: str | None = typer.Option(None, "--out", "-o",
                                   help="write all rows as CSV to FILE, with FILE.meta.json "
                                   "(flexsa version, spec, units)"),
    parquet: str | None = typer.Option(None, "--parquet",
                                       help="write rows to a Parquet file (version and spec "
                                       "in its metadata)"),
) -> None:
    """Show a sweep's rows: a table, CSV (stdout or a file) or Parquet."""
    if sum((as_csv, out is not None, parquet is not None)) > 1:
        raise ConfigError("give at most one of --csv, --out and --parquet")
    _show(store, as_csv, out, parquet)


def _run(spec: str, out: str, jobs: int, scheduler: str | None, quiet: bool) -> None:
    import time

    from rich.console import Console

    from flexsa.report.progress import make_progress
    from flexsa.sweeps.engine import run_sweep

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


def _meta(store: str, records: list[dict[str, Any]], columns: list[str]) -> dict[str, Any]:
    """Version, spec and units of exported rows (Parquet metadata, CSV sidecar)."""
    from flexsa import __version__
    from flexsa.runner import read_store
    from flexsa.sweeps.results import column_units

    meta, _ = read_store(store, "sweep store")
    return {"tool": "flexsa", "version": __version__, "store": store, "store_meta": meta,
            "units": column_units(columns),
            "row_versions": sorted({str(r.get("version")) for r in records})}


def _show(store: str, as_csv: bool, out: str | None, parquet: str | None) -> None:
    import json

    from flexsa.sweeps.results import columns_of, sweep_records

    records = sweep_records(store)
    columns = columns_of(records)
    if parquet is not None:
        from flexsa.sweeps.results import sweep_frame

        frame = sweep_frame(store)
        frame.attrs["flexsa"] = _meta(store, records, columns)
        try:
            frame.to_parquet(parquet, index=False)
        except ImportError:
            raise ConfigError("--parquet needs pyarrow: pip install pyarrow") from None
        except OSError as err:
            raise ConfigError(f"cannot write {parquet!r}: {err.strerror or err}") from None
        typer.echo(f"wrote {len(records)} rows to {parquet}")
        return
    if as_csv or out is not None:
        from flexsa.report.output import csv_text

        text = csv_text(records, columns)
        if out is None:
            typer.echo(text, nl=False)
            return
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(text)
        with open(out + ".meta.json", "w", encoding="utf-8") as handle:
            handle.write(json.dumps(_meta(store, records, columns), indent=2) + "\n")
        typer.echo(f"wrote {len(records)} rows to {out} (and {out}.meta.json)")
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
    app.add_typer(sweep_app, name="sweep")
