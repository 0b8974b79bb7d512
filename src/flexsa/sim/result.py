"""Typed records of the simulators: traffic, per-GEMM statistics and the core's timing.

The full result of a run (core, memory, energy, SIMD) is :class:`flexsa.pipeline.SimResult`,
built once by the pipeline from these parts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flexsa.compiler.modes import Mode
from flexsa.sim.overcore import NO_PATHS, paths_dict
from flexsa.workloads.layers import Gemm


def empty_modes() -> dict[Mode, int]:
    return {mode: 0 for mode in Mode}


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

    def with_dram(self, dram_to_gbuf: int, gbuf_to_dram: int) -> Traffic:
        """This traffic with the DRAM <-> GBUF bytes of the memory model."""
        return Traffic(self.stationary, self.streamed, self.outputs, self.overcore,
                       self.group_reduction, dram_to_gbuf, gbuf_to_dram, self.overcore_paths)

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
    mode: Mode
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
    waves_by_mode: Mapping[Mode, int]
    cycles_by_mode: Mapping[Mode, int]
    traffic: Traffic
    wave_classes: tuple[WaveStats, ...]
    output_tiles: int

    @property
    def macs(self) -> int:
        return self.gemm.macs


@dataclass(frozen=True)
class CoreTiming:
    """The core's timing of a run with ideal memory (GEMMs one after the other, each on idle
    units) and the traffic between the GBUF, the LBUFs and the cores. ``cycles_by_mode``
    counts busy unit-cycles (summed over units)."""

    cycles: int
    macs: int
    executed_macs: int
    total_pes: int
    clock_ghz: float
    waves_by_mode: Mapping[Mode, int]
    cycles_by_mode: Mapping[Mode, int]
    traffic: Traffic
    per_gemm: tuple[GemmStats, ...] = field(repr=False)

    @property
    def accumulated_outputs(self) -> int:
        """Partial-sum elements written into the output LBUFs (every wave's ``m x n``)."""
        return sum(wc.count * wc.m * wc.n for s in self.per_gemm for wc in s.wave_classes)


def mode_dict(counts: Mapping[Mode, int]) -> dict[str, int]:
    """``{mode name: count}`` in :class:`Mode` order (the JSON form)."""
    return {mode.value: counts[mode] for mode in Mode}
