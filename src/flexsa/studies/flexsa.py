"""The FlexSA evaluation (``flexsa reproduce flexsa``): plan the work units not yet stored,
run them through the one runner into ``DIR/runs.sqlite``, and hand every stored record of
the current selection to :mod:`flexsa.report.evaluation.outputs` (``summary.json``,
``runs.csv``, figures, ``report.html``).

Identity: the store is tied to the settings that decide the numbers (epochs, interval, seed,
dgrad form, depthwise lowering, variants) and the tool version; a rerun with others is
refused with one line unless ``--force`` starts over. Selection filters (``--models``,
``--configs``, ``--memory``, ``--studies``) are not part of it: the store is the cache of
every finished run, reused by any selection, while ``runs.csv`` and ``summary.json`` hold
exactly the runs of the current selection. While a run is in progress (or after it was
killed) there is no ``summary.json``.

The studies beyond the paper (the tiler search) are one more task of the same run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from flexsa import __version__
from flexsa.report.evaluation.matrix import AREA_CONFIGS, SPLIT_CONFIGS, EvalSettings
from flexsa.report.evaluation.outputs import REPORT, SUMMARY, EvalInputs, write_outputs
from flexsa.report.evaluation.records import RunRecord, record_from_dict
from flexsa.report.output import dumps
from flexsa.report.progress import progress_bar
from flexsa.runner import STORE_FILE as STORE
from flexsa.runner import (
    StoreIdentity,
    Task,
    check_identity,
    digest,
    prepare_out_dir,
    read_store,
    remove_store,
    run_tasks,
)
from flexsa.studies.flexsa_backend import Backend
from flexsa.studies.flexsa_units import WorkUnit, plan, run_unit

KIND = "reproduce-flexsa"
Extra = Callable[[Backend, EvalSettings], dict[str, Any]]


@dataclass(frozen=True)
class Outcome:
    """What a reproduction wrote: counts and paths."""

    out_dir: Path
    new_records: int
    reused_records: int
    summary: dict[str, Any]
    figures: tuple[Path, ...]

    @property
    def summary_path(self) -> Path:
        return self.out_dir / SUMMARY

    @property
    def report_path(self) -> Path:
        return self.out_dir / REPORT


def identity(settings: EvalSettings) -> StoreIdentity:
    return StoreIdentity(KIND, {"fingerprint": settings.fingerprint(), "version": __version__},
                         what="flexsa run store",
                         mismatch="holds results of other settings or another flexsa "
                                  "version; rerun with --force to start over or pick "
                                  "another --out")


def search_config(settings: EvalSettings) -> dict[str, Any]:
    """The task config of the studies beyond the paper."""
    return {"study": "search", "studies": list(settings.studies),
            "models": list(settings.models), "fingerprint": settings.fingerprint()}


@dataclass(frozen=True)
class UnitWork:
    """The runner's work function: a unit's task config -> its records (as dicts), or the
    search task's config -> the studies beyond the paper."""

    backend: Backend
    settings: EvalSettings
    units: dict[str, WorkUnit]
    extra: Extra | None = None

    def __call__(self, config: dict[str, Any]) -> Any:
        if config.get("study") == "search":
            assert self.extra is not None, "search task without a search function"
            # plain, strict JSON (records, tuples, numpy scalars as summary.json writes them)
            return json.loads(dumps(dict(self.extra(self.backend, self.settings))))
        unit = self.units[digest(config)]
        records = run_unit(self.backend, unit, self.settings.dgrad_form,
                           self.settings.depthwise)
        return [asdict(r) for r in records]


def stored(out: Path) -> tuple[dict[str, RunRecord], dict[str, Any]]:
    """Every record in the store (by key) and the stored search results (by task id)."""
    path = out / STORE
    if not path.exists():
        return {}, {}
    _, rows = read_store(path)
    records: dict[str, RunRecord] = {}
    searches: dict[str, Any] = {}
    for row in rows:
        if row.config.get("study") == "search":
            searches[row.task_id] = row.result
        else:
            records |= {r.key: r for r in map(record_from_dict, row.result)}
    return records, searches


def selected(record: RunRecord, settings: EvalSettings) -> bool:
    """Is a stored record part of the evaluation these settings describe?"""
    runs = {v.run for v in settings.selected_variants}
    study = "main" if record.study == "nodw" else record.study
    if study not in settings.studies or record.run not in runs:
        return False
    if record.study == "splitting":
        return record.config in SPLIT_CONFIGS
    return record.config in settings.main_configs and record.memory in settings.memories


def _areas(backend: Backend, settings: EvalSettings) -> dict[str, dict[str, float]]:
    if "area" not in settings.studies:
        return {}
    return {label: backend.area_mm2(arch) for label, arch in AREA_CONFIGS.items()}


def _config(settings: EvalSettings, backend: Backend) -> dict[str, Any]:
    archs = dict.fromkeys([*settings.main_configs, *SPLIT_CONFIGS.values()])
    return {"settings": settings.as_dict(), "backend": backend.describe(),
            "architectures": {name: backend.arch_dict(name) for name in archs}}


def _start_over(out: Path) -> None:
    """``--force``: nothing from an earlier run may survive next to the new store."""
    remove_store(out / STORE, "flexsa run store")   # refused while another run writes it
    for name in (SUMMARY, REPORT):
        (out / name).unlink(missing_ok=True)


def _record_order(record: RunRecord) -> tuple[str, str, int, str, str]:
    return record.study, record.run, record.interval, record.config, record.memory


def reproduce(settings: EvalSettings, out_dir: Path, backend: Backend | None = None, *,
              force: bool = False, jobs: int = 1, scheduler: Any = None,
              progress: bool = True, write_figures: bool = True,
              extra: Extra | None = None) -> Outcome:
    """Run (or resume) the evaluation into ``out_dir`` and write every output file."""
    if backend is None:
        from flexsa.studies.flexsa_backend import ToolkitBackend

        backend = ToolkitBackend()
    started = time.perf_counter()
    out = prepare_out_dir(out_dir)
    if force:
        _start_over(out)
    check_identity(out / STORE, identity(settings))
    done, _ = stored(out)
    units = plan(settings, backend, set(done))
    tasks = [Task(u.config(settings), i + 1, u.label, affinity=f"{u.variant.model}/{u.arch}")
             for i, u in enumerate(units)]
    search = Task(search_config(settings), 0, "search") if extra is not None else None
    work = UnitWork(backend, settings, {t.task_id: u for t, u in zip(tasks, units, strict=True)},
                    extra)

    def stale() -> None:  # a kill must not leave another selection's summary behind
        for name in (SUMMARY, REPORT):
            (out / name).unlink(missing_ok=True)

    with progress_bar("FlexSA evaluation", progress) as bar:
        run_tasks([search, *tasks] if search is not None else tasks, work, out / STORE,
                  identity(settings), jobs=jobs, scheduler=scheduler, chunk=1, progress=bar,
                  on_open=stale)
    records, searches = stored(out)
    chosen = sorted((r for r in records.values() if selected(r, settings)), key=_record_order)
    additions = dict(searches.get(search.task_id) or {}) if search is not None else {}
    inputs = EvalInputs(settings, backend.describe(), _config(settings, backend),
                        _areas(backend, settings), additions)
    summary, figures = write_outputs(out, chosen, inputs, time.perf_counter() - started,
                                     write_figures, jobs)
    written = sum(len(u.targets) for u in units)
    return Outcome(out, written, len(chosen) - written, summary, figures)


def stored_count(out: Path) -> int:
    """How many records the store in ``out`` holds (0 if there is none)."""
    return len(stored(out)[0])
