"""The simulator calls the evaluation makes, behind one small interface.

:class:`ToolkitBackend` uses the toolkit's own packages (``flexsa.arch``, ``flexsa.sim``,
``flexsa.energy``, ``flexsa.workloads.pruning``); tests substitute a small fake with the
same methods. Everything a run produces is turned into a :class:`Metrics` record here, so
nothing downstream depends on the simulator's result type.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from flexsa.report.evaluation.matrix import Interval, Variant

MODE_KEYS: tuple[str, ...] = ("FW", "HSW", "VSW", "ISW", "core")
ENERGY_KEYS: tuple[str, ...] = ("comp", "lbuf", "gbuf", "dram", "overcore", "forwarding",
                                "total")


@dataclass(frozen=True)
class Metrics:
    """What one simulation of one model instance on one config and memory mode gives."""

    cycles: int
    macs: int
    pe_utilization: float
    total_pes: int
    clock_ghz: float = 0.7
    stall_cycles: int = 0
    simd_cycles: int | None = None
    waves_by_mode: Mapping[str, int] = field(default_factory=dict)
    cycles_by_mode: Mapping[str, int] = field(default_factory=dict)
    gbuf_to_lbuf_stationary: int = 0
    gbuf_to_lbuf_streamed: int = 0
    lbuf_to_gbuf: int = 0
    overcore: int = 0
    dram_to_gbuf: int | None = None
    gbuf_to_dram: int | None = None
    energy_pj: Mapping[str, float] | None = None


@dataclass(frozen=True)
class Workload:
    """A model instance at a mini-batch with its training GEMMs (lowered once)."""

    model: Any
    batch: int
    gemms: tuple[Any, ...]
    depthwise: str = "simd"  # how depthwise convs were lowered (simd: on the SIMD unit)


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


def has_module(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


# The core-splitting study's 64 cores of 16x16: 16 groups sharing a GBUF per four cores.
CUSTOM_ARCHS: dict[str, tuple[str, dict[str, Any]]] = {
    "16G4C": ("4G4C", {"groups": 16, "cores_per_group": 4, "core_rows": 16, "core_cols": 16}),
}


class ToolkitBackend:
    """The real simulator: ``flexsa.arch``, ``flexsa.sim``, ``flexsa.energy``, pruning."""

    def __init__(self) -> None:
        self._archs: dict[str, Any] = {}

    def __getstate__(self) -> dict[str, Any]:  # sent to worker processes without caches
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._archs = {}

    # ----------------------------------------------------------------- provenance
    def describe(self) -> dict[str, Any]:
        parts = {"core": "flexsa.sim", "memory": "flexsa.energy",
                 "prune": "flexsa.workloads.pruning.trajectory"}
        return {"backend": "toolkit",
                "available": {name: has_module(mod) for name, mod in parts.items()},
                "trajectory_source": ("flexsa.workloads.pruning.trajectory"
                                      if has_module(parts["prune"])
                                      else "stand-in: uniform width scaling")}

    # ----------------------------------------------------------------- architectures
    def arch(self, name: str) -> Any:
        if name not in self._archs:
            self._archs[name] = _build_arch(name)
        return self._archs[name]

    def arch_dict(self, arch_name: str) -> dict[str, Any]:
        return dict(self.arch(arch_name).as_dict())

    def area_mm2(self, arch_name: str) -> dict[str, float]:
        from flexsa.energy.area import area_of

        area = area_of(self.arch(arch_name))
        return _area_dict(area)

    # ----------------------------------------------------------------- workloads
    def instances(self, variant: Variant, epochs: int, interval: int,
                  seed: int) -> list[tuple[Interval, Any]]:
        from flexsa.report.evaluation.trajectories import model_instances

        return model_instances(variant, epochs, interval, seed)

    def workload(self, model: Any, batch: int, dgrad_form: str, depthwise: str = "simd",
                 arch_name: str = "") -> Workload:
        """The training GEMMs; ``packed`` depthwise convs fill ``arch_name``'s unit."""
        from flexsa.workloads.depthwise import DEFAULT_PACK_SHAPE
        from flexsa.workloads.lowering import lower_model

        shape = DEFAULT_PACK_SHAPE
        if arch_name:
            arch = self.arch(arch_name)
            shape = (arch.blk_k, arch.blk_n)
        gemms = lower_model(model, batch, "all", dgrad_form, depthwise, shape)
        return Workload(model, batch, tuple(gemms), depthwise)

    # ----------------------------------------------------------------- simulation
    def simulate(self, arch_name: str, workload: Workload, memory: str) -> Metrics:
        from flexsa.sim import simulate_gemms

        arch = self.arch(arch_name)
        result = simulate_gemms(arch, list(workload.gemms), memory=memory)
        return metrics_from_result(result, arch, self._simd_cycles(workload, arch, memory))

    def simulate_many(self, arch_name: str, workload: Workload,
                      memories: Sequence[str]) -> dict[str, Metrics]:
        """Several memory modes of one workload, the ideal timing computed once.

        Mirrors :func:`flexsa.sim.simulate_gemms` (ideal wave timing, then the memory
        system applied); a test checks both give the same numbers.
        """
        try:
            from flexsa.sim.fast import result_from_stats
            from flexsa.sim.memory_result import apply_memory
            from flexsa.sim.memory_spec import parse_memory
        except ImportError:
            return {m: self.simulate(arch_name, workload, m) for m in memories}
        arch = self.arch(arch_name)
        gemms = list(workload.gemms)
        stats = gemm_stats_by_part(arch, gemms)
        out = {}
        for memory in memories:
            spec = parse_memory(memory, arch)
            result = apply_memory(arch, result_from_stats(arch, stats, spec.name), gemms, spec)
            out[memory] = metrics_from_result(result, arch,
                                              self._simd_cycles(workload, arch, memory))
        return out

    def _simd_cycles(self, workload: Workload, arch: Any, memory: str) -> int | None:
        if workload.model is None:
            return None
        try:
            from flexsa.sim.simd import simd_cycles
        except ImportError:
            return None
        return int(simd_cycles(workload.model, workload.batch, arch, memory=memory,
                               depthwise=workload.depthwise))


