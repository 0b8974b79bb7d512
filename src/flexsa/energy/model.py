"""Dynamic energy of a simulated run from its event counts.

Components (pJ): ``comp`` (executed MACs), ``lbuf`` (writes of fetched inputs, reads into
the array, output-buffer accumulation), ``gbuf`` (reads towards the LBUFs and DRAM, writes
from the LBUFs and DRAM), ``dram`` (HBM2 bits), ``overcore`` (bits crossing FlexSA's
inter-core paths, one core side each) and ``forwarding`` (PE-to-PE hops inside the arrays:
streamed operand right, partial sum down, stationary shift-in). ``total`` is the sum of all
six; the paper's accounting is ``total - forwarding``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flexsa.arch.config import ArchConfig
from flexsa.energy.area import core_side_mm, lbuf_buffers
from flexsa.energy.table import EnergyTable, load_energy_table

COMPONENTS: tuple[str, ...] = ("comp", "lbuf", "gbuf", "dram", "overcore", "forwarding")


@dataclass(frozen=True)
class EnergyCounts:
    """Event counts of a run (bytes unless stated)."""

    executed_macs: int
    stationary_bytes: int        # GBUF -> stationary LBUF
    streamed_bytes: int          # GBUF -> streamed LBUF
    lbuf_to_gbuf_bytes: int      # finished outputs, output LBUF -> GBUF
    output_accum_bytes: int      # partial-sum writes into the output LBUF (all K steps)
    overcore_bytes: int
    dram_to_gbuf_bytes: int
    gbuf_to_dram_bytes: int


def _traffic(result: Any) -> Mapping[str, Any]:
    traffic = getattr(result, "traffic_bytes", None)
    if traffic is None and isinstance(result, Mapping):
        traffic = result.get("traffic_bytes", {})
    return traffic or {}


def _num(value: Any) -> int:
    if isinstance(value, Mapping):
        return sum(_num(v) for v in value.values())
    return int(value or 0)


def counts_of(result: Any, output_accum_bytes: int | None = None) -> EnergyCounts:
    """Pull the counts out of a ``SimResult`` (or its ``as_dict()`` form)."""
    traffic = _traffic(result)
    get = result.get if isinstance(result, Mapping) else lambda k, d=None: getattr(result, k, d)
    to_lbuf = traffic.get("gbuf_to_lbuf", {})
    if isinstance(to_lbuf, Mapping):
        stationary, streamed = _num(to_lbuf.get("stationary")), _num(to_lbuf.get("streamed"))
    else:
        stationary, streamed = 0, _num(to_lbuf)
    stored = _num(traffic.get("lbuf_to_gbuf"))
    accum = output_accum_bytes
    if accum is None:
        accum = _num(get("output_accum_bytes", 0)) or stored
    return EnergyCounts(
        executed_macs=_num(get("executed_macs", 0)) or _num(get("macs", 0)),
        stationary_bytes=stationary,
        streamed_bytes=streamed,
        lbuf_to_gbuf_bytes=stored,
        output_accum_bytes=max(accum, stored),
        overcore_bytes=_num(traffic.get("overcore")),
        dram_to_gbuf_bytes=_num(traffic.get("dram_to_gbuf")),
        gbuf_to_dram_bytes=_num(traffic.get("gbuf_to_dram")),
    )


def energy_from_counts(counts: EnergyCounts, arch: ArchConfig,
                       table: EnergyTable | None = None) -> dict[str, float]:
    """Energy per component and ``total`` (pJ)."""
    table = table or load_energy_table()
    out = {
        "comp": counts.executed_macs * table.mac_pj,
        "lbuf": _lbuf_pj(counts, arch, table),
        "gbuf": _gbuf_pj(counts, arch, table),
        "dram": 8 * (counts.dram_to_gbuf_bytes + counts.gbuf_to_dram_bytes)
        * table["dram_energy_per_bit"],
        "overcore": 8 * counts.overcore_bytes * table["wire_energy_per_bit_mm"]
        * core_side_mm(arch, table),
        "forwarding": _forwarding_pj(counts, arch, table),
    }
    out["total"] = sum(out[name] for name in COMPONENTS)
    return out


def _lbuf_pj(counts: EnergyCounts, arch: ArchConfig, table: EnergyTable) -> float:
    sizes = {name: cap / 2 for name, cap, _ in lbuf_buffers(arch)}  # one half is accessed

    def rw(name: str, written: int, read: int) -> float:
        cap = sizes[name]
        return 8 * (written * table.sram_pj_per_bit(cap, write=True)
                    + read * table.sram_pj_per_bit(cap))

    accum_reads = max(counts.output_accum_bytes - counts.lbuf_to_gbuf_bytes, 0)
    return (rw("stationary", counts.stationary_bytes, counts.stationary_bytes)
            + rw("streamed", counts.streamed_bytes, counts.streamed_bytes)
            + rw("output", counts.output_accum_bytes, accum_reads + counts.lbuf_to_gbuf_bytes))


def _gbuf_pj(counts: EnergyCounts, arch: ArchConfig, table: EnergyTable) -> float:
    cap = arch.gbuf_bytes_per_group
    reads = counts.stationary_bytes + counts.streamed_bytes + counts.gbuf_to_dram_bytes
    writes = counts.lbuf_to_gbuf_bytes + counts.dram_to_gbuf_bytes
    return 8 * (reads * table.sram_pj_per_bit(cap) + writes * table.sram_pj_per_bit(cap, True))


def pe_pitch_mm(table: EnergyTable) -> float:
    return math.sqrt(table.mac_area_um2 + table.pe_register_area_um2) * 1e-3


def _forwarding_pj(counts: EnergyCounts, arch: ArchConfig, table: EnergyTable) -> float:
    hop = table["wire_energy_per_bit_mm"] * pe_pitch_mm(table)
    per_mac_bits = 8 * (arch.input_bytes + arch.output_bytes)  # operand right, psum down
    shift_hops = (arch.core_rows + 1) / 2  # stationary shift-in, on average
    return hop * (counts.executed_macs * per_mac_bits
                  + 8 * counts.stationary_bytes * shift_hops)


def energy_of(result: Any, arch: ArchConfig, table: EnergyTable | None = None, *,
              output_accum_bytes: int | None = None) -> dict[str, float]:
    """Energy (pJ) of a simulated run: ``{comp, lbuf, gbuf, dram, overcore, forwarding,
    total}``. ``result`` is a ``SimResult`` or its ``as_dict()`` form."""
    return energy_from_counts(counts_of(result, output_accum_bytes), arch, table)
