"""Silicon area of a configuration: PEs, SRAM buffers, data-path wires, FlexSA extras.

Model (every coefficient is an entry of the energy table, see docs/memory-energy-area.md):

* **PE**: FP16 multiplier + FP32 adder + ``pe_register_bits`` of registers. The top PE row of
  a plain core receives no partial sums, so it has a multiplier only.
* **LBUF** (per core, each buffer double-buffered): stationary (port ``cols`` x input bits),
  streamed (port ``rows`` x input bits), output (port ``cols`` x output bits). SRAM area =
  ``sram_density`` x capacity + ``sram_port_area`` x port bits, so splitting a core keeps the
  capacity but multiplies the total port width (the periphery) -- the cost of splitting.
* **GBUF**: ``gbuf_density`` x capacity (10 MiB in total whatever the split).
* **Wires**: each GBUF read port (default one per unit: a plain core or a FlexSA unit) has
  its own GBUF->LBUF input bus, as wide as the port the memory timing uses
  (``arch.lbuf_port_bytes_per_cycle``, default (unit rows + unit cols) x input bits), and
  each core an LBUF->GBUF output bus (cols x output bits), running from the group's GBUF:
  half the side of the group's (square) footprint on average. Area = bits x length x
  ``wire_pitch`` x ``overcell_wire_fraction`` plus a repeater per bit every
  ``repeater_spacing``.
* **FlexSA extras** per unit of 2x2 cores (r x c each): FMA upgrade of the top row of cores 2
  and 3 (2c adders); 2:1 switches on the horizontal inputs of cores 1 and 3, the vertical
  partial sums into cores 2 and 3, the output path of cores 0 and 1 and the LBUF broadcast
  inputs; wires (separate inputs of cores 1 and 3, outputs of cores 0 and 1 down past cores 2
  and 3, stationary broadcast top -> bottom and core 0 -> core 1, streamed LBUF broadcast)
  one core side long; their repeaters.

The bus and FlexSA wire lengths (``gbuf_bus_mm``, ``unit_wire_mm``) are the ones the energy
model charges transfers with (``flexsa.energy.model``); a table may fix them (``wire_lengths``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flexsa.arch.config import ArchConfig
from flexsa.energy.table import EnergyTable, load_energy_table

UM2_PER_MM2 = 1e6
MIB = 2**20


@dataclass(frozen=True)
class FlexsaExtras:
    """FlexSA's area over plain cores (mm^2, whole chip)."""

    fma_upgrade: float
    switches: float
    wires: float
    repeaters: float

    @property
    def total(self) -> float:
        return self.fma_upgrade + self.switches + self.wires + self.repeaters


@dataclass(frozen=True)
class AreaBreakdown:
    """Area in mm^2 of one configuration."""

    arch: str
    pe: float
    lbuf: float
    gbuf: float
    wires: float
    repeaters: float
    flexsa: FlexsaExtras
    core_side_mm: float

    @property
    def sram(self) -> float:
        return self.lbuf + self.gbuf

    @property
    def total(self) -> float:
        return self.pe + self.lbuf + self.gbuf + self.wires + self.repeaters + self.flexsa.total

    @property
    def plain_cores(self) -> float:
        """PEs + LBUFs (the cores themselves, without GBUF, wires or FlexSA extras)."""
        return self.pe + self.lbuf

    def as_dict(self) -> dict[str, Any]:
        return {
            "arch": self.arch,
            "pe_mm2": self.pe,
            "lbuf_mm2": self.lbuf,
            "gbuf_mm2": self.gbuf,
            "sram_mm2": self.sram,
            "wires_mm2": self.wires,
            "repeaters_mm2": self.repeaters,
            "flexsa_extra_mm2": {
                "fma_upgrade": self.flexsa.fma_upgrade,
                "switches": self.flexsa.switches,
                "wires": self.flexsa.wires,
                "repeaters": self.flexsa.repeaters,
                "total": self.flexsa.total,
            },
            "flexsa_overhead_vs_plain_cores": (
                self.flexsa.total / self.plain_cores if self.plain_cores else 0.0),
            "core_side_mm": self.core_side_mm,
            "total_mm2": self.total,
        }


def pe_area_mm2(arch: ArchConfig, table: EnergyTable) -> float:
    full = table.mac_area_um2 + table.pe_register_area_um2
    top_row = table.mult_area_um2 + table.pe_register_area_um2
    per_core = (arch.core_rows - 1) * arch.core_cols * full + arch.core_cols * top_row
    return arch.total_cores * per_core / UM2_PER_MM2


def sram_area_mm2(capacity_bytes: float, port_bits: float, table: EnergyTable) -> float:
    """Area of one SRAM macro (LBUF-class model)."""
    return (table["sram_density"] * capacity_bytes / MIB
            + table["sram_port_area"] * port_bits)


