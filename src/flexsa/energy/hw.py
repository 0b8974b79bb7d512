"""A read-only view of the fields of an architecture config the energy/memory models use.

Keeps this package independent of the exact ``ArchConfig`` layout: any object with the
contract's attribute names works (missing LBUF sizes default to the spec's values).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flexsa.errors import ConfigError


@dataclass(frozen=True)
class HwView:
    name: str
    groups: int
    cores_per_group: int
    core_rows: int
    core_cols: int
    flexsa: bool
    lbuf_stationary_elems: int
    lbuf_streamed_elems: int
    lbuf_output_elems: int
    clock_ghz: float
    input_bytes: int
    output_bytes: int
    gbuf_mib: float
    dram_gbps: float
    dram_latency_cycles: int
    gbuf_to_lbuf_bytes_per_cycle: float
    gbuf_ports: int = 0

    @property
    def cores(self) -> int:
        return self.groups * self.cores_per_group

    @property
    def pes(self) -> int:
        return self.cores * self.core_rows * self.core_cols

    @property
    def gbuf_bytes_per_group(self) -> float:
        return self.gbuf_mib * 2**20 / self.groups

    @property
    def units_per_group(self) -> int:
        return self.cores_per_group // 4 if self.flexsa else self.cores_per_group

    @property
    def cores_per_unit(self) -> int:
        return 4 if self.flexsa else 1

    @property
    def unit_rows(self) -> int:
        return self.core_rows * (2 if self.flexsa else 1)

    @property
    def unit_cols(self) -> int:
        return self.core_cols * (2 if self.flexsa else 1)

    @property
    def blk_m(self) -> int:
        return self.lbuf_streamed_elems * self.cores_per_unit // self.unit_rows

    @property
    def dram_bytes_per_cycle(self) -> float:
        return self.dram_gbps / self.clock_ghz


def _get(obj: Any, name: str, default: Any = None) -> Any:
    value = getattr(obj, name, default)
    if value is None:
        raise ConfigError(f"architecture has no field {name!r}")
    return value


def hw_view(arch: Any) -> HwView:
    """Extract the fields of ``arch`` (an ``ArchConfig`` or a look-alike)."""
    if isinstance(arch, HwView):
        return arch
    memory = getattr(arch, "memory", arch)
    rows, cols = int(_get(arch, "core_rows")), int(_get(arch, "core_cols"))
    flexsa = bool(getattr(arch, "flexsa", False))
    per_unit = 4 if flexsa else 1
    unit_rows, unit_cols = rows * (2 if flexsa else 1), cols * (2 if flexsa else 1)
    stationary = int(getattr(arch, "lbuf_stationary_elems", 0)
                     or -(-unit_rows * unit_cols // per_unit))
    streamed = int(getattr(arch, "lbuf_streamed_elems", 0)
                   or -(-2 * unit_rows * unit_cols // per_unit))
    output = int(getattr(arch, "lbuf_output_elems", 0)
                 or -(-(streamed * per_unit // unit_rows) * unit_cols // per_unit))
    view = HwView(
        name=str(getattr(arch, "name", "custom")),
        groups=int(_get(arch, "groups")),
        cores_per_group=int(_get(arch, "cores_per_group")),
        core_rows=rows,
        core_cols=cols,
        flexsa=flexsa,
        lbuf_stationary_elems=stationary,
        lbuf_streamed_elems=streamed,
        lbuf_output_elems=output,
        clock_ghz=float(getattr(arch, "clock_ghz", 0.7)),
        input_bytes=int(getattr(arch, "input_bytes", 2)),
        output_bytes=int(getattr(arch, "output_bytes", 4)),
        gbuf_mib=float(getattr(memory, "gbuf_mib", 10.0)),
        dram_gbps=float(getattr(memory, "dram_gbps", 270.0)),
        dram_latency_cycles=int(getattr(memory, "dram_latency_cycles", 0) or 0),
        gbuf_to_lbuf_bytes_per_cycle=float(
            getattr(memory, "gbuf_to_lbuf_bytes_per_cycle", 0) or 0),
        gbuf_ports=int(getattr(memory, "gbuf_ports", 0) or 0),
    )
    if view.flexsa and view.cores_per_group % 4:
        raise ConfigError(f"cores_per_group must be a multiple of 4 for FlexSA, got "
                          f"{view.cores_per_group}")
    return view