def gemm_stats_by_part(arch: Any, gemms: Sequence[Any]) -> list[Any]:
    """Per-GEMM statistics (the core plans GEMMs and group parts of equal shape once)."""
    from flexsa.sim.fast import simulate_gemm_stats

    return list(simulate_gemm_stats(arch, gemms, "auto"))


def _build_arch(name: str) -> Any:
    from flexsa.arch import load_arch

    if name not in CUSTOM_ARCHS:
        return load_arch(name)
    from flexsa.arch import with_overrides

    base, overrides = CUSTOM_ARCHS[name]
    return with_overrides(load_arch(base), {"name": name, **overrides})


def _area_dict(area: Any) -> dict[str, float]:
    """mm^2 per component and ``total`` from an ``AreaBreakdown`` (or a mapping)."""
    if isinstance(area, Mapping):
        return {k: float(v) for k, v in area.items() if isinstance(v, int | float)}
    out = {name: float(value) for name in ("pe", "lbuf", "gbuf", "wires", "repeaters")
           if isinstance(value := getattr(area, name, None), int | float)}
    extras = getattr(area, "flexsa", None)
    if extras is not None and isinstance(getattr(extras, "total", None), int | float):
        out["flexsa_extras"] = float(extras.total)
    out["total"] = float(area.total)
    return out


def metrics_from_result(result: Any, arch: Any, simd: int | None) -> Metrics:
    """Turn a simulator ``SimResult`` (core + memory fields) into :class:`Metrics`."""
    traffic = dict(getattr(result, "traffic_bytes", {}) or {})
    to_lbuf = traffic.get("gbuf_to_lbuf", {}) or {}
    energy = getattr(result, "energy_pj", None)
    return Metrics(
        cycles=int(result.cycles), macs=int(result.macs),
        pe_utilization=float(result.pe_utilization), total_pes=int(arch.total_pes),
        clock_ghz=float(getattr(arch, "clock_ghz", 0.7)),
        stall_cycles=int(getattr(result, "stall_cycles", 0) or 0), simd_cycles=simd,
        waves_by_mode={k: int(v) for k, v in dict(result.waves_by_mode).items()},
        cycles_by_mode={k: int(v) for k, v in dict(result.cycles_by_mode).items()},
        gbuf_to_lbuf_stationary=int(to_lbuf.get("stationary", 0)),
        gbuf_to_lbuf_streamed=int(to_lbuf.get("streamed", 0)),
        lbuf_to_gbuf=_total_bytes(traffic.get("lbuf_to_gbuf", 0)),
        overcore=_total_bytes(traffic.get("overcore", 0)),
        dram_to_gbuf=_optional_bytes(traffic.get("dram_to_gbuf")),
        gbuf_to_dram=_optional_bytes(traffic.get("gbuf_to_dram")),
        energy_pj=({k: float(v) for k, v in dict(energy).items() if k in ENERGY_KEYS}
                   if energy else None),
    )


def _total_bytes(value: Any) -> int:
    """A traffic entry is a byte count or a dict of per-operand counts."""
    if isinstance(value, Mapping):
        return int(sum(_total_bytes(v) for v in value.values()))
    return int(value or 0)


def _optional_bytes(value: Any) -> int | None:
    return None if value is None else _total_bytes(value)
