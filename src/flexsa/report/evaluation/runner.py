"""Run the matrix: plan the work not yet done, simulate it (in worker processes), and
journal every record the moment its unit finishes, under a rich progress bar."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from flexsa.report.evaluation.backend import Backend, Metrics, Workload
from flexsa.report.evaluation.journal import Journal, RunRecord, make_record
from flexsa.report.evaluation.matrix import (
    SPLIT_CONFIGS,
    EvalSettings,
    Interval,
    Target,
    Variant,
    record_key,
    targets_for,
)

# Relative simulation cost per architecture (measured on ResNet50), for scheduling only.
ARCH_COST: dict[str, float] = {"1G1C": 1.0, "1G4C": 1.0, "1G1F": 1.5, "4G4C": 2.5,
                               "4G1F": 3.0, "16G4C": 4.0}


@dataclass(frozen=True)
class WorkUnit:
    """One model instance on one architecture: its (study, config, memory) targets."""

    variant: Variant
    interval: Interval
    model: Any
    arch: str
    targets: tuple[Target, ...]

    @property
    def label(self) -> str:
        return f"{self.variant.run} e{self.interval.epoch_start} {self.arch}"

    @property
    def cost(self) -> float:
        """A rough size for scheduling the biggest units first (longest first)."""
        scale = ARCH_COST.get(self.arch, 2.0) * (1 + len(self.targets))
        return float(getattr(self.model, "macs", 0)) * self.variant.batch * scale


def arch_of(target: Target) -> str:
    return SPLIT_CONFIGS[target.config] if target.study == "splitting" else target.config


def plan(settings: EvalSettings, backend: Backend, done: set[str]) -> list[WorkUnit]:
    """Every unit with at least one target whose record is not in ``done``."""
    units: list[WorkUnit] = []
    for variant in settings.selected_variants:
        targets = targets_for(settings, variant)
        if not targets:
            continue
        instances = backend.instances(variant, settings.epochs, settings.interval,
                                      settings.seed)
        for interval, model in instances:
            todo = [t for t in targets if record_key(t, variant.run, interval.index) not in done]
            for arch in dict.fromkeys(arch_of(t) for t in todo):
                mine = tuple(t for t in todo if arch_of(t) == arch)
                units.append(WorkUnit(variant, interval, model, arch, mine))
    return sorted(units, key=lambda u: -u.cost)


def run_unit(backend: Backend, unit: WorkUnit, dgrad_form: str,
             depthwise: str = "simd") -> list[RunRecord]:
    """Simulate one unit; each memory mode once even if several studies want it."""
    full = backend.workload(unit.model, unit.variant.batch, dgrad_form, depthwise=depthwise,
                            arch_name=unit.arch)
    results: dict[tuple[bool, str], tuple[Metrics, float]] = {}
    for nodw in (False, True):
        memories = list(dict.fromkeys(t.memory for t in unit.targets
                                      if (t.study == "nodw") == nodw))
        if not memories:
            continue
        start = time.perf_counter()
        metrics = backend.simulate_many(unit.arch, without_depthwise(full) if nodw else full,
                                        memories)
        seconds = (time.perf_counter() - start) / len(memories)
        results |= {(nodw, m): (metrics[m], seconds) for m in memories}
    return [make_record(t, unit.variant, unit.interval, *results[(t.study == "nodw", t.memory)])
            for t in unit.targets]


def without_depthwise(workload: Workload) -> Workload:
    """The workload minus its depthwise GEMMs (the layers the model marks depthwise)."""
    from dataclasses import replace

    names = {layer.name for layer in _depthwise_layers(workload.model)}
    gemms = tuple(g for g in workload.gemms if getattr(g, "layer", None) not in names)
    return replace(workload, gemms=gemms or workload.gemms)


def _depthwise_layers(model: Any) -> tuple[Any, ...]:
    try:
        from flexsa.workloads.depthwise import depthwise_convs
    except ImportError:  # pragma: no cover - the workloads package is part of every build
        return ()
    return depthwise_convs(model)


def _serial(backend: Backend, units: list[WorkUnit], dgrad_form: str,
            depthwise: str) -> Iterator[list[RunRecord]]:
    for unit in units:
        yield run_unit(backend, unit, dgrad_form, depthwise)


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which journals what finished and stops them."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


# What forked workers inherit: (backend, units, dgrad form, depthwise). Tasks carry only a
# unit's index, so each is a few bytes: a pickled model can exceed the pipe buffer, and a
# task handler blocked on a full pipe made Pool.terminate() hang after Ctrl-C.
_FORKED: tuple[Backend, list[WorkUnit], str, str] | None = None


def _run_indexed(index: int) -> list[RunRecord]:
    assert _FORKED is not None, "worker started without the forked evaluation state"
    backend, units, dgrad_form, depthwise = _FORKED
    return run_unit(backend, units[index], dgrad_form, depthwise)


def _call(task: Callable[[], Any]) -> Any:
    return task()


@dataclass(frozen=True)
class Executed:
    """What :func:`execute` did: records written and the side task's result."""

    written: int
    side: Any = None


