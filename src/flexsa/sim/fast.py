"""The fast (compressed) timing model: every distinct wave shape evaluated once.

Exactly equal to the wave-by-wave trace of :mod:`flexsa.sim.trace` (tested), because a
unit's time is a sum over consecutive wave pairs and the plan counts those pairs exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from flexsa.arch.config import ArchConfig
from flexsa.compiler.classes import ClassPair
from flexsa.compiler.modes import Mode
from flexsa.compiler.plan import GemmPlan, PartPlan, unit_cycles
from flexsa.compiler.tiling import GemmPartition, GroupPart, ShapeKey, shape_key
from flexsa.sim.overcore import NO_PATHS, wave_overcore_bytes, wave_path_bytes
from flexsa.sim.result import CoreTiming, GemmStats, Traffic, WaveStats, empty_modes
from flexsa.workloads.layers import Gemm

__all__ = ["core_timing", "gemm_stats", "simulate_gemm_stats", "wave_overcore_bytes"]


def _part_traffic(arch: ArchConfig, plan: PartPlan) -> tuple[Traffic, list[WaveStats]]:
    ib, ob = arch.input_bytes, arch.output_bytes
    stationary = streamed = 0
    paths = NO_PATHS
    stats = []
    for wc in plan.wave_classes():
        stationary += wc.count * wc.k * wc.n * ib
        streamed += wc.count * wc.m * wc.k * ib
        wave = wave_path_bytes(arch, wc.mode, wc.m, wc.n, wc.k)
        paths = tuple(total + wc.count * b for total, b in zip(paths, wave, strict=True))
        stats.append(WaveStats(plan.part.group, wc.mode, wc.m, wc.n, wc.k, wc.count))
    outputs = plan.part.instances * plan.part.m * plan.part.n * ob * plan.stores_per_tile
    return Traffic(stationary, streamed, outputs, sum(paths), overcore_paths=paths), stats


def _part_timing(arch: ArchConfig, plan: PartPlan) -> tuple[int, dict[Mode, int], dict[Mode, int]]:
    costs = plan.costs(arch)
    schedule = plan.schedule
    classes = len(costs.head)
    cycles = max(unit_cycles(schedule, costs))
    busy = empty_modes()
    for counts, pairs, first, last in zip(schedule.counts, schedule.pairs, schedule.first,
                                          schedule.last, strict=True):
        if first < 0:
            continue
        for tc, count in enumerate(counts):
            for mode, value in costs.owner_internal[tc] if count else ():
                busy[mode] += count * value
        for index, count in enumerate(pairs):
            if count:
                owner = costs.owner_last[ClassPair.at(index, classes).first]
                assert owner is not None
                busy[owner] += count * costs.inter[index]
        head_owner, last_owner = costs.owner_head[first], costs.owner_last[last]
        assert head_owner is not None and last_owner is not None
        busy[head_owner] += costs.head[first]
        busy[last_owner] += costs.tail[last]
    waves = empty_modes()
    for wc in plan.wave_classes():
        waves[wc.mode] += wc.count
    return cycles, waves, busy


PartStats = tuple[tuple[int, dict[Mode, int], dict[Mode, int]], tuple[Traffic, list[WaveStats]],
                  int]


def _part_stats(arch: ArchConfig, plan: PartPlan) -> PartStats:
    return _part_timing(arch, plan), _part_traffic(arch, plan), plan.output_tiles


def _combine_parts(gemm: Gemm, reduction_bytes: int,
                   parts: Iterable[tuple[int, PartStats]]) -> GemmStats:
    """One GEMM's statistics from its groups' part statistics (``(group, stats)`` pairs)."""

    group_cycles, waves, busy = [], empty_modes(), empty_modes()
    traffic = Traffic(group_reduction=reduction_bytes)
    classes: list[WaveStats] = []
    tiles = 0
    for group, ((cycles, part_waves, part_busy), (part_traffic, part_classes), part_tiles) \
            in parts:
        group_cycles.append(cycles)
        for key in waves:
            waves[key] += part_waves[key]
            busy[key] += part_busy[key]
        traffic = traffic + part_traffic
        classes += [c if c.group == group else replace(c, group=group) for c in part_classes]
        tiles += part_tiles
    return GemmStats(gemm, max(group_cycles), tuple(group_cycles), waves, busy, traffic,
                     tuple(classes), tiles)


def gemm_stats(arch: ArchConfig, plan: GemmPlan) -> GemmStats:
    return _combine_parts(plan.gemm, plan.reduction_bytes,
                          ((part.part.group, _part_stats(arch, part)) for part in plan.parts))


_PART_STATS: dict[tuple[object, ...], PartStats] = {}
_PART_STATS_LIMIT = 4096  # entries (shapes and their group labels); then cleared


def _shape_part_stats(arch: ArchConfig, m: int, n: int, k: int, instances: int, policy: str,
                      plan: Callable[[], PartPlan], group: int) -> PartStats:
    """A part's statistics, computed once per process for each shape (a part's plan does not
    depend on which group runs it) and labelled with ``group`` once per group. The cached
    record is shared: callers only read it."""
    if len(_PART_STATS) >= _PART_STATS_LIMIT:
        _PART_STATS.clear()
    key = (arch, m, n, k, instances, policy)
    found = _PART_STATS.get(key)
    if found is None:
        found = _PART_STATS[key] = _part_stats(arch, plan())
    labelled = _PART_STATS.get((*key, group))
    if labelled is None:
        timing, (traffic, classes), tiles = found
        relabelled = [c if c.group == group else replace(c, group=group) for c in classes]
        labelled = _PART_STATS[(*key, group)] = (timing, (traffic, relabelled), tiles)
    return labelled


def simulate_gemm_stats(arch: ArchConfig, gemms: Iterable[Gemm], policy: str = "auto",
                        partitions: Mapping[ShapeKey, GemmPartition] | None = None
                        ) -> list[GemmStats]:
    """Per-GEMM statistics. GEMMs of identical shape are timed once (``partitions``: their
    group partitions, as :func:`~flexsa.compiler.tiling.partition_gemms` gives; computed
    here if not given), and so are the group parts of identical shape (a GEMM split over G
    groups has at most two part shapes, and a part's plan does not depend on which group
    runs it): each distinct part is tiled and its modes chosen once per process."""
    from flexsa.compiler.plan import plan_part
    from flexsa.compiler.tiling import partition_gemms

    items = list(gemms)
    split = partitions if partitions is not None else partition_gemms(arch, items)
    by_gemm: dict[ShapeKey, GemmStats] = {}

    def part_stats(part: GroupPart) -> PartStats:
        return _shape_part_stats(arch, part.m, part.n, part.k, part.instances, policy,
                                 lambda: plan_part(arch, part, policy), part.group)

    out = []
    for gemm in items:
        key = shape_key(gemm)
        if key not in by_gemm:
            shape = split[key]
            parts = ((part.group, part_stats(part)) for part in shape.parts)
            by_gemm[key] = _combine_parts(gemm, shape.reduction_bytes, parts)
        out.append(replace(by_gemm[key], gemm=gemm))
    return out


def core_timing(arch: ArchConfig, stats: list[GemmStats]) -> CoreTiming:
    """The run's core timing (ideal memory): its GEMMs' statistics summed."""
    waves, busy = empty_modes(), empty_modes()
    traffic = Traffic()
    for item in stats:
        traffic = traffic + item.traffic
        for key in waves:
            waves[key] += item.waves_by_mode[key]
            busy[key] += item.cycles_by_mode[key]
    return CoreTiming(
        cycles=sum(s.cycles for s in stats), macs=sum(s.gemm.macs for s in stats),
        executed_macs=sum(s.gemm.executed_macs for s in stats), total_pes=arch.total_pes,
        clock_ghz=arch.clock_ghz, waves_by_mode=waves, cycles_by_mode=busy, traffic=traffic,
        per_gemm=tuple(stats))
