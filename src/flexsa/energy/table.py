"""The energy/area table: data with a unit and a source on every entry.

The default table ships as ``data/energy_table.yaml``. Values given at another technology
node (``node_nm``) are scaled to the table's ``target_node_nm``: by an explicit factor pair
from ``scaling`` when one matches (45 -> 32 nm: energy x0.66, area x0.46, Stillmaker & Baas),
otherwise by the plain rule energy ~ node (capacitance), area ~ node^2, length ~ node.
Chained pairs are not composed; a missing pair falls back to the plain rule.

Overrides (``load_energy_table(path)``) are a YAML file with any of ``target_node_nm``,
``scaling`` (replaces the list), ``entries`` (name -> full entry; the name must exist and
the unit must match), ``sram_points`` (replaces the list) and ``wire_lengths`` (mm, see
``WIRE_LENGTHS``; each finite and > 0). Unknown keys, duplicate keys
and entries without ``unit`` or ``source`` are rejected with one line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from flexsa.energy.yamlio import load_yaml_file, load_yaml_text
from flexsa.errors import ConfigError
from flexsa.validation import as_float

ENERGY_UNITS = frozenset({"pJ", "pJ/bit", "pJ/bit/mm"})
AREA_UNITS = frozenset({"um2", "mm2", "um2/bit", "mm2/bit", "mm2/MB"})
LENGTH_UNITS = frozenset({"um", "mm"})
PLAIN_UNITS = frozenset({"ratio", "bits"})
KNOWN_UNITS = ENERGY_UNITS | AREA_UNITS | LENGTH_UNITS | PLAIN_UNITS
# Wire lengths (mm) the energy and area models derive from the floorplan; a table may fix
# any of them (``wire_lengths:``): ``overcore_neighbour`` (a FlexSA pass-through between
# abutting cores, default one PE pitch), ``overcore_unit`` (a path across a FlexSA unit,
# default one core side), ``gbuf_bus`` (GBUF <-> LBUF bus, default half the group's side).
WIRE_LENGTHS: tuple[str, ...] = ("overcore_neighbour", "overcore_unit", "gbuf_bus")


@dataclass(frozen=True)
class Entry:
    """One table value: as given (``value`` at ``node_nm``) and scaled to the target node."""

    name: str
    value: float
    unit: str
    source: str
    node_nm: float | None
    scaled: float


@dataclass(frozen=True)
class SramPoint:
    """A CACTI data point, scaled to the target node. Energies per access of ``port_bits``."""

    name: str
    capacity_bytes: int
    port_bits: int
    read_pj: float
    write_pj: float
    area_mm2: float
    cells: str
    source: str

    @property
    def read_pj_per_bit(self) -> float:
        return self.read_pj / self.port_bits

    @property
    def write_pj_per_bit(self) -> float:
        return self.write_pj / self.port_bits


@dataclass(frozen=True)
class Scaling:
    from_nm: float
    to_nm: float
    energy: float
    area: float
    source: str


@dataclass(frozen=True)
class EnergyTable:
    """Validated, node-scaled energy and area values (pJ, um2, mm2, mm ...)."""

    target_node_nm: float
    entries: tuple[Entry, ...]
    sram_points: tuple[SramPoint, ...]
    scaling: tuple[Scaling, ...] = ()
    origin: str = "default"
    wire_lengths: Mapping[str, float] = field(default_factory=dict)
    _index: Mapping[str, Entry] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {e.name: e for e in self.entries})

    def __getitem__(self, name: str) -> float:
        """The value of ``name`` scaled to the target node."""
        try:
            return self._index[name].scaled
        except KeyError:
            raise ConfigError(f"energy table has no entry {name!r}") from None

    def entry(self, name: str) -> Entry:
        self[name]
        return self._index[name]

    # ------------------------------------------------------------------ derived values
    @property
    def mac_pj(self) -> float:
        """One mixed-precision MAC (FP16 multiply + FP32 add), times the compute knob."""
        return (self["fp16_mult_energy"] + self["fp32_add_energy"]) * self["compute_scale"]

    @property
    def mac_area_um2(self) -> float:
        return (self["fp16_mult_area"] + self["fp32_add_area"]) * self["compute_scale"]

    @property
    def mult_area_um2(self) -> float:
        return self["fp16_mult_area"] * self["compute_scale"]

    @property
    def adder_area_um2(self) -> float:
        return self["fp32_add_area"] * self["compute_scale"]

    @property
    def pe_register_area_um2(self) -> float:
        return self["pe_register_bits"] * self["register_area_per_bit"]

    def sram_pj_per_bit(self, capacity_bytes: float, write: bool = False) -> float:
        """Per-bit access energy of an SRAM of this capacity.

        Piecewise log-log interpolation between the CACTI points (sorted by capacity);
        outside them, ``capacity ** sram_energy_exponent`` from the nearest point.
        """
        points = sorted(self.sram_points, key=lambda p: p.capacity_bytes)
        caps = [p.capacity_bytes for p in points]
        vals = [p.write_pj_per_bit if write else p.read_pj_per_bit for p in points]
        cap = max(float(capacity_bytes), 1.0)
        exponent = self["sram_energy_exponent"]
        if cap <= caps[0]:
            return vals[0] * (cap / caps[0]) ** exponent
        if cap >= caps[-1]:
            return vals[-1] * (cap / caps[-1]) ** exponent
        for i in range(len(caps) - 1):
            lo, hi = caps[i], caps[i + 1]
            if lo <= cap <= hi:
                t = math.log(cap / lo) / math.log(hi / lo)
                return math.exp(math.log(vals[i]) * (1 - t) + math.log(vals[i + 1]) * t)
        raise AssertionError("unreachable")  # pragma: no cover

    def as_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "target_node_nm": self.target_node_nm,
            "scaling": [vars(s) for s in self.scaling],
            "entries": {e.name: {"value": e.value, "unit": e.unit, "node_nm": e.node_nm,
                                 "scaled": e.scaled, "source": e.source}
                        for e in self.entries},
            "sram_points": [vars(p) for p in self.sram_points],
            "wire_lengths_mm": dict(self.wire_lengths),
        }


# ---------------------------------------------------------------------- scaling
def scale_factor(unit: str, from_nm: float | None, to_nm: float,
                 scaling: tuple[Scaling, ...]) -> float:
    """Multiplier taking a value in ``unit`` from ``from_nm`` to ``to_nm``."""
    if from_nm is None or from_nm == to_nm or unit in PLAIN_UNITS:
        return 1.0
    ratio = to_nm / from_nm
    if unit in LENGTH_UNITS:
        return ratio
    for pair in scaling:
        for a, b, inverse in ((pair.from_nm, pair.to_nm, False), (pair.to_nm, pair.from_nm, True)):
            if a == from_nm and b == to_nm:
                factor = pair.energy if unit in ENERGY_UNITS else pair.area
                return 1.0 / factor if inverse else factor
    return ratio if unit in ENERGY_UNITS else ratio * ratio


# ---------------------------------------------------------------------- loading
def _wire_lengths(raw: Mapping[str, float], origin: str) -> dict[str, float]:
    """Validated wire-length overrides (mm); a missing name is derived from the area model."""
    out = {}
    for name, value in raw.items():
        if name not in WIRE_LENGTHS:
            raise ConfigError(f"{origin}: wire_lengths.{name} is unknown; use one of "
                              f"{', '.join(WIRE_LENGTHS)}")
        out[name] = as_float(value, f"{origin}: wire_lengths.{name} (mm)", low=0.0,
                             low_open=True, error=ConfigError)
    return out


def _build(raw: Any, origin: str) -> EnergyTable:
    """The table from a validated ``_TableIn`` (or the shipped data, see ``_shipped``)."""
    scaling = tuple(Scaling(s.from_nm, s.to_nm, s.energy, s.area, s.source)
                    for s in raw.scaling)
    target = raw.target_node_nm
    entries = []
    for name, item in raw.entries.items():
        if item.unit not in KNOWN_UNITS:
            known = ", ".join(sorted(KNOWN_UNITS))
            raise ConfigError(f"{origin}: entries.{name}.unit {item.unit!r} is unknown; "
                              f"use one of {known}")
        factor = scale_factor(item.unit, item.node_nm, target, scaling)
        entries.append(Entry(name, item.value, item.unit, item.source, item.node_nm,
                             item.value * factor))
    points = []
    for p in raw.sram_points:
        e = scale_factor("pJ", p.node_nm, target, scaling)
        a = scale_factor("mm2", p.node_nm, target, scaling)
        points.append(SramPoint(p.name, p.capacity_bytes, p.port_bits, p.read_pj * e,
                                p.write_pj * e, p.area_mm2 * a, p.cells, p.source))
    return EnergyTable(target, tuple(entries), tuple(points), scaling, origin,
                       _wire_lengths(raw.wire_lengths, origin))


def _default_raw() -> dict[str, Any]:
    # A plain path, as for the other shipped data: importlib.resources' readers cost ~10 ms
    # of CLI start-up.
    text = (Path(__file__).parent / "data" / "energy_table.yaml").read_text(encoding="utf-8")
    data = load_yaml_text(text, "default energy table")
    if not isinstance(data, dict):  # pragma: no cover - shipped data
        raise ConfigError("default energy table is not a mapping")
    return data


def table_from_dict(data: Any, origin: str = "energy table",
                    base: Mapping[str, Any] | None = None) -> EnergyTable:
    """Validate ``data`` (an override mapping applied to ``base``, default: shipped table)."""
    from flexsa.energy.table_schema import validate_table

    return _build(validate_table(data, origin, base if base is not None else _default_raw()),
                  origin if data is not None else "default")


def _shipped(raw: Mapping[str, Any]) -> Any:
    """The shipped table as attribute records, without pydantic (start-up: pydantic is the
    largest import of a one-GEMM ``flexsa simulate``). The shipped file is checked against
    the schema by tests/test_energy_table.py, which also checks both paths agree."""
    from types import SimpleNamespace as Record

    def entry(item: Mapping[str, Any]) -> Any:
        return Record(**{"node_nm": None, **item})

    return Record(
        target_node_nm=raw["target_node_nm"],
        scaling=[Record(**item) for item in raw.get("scaling", [])],
        entries={name: entry(item) for name, item in raw["entries"].items()},
        sram_points=[entry(item) for item in raw["sram_points"]],
        wire_lengths=dict(raw.get("wire_lengths") or {}),
    )


@lru_cache(maxsize=1)
def default_energy_table() -> EnergyTable:
    """The shipped table (parsed once; the table is immutable)."""
    return _build(_shipped(_default_raw()), "default")


def load_energy_table(path: str | Path | None = None) -> EnergyTable:
    """The default table, or the default with the overrides in the YAML file ``path``."""
    if path is None:
        return default_energy_table()
    data = load_yaml_file(path)
    return table_from_dict(data, str(path))
