"""Accelerator configurations: typed frozen records, presets, YAML loading and overrides.

An accelerator has ``groups`` groups; each group shares one global buffer (GBUF) and holds
``cores_per_group`` systolic cores of ``core_rows x core_cols`` PEs. With ``flexsa=True``
every 2x2 block of cores of a group forms one FlexSA unit (full unit ``2r x 2c``); otherwise
every core is an independent unit. LBUF sizes are *per core, one half of the double
buffer*, in elements; when omitted they follow the spec (section 2) with R x C the full
unit: stationary R*C, streamed 2*R*C and output blk_M*C, divided over the unit's cores.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from flexsa.arch.timing import SWITCH_RULES, ModeSwitch
from flexsa.errors import ConfigError
from flexsa.validation import LIMITS, as_float, as_int, non_negative, positive

GEOMETRY_KEYS = ("cores_per_group", "core_rows", "core_cols", "flexsa")
ALLOCATIONS = ("wave", "tile")
LBUF_KEYS = ("lbuf_stationary_elems", "lbuf_streamed_elems", "lbuf_output_elems")


@dataclass(frozen=True)
class MemoryConfig:
    """The memory system around the cores (used by the memory model; ideal here)."""

    gbuf_mib: float = 10.0
    dram_gbps: float = 270.0
    dram_latency_cycles: int = 100
    # A cap on the group's total GBUF read bandwidth (bytes/cycle); None: no cap beyond
    # the ports (the group's bandwidth is the sum of its units' ports). See sim/memory_spec.py.
    gbuf_to_lbuf_bytes_per_cycle: float | None = None
    gbuf_ports: int = 0  # GBUF read ports per group (0: one per unit); see sim/memory.py
    # One unit's GBUF->LBUF port (bytes/cycle); None: sized by the unit's edges,
    # (unit_rows + unit_cols) x input_bytes (one row of each input tile per cycle).
    lbuf_port_bytes_per_cycle: float | None = None
    # Bytes of a finished GEMM output word written to DRAM: 2 (FP16, the training
    # precision of activations and gradients) or 4 (FP32). Partial sums stay FP32.
    dram_output_bytes: int = 2

    def __post_init__(self) -> None:
        for name, low, high in (("gbuf_mib", 0.0, 2.0**20), ("dram_gbps", 1e-3, 1e9),
                                ("gbuf_to_lbuf_bytes_per_cycle", 0.0, 1e12),
                                ("lbuf_port_bytes_per_cycle", 0.0, 1e12)):
            value = getattr(self, name)
            if value is None and name not in ("gbuf_mib", "dram_gbps"):
                continue
            as_float(value, f"memory.{name}", low=low, low_open=low == 0.0, high=high,
                     error=ConfigError)
        as_int(self.dram_latency_cycles, "memory.dram_latency_cycles", low=0, limit="cycles",
               error=ConfigError)
        as_int(self.gbuf_ports, "memory.gbuf_ports", low=0, high=65_536, error=ConfigError)
        if self.dram_output_bytes not in (2, 4):
            raise ConfigError("memory.dram_output_bytes must be 2 (FP16) or 4 (FP32), "
                              f"got {self.dram_output_bytes!r}")


@dataclass(frozen=True)
class ArchConfig:
    """One accelerator configuration (validated on construction)."""

    name: str
    groups: int
    cores_per_group: int
    core_rows: int
    core_cols: int
    flexsa: bool = False
    lbuf_stationary_elems: int = 0
    lbuf_streamed_elems: int = 0
    lbuf_output_elems: int = 0
    clock_ghz: float = 0.7
    input_bytes: int = 2
    output_bytes: int = 4
    mode_switch_cycles: int = 1
    # How a mode change reaches the PEs: "drain" (default: the whole unit empties, then
    # SetMode) or "wavefront" (every PE switches once the old wave's last item has passed
    # it; the new wave follows the old wavefront). See docs/core.md.
    mode_switch: str = "drain"
    # How a group's waves are handed to its units (spec 4.2): "wave" (default: every wave
    # round-robin, a unit storing partial outputs that the GBUF accumulates) or "tile"
    # (every output tile with its whole K loop). See docs/core.md.
    allocation: str = "wave"
    memory: MemoryConfig = field(default_factory=MemoryConfig)
    description: str = ""

    def __hash__(self) -> int:
        """The fields' hash, computed once: the simulator's caches key on the architecture
        millions of times per evaluation (not pickled: string hashes differ per process)."""
        found = self.__dict__.get("_hash")
        if found is None:
            found = hash(tuple(getattr(self, f.name) for f in fields(self)))
            object.__setattr__(self, "_hash", found)
        return int(found)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}

    def __post_init__(self) -> None:
        for name, limit in (("groups", "groups"), ("cores_per_group", "cores"),
                            ("core_rows", "array_dim"), ("core_cols", "array_dim")):
            positive(getattr(self, name), name, limit=limit, error=ConfigError)
        LIMITS["total_cores"].check(self.groups * self.cores_per_group,
                                    "groups*cores_per_group", error=ConfigError)
        for name in ("input_bytes", "output_bytes"):
            as_int(getattr(self, name), name, low=1, high=64, error=ConfigError)
        non_negative(self.mode_switch_cycles, "mode_switch_cycles", limit="cycles",
                     error=ConfigError)
        if self.mode_switch not in SWITCH_RULES:
            raise ConfigError(f"mode_switch must be one of {', '.join(SWITCH_RULES)}, "
                              f"got {self.mode_switch!r}")
        if self.allocation not in ALLOCATIONS:
            raise ConfigError(f"allocation must be one of {', '.join(ALLOCATIONS)}, "
                              f"got {self.allocation!r}")
        if not isinstance(self.flexsa, bool):
            raise ConfigError(f"flexsa must be true or false, got {self.flexsa!r}")
        as_float(self.clock_ghz, "clock_ghz", low=0.0, low_open=True, high=1000.0,
                 error=ConfigError)
        if self.flexsa and self.cores_per_group % 4:
            raise ConfigError(
                f"cores_per_group={self.cores_per_group} does not tile FlexSA units of 2x2 "
                "cores; use a multiple of 4 or flexsa: false")
        defaults = default_lbuf_sizes(self.core_rows, self.core_cols, self.flexsa)
        for name in LBUF_KEYS:
            value = getattr(self, name)
            if value == 0:
                object.__setattr__(self, name, defaults[name])
            else:
                positive(value, name, limit="buffer_elems", error=ConfigError)
        if not isinstance(self.memory, MemoryConfig):
            raise ConfigError("memory must be a MemoryConfig")
        self._check_one_wave()

    def _check_one_wave(self) -> None:
        rows, cols, cores = self.unit_rows, self.unit_cols, self.cores_per_unit
        need = rows * cols
        if self.lbuf_stationary_elems * cores < need:
            raise ConfigError(
                f"lbuf_stationary_elems={self.lbuf_stationary_elems} cannot hold one wave's "
                f"{rows}x{cols} stationary tile ({math.ceil(need / cores)} per core needed)")
        if self.lbuf_streamed_elems * cores < rows:
            raise ConfigError(
                f"lbuf_streamed_elems={self.lbuf_streamed_elems} cannot hold one streamed row "
                f"of {rows} elements ({math.ceil(rows / cores)} per core needed)")
        out_need = self.blk_m * cols
        if self.lbuf_output_elems * cores < out_need:
            raise ConfigError(
                f"lbuf_output_elems={self.lbuf_output_elems} cannot hold one wave's "
                f"{self.blk_m}x{cols} outputs ({math.ceil(out_need / cores)} per core needed)")

    # ---- derived geometry -------------------------------------------------------------
    @property
    def cores_per_unit(self) -> int:
        return 4 if self.flexsa else 1

    @property
    def units_per_group(self) -> int:
        return self.cores_per_group // self.cores_per_unit

    @property
    def total_units(self) -> int:
        return self.groups * self.units_per_group

    @property
    def unit_rows(self) -> int:
        """Height of one unit (2r for FlexSA, R for a plain core): the K tile ``blk_K``."""
        return self.core_rows * (2 if self.flexsa else 1)

    @property
    def unit_cols(self) -> int:
        """Width of one unit (2c for FlexSA, C for a plain core): the N tile ``blk_N``."""
        return self.core_cols * (2 if self.flexsa else 1)

    @property
    def blk_k(self) -> int:
        return self.unit_rows

    @property
    def blk_n(self) -> int:
        return self.unit_cols

    @property
    def blk_m(self) -> int:
        """Streamed rows per wave: the unit's streamed-LBUF half over the unit height."""
        return self.lbuf_streamed_elems * self.cores_per_unit // self.unit_rows

    @property
    def total_cores(self) -> int:
        return self.groups * self.cores_per_group

    @property
    def total_pes(self) -> int:
        return self.total_cores * self.core_rows * self.core_cols

    @property
    def gbuf_bytes_per_group(self) -> float:
        return self.memory.gbuf_mib * 2**20 / self.groups

    @property
    def gbuf_ports_per_group(self) -> int:
        return self.memory.gbuf_ports or self.units_per_group

    @property
    def lbuf_port_bytes_per_cycle(self) -> float:
        """Width of one GBUF->LBUF port (bytes/cycle): the knob, or the unit's edges
        ((unit_rows + unit_cols) x input bytes), capped by the group's
        ``gbuf_to_lbuf_bytes_per_cycle`` split over its ports. Timing and area use it."""
        width = self.memory.lbuf_port_bytes_per_cycle
        if width is None:
            width = (self.unit_rows + self.unit_cols) * self.input_bytes
        cap = self.memory.gbuf_to_lbuf_bytes_per_cycle
        if cap is not None:
            width = min(width, cap / self.gbuf_ports_per_group)
        return float(width)

    @property
    def switch_timing(self) -> ModeSwitch:
        """The mode-switch cost and rule, as the timing functions take them."""
        return ModeSwitch(self.mode_switch_cycles, self.mode_switch)

    @property
    def peak_tflops(self) -> float:
        return 2 * self.total_pes * self.clock_ghz / 1000

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        kind = "FlexSA unit(s) of 2x2 cores" if self.flexsa else "independent core(s)"
        return (f"{self.groups} group(s) x {self.units_per_group} {kind} of "
                f"{self.core_rows}x{self.core_cols} PEs per core")


