"""A search-based tiler/mode selector and the independent-core bound (beyond the paper).

The paper's compiler (and the core's default) tiles every GEMM part with the unit's full
blocks (``blk_N = 2c``, ``blk_K = 2r``, ``blk_M`` from the LBUF) and picks a mode per tile
class. The *search* tiler here tries, per group part, every block size in a small
candidate set for each dimension (the full block, the balanced split into the same number
of tiles, one more tile, the sub-core size, and for M a tile count that is a multiple of
the units) and every valid mode per (N, K) tile class, and keeps the plan with the fewest
cycles, then the least GBUF->LBUF traffic. It reuses the core's exact compressed wave
model (:mod:`flexsa.compiler.plan`), so its cycles are on the same scale; the default
tiling is always a candidate, so the search is never slower than the heuristic.

The *independent-core upper bound* on a FlexSA config's utilization: every mode's
sub-arrays are made of whole r x c sub-cores, so no schedule maps a GEMM more finely than
independent r x c cores would. The bound gives each group part the sub-core-cycles of that
mapping with no pipeline fill, drain or shift and perfect balance over the group's
sub-cores, ``ceil(instances * ceil(n / c) * ceil(k / r) * m / sub_cores)``; a GEMM takes
its slowest group. For reference the summary also gives the simulated utilization of
plain independent cores of the sub-core size (1G1F -> 1G4C, 4G1F -> 4G4C), which is not a
bound: their smaller LBUFs give shorter waves with more overhead per wave.

The study that runs both on the pruned ResNet50 models is
:func:`flexsa.studies.flexsa_search.search_study`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flexsa.arch.config import ArchConfig
from flexsa.compiler.modes import Mode, valid_modes
from flexsa.compiler.plan import PartPlan, class_costs, plan_part, unit_cycles, unit_schedule
from flexsa.compiler.tiling import Dim, GroupPart, partition
from flexsa.workloads.layers import Gemm

Assignment = dict[tuple[int, int], Mode]


@dataclass(frozen=True)
class PlanCost:
    """Cycles and GBUF->LBUF bytes of one group part under one plan."""

    cycles: int
    traffic: int
    waves: int


MANY_TILES = 8  # beyond this many tiles per unit, re-tiling M changes little: keep blk_M
MAX_EXHAUSTIVE = 16  # mode assignments tried exhaustively; beyond, coordinate descent


def _block_candidates(total: int, block: int, sub: int | None, units: int = 1) -> list[int]:
    """Block sizes worth trying for a dimension of ``total`` with a maximum ``block``."""
    tiles = -(-total // block)
    if units > 1 and tiles > MANY_TILES * units:
        return [block]
    sizes = {min(block, total), -(-total // tiles), -(-total // (tiles + 1))}
    if sub is not None and sub < total:
        sizes.add(sub)
    if units > 1:
        aligned = -(-tiles // units) * units
        sizes.add(-(-total // aligned))
    return sorted(s for s in sizes if 0 < s <= block)


def search_part(arch: ArchConfig, part: GroupPart) -> tuple[PlanCost, PlanCost]:
    """(heuristic cost, best searched cost) of one group part."""
    heuristic = _plan_cost(arch, plan_part(arch, part))
    units = arch.units_per_group
    sub_k = arch.core_rows if arch.flexsa else None
    sub_n = arch.core_cols if arch.flexsa else None
    best = heuristic
    for bm, bn, bk in itertools.product(
            _block_candidates(part.m, arch.blk_m, None, units),
            _block_candidates(part.n, arch.blk_n, sub_n),
            _block_candidates(part.k, arch.blk_k, sub_k)):
        m_dim, n_dim, k_dim = Dim(part.m, bm), Dim(part.n, bn), Dim(part.k, bk)
        schedule = unit_schedule(m_dim, n_dim, part.instances, units)

        def cycles_of(assignment: Assignment) -> int:
            costs = class_costs(arch, m_dim, n_dim, k_dim, assignment)  # noqa: B023
            return int(max(unit_cycles(schedule, costs)))  # noqa: B023

        for assignment, cycles in _mode_search(arch, n_dim, k_dim, cycles_of):
            if cycles > best.cycles:
                continue
            plan = PartPlan(part, m_dim, n_dim, k_dim, units, tuple(sorted(assignment.items())))
            cost = _plan_cost(arch, plan, cycles)
            if (cost.cycles, cost.traffic) < (best.cycles, best.traffic):
                best = cost
    return heuristic, best


def _mode_search(arch: ArchConfig, n_dim: Dim, k_dim: Dim,
                 cycles_of: Callable[[Assignment], int]) -> list[tuple[Assignment, int]]:
    """Scored mode assignments: all of them if few, else a coordinate descent from FW."""
    keys = [(nc, kc) for nc in n_dim.classes() for kc in k_dim.classes()]
    options = [valid_modes(arch, n_dim.size(nc), k_dim.size(kc)) for nc, kc in keys]
    if math.prod(len(o) for o in options) <= MAX_EXHAUSTIVE:
        combos = [dict(zip(keys, c, strict=True)) for c in itertools.product(*options)]
        return [(a, cycles_of(a)) for a in combos]
    current = {key: opts[0] for key, opts in zip(keys, options, strict=True)}
    best = cycles_of(current)
    scored = [(dict(current), best)]
    improved = True
    while improved:
        improved = False
        for key, opts in zip(keys, options, strict=True):
            for mode in opts:
                trial = {**current, key: mode}
                cycles = cycles_of(trial)
                if cycles < best:
                    current, best, improved = trial, cycles, True
                    scored.append((dict(trial), cycles))
    return scored


def _plan_cost(arch: ArchConfig, plan: PartPlan, cycles: int | None = None) -> PlanCost:
    if cycles is None:
        costs = class_costs(arch, plan.m_dim, plan.n_dim, plan.k_dim, dict(plan.modes))
        cycles = int(max(unit_cycles(plan.schedule, costs)))
    ib = arch.input_bytes
    traffic = sum(wc.count * (wc.k * wc.n + wc.m * wc.k) * ib for wc in plan.wave_classes())
    return PlanCost(cycles, traffic, plan.waves)


@dataclass(frozen=True)
class SearchTotals:
    """Sums over GEMMs of one model instance: heuristic versus search."""

    macs: int
    heuristic_cycles: int
    search_cycles: int
    heuristic_traffic: int
    search_traffic: int


def search_gemms(arch: ArchConfig, gemms: Iterable[Gemm],
                 memo: dict[tuple[int, ...], tuple[PlanCost, PlanCost]]) -> SearchTotals:
    """Heuristic and searched cycles/traffic of GEMMs run one after the other."""
    macs = h_cyc = s_cyc = h_tr = s_tr = 0
    for gemm in gemms:
        parts = [_part_costs(arch, part, memo) for part in partition(arch, gemm)]
        macs += gemm.macs
        h_cyc += max(h.cycles for h, _ in parts)
        s_cyc += max(s.cycles for _, s in parts)
        h_tr += sum(h.traffic for h, _ in parts)
        s_tr += sum(s.traffic for _, s in parts)
    return SearchTotals(macs, h_cyc, s_cyc, h_tr, s_tr)


def _part_costs(arch: ArchConfig, part: GroupPart,
                memo: dict[tuple[int, ...], tuple[PlanCost, PlanCost]]) -> tuple[PlanCost,
                                                                                  PlanCost]:
    key = (part.m, part.n, part.k, part.instances)
    if key not in memo:
        memo[key] = search_part(arch, part)
    return memo[key]


def independent_core_bound(arch: ArchConfig, gemms: Iterable[Gemm]) -> float:
    """Upper bound on PE utilization with r x c sub-core mapping granularity (see above)."""
    r, c = arch.core_rows, arch.core_cols
    sub_cores = arch.cores_per_group
    macs = cycles = 0
    for gemm in gemms:
        macs += gemm.macs
        cycles += max(-(-(part.instances * -(-part.n // c) * -(-part.k // r) * part.m)
                        // sub_cores) for part in partition(arch, gemm))
    return macs / (arch.total_pes * cycles)
