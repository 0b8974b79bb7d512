"""Typed simulation results: per GEMM and totals."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flexsa.compiler.modes import MODE_KEYS
from flexsa.sim.overcore import NO_PATHS, paths_dict
from flexsa.workloads.layers import Gemm


def empty_modes() -> dict[str, int]:
    return {key: 0 for key in MODE_KEYS}


@dataclass(frozen=True)
class Traffic:
    """Bytes moved between levels (per operand where it matters)."""

    stationary: int = 0
    streamed: int = 0
    outputs: int = 0
    overcore: int = 0
    group_reduction: int = 0
    dram_to_gbuf: int = 0
    gbuf_to_dram: int = 0
    overcore_paths: tuple[int, ...] = NO_PATHS  # per flexsa.sim.overcore.PATHS

    def __add__(self, other: Traffic) -> Traffic:
        return Traffic(self.stationary + other.stationary, self.streamed + other.streamed,
                       self.outputs + other.outputs, self.overcore + other.overcore,
                       self.group_reduction + other.group_reduction,
                       self.dram_to_gbuf + other.dram_to_gbuf,
                       self.gbuf_to_dram + other.gbuf_to_dram,
                       tuple(a + b for a, b in zip(self.overcore_paths, other.overcore_paths,
                                                   strict=True)))

    def as_dict(self) -> dict[str, Any]:
        return {"gbuf_to_lbuf": {"stationary": self.stationary, "streamed": self.streamed},
                "lbuf_to_gbuf": self.outputs, "overcore": self.overcore,
                "overcore_paths": paths_dict(self.overcore_paths),
                "group_reduction": self.group_reduction,
                "dram_to_gbuf": self.dram_to_gbuf, "gbuf_to_dram": self.gbuf_to_dram}


@dataclass(frozen=True)
class WaveStats:
    """One wave class of one group's part: ``count`` waves of ``m x n x k`` in ``mode``."""

    group: int
    mode: str
    m: int
    n: int
    k: int
    count: int


@dataclass(frozen=True)
class GemmStats:
    """Timing and traffic of one GEMM (a hook for the memory model)."""

    gemm: Gemm
    cycles: int
    group_cycles: tuple[int, ...]
    waves_by_mode: Mapping[str, int]
    cycles_by_mode: Mapping[str, int]
    traffic: Traffic
    wave_classes: tuple[WaveStats, ...]
    output_tiles: int

    @property
    def macs(self) -> int:
        return self.gemm.macs


@dataclass(frozen=True)
class SimResult:
    """Totals of a simulation. ``cycles_by_mode`` counts busy unit-cycles (summed over units)."""

    cycles: int
    macs: int
    executed_macs: int
    total_pes: int
    clock_ghz: float
    waves_by_mode: Mapping[str, int]
    cycles_by_mode: Mapping[str, int]
    traffic: Traffic
    memory: str = "ideal"
    per_gemm: tuple[GemmStats, ...] = field(default=(), repr=False)
    # filled by the memory model (flexsa.sim.memory_result)
    stall_cycles: int = 0
    energy_pj: Mapping[str, float] = field(default_factory=dict)
    area_mm2: float = 0.0
    memory_system: Mapping[str, Any] = field(default_factory=dict)
    simd_cycles: int | None = None
    depthwise: Mapping[str, Any] = field(default_factory=dict)  # how depthwise convs ran

    @property
    def pe_utilization(self) -> float:
        return self.macs / (self.total_pes * self.cycles) if self.cycles else 0.0

    @property
    def seconds(self) -> float:
        return self.cycles / (self.clock_ghz * 1e9)

    @property
    def traffic_bytes(self) -> dict[str, Any]:
        return self.traffic.as_dict()

    def as_dict(self) -> dict[str, Any]:
        return {
            "cycles": self.cycles,
            "macs": self.macs,
            "executed_macs": self.executed_macs,
            "pe_utilization": self.pe_utilization,
            "seconds": self.seconds,
            "waves_by_mode": dict(self.waves_by_mode),
            "cycles_by_mode": dict(self.cycles_by_mode),
            "traffic_bytes": self.traffic_bytes,
            "memory": self.memory,
            "gemms": len(self.per_gemm),
            "stall_cycles": self.stall_cycles,
            "energy_pj": dict(self.energy_pj),
            "area_mm2": self.area_mm2,
            "memory_system": dict(self.memory_system),
            **({} if self.simd_cycles is None else {"simd_cycles": self.simd_cycles}),
            **({"depthwise": dict(self.depthwise)} if self.depthwise else {}),
        }

    @staticmethod
    def combine(results: Iterable[SimResult]) -> SimResult:
        """Sum several results (run one after the other); utilization is recomputed."""
        items = list(results)
        if not items:
            raise ValueError("combine needs at least one result")
        waves, busy = empty_modes(), empty_modes()
        traffic = Traffic()
        for item in items:
            traffic = traffic + item.traffic
            for key in waves:
                waves[key] += item.waves_by_mode.get(key, 0)
                busy[key] += item.cycles_by_mode.get(key, 0)
        first = items[0]
        return SimResult(
            cycles=sum(r.cycles for r in items), macs=sum(r.macs for r in items),
            executed_macs=sum(r.executed_macs for r in items), total_pes=first.total_pes,
            clock_ghz=first.clock_ghz, waves_by_mode=waves, cycles_by_mode=busy,
            traffic=traffic, memory=first.memory,
            per_gemm=tuple(g for r in items for g in r.per_gemm),
            stall_cycles=sum(r.stall_cycles for r in items),
            energy_pj={key: sum(r.energy_pj.get(key, 0.0) for r in items)
                       for key in first.energy_pj},
            area_mm2=first.area_mm2, memory_system=dict(first.memory_system),
            simd_cycles=None if all(r.simd_cycles is None for r in items)
            else sum(r.simd_cycles or 0 for r in items), depthwise=dict(first.depthwise))