def default_lbuf_sizes(core_rows: int, core_cols: int, flexsa: bool) -> dict[str, int]:
    """Spec section 2 sizes, per core and per half, with R x C the full unit."""
    cores = 4 if flexsa else 1
    unit_r = core_rows * (2 if flexsa else 1)
    unit_c = core_cols * (2 if flexsa else 1)
    stationary = unit_r * unit_c
    streamed = 2 * unit_r * unit_c
    blk_m = streamed // unit_r
    return {
        "lbuf_stationary_elems": math.ceil(stationary / cores),
        "lbuf_streamed_elems": math.ceil(streamed / cores),
        "lbuf_output_elems": math.ceil(blk_m * unit_c / cores),
    }


def _preset(name: str, groups: int, cores: int, size: int, flexsa: bool, text: str) -> ArchConfig:
    return ArchConfig(name=name, groups=groups, cores_per_group=cores, core_rows=size,
                      core_cols=size, flexsa=flexsa, description=text)


PRESETS: dict[str, ArchConfig] = {
    "1G1C": _preset("1G1C", 1, 1, 128, False, "1 group, 1 core of 128x128"),
    "1G4C": _preset("1G4C", 1, 4, 64, False, "1 group, 4 independent cores of 64x64"),
    "4G4C": _preset("4G4C", 4, 4, 32, False,
                    "4 groups, each 4 independent cores of 32x32 and its own GBUF"),
    "1G1F": _preset("1G1F", 1, 4, 64, True, "1 group, 1 FlexSA unit of 4 cores of 64x64"),
    "4G1F": _preset("4G1F", 4, 4, 32, True,
                    "4 groups, each 1 FlexSA unit of 4 cores of 32x32"),
}


