"""The simulator calls the evaluation makes, behind one small interface.

:class:`ToolkitBackend` runs every simulation through the evaluation pipeline
(:mod:`flexsa.pipeline`): one run spec per (configuration, workload), the memory modes of a
workload with :func:`flexsa.pipeline.evaluate_memories` (the core timed once). Tests
substitute a small fake with the same methods. Each result is turned into a :class:`Metrics`
record here, from the typed :class:`~flexsa.pipeline.SimResult` fields, so nothing downstream
depends on the simulator's result type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from flexsa.report.evaluation.matrix import Interval, Variant
from flexsa.report.evaluation.records import Metrics

if TYPE_CHECKING:
    from flexsa.arch.config import ArchConfig
    from flexsa.energy.area import AreaBreakdown
    from flexsa.pipeline import RunSpec, SimResult

__all__ = ["Backend", "ToolkitBackend", "Workload", "metrics_from_result"]


@dataclass(frozen=True)
class Workload:
    """A model instance at a mini-batch with its training GEMMs (lowered once), or explicit
    GEMMs (``model`` None). A model workload whose ``gemms`` were filtered (the no-depthwise
    study) is simulated without the GEMMs of the layers it lost, its SIMD work unchanged."""

    model: Any
    batch: int
    gemms: tuple[Any, ...]
    depthwise: str = "simd"  # how depthwise convs were lowered (simd: on the SIMD unit)
    dgrad_form: str = "split"
    pack_shape: tuple[int, int] | None = None   # the tile packed depthwise GEMMs fill
    layers: frozenset[str] = frozenset()        # the layers of the full lowering


class Backend(Protocol):
    """The calls the evaluation needs from the simulator (see :class:`ToolkitBackend`)."""

    def describe(self) -> dict[str, Any]: ...

    def instances(self, variant: Variant, epochs: int, interval: int,
                  seed: int) -> list[tuple[Interval, Any]]: ...

    def workload(self, model: Any, batch: int, dgrad_form: str, depthwise: str = "simd",
                 arch_name: str = "") -> Workload: ...

    def simulate(self, arch_name: str, workload: Workload, memory: str) -> Metrics: ...

    def simulate_many(self, arch_name: str, workload: Workload,
                      memories: Sequence[str]) -> dict[str, Metrics]: ...

    def area_mm2(self, arch_name: str) -> dict[str, float]: ...

    def arch_dict(self, arch_name: str) -> dict[str, Any]: ...


# The core-splitting study's 64 cores of 16x16: 16 groups sharing a GBUF per four cores.
CUSTOM_ARCHS: dict[str, tuple[str, dict[str, Any]]] = {
    "16G4C": ("4G4C", {"groups": 16, "cores_per_group": 4, "core_rows": 16, "core_cols": 16}),
}


class ToolkitBackend:
    """The real simulator: every run through :mod:`flexsa.pipeline`."""

    def __init__(self) -> None:
        self._archs: dict[str, Any] = {}

    def __getstate__(self) -> dict[str, Any]:  # sent to worker processes without caches
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._archs = {}

    # ----------------------------------------------------------------- provenance
    def describe(self) -> dict[str, Any]:
        """What simulated: the toolkit's pipeline (tests substitute fakes)."""
        return {"backend": "toolkit", "pipeline": "flexsa.pipeline",
                "trajectory_source": "flexsa.workloads.pruning.trajectory"}

    # ----------------------------------------------------------------- architectures
    def arch(self, name: str) -> ArchConfig:
        if name not in self._archs:
            self._archs[name] = _build_arch(name)
        return self._archs[name]

    def arch_dict(self, arch_name: str) -> dict[str, Any]:
        return dict(self.arch(arch_name).as_dict())

    def area_mm2(self, arch_name: str) -> dict[str, float]:
        from flexsa.energy.area import area_of

        return _area_dict(area_of(self.arch(arch_name)))

    # ----------------------------------------------------------------- workloads
    def instances(self, variant: Variant, epochs: int, interval: int,
                  seed: int) -> list[tuple[Interval, Any]]:
        from flexsa.studies.flexsa_instances import model_instances

        return model_instances(variant, epochs, interval, seed)

    def workload(self, model: Any, batch: int, dgrad_form: str, depthwise: str = "simd",
                 arch_name: str = "") -> Workload:
        """The training GEMMs (the pipeline's lowering); ``packed`` depthwise convs fill
        ``arch_name``'s unit (default a 128 x 128 unit)."""
        from flexsa.pipeline.stages import lower
        from flexsa.workloads.depthwise import DEFAULT_PACK_SHAPE

        shape = DEFAULT_PACK_SHAPE
        if arch_name:
            arch = self.arch(arch_name)
            shape = (arch.blk_k, arch.blk_n)
        # the arch only completes the run spec here: the pack shape is given explicitly
        spec = self._spec(arch_name or "1G1C", Workload(model, batch, (), depthwise,
                                                         dgrad_form, shape))
        gemms = lower(spec).gemms
        return Workload(model, batch, gemms, depthwise, dgrad_form, shape,
                        frozenset(g.layer for g in gemms))

    # ----------------------------------------------------------------- simulation
    def simulate(self, arch_name: str, workload: Workload, memory: str) -> Metrics:
        return self.simulate_many(arch_name, workload, [memory])[memory]

    def simulate_many(self, arch_name: str, workload: Workload,
                      memories: Sequence[str]) -> dict[str, Metrics]:
        """Several memory modes of one workload, the core timed once."""
        from flexsa.pipeline import evaluate_memories
        from flexsa.sim.memory_spec import parse_memory

        spec = self._spec(arch_name, workload)
        results = evaluate_memories(spec, [parse_memory(m, spec.arch) for m in memories])
        return {m: metrics_from_result(r) for m, r in zip(memories, results, strict=True)}

    def _spec(self, arch_name: str, workload: Workload) -> RunSpec:
        from flexsa.pipeline import run_spec

        arch = self.arch(arch_name)
        if workload.model is None:
            return run_spec(arch, gemms=workload.gemms)
        kept = {g.layer for g in workload.gemms}
        return run_spec(arch, workload.model, batch=workload.batch,
                        dgrad_form=workload.dgrad_form, depthwise=workload.depthwise,
                        pack_shape=workload.pack_shape,
                        skip_layers=sorted(workload.layers - kept) if kept else ())


