"""The memory system's timing of a run: DRAM traffic, stall cycles, bandwidth needed.

:func:`memory_timing` sums the per-GEMM results of :func:`flexsa.sim.memory.gemm_memory`
(identical GEMM shapes are evaluated once there) into one typed :class:`MemoryTiming`; the
pipeline (:mod:`flexsa.pipeline.stages`) adds it to the core's ideal timing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flexsa.arch.config import ArchConfig
from flexsa.sim.memory import gemm_memory
from flexsa.sim.memory_spec import MemorySpec
from flexsa.workloads.layers import Gemm


@dataclass(frozen=True)
class MemoryTiming:
    """What a finite memory system adds to a run's ideal timing (all zero stalls for
    ``ideal``; DRAM bytes are counted in every mode)."""

    stall_cycles: int
    dram_to_gbuf: int
    gbuf_to_dram: int
    compulsory_bytes: int
    partial_store_bytes: int     # GBUF partial sums of K-split blocks (written and re-read)
    peak_dram_bpc: float         # DRAM bytes per cycle the busiest block needs
    peak_lbuf_bpc: float         # GBUF -> LBUF bytes per cycle the busiest block needs


def memory_timing(arch: ArchConfig, spec: MemorySpec, gemms: Sequence[Gemm],
                  policy: str = "auto") -> MemoryTiming:
    """Stall cycles and DRAM traffic of ``gemms`` run one after the other."""
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
    return MemoryTiming(stall, to_gbuf, to_dram, compulsory, partial, peak_dram, peak_lbuf)
