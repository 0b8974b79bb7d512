"""The result of one run, built once by :func:`flexsa.pipeline.evaluate` from typed parts.

Every part is the output of one stage: :class:`~flexsa.sim.result.CoreTiming` (core, ideal
memory), :class:`~flexsa.sim.memory_result.MemoryTiming` (the memory system's stalls and
DRAM bytes), :class:`Energy` (energy breakdown, its event counts, area),
:class:`~flexsa.sim.simd.SimdTiming` (model runs) and the depthwise lowering. Modes are
keyed by :class:`~flexsa.compiler.modes.Mode`; :meth:`SimResult.as_dict` is the JSON form
(``flexsa simulate --json``), the only place they become strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flexsa.compiler.modes import Mode
from flexsa.energy.model import EnergyBreakdown, EnergyCounts
from flexsa.sim.memory_result import MemoryTiming
from flexsa.sim.memory_spec import MemorySpec
from flexsa.sim.result import CoreTiming, GemmStats, Traffic, mode_dict
from flexsa.sim.simd import SimdTiming
from flexsa.workloads.depthwise import DepthwiseInfo


@dataclass(frozen=True)
class Energy:
    """The energy stage's output: dynamic energy, the counts it was computed from, area."""

    breakdown: EnergyBreakdown
    counts: EnergyCounts
    area_mm2: float
    table: str  # the energy table's origin ("default" or the override file)


@dataclass(frozen=True)
class SimResult:
    """One run: core timing plus what the memory system adds, energy, area, SIMD time.

    ``traffic`` is the core's traffic with the memory model's DRAM bytes; ``cycles`` the
    core's ideal cycles plus the stall cycles."""

    core: CoreTiming = field(repr=False)
    memory_timing: MemoryTiming
    memory_spec: MemorySpec
    traffic: Traffic
    energy: Energy = field(repr=False)
    simd: SimdTiming | None = None
    depthwise: DepthwiseInfo | None = None  # how depthwise convs ran (model runs)

    # -------------------------------------------------------------- timing
    @property
    def cycles(self) -> int:
        return self.core.cycles + self.memory_timing.stall_cycles

    @property
    def stall_cycles(self) -> int:
        return self.memory_timing.stall_cycles

    @property
    def simd_cycles(self) -> int | None:
        return None if self.simd is None else self.simd.cycles

    @property
    def macs(self) -> int:
        return self.core.macs

    @property
    def executed_macs(self) -> int:
        return self.core.executed_macs

    @property
    def total_pes(self) -> int:
        return self.core.total_pes

    @property
    def clock_ghz(self) -> float:
        return self.core.clock_ghz

    @property
    def waves_by_mode(self) -> Mapping[Mode, int]:
        return self.core.waves_by_mode

    @property
    def cycles_by_mode(self) -> Mapping[Mode, int]:
        return self.core.cycles_by_mode

    @property
    def per_gemm(self) -> tuple[GemmStats, ...]:
        return self.core.per_gemm

    @property
    def pe_utilization(self) -> float:
        return self.macs / (self.total_pes * self.cycles) if self.cycles else 0.0

    @property
    def seconds(self) -> float:
        return self.cycles / (self.clock_ghz * 1e9)

    # -------------------------------------------------------------- memory and energy
    @property
    def memory(self) -> str:
        """The memory system's name: ``ideal``, ``hbm2`` or ``<GB/s>GB/s``."""
        return self.memory_spec.name

    @property
    def energy_pj(self) -> dict[str, float]:
        return self.energy.breakdown.as_dict()

    @property
    def area_mm2(self) -> float:
        return self.energy.area_mm2

    @property
    def traffic_bytes(self) -> dict[str, Any]:
        return self.traffic.as_dict()

    @property
    def memory_system(self) -> dict[str, Any]:
        """The memory spec, ideal cycles, DRAM bytes and the bandwidths used and needed."""
        spec, mem, clock = self.memory_spec, self.memory_timing, self.clock_ghz
        cycles = self.cycles
        dram_bytes = self.traffic.dram_to_gbuf + self.traffic.gbuf_to_dram
        lbuf_bytes = self.traffic.stationary + self.traffic.streamed
        return {
            **spec.as_dict(),
            "ideal_cycles": self.core.cycles,
            "compulsory_dram_bytes": mem.compulsory_bytes,
            "gbuf_partial_sum_bytes": mem.partial_store_bytes,
            "bandwidth_gbps": {
                "dram": {"average": dram_bytes / cycles * clock if cycles else 0.0,
                         "peak_needed": None if spec.ideal else mem.peak_dram_bpc * clock},
                "gbuf_to_lbuf": {"average": lbuf_bytes / cycles * clock if cycles else 0.0,
                                 "peak_needed": None if spec.ideal
                                 else mem.peak_lbuf_bpc * clock},
            },
            "energy_table": self.energy.table,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "cycles": self.cycles,
            "macs": self.macs,
            "executed_macs": self.executed_macs,
            "pe_utilization": self.pe_utilization,
            "seconds": self.seconds,
            "waves_by_mode": mode_dict(self.waves_by_mode),
            "cycles_by_mode": mode_dict(self.cycles_by_mode),
            "traffic_bytes": self.traffic_bytes,
            "memory": self.memory,
            "gemms": len(self.per_gemm),
            "stall_cycles": self.stall_cycles,
            "energy_pj": self.energy_pj,
            "area_mm2": self.area_mm2,
            "memory_system": self.memory_system,
            **({} if self.simd is None else {"simd_cycles": self.simd.cycles}),
            **({} if self.depthwise is None else {"depthwise": self.depthwise.as_dict()}),
        }