def preset_names() -> list[str]:
    return list(PRESETS)


def arch_from_dict(data: Mapping[str, Any], source: str = "config") -> ArchConfig:
    """Validate a plain mapping (e.g. parsed YAML) into an :class:`ArchConfig`.

    A ``base: PRESET`` key starts from a preset; any key of the record may follow.
    """
    from flexsa.arch.schema import validate_arch_mapping

    merged = dict(data)
    base = merged.pop("base", None)
    if base is not None:
        merged = _overlay(_preset_dict(str(base)), merged)
    return validate_arch_mapping(merged, source)


def _preset_dict(name: str) -> dict[str, Any]:
    key = name.strip().upper()
    if key not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}")
    return PRESETS[key].as_dict()


def _overlay(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    if any(key in extra for key in GEOMETRY_KEYS):
        for key in LBUF_KEYS:
            out[key] = 0  # re-derive from the new geometry unless given explicitly
    for key, value in extra.items():
        if key == "memory" and isinstance(value, Mapping) and isinstance(out.get("memory"), dict):
            out["memory"] = {**out["memory"], **value}
        else:
            out[key] = value
    return out


def with_overrides(arch: ArchConfig, overrides: Mapping[str, Any]) -> ArchConfig:
    """A copy of ``arch`` with dotted-field overrides, e.g. ``{"memory.gbuf_mib": 5}``.

    Changing the geometry (core size, cores per group, flexsa) re-derives the LBUF sizes
    unless they are overridden too.
    """
    nested: dict[str, Any] = {}
    for key, value in overrides.items():
        parts = key.split(".")
        if len(parts) == 1:
            nested[key] = value
        elif len(parts) == 2 and parts[0] == "memory":
            nested.setdefault("memory", {})[parts[1]] = value
        else:
            raise ConfigError(f"cannot override {key!r}: use a field name or memory.<field>")
    return arch_from_dict(_overlay(arch.as_dict(), nested), source="override")


def load_arch(name_or_path: str | Path) -> ArchConfig:
    """A preset by name (case-insensitive) or a YAML config file."""
    text = str(name_or_path)
    if text.strip().upper() in PRESETS:
        return PRESETS[text.strip().upper()]
    if not text.strip():
        raise ConfigError(f"--arch is empty; use a preset ({', '.join(PRESETS)}) or a .yaml file")
    path = Path(text)
    if path.suffix.lower() in {".yaml", ".yml"} or path.exists():
        from flexsa.arch.schema import load_yaml_mapping
        from flexsa.paths import input_file

        input_file(path, "arch config file", ConfigError)

        return arch_from_dict(load_yaml_mapping(path), source=str(path))
    raise ConfigError(f"unknown arch {text!r}; use a preset ({', '.join(PRESETS)}) "
                      "or a .yaml file")


def field_names() -> list[str]:
    return [f.name for f in fields(ArchConfig)]


def renamed(arch: ArchConfig, name: str) -> ArchConfig:
    return replace(arch, name=name)