def execute(settings: EvalSettings, backend: Backend, journal: Journal, done: set[str],
            jobs: int = 1, progress: bool = True,
            on_record: Callable[[RunRecord], None] | None = None,
            side_task: Callable[[], Any] | None = None) -> Executed:
    """Run every unit not yet done, journaling each record; run ``side_task`` alongside.

    With ``jobs > 1`` the units run in forked worker processes (created before the
    progress bar's thread starts); on any exception, Ctrl-C included, the workers are
    terminated at once and every record journaled so far stays.
    """
    units = plan(settings, backend, done)
    total = sum(len(u.targets) for u in units)
    if jobs <= 1 or len(units) <= 1:
        written = _drain(_serial(backend, units, settings.dgrad_form, settings.depthwise),
                         journal, total,
                         len(done), progress, on_record)
        return Executed(written, side_task() if side_task is not None else None)
    import multiprocessing

    global _FORKED
    _FORKED = (backend, units, settings.dgrad_form, settings.depthwise)
    context = multiprocessing.get_context("fork")
    pool = context.Pool(min(jobs, len(units)), initializer=_ignore_sigint)
    try:
        side = pool.apply_async(_call, (side_task,)) if side_task is not None else None
        results = pool.imap_unordered(_run_indexed, range(len(units)))
        written = _drain(results, journal, total, len(done), progress, on_record)
        executed = Executed(written, side.get() if side is not None else None)
        pool.close()
        return executed
    finally:
        pool.terminate()
        pool.join()
        _FORKED = None


def _drain(results: Iterator[list[RunRecord]], journal: Journal, total: int, resumed: int,
           progress: bool, on_record: Callable[[RunRecord], None] | None) -> int:
    written = 0
    with _progress(progress, total, resumed) as advance:
        for records in results:
            for record in records:
                journal.append(record)
                if on_record is not None:
                    on_record(record)
            written += len(records)
            advance(len(records), records[0].key.rsplit("/", 1)[0] if records else "")
    return written


class _NoProgress:
    def __enter__(self) -> Callable[[int, str], None]:
        return lambda n, label: None

    def __exit__(self, *exc: object) -> None:
        return None


class _RichProgress:
    def __init__(self, total: int, resumed: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(),
                                 TimeRemainingColumn(), TextColumn("{task.fields[last]}"),
                                 console=Console(stderr=True))
        note = f" (resumed, {resumed} done before)" if resumed else ""
        self.task = self.progress.add_task(f"FlexSA evaluation{note}", total=total, last="")

    def __enter__(self) -> Callable[[int, str], None]:
        self.progress.__enter__()
        return lambda n, label: self.progress.update(self.task, advance=n, last=label)

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)


def _progress(enabled: bool, total: int, resumed: int) -> _NoProgress | _RichProgress:
    return _RichProgress(total, resumed) if enabled else _NoProgress()
