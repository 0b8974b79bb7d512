"""Export the energy/area model as Accelergy ``ERT.yaml`` and ``ART.yaml`` (version 0.3).

Structure (as Accelergy writes them)::

    ERT:
      version: '0.3'
      tables:
      - name: <component path>
        actions:
        - name: read
          arguments: null
          energy: <pJ per action>
    ART:
      version: '0.3'
      tables:
      - name: <component path>
        area: <um^2>

Component paths use Accelergy's ``name[0..N-1]`` array notation. SRAM actions are one access
of the component's port width; DRAM actions move 64 bits; wire actions move one FP16 word
(the GBUF bus and FlexSA wires at the lengths ``flexsa.energy.model.wire_lengths_mm`` gives).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from flexsa.arch.config import ArchConfig
from flexsa.energy.area import area_of, lbuf_buffers, sram_area_mm2
from flexsa.energy.model import pe_pitch_mm, wire_lengths_mm
from flexsa.energy.table import EnergyTable, load_energy_table

ACCELERGY_VERSION = "0.3"
DRAM_WORD_BITS = 64
GBUF_PORT_BITS = 512


def _action(name: str, energy: float) -> dict[str, Any]:
    return {"name": name, "arguments": None, "energy": round(float(energy), 6)}


def _rng(count: int) -> str:
    return f"[0..{count - 1}]"


def accelergy_tables(arch: ArchConfig, table: EnergyTable | None = None
                     ) -> tuple[dict[str, Any], dict[str, Any]]:
    """(ERT, ART) documents for ``arch``."""
    table = table or load_energy_table()
    area = area_of(arch, table)
    top = f"{arch.name}"
    group = f"{top}.group{_rng(arch.groups)}"
    core = f"{group}.core{_rng(arch.cores_per_group)}"
    pe = f"{core}.PE{_rng(arch.core_rows * arch.core_cols)}"
    ert: list[dict[str, Any]] = []
    art: list[dict[str, Any]] = []

    dram_bit = table["dram_energy_per_bit"]
    ert.append({"name": f"{top}.DRAM", "actions": [
        _action("read", dram_bit * DRAM_WORD_BITS), _action("write", dram_bit * DRAM_WORD_BITS),
        _action("idle", 0.0)]})
    art.append({"name": f"{top}.DRAM", "area": 0.0})

    gbuf_cap = arch.gbuf_bytes_per_group
    ert.append({"name": f"{group}.GBUF", "actions": [
        _action("read", table.sram_pj_per_bit(gbuf_cap) * GBUF_PORT_BITS),
        _action("write", table.sram_pj_per_bit(gbuf_cap, write=True) * GBUF_PORT_BITS),
        _action("idle", 0.0)]})
    art.append({"name": f"{group}.GBUF", "area": area.gbuf / arch.groups * 1e6})

    for name, cap, port in lbuf_buffers(arch):
        path = f"{core}.LBUF_{name}"
        half = cap / 2
        ert.append({"name": path, "actions": [
            _action("read", table.sram_pj_per_bit(half) * port),
            _action("write", table.sram_pj_per_bit(half, write=True) * port),
            _action("idle", 0.0)]})
        art.append({"name": path, "area": sram_area_mm2(cap, port, table) * 1e6})

    ert.append({"name": f"{pe}.mac", "actions": [
        _action("mac_random", table.mac_pj), _action("idle", 0.0)]})
    art.append({"name": f"{pe}.mac", "area": table.mac_area_um2})
    bits = table["pe_register_bits"]
    ert.append({"name": f"{pe}.reg", "actions": [
        _action("access", table["register_energy_per_bit"] * bits), _action("idle", 0.0)]})
    art.append({"name": f"{pe}.reg", "area": table.pe_register_area_um2})
    _wires(arch, table, area, ert, art, (group, core, pe))
    return ({"ERT": {"version": ACCELERGY_VERSION, "tables": ert}},
            {"ART": {"version": ACCELERGY_VERSION, "tables": art}})


def _wires(arch: ArchConfig, table: EnergyTable, area: Any, ert: list[dict[str, Any]],
           art: list[dict[str, Any]], paths: tuple[str, str, str]) -> None:
    """The wire components: PE forwarding, each core's GBUF bus, FlexSA's two wire kinds."""
    group, core, pe = paths
    word = 8 * arch.input_bytes
    wire = table["wire_energy_per_bit_mm"]
    lengths = wire_lengths_mm(arch, table)
    hop = wire * pe_pitch_mm(table) * word
    ert.append({"name": f"{pe}.forward_wire", "actions": [_action("transfer", hop)]})
    art.append({"name": f"{pe}.forward_wire", "area": 0.0})
    ert.append({"name": f"{core}.gbuf_bus_wire",
                "actions": [_action("transfer", wire * lengths["bus"] * word)]})
    art.append({"name": f"{core}.gbuf_bus_wire",
                "area": (area.wires + area.repeaters) / arch.total_cores * 1e6})
    if arch.flexsa:
        unit = f"{group}.flexsa_unit{_rng(arch.units_per_group)}"
        ert.append({"name": f"{unit}.overcore_wire",
                    "actions": [_action("transfer", wire * lengths["unit"] * word)]})
        art.append({"name": f"{unit}.overcore_wire",
                    "area": area.flexsa.total / arch.total_units * 1e6})
        ert.append({"name": f"{unit}.overcore_neighbour_wire",
                    "actions": [_action("transfer", wire * lengths["neighbour"] * word)]})
        art.append({"name": f"{unit}.overcore_neighbour_wire", "area": 0.0})


def write_accelergy(arch: ArchConfig, out_dir: str | Path, table: EnergyTable | None = None
                    ) -> list[Path]:
    """Write ``ERT.yaml`` and ``ART.yaml`` into ``out_dir``; return their paths."""
    ert, art = accelergy_tables(arch, table)
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    header = ("# generated by flexsa (energy in pJ per action, area in um^2); "
              "SRAM actions = one port-width access, DRAM = 64 bits, wires = one word\n")
    paths = []
    for name, doc in (("ERT.yaml", ert), ("ART.yaml", art)):
        path = directory / name
        path.write_text(header + yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths
