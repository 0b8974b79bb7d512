"""Architecture look-up for the energy/area commands, plus the core-splitting study.

The splitting study keeps 16,384 PEs and 10 MiB of GBUF and splits one 128x128 core into
4x64^2, 16x32^2 and 64x16^2 plain cores, the GBUF shared within groups of at most 4 cores.
"""

from __future__ import annotations

from flexsa.arch.config import ArchConfig, MemoryConfig, load_arch
from flexsa.energy.area import AreaBreakdown, area_of
from flexsa.energy.table import EnergyTable


def _plain(name: str, cores: int, side: int) -> ArchConfig:
    """``cores`` plain ``side x side`` cores with the spec's LBUF sizes and 10 MiB GBUF."""
    groups = max(1, cores // 4)
    return ArchConfig(name=name, groups=groups, cores_per_group=cores // groups,
                      core_rows=side, core_cols=side, memory=MemoryConfig(dram_latency_cycles=0))


SPLIT_STUDY: dict[str, ArchConfig] = {
    "1x128^2": _plain("1x128^2", 1, 128),
    "4x64^2": _plain("4x64^2", 4, 64),
    "16x32^2": _plain("16x32^2", 16, 32),
    "64x16^2": _plain("64x16^2", 64, 16),
}


def resolve_arch(name: str) -> ArchConfig:
    """A splitting-study name, or anything ``flexsa.arch.load_arch`` accepts."""
    if name in SPLIT_STUDY:
        return SPLIT_STUDY[name]
    return load_arch(name)


def splitting_study(table: EnergyTable | None = None) -> dict[str, AreaBreakdown]:
    return {name: area_of(arch, table) for name, arch in SPLIT_STUDY.items()}
