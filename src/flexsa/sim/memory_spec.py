"""The ``memory=`` argument of the simulators: ``"ideal"``, ``"hbm2"`` or a bandwidth.

* ``ideal``: infinite DRAM bandwidth, zero latency (isolates tile/array size mismatch);
  the GBUF->LBUF path is also unlimited.
* ``hbm2``: the architecture's DRAM (default one HBM2 stack, 270 GB/s) with its latency,
  and its GBUF->LBUF ports (one per unit, ``arch.lbuf_port_bytes_per_cycle`` wide).
* a number (``300`` or ``"300"``, GB/s): like ``hbm2`` with that DRAM bandwidth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flexsa.arch.config import ArchConfig
from flexsa.errors import ConfigError


@dataclass(frozen=True)
class MemorySpec:
    """Resolved memory timing parameters (bytes per core clock cycle)."""

    name: str
    dram_bytes_per_cycle: float          # math.inf for ideal
    dram_latency_cycles: int
    gbuf_to_lbuf_bytes_per_cycle: float  # per group (sum of its ports); math.inf for ideal
    dram_gbps: float
    unit_port_bytes_per_cycle: float = math.inf  # one unit's GBUF read bandwidth

    @property
    def ideal(self) -> bool:
        return math.isinf(self.dram_bytes_per_cycle)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dram_gbps": self.dram_gbps,
                "dram_latency_cycles": self.dram_latency_cycles,
                "gbuf_to_lbuf_bytes_per_cycle": self.gbuf_to_lbuf_bytes_per_cycle,
                "unit_port_bytes_per_cycle": self.unit_port_bytes_per_cycle}


MIN_GBPS, MAX_GBPS = 1e-3, 1e9  # DRAM bandwidths outside this are not physical


def _bandwidth(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"--memory {text!r} is not valid; use ideal, hbm2 or a DRAM "
                          "bandwidth in GB/s (> 0)") from None
    from flexsa.validation import as_float

    return as_float(value, "--memory bandwidth (GB/s)", low=MIN_GBPS, high=MAX_GBPS,
                    error=ConfigError)


def unit_port_bpc(arch: ArchConfig) -> float:
    """One unit's GBUF read bandwidth: each of the group's ports is
    ``arch.lbuf_port_bytes_per_cycle`` wide (default the unit's edges, (rows + cols) x
    input bytes: one row of the stationary and one of the streamed tile per cycle); each
    unit is on one port and the units of a port share it evenly (the most loaded port's
    share, ``ceil(units / ports)``)."""
    ports = arch.gbuf_ports_per_group
    return arch.lbuf_port_bytes_per_cycle / math.ceil(arch.units_per_group / ports)


def group_port_bpc(arch: ArchConfig) -> float:
    """The group's total GBUF read bandwidth: the sum of its ports."""
    return arch.lbuf_port_bytes_per_cycle * arch.gbuf_ports_per_group


def parse_memory(memory: str | float | int | MemorySpec, arch: ArchConfig) -> MemorySpec:
    """Resolve ``memory`` against ``arch``'s DRAM, latency and GBUF->LBUF knobs."""
    if isinstance(memory, MemorySpec):
        return memory
    if isinstance(memory, str) and memory.strip().lower() == "ideal":
        return MemorySpec("ideal", math.inf, 0, math.inf, math.inf)
    if isinstance(memory, str) and memory.strip().lower() == "hbm2":
        gbps, name = float(arch.memory.dram_gbps), "hbm2"
    elif isinstance(memory, bool):
        raise ConfigError("--memory must be ideal, hbm2 or a DRAM bandwidth in GB/s")
    else:
        gbps, name = _bandwidth(str(memory)), f"{float(memory):g}GB/s"
    return MemorySpec(name, gbps / arch.clock_ghz, arch.memory.dram_latency_cycles,
                      group_port_bpc(arch), gbps, unit_port_bpc(arch))
