"""The evaluation pipeline: a :class:`RunSpec` in, a :class:`SimResult` out, in stages.

::

    lower -> plan -> core timing -> memory timing -> energy (+ area) -> SIMD -> SimResult

Each stage is a function from typed records to a typed record (:class:`Lowered`,
:class:`Plan`, :class:`~flexsa.sim.result.CoreTiming`,
:class:`~flexsa.sim.memory_result.MemoryTiming`, :class:`~flexsa.pipeline.result.Energy`,
:class:`~flexsa.sim.simd.SimdTiming`); the numbers come from the layers below
(``workloads``, ``compiler``, ``sim``, ``energy``). :func:`evaluate_memories` times the
core once and applies several memory systems to it (the core's timing assumes ideal memory;
only the memory, energy and SIMD stages depend on the memory system).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from flexsa.errors import WorkloadError
from flexsa.pipeline.result import Energy, SimResult
from flexsa.pipeline.spec import RunSpec, WorkloadSpec

if TYPE_CHECKING:
    from flexsa.compiler.tiling import GemmPartition, ShapeKey
    from flexsa.sim.memory_result import MemoryTiming
    from flexsa.sim.memory_spec import MemorySpec
    from flexsa.sim.result import CoreTiming, Traffic
    from flexsa.sim.simd import SimdTiming
    from flexsa.workloads.depthwise import DepthwiseInfo
    from flexsa.workloads.layers import Gemm
    from flexsa.workloads.model import Model
    from flexsa.workloads.pruning.trajectory import Trajectory


@dataclass(frozen=True)
class Lowered:
    """The workload as GEMMs: the model they came from (``None`` for explicit GEMMs)."""

    model: Model | None
    batch: int
    gemms: tuple[Gemm, ...]


@dataclass(frozen=True)
class Plan:
    """The run mapped onto the groups: each distinct GEMM shape's group partition
    (:func:`~flexsa.compiler.tiling.partition_gemms`) and the mode policy. The DRAM model's
    work (GBUF blocks per distinct part) has been checked against its limit. Tiling and mode
    choice of each distinct part shape happen in core timing, once per process (cached
    with the part's timing)."""

    gemms: tuple[Gemm, ...]
    policy: str
    partitions: Mapping[ShapeKey, GemmPartition]


def evaluate(spec: RunSpec) -> SimResult:
    """Simulate one run (its own memory system)."""
    return evaluate_memories(spec, [spec.memory])[0]


def evaluate_memories(spec: RunSpec, memories: Sequence[MemorySpec]) -> list[SimResult]:
    """``spec``'s run with each memory system in ``memories``: the stages up to the core's
    (ideal-memory) timing run once, the memory-dependent ones per memory system."""
    work = lower(spec)
    plans = [plan_run(spec, work, memory) for memory in memories]  # all bounded first
    if not plans:
        return []
    core = core_timing(spec, plans[0])
    lowering = depthwise(spec, work)   # how depthwise convs ran: the same for every memory
    results = []
    for plan, memory in zip(plans, memories, strict=True):
        mem = memory_timing(spec, plan, memory)
        traffic = core.traffic.with_dram(mem.dram_to_gbuf, mem.gbuf_to_dram)
        results.append(SimResult(core, mem, memory, traffic, energy(spec, core, mem, traffic),
                                 simd(spec, work, memory), lowering))
    return results


# ------------------------------------------------------------------------------ stages
def lower(spec: RunSpec) -> Lowered:
    """The run's GEMMs: explicit ones, or the model's training GEMMs of the chosen phases
    (depthwise convs as the mapping says; the ``skip_layers``' GEMMs left out)."""
    workload = spec.workload
    if not workload.is_model:
        return Lowered(None, 0, workload.gemms)
    from flexsa.workloads.lowering import lower_model

    model = load_model(workload)
    mapping = spec.mapping
    gemms = lower_model(model, workload.batch, workload.phases, mapping.dgrad_form,
                        mapping.depthwise, pack_shape(spec))
    if workload.skip_layers:
        gemms = [g for g in gemms if g.layer not in workload.skip_layers]
    if not gemms:
        raise WorkloadError(f"model {model.name!r} has no GEMMs in phase "
                            f"{workload.phases!r}")
    return Lowered(model, workload.batch, tuple(gemms))


def plan_run(spec: RunSpec, work: Lowered, memory: MemorySpec) -> Plan:
    """Partition the GEMMs over the groups; bound the DRAM model's work before any timing
    (it grows with the GBUF blocks)."""
    from flexsa.compiler.tiling import partition_gemms

    if not memory.ideal:
        _check_dram_work(spec, work.gemms, memory.name)
    return Plan(work.gemms, spec.mapping.mode_policy.value,
                partition_gemms(spec.arch, work.gemms))


def core_timing(spec: RunSpec, plan: Plan) -> CoreTiming:
    """The fast model's timing with ideal memory (identical shapes timed once)."""
    from flexsa.sim.fast import core_timing as timing
    from flexsa.sim.fast import simulate_gemm_stats

    return timing(spec.arch, simulate_gemm_stats(spec.arch, plan.gemms, plan.policy,
                                                 plan.partitions))


def memory_timing(spec: RunSpec, plan: Plan, memory: MemorySpec) -> MemoryTiming:
    """Stalls and DRAM traffic of the memory system (zero stalls for ``ideal``)."""
    from flexsa.sim.memory_result import memory_timing as timing

    return timing(spec.arch, memory, plan.gemms, plan.policy)


def energy(spec: RunSpec, core: CoreTiming, mem: MemoryTiming, traffic: Traffic) -> Energy:
    """Dynamic energy from the run's event counts (``traffic``: the core's with the DRAM
    bytes), and the configuration's area."""
    from flexsa.energy.area import area_of
    from flexsa.energy.model import counts_of, energy_breakdown

    arch, table = spec.arch, spec.mapping.energy_table
    counts = counts_of(traffic, core.executed_macs,
                       core.accumulated_outputs * arch.output_bytes, mem.partial_store_bytes)
    return Energy(energy_breakdown(counts, arch, table), counts, area_of(arch, table).total,
                  table.origin)


def simd(spec: RunSpec, work: Lowered, memory: MemorySpec) -> SimdTiming | None:
    """The model's element-wise (and SIMD-lowered depthwise) layers on the SIMD unit."""
    if work.model is None:
        return None
    from flexsa.sim.simd import simd_timing

    return simd_timing(work.model, work.batch, spec.arch, memory=memory,
                       phases=spec.workload.phases, depthwise=spec.mapping.depthwise)


def depthwise(spec: RunSpec, work: Lowered) -> DepthwiseInfo | None:
    """How the model's depthwise convolutions ran (``None``: none, or explicit GEMMs)."""
    if work.model is None:
        return None
    from flexsa.workloads.depthwise import depthwise_info

    return depthwise_info(work.model, spec.mapping.depthwise, pack_shape(spec))


# ------------------------------------------------------------------------------ helpers
def pack_shape(spec: RunSpec) -> tuple[int, int]:
    """The stationary tile packed depthwise GEMMs fill: the mapping's, or the unit's."""
    return spec.mapping.pack_shape or (spec.arch.blk_k, spec.arch.blk_n)


def _check_dram_work(spec: RunSpec, gemms: Sequence[Gemm], memory: str) -> None:
    """GBUF blocks the DRAM model will time, per distinct part of each GEMM, within
    ``FLEXSA_MAX_DRAM_BLOCKS`` (measured ~4 us and ~250 B per block)."""
    from flexsa.compiler.blocking import plan_gemm
    from flexsa.validation import dram_blocks

    for gemm in {(g.m, g.n, g.k, g.groups): g for g in gemms}.values():
        parts = {(p.m, p.n, p.k, p.instances, p.plan): p
                 for p in plan_gemm(gemm, spec.arch).parts}
        dram_blocks(sum(math.prod(p.plan.blocks) for p in parts.values()),
                    f"GEMM {gemm.m}x{gemm.n}x{gemm.k}x{gemm.groups} with --memory {memory}")


def load_model(workload: WorkloadSpec) -> Model:
    """The workload's model: built, imported or pruned (then width-scaled), memoised per
    process for zoo names and files (a sweep builds each model once)."""
    from flexsa.workloads.model import Model

    ref, pruning, width = workload.model, workload.pruning, workload.width_mult
    assert ref is not None
    if pruning is None:
        if isinstance(ref, Model):
            return ref if width == 1.0 else ref.scaled(width)
        return _built(ref, width, workload.resolution, workload.seq_len, _stamp(ref))
    if pruning.is_file:
        base = _trajectory_file(pruning.strength, _stamp(pruning.strength))
        pruned = base.model_at(pruning.epoch)
    elif isinstance(ref, Model):
        from flexsa.workloads.pruning import make_trajectory

        pruned = make_trajectory(ref, pruning.strength).model_at(pruning.epoch)
    else:
        pruned = _trajectory(ref, pruning.strength, _stamp(ref)).model_at(pruning.epoch)
    return pruned if width == 1.0 else pruned.scaled(width)


def _stamp(ref: str) -> int:
    """A file's modification time (0 for zoo names): a changed file is read again."""
    path = Path(ref)
    return path.stat().st_mtime_ns if path.suffix and path.is_file() else 0


@lru_cache(maxsize=32)
def _built(ref: str, width: float, resolution: int, seq_len: int, stamp: int) -> Model:
    from flexsa.workloads.sources import load_workload

    del stamp
    return load_workload(ref, width_mult=width, resolution=resolution, seq_len=seq_len)


@lru_cache(maxsize=8)
def _trajectory(ref: str, strength: str, stamp: int) -> Trajectory:
    """The PruneTrain trajectory of a zoo model or of an imported model file."""
    from flexsa.workloads.pruning import make_trajectory
    from flexsa.workloads.sources import load_workload

    del stamp
    return make_trajectory(load_workload(ref) if Path(ref).suffix else ref, strength)


@lru_cache(maxsize=8)
def _trajectory_file(path: str, stamp: int) -> Trajectory:
    from flexsa.workloads.pruning.trajectory import load_trajectory

    del stamp
    return load_trajectory(path)