def _build_arch(name: str) -> ArchConfig:
    from flexsa.arch import load_arch

    if name not in CUSTOM_ARCHS:
        return load_arch(name)
    from flexsa.arch import with_overrides

    base, overrides = CUSTOM_ARCHS[name]
    return with_overrides(load_arch(base), {"name": name, **overrides})


def _area_dict(area: AreaBreakdown) -> dict[str, float]:
    """mm^2 per component, ``flexsa_extras`` and ``total``."""
    out = {"pe": area.pe, "lbuf": area.lbuf, "gbuf": area.gbuf, "wires": area.wires,
           "repeaters": area.repeaters, "flexsa_extras": area.flexsa.total}
    out["total"] = area.total
    return {name: float(value) for name, value in out.items()}


def metrics_from_result(result: SimResult) -> Metrics:
    """The :class:`Metrics` of one pipeline result (typed fields, modes by name)."""
    traffic = result.traffic
    return Metrics(
        cycles=result.cycles, macs=result.macs, pe_utilization=result.pe_utilization,
        total_pes=result.total_pes, clock_ghz=result.clock_ghz,
        stall_cycles=result.stall_cycles, simd_cycles=result.simd_cycles,
        waves_by_mode={m.value: v for m, v in result.waves_by_mode.items()},
        cycles_by_mode={m.value: v for m, v in result.cycles_by_mode.items()},
        gbuf_to_lbuf_stationary=traffic.stationary, gbuf_to_lbuf_streamed=traffic.streamed,
        lbuf_to_gbuf=traffic.outputs, overcore=traffic.overcore,
        dram_to_gbuf=traffic.dram_to_gbuf, gbuf_to_dram=traffic.gbuf_to_dram,
        energy_pj=result.energy_pj,
    )
