"""Dynamic energy of a simulated run from its event counts.

Components (pJ): ``comp`` (executed MACs), ``lbuf`` (writes of fetched inputs, reads into
the array, output-buffer accumulation), ``gbuf`` (SRAM reads towards the LBUFs and DRAM,
writes from the LBUFs and DRAM, plus the GBUF <-> LBUF bus wires every byte between the GBUF
and a core crosses, as long as the area model's bus), ``dram`` (HBM2 bits), ``overcore``
(bits over FlexSA's inter-core paths, each charged by the wire it crosses: a neighbour
pass-through one PE pitch, a path across the unit one core side; see
:mod:`flexsa.sim.overcore`) and ``forwarding`` (PE-to-PE hops inside the cores: streamed
operand right, partial sum down, stationary shift-in; the hops across a core boundary are
``overcore``'s). ``total`` is the sum of all six; the paper's accounting is
``total - forwarding``. :func:`energy_detail` splits ``gbuf`` and ``overcore`` further.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from flexsa.arch.config import ArchConfig
from flexsa.energy.area import gbuf_bus_mm, lbuf_buffers, unit_wire_mm
from flexsa.energy.table import EnergyTable, load_energy_table
from flexsa.sim.overcore import NEIGHBOUR, PATH_WIRE, PATHS, UNIT, paths_dict
from flexsa.sim.result import Traffic

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
    # bytes per FlexSA path (flexsa.sim.overcore.PATHS); bytes of ``overcore_bytes`` not
    # attributed to a path (results without the split) are charged as crossing the unit
    overcore_paths: Mapping[str, int] = field(default_factory=dict)

    @property
    def overcore_unattributed(self) -> int:
        return max(self.overcore_bytes - sum(self.overcore_paths.values()), 0)


def counts_of(traffic: Traffic, executed_macs: int, output_accum_bytes: int,
              partial_sum_bytes: int = 0) -> EnergyCounts:
    """The event counts of a run from its typed traffic. ``output_accum_bytes``: the
    partial-sum writes into the output LBUFs; ``partial_sum_bytes``: partial sums of
    K-split GBUF blocks stored to the GBUF (and accumulated again)."""
    stored = traffic.outputs
    return EnergyCounts(
        executed_macs=executed_macs,
        stationary_bytes=traffic.stationary,
        streamed_bytes=traffic.streamed,
        lbuf_to_gbuf_bytes=stored + partial_sum_bytes,
        output_accum_bytes=max(output_accum_bytes, stored) + partial_sum_bytes,
        overcore_bytes=traffic.overcore,
        overcore_paths=paths_dict(traffic.overcore_paths),
        dram_to_gbuf_bytes=traffic.dram_to_gbuf,
        gbuf_to_dram_bytes=traffic.gbuf_to_dram,
    )


@dataclass(frozen=True)
class EnergyBreakdown:
    """Dynamic energy of a run per component (pJ); ``total`` is their sum."""

    comp: float
    lbuf: float
    gbuf: float
    dram: float
    overcore: float
    forwarding: float

    @property
    def total(self) -> float:  # summed in COMPONENTS order
        return self.comp + self.lbuf + self.gbuf + self.dram + self.overcore + self.forwarding

    def as_dict(self) -> dict[str, float]:
        return {"comp": self.comp, "lbuf": self.lbuf, "gbuf": self.gbuf, "dram": self.dram,
                "overcore": self.overcore, "forwarding": self.forwarding,
                "total": self.total}


def energy_breakdown(counts: EnergyCounts, arch: ArchConfig,
                     table: EnergyTable | None = None) -> EnergyBreakdown:
    """:func:`energy_from_counts` as a typed record."""
    parts = energy_from_counts(counts, arch, table)
    return EnergyBreakdown(parts["comp"], parts["lbuf"], parts["gbuf"], parts["dram"],
                           parts["overcore"], parts["forwarding"])


def energy_from_counts(counts: EnergyCounts, arch: ArchConfig,
                       table: EnergyTable | None = None) -> dict[str, float]:
    """Energy per component and ``total`` (pJ)."""
    detail = energy_detail(counts, arch, table)
    out = {
        "comp": detail["comp"],
        "lbuf": detail["lbuf"],
        "gbuf": detail["gbuf_sram"] + detail["gbuf_bus"],
        "dram": detail["dram"],
        "overcore": sum(detail[f"overcore_{name}"] for name in (*PATHS, "unattributed")),
        "forwarding": detail["forwarding"],
    }
    out["total"] = sum(out[name] for name in COMPONENTS)
    return out


def wire_lengths_mm(arch: ArchConfig, table: EnergyTable) -> dict[str, float]:
    """The wire lengths transfers are charged with: FlexSA ``neighbour`` and ``unit`` paths
    and the GBUF <-> LBUF ``bus`` (the area model's lengths unless the table fixes them)."""
    neighbour = table.wire_lengths.get("overcore_neighbour") or pe_pitch_mm(table)
    return {NEIGHBOUR: neighbour, UNIT: unit_wire_mm(arch, table),
            "bus": gbuf_bus_mm(arch, table)}


def energy_detail(counts: EnergyCounts, arch: ArchConfig,
                  table: EnergyTable | None = None) -> dict[str, float]:
    """Energy (pJ) of every part: ``gbuf_sram``/``gbuf_bus`` and ``overcore_<path>``
    besides the other components (their sum is the ``total`` of :func:`energy_from_counts`)."""
    table = table or load_energy_table()
    wire = table["wire_energy_per_bit_mm"]
    lengths = wire_lengths_mm(arch, table)
    bus_bytes = counts.stationary_bytes + counts.streamed_bytes + counts.lbuf_to_gbuf_bytes
    out = {
        "comp": counts.executed_macs * table.mac_pj,
        "lbuf": _lbuf_pj(counts, arch, table),
        "gbuf_sram": _gbuf_pj(counts, arch, table),
        "gbuf_bus": 8 * bus_bytes * wire * lengths["bus"],
        "dram": 8 * (counts.dram_to_gbuf_bytes + counts.gbuf_to_dram_bytes)
        * table["dram_energy_per_bit"],
        "forwarding": _forwarding_pj(counts, arch, table),
    }
    for name in PATHS:
        out[f"overcore_{name}"] = (8 * counts.overcore_paths.get(name, 0) * wire
                                   * lengths[PATH_WIRE[name]])
    out["overcore_unattributed"] = 8 * counts.overcore_unattributed * wire * lengths[UNIT]
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
    """PE-to-PE hops inside the cores; the neighbour hops across a FlexSA core boundary are
    taken out (``overcore`` charges them)."""
    hop = table["wire_energy_per_bit_mm"] * pe_pitch_mm(table)
    per_mac_bits = 8 * (arch.input_bytes + arch.output_bytes)  # operand right, psum down
    shift_hops = (arch.core_rows + 1) / 2  # stationary shift-in, on average
    crossing = sum(counts.overcore_paths.get(name, 0) for name in PATHS
                   if PATH_WIRE[name] == NEIGHBOUR)
    bits = counts.executed_macs * per_mac_bits + 8 * counts.stationary_bytes * shift_hops
    return hop * max(bits - 8 * crossing, 0.0)
