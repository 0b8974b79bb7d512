"""Architecture look-up for the energy/area commands, plus the core-splitting study.

The splitting study keeps 16,384 PEs and 10 MiB of GBUF and splits one 128x128 core into
4x64^2, 16x32^2 and 64x16^2 plain cores, the GBUF shared within groups of at most 4 cores.
"""

from __future__ import annotations

from typing import Any

from flexsa.energy.area import AreaBreakdown, area_of
from flexsa.energy.hw import HwView
from flexsa.energy.table import EnergyTable
from flexsa.errors import ConfigError


def _plain(name: str, cores: int, side: int) -> HwView:
    groups = max(1, cores // 4)
    per_group = cores // groups
    return HwView(name=name, groups=groups, cores_per_group=per_group, core_rows=side,
                  core_cols=side, flexsa=False, lbuf_stationary_elems=side * side,
                  lbuf_streamed_elems=2 * side * side, lbuf_output_elems=2 * side * side,
                  clock_ghz=0.7, input_bytes=2, output_bytes=4, gbuf_mib=10.0,
                  dram_gbps=270.0, dram_latency_cycles=0, gbuf_to_lbuf_bytes_per_cycle=0.0)


SPLIT_STUDY: dict[str, HwView] = {
    "1x128^2": _plain("1x128^2", 1, 128),
    "4x64^2": _plain("4x64^2", 4, 64),
    "16x32^2": _plain("16x32^2", 16, 32),
    "64x16^2": _plain("64x16^2", 64, 16),
}


def resolve_arch(name: str) -> Any:
    """A splitting-study name, or anything ``flexsa.arch.load_arch`` accepts."""
    if name in SPLIT_STUDY:
        return SPLIT_STUDY[name]
    try:
        from flexsa.arch import load_arch  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # pragma: no cover - before the core is merged
        known = ", ".join(SPLIT_STUDY)
        raise ConfigError(f"unknown architecture {name!r}; choose one of: {known}") from None
    return load_arch(name)


def splitting_study(table: EnergyTable | None = None) -> dict[str, AreaBreakdown]:
    return {name: area_of(hw, table) for name, hw in SPLIT_STUDY.items()}
