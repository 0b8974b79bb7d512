"""The FlexSA evaluation's work: which (study, config, memory) targets each variant is run
on, the work units (one model instance on one architecture) still to do, and running one.

A *work unit* is one model instance (a variant at one pruning interval) simulated on one
architecture for several (study, config, memory) *targets*; every target gives one
:class:`RunRecord`. A unit is one runner task; its config names the variant, the interval,
the architecture, the targets and the settings that decide its numbers.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from typing import Any

from flexsa.report.evaluation.matrix import (
    DEPTHWISE_MODELS,
    SPLIT_CONFIGS,
    SPLIT_RUNS,
    EvalSettings,
    Interval,
    Target,
    Variant,
    record_key,
)
from flexsa.report.evaluation.records import Metrics, RunRecord, make_record
from flexsa.studies.flexsa_backend import Backend, Workload

# Relative simulation cost per architecture (measured on ResNet50), for scheduling only.
ARCH_COST: dict[str, float] = {"1G1C": 1.0, "1G4C": 1.0, "1G1F": 1.5, "4G4C": 2.5,
                               "4G1F": 3.0, "16G4C": 4.0}


def targets_for(settings: EvalSettings, variant: Variant) -> tuple[Target, ...]:
    """Every (study, config, memory) a variant's model instances are simulated on."""
    targets: list[Target] = []
    if "main" in settings.studies:
        targets += [Target("main", c, m) for c in settings.main_configs
                    for m in settings.memories]
        if (variant.model in DEPTHWISE_MODELS and "ideal" in settings.memories
                and settings.depthwise != "simd"):
            targets += [Target("nodw", c, "ideal") for c in settings.main_configs]
    if "splitting" in settings.studies and variant.run in SPLIT_RUNS:
        targets += [Target("splitting", label, "ideal") for label in SPLIT_CONFIGS]
    return tuple(targets)


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

    def config(self, settings: EvalSettings) -> dict[str, Any]:
        """The runner task's config: everything that decides this unit's records."""
        return {"variant": asdict(self.variant), "interval": self.interval.index,
                "arch": self.arch, "targets": [list(asdict(t).values()) for t in self.targets],
                "epochs": settings.epochs, "interval_epochs": settings.interval,
                "seed": settings.seed, "dgrad_form": settings.dgrad_form,
                "depthwise": settings.depthwise}


def arch_of(target: Target) -> str:
    return SPLIT_CONFIGS[target.config] if target.study == "splitting" else target.config


def plan(settings: EvalSettings, backend: Backend, done: set[str]) -> list[WorkUnit]:
    """Every unit with at least one target whose record is not in ``done`` (longest first)."""
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
    from flexsa.workloads.depthwise import depthwise_convs

    names = {layer.name for layer in depthwise_convs(workload.model)}
    gemms = tuple(g for g in workload.gemms if getattr(g, "layer", None) not in names)
    return replace(workload, gemms=gemms or workload.gemms)