def lbuf_buffers(arch: ArchConfig) -> list[tuple[str, int, int]]:
    """(name, capacity in bytes incl. double buffering, port bits) of one core's LBUFs."""
    ib, ob = arch.input_bytes, arch.output_bytes
    return [
        ("stationary", 2 * arch.lbuf_stationary_elems * ib, arch.core_cols * 8 * ib),
        ("streamed", 2 * arch.lbuf_streamed_elems * ib, arch.core_rows * 8 * ib),
        ("output", 2 * arch.lbuf_output_elems * ob, arch.core_cols * 8 * ob),
    ]


def lbuf_area_mm2(arch: ArchConfig, table: EnergyTable) -> float:
    per_core = sum(sram_area_mm2(cap, bits, table) for _, cap, bits in lbuf_buffers(arch))
    return arch.total_cores * per_core


def _wire(bits: float, length_mm: float, table: EnergyTable) -> tuple[float, float]:
    """(wire area, repeater area) in mm^2 of ``bits`` parallel wires ``length_mm`` long."""
    wire = bits * length_mm * table["wire_pitch"] * 1e-3 * table["overcell_wire_fraction"]
    repeaters = bits * math.floor(length_mm / table["repeater_spacing"])
    return wire, repeaters * table["repeater_area"] / UM2_PER_MM2


def core_side_mm(arch: ArchConfig, table: EnergyTable) -> float:
    """Side of one (square) core: PEs plus its LBUFs."""
    pe = pe_area_mm2(arch, table) / arch.total_cores
    lbuf = lbuf_area_mm2(arch, table) / arch.total_cores
    return math.sqrt(pe + lbuf)


def unit_wire_mm(arch: ArchConfig, table: EnergyTable) -> float:
    """Length of a FlexSA path across the unit: one core side (or the table's override)."""
    return table.wire_lengths.get("overcore_unit") or core_side_mm(arch, table)


def gbuf_bus_mm(arch: ArchConfig, table: EnergyTable) -> float:
    """Average GBUF <-> LBUF bus length: half the side of the group's square footprint."""
    if "gbuf_bus" in table.wire_lengths:
        return table.wire_lengths["gbuf_bus"]
    group_mm2 = (pe_area_mm2(arch, table) + lbuf_area_mm2(arch, table)
                 + table["gbuf_density"] * arch.memory.gbuf_mib) / arch.groups
    return math.sqrt(group_mm2) / 2


def _flexsa_extras(arch: ArchConfig, table: EnergyTable, side: float) -> FlexsaExtras:
    if not arch.flexsa:
        return FlexsaExtras(0.0, 0.0, 0.0, 0.0)
    units = arch.total_units
    r, c = arch.core_rows, arch.core_cols
    in_bits, out_bits = 8 * arch.input_bytes, 8 * arch.output_bytes
    fma = 2 * c * table.adder_area_um2 / UM2_PER_MM2
    mux_bits = (2 * r * in_bits          # inputs of cores 1 and 3: pass-through or own path
                + 2 * c * out_bits       # partial sums into cores 2 and 3: zero or from above
                + 2 * c * out_bits       # bottom output buffers: own or cores 0/1 outputs
                + 2 * c * in_bits        # stationary LBUF broadcast select (cores 2, 3)
                + c * in_bits            # ... and core 1 (VSW, ISW: broadcast from core 0)
                + 2 * r * in_bits)       # streamed LBUF broadcast select
    switches = mux_bits * table["mux_area_per_bit"] / UM2_PER_MM2
    # separate inputs of cores 1 and 3, outputs of cores 0 and 1 down, stationary broadcast
    # top -> bottom (HSW, ISW) and core 0 -> core 1 (VSW, ISW), streamed LBUF broadcast
    wire_bits = (2 * r * in_bits + 2 * c * out_bits + 2 * c * in_bits + c * in_bits
                 + 2 * r * in_bits)
    wires, repeaters = _wire(wire_bits, side, table)
    return FlexsaExtras(units * fma, units * switches, units * wires, units * repeaters)


def area_of(arch: ArchConfig, table: EnergyTable | None = None) -> AreaBreakdown:
    """Area breakdown of ``arch`` with ``table``'s values."""
    table = table or load_energy_table()
    pe = pe_area_mm2(arch, table)
    lbuf = lbuf_area_mm2(arch, table)
    gbuf = table["gbuf_density"] * arch.memory.gbuf_mib
    side = unit_wire_mm(arch, table)
    length = gbuf_bus_mm(arch, table)
    out_bits = 8 * arch.output_bytes
    cols = arch.core_cols
    bus_bits = (arch.groups * arch.gbuf_ports_per_group * arch.lbuf_port_bytes_per_cycle * 8
                + arch.total_cores * cols * out_bits)
    wires, repeaters = _wire(bus_bits, length, table)
    extras = _flexsa_extras(arch, table, side)
    return AreaBreakdown(arch.name, pe, lbuf, gbuf, wires, repeaters, extras,
                         core_side_mm(arch, table))
