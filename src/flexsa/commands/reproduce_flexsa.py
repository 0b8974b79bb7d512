"""``flexsa reproduce flexsa --out DIR``: the FlexSA evaluation (issue 6)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from flexsa.errors import ConfigError

if TYPE_CHECKING:
    from flexsa.report.evaluation.matrix import EvalSettings


def _jobs(value: int | None) -> int:
    if value is None:
        return max(1, min(2, os.cpu_count() or 1))
    from flexsa.validation import positive

    return positive(value, "--jobs", limit="workers", error=ConfigError)


def reproduce_flexsa(
    out: Path = typer.Option(Path("results"), "--out", "-o", help="output directory"),
    models: str = typer.Option(None, "--models",
                               help="comma-separated: resnet50, inception_v4, mobilenet_v2"),
    configs: str = typer.Option(None, "--configs",
                                help="comma-separated: 1G1C, 1G4C, 4G4C, 1G1F, 4G1F "
                                     "(1G1C is always run: every ratio is taken to it)"),
    memory: str = typer.Option(None, "--memory", help="comma-separated: ideal, hbm2"),
    studies: str = typer.Option(None, "--studies",
                                help="comma-separated: main, splitting, area, search"),
    seed: int = typer.Option(0, "--seed", help="seed of the pruning trajectories"),
    depthwise: str = typer.Option(
        "simd", "--depthwise",
        help="MobileNet v2's depthwise convs: simd (SIMD unit; in end-to-end time, not in "
             "PE utilization), per-channel or packed (GEMMs on the array)"),
    jobs: int = typer.Option(None, "--jobs", "-j", help="worker processes (default: 2)"),
    scheduler: str = typer.Option(None, "--scheduler",
                                  help="run the work units on a Dask scheduler tcp://HOST:PORT "
                                       "(workers need flexsa)"),
    force: bool = typer.Option(False, "--force", help="discard results in DIR, start over"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
    as_json: bool = typer.Option(False, "--json", help="print summary.json's content"),
) -> None:
    """Run the whole FlexSA evaluation into DIR (resumes an interrupted run)."""
    from flexsa.paths import output_dir
    from flexsa.validation import seed as check_seed

    seed = check_seed(seed)
    output_dir(out, "--out", ConfigError)
    from flexsa.report.evaluation.matrix import (
        MAIN_CONFIGS,
        MEMORIES,
        MODEL_ALIASES,
        MODELS,
        STUDIES,
        EvalSettings,
        parse_choice,
    )
    from flexsa.workloads.depthwise import parse_depthwise

    settings = EvalSettings(
        depthwise=parse_depthwise(depthwise, "--depthwise").value,
        models=parse_choice(models, MODELS, "--models", MODEL_ALIASES),
        configs=parse_choice(configs, MAIN_CONFIGS, "--configs"),
        memories=parse_choice(memory, MEMORIES, "--memory"),
        studies=parse_choice(studies, STUDIES, "--studies"), seed=seed)
    workers = _jobs(jobs)
    from flexsa.runner import prepare_out_dir

    prepare_out_dir(out)
    _run(settings, out, workers, force, quiet, as_json, scheduler)


def _run(settings: EvalSettings, out: Path, jobs: int, force: bool, quiet: bool,
         as_json: bool = False, scheduler: str | None = None) -> None:
    from flexsa.runner import STORE_FILE as STORE
    from flexsa.studies.flexsa import reproduce, stored_count
    from flexsa.studies.flexsa_search import beyond_paper

    try:
        outcome = reproduce(settings, out, force=force, jobs=jobs, scheduler=scheduler,
                            progress=not quiet,
                            extra=beyond_paper)
    except KeyboardInterrupt:
        saved = stored_count(out)
        typer.echo(f"interrupted: {saved} finished runs are saved in {out / STORE}; "
                   "rerun the same command to resume", err=True)
        raise typer.Exit(130) from None
    if as_json:
        from flexsa.report.output import print_json

        print_json(outcome.summary)
        return
    typer.echo(f"{outcome.new_records} runs simulated, {outcome.reused_records} reused; "
               f"wrote {outcome.summary_path}, {outcome.report_path}, "
               f"{out / 'runs.csv'} and {len(outcome.figures)} figure files")


def register(reproduce_app: typer.Typer) -> None:
    reproduce_app.command("flexsa")(reproduce_flexsa)
