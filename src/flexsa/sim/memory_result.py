"""Attach the memory system (DRAM traffic, stalls, bandwidth), energy and area to a result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from flexsa.arch.config import ArchConfig
from flexsa.energy.area import area_of
from flexsa.energy.model import counts_of, energy_from_counts
from flexsa.energy.table import EnergyTable, load_energy_table
from flexsa.sim.memory import gemm_memory
from flexsa.sim.memory_spec import MemorySpec
from flexsa.sim.result import SimResult
from flexsa.workloads.layers import Gemm


def _gbps(bytes_per_cycle: float, clock_ghz: float) -> float:
    return bytes_per_cycle * clock_ghz


def apply_memory(arch: ArchConfig, result: SimResult, gemms: Sequence[Gemm], spec: MemorySpec,
                 policy: str = "auto", table: EnergyTable | str | None = None) -> SimResult:
    """``result`` (ideal timing) with DRAM traffic, stall cycles, energy and area added."""
    if not isinstance(table, EnergyTable):
        table = load_energy_table(table)
    stall = to_gbuf = to_dram = compulsory = partial = 0
    peak_dram = peak_lbuf = 0.0
    for gemm in gemms:
        mem = gemm_memory(arch, spec, gemm, policy)
        stall += mem.stall_cycles
        to_gbuf += mem.dram_to_gbuf
        to_dram += mem.gbuf_to_dram
        compulsory += mem.compulsory_bytes
        partial += mem.partial_store_bytes
        peak_dram = max(peak_dram, mem.peak_dram_bpc)
        peak_lbuf = max(peak_lbuf, mem.peak_lbuf_bpc)
    traffic = replace(result.traffic, dram_to_gbuf=to_gbuf, gbuf_to_dram=to_dram)
    cycles = result.cycles + stall
    ideal_cycles = result.cycles
    accum = sum(wc.count * wc.m * wc.n for s in result.per_gemm for wc in s.wave_classes)
    with_traffic = replace(result, traffic=traffic)
    counts = counts_of(with_traffic, accum * arch.output_bytes)
    counts = replace(counts, lbuf_to_gbuf_bytes=counts.lbuf_to_gbuf_bytes + partial,
                     output_accum_bytes=counts.output_accum_bytes + partial)
    energy = energy_from_counts(counts, arch, table)
    lbuf_bytes = result.traffic.stationary + result.traffic.streamed
    clock = arch.clock_ghz
    system: dict[str, Any] = {
        **spec.as_dict(),
        "ideal_cycles": ideal_cycles,
        "compulsory_dram_bytes": compulsory,
        "gbuf_partial_sum_bytes": partial,
        "bandwidth_gbps": {
            "dram": {"average": _gbps((to_gbuf + to_dram) / cycles, clock) if cycles else 0.0,
                     "peak_needed": None if spec.ideal else _gbps(peak_dram, clock)},
            "gbuf_to_lbuf": {"average": _gbps(lbuf_bytes / cycles, clock) if cycles else 0.0,
                             "peak_needed": None if spec.ideal else _gbps(peak_lbuf, clock)},
        },
        "energy_table": table.origin,
    }
    return replace(result, cycles=cycles, traffic=traffic, stall_cycles=stall,
                   energy_pj=energy, area_mm2=area_of(arch, table).total,
                   memory_system=system)
