"""Public simulation entry points."""

from __future__ import annotations

from collections.abc import Iterable

from flexsa.arch.config import ArchConfig
from flexsa.errors import ConfigError
from flexsa.sim.result import SimResult
from flexsa.workloads.layers import Gemm
from flexsa.workloads.model import Model

MEMORY_MODES = ("ideal", "hbm2", "<GB/s>")


def simulate_gemms(arch: ArchConfig, gemms: Iterable[Gemm], *, memory: str | float = "ideal",
                   mode_policy: str = "auto", energy_table: str | None = None) -> SimResult:
    """Simulate GEMMs one after the other (each starts on idle units) with the fast model.

    ``memory``: ``"ideal"``, ``"hbm2"`` or a DRAM bandwidth in GB/s (see
    :mod:`flexsa.sim.memory`); DRAM traffic, energy and area are reported in every mode.
    """
    from flexsa.sim.fast import result_from_stats, simulate_gemm_stats
    from flexsa.sim.memory_result import apply_memory
    from flexsa.sim.memory_spec import parse_memory

    spec = parse_memory(memory, arch)
    items = list(gemms)
    if not items:
        raise ConfigError("no GEMMs to simulate")
    if not spec.ideal:  # the DRAM model's work grows with the GBUF blocks: bounded first
        _check_dram_work(arch, items, spec.name)
    ideal = result_from_stats(arch, simulate_gemm_stats(arch, items, mode_policy), spec.name)
    return apply_memory(arch, ideal, items, spec, mode_policy, energy_table)


def _check_dram_work(arch: ArchConfig, gemms: list[Gemm], memory: str) -> None:
    """GBUF blocks the DRAM model will time, per distinct part of each GEMM, within
    ``FLEXSA_MAX_DRAM_BLOCKS`` (measured ~4 us and ~250 B per block)."""
    import math

    from flexsa.compiler.blocking import plan_gemm
    from flexsa.validation import dram_blocks

    for gemm in {(g.m, g.n, g.k, g.groups): g for g in gemms}.values():
        parts = {(p.m, p.n, p.k, p.instances, p.plan): p for p in plan_gemm(gemm, arch).parts}
        dram_blocks(sum(math.prod(p.plan.blocks) for p in parts.values()),
                    f"GEMM {gemm.m}x{gemm.n}x{gemm.k}x{gemm.groups} with --memory {memory}")


def simulate_model(arch: ArchConfig, model: Model, batch: int, *, phases: str = "all",
                   memory: str | float = "ideal", dgrad_form: str = "split",
                   mode_policy: str = "auto", energy_table: str | None = None,
                   depthwise: str = "simd") -> SimResult:
    """Simulate every training GEMM of ``model`` at ``batch`` (the selected phases), plus
    its element-wise layers on the SIMD unit (``simd_cycles``, reported separately).

    ``depthwise``: ``simd`` (depthwise convs on the SIMD unit, in ``simd_cycles``),
    ``per-channel`` or ``packed`` (on the array); the result's ``depthwise`` says which."""
    from dataclasses import replace

    from flexsa.sim.simd import simd_cycles
    from flexsa.workloads.depthwise import describe
    from flexsa.workloads.lowering import lower_model

    shape = (arch.blk_k, arch.blk_n)
    gemms = lower_model(model, batch, phases, dgrad_form, depthwise, shape)
    result = simulate_gemms(arch, gemms, memory=memory, mode_policy=mode_policy,
                            energy_table=energy_table)
    return replace(result, simd_cycles=simd_cycles(model, batch, arch, memory=memory,
                                                   phases=phases, depthwise=depthwise),
                   depthwise=describe(model, depthwise, shape))
