"""Dataflows, timing profiles and the hardware configuration of the sparse engine."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from enum import Enum, StrEnum
from typing import Any

from flexsa.errors import ConfigError
from flexsa.validation import as_float, non_negative, positive


class Dataflow(StrEnum):
    """The six loop orders; an N variant is the M variant on ``C^T = B^T A^T``."""

    IP_M = "IP_M"
    IP_N = "IP_N"
    OP_M = "OP_M"
    OP_N = "OP_N"
    GUST_M = "Gust_M"
    GUST_N = "Gust_N"

    @property
    def family(self) -> str:
        return self.value.split("_")[0]

    @property
    def transposed(self) -> bool:
        return self.value.endswith("_N")

    @property
    def output_format(self) -> str:
        """M variants write C in CSR, N variants in CSC."""
        return "csc" if self.transposed else "csr"

    @property
    def input_b_format(self) -> str:
        """The format the activations (B) must arrive in for this dataflow."""
        needs_csc = {"IP_M", "IP_N", "Gust_N"}
        return "csc" if self.value in needs_csc else "csr"


ALL_DATAFLOWS: tuple[Dataflow, ...] = tuple(Dataflow)
M_DATAFLOWS: tuple[Dataflow, ...] = (Dataflow.IP_M, Dataflow.OP_M, Dataflow.GUST_M)


def parse_dataflow(name: str) -> Dataflow:
    """``IP_M``/``ip_m``/``gust_n``... -> :class:`Dataflow`; one-line error otherwise."""
    for flow in Dataflow:
        if flow.value.lower() == name.strip().lower():
            return flow
    names = ", ".join(f.value for f in Dataflow)
    raise ConfigError(f"unknown dataflow {name!r}: use one of {names}")


class Profile(StrEnum):
    """``reference`` follows the published simulator (spec section 6); ``ideal`` the prose."""

    REFERENCE = "reference"
    IDEAL = "ideal"


def parse_profile(name: str) -> Profile:
    for profile in Profile:
        if profile.value == name.strip().lower():
            return profile
    raise ConfigError(f"unknown timing profile {name!r}: use reference or ideal")


@dataclass(frozen=True)
class HardwareConfig:
    """One engine for all dataflows (sizes shared by every design, spec section 2/4)."""

    profile: Profile = Profile.REFERENCE
    n_mult: int = 64
    dn_bw: int = 64  # elements per cycle into the multipliers
    rn_bw: int = 64  # elements per cycle out of the reduction/merge tree
    element_bytes: int = 4  # value + coordinate, 32 bits in total
    cache_bytes: int = 1 << 20
    cache_line_bytes: int = 128
    cache_ways: int = 16
    cache_hit_cycles: int = 1
    n_banks: int = 32  # streamed cache banks, consecutive lines in consecutive banks (spec 6.1)
    cache_ports: int = 64  # requests the cache accepts per cycle (one per bank per cycle)
    psram_bytes: int = 256 << 10
    dram_latency_ns: float = 80.0
    dram_gbps: float = 0.0  # 0 = no bandwidth limit (the reference runs)
    clock_ghz: float = 1.0
    # Spec 6.1: a step (or fill) costs about 2 cycles plus its bank depth plus DRAM.
    step_cycles: int = 2  # controller cycles per step / fill besides the bank queues
    merge_row_overhead: int = 10  # per output row and merge pass (tree fill + switch)
    time_output_writes: bool = True
    # Cache simulation budget: above this many line accesses, simulate a seeded sample
    # of the cache sets (set sampling) and scale the misses.
    lru_budget: int = 3_000_000
    lru_engine: str = "auto"  # numba (exact, optional dependency), numpy, or auto
    # Bank depth: above this many requested elements per run, count a seeded random sample
    # of the batches exactly and scale (ratio estimate with a 95% error bound).
    depth_budget: int = 200_000
    # Inner product: above this many line accesses, simulate a sample of the batches (each
    # after its predecessor as warm-up).
    ip_trace_budget: int = 1_000_000
    seed: int = 0

    def __post_init__(self) -> None:
        counts = {"n_mult": self.n_mult, "dn_bw": self.dn_bw, "rn_bw": self.rn_bw,
                    "element_bytes": self.element_bytes, "cache_bytes": self.cache_bytes,
                    "cache_line_bytes": self.cache_line_bytes, "cache_ways": self.cache_ways,
                    "lru_budget": self.lru_budget, "n_banks": self.n_banks,
                    "cache_ports": self.cache_ports, "depth_budget": self.depth_budget,
                    "ip_trace_budget": self.ip_trace_budget}
        for name, value in counts.items():
            positive(value, name, error=ConfigError)
        non_negative(self.psram_bytes, "psram_bytes", error=ConfigError)
        for name in ("dram_gbps", "dram_latency_ns"):
            as_float(getattr(self, name), name, low=0.0, error=ConfigError)
        if self.lru_engine not in {"auto", "numba", "numpy"}:
            raise ConfigError(f"lru_engine must be auto, numba or numpy, got {self.lru_engine!r}")
        as_float(self.clock_ghz, "clock_ghz", low=0.0, low_open=True, error=ConfigError)
        if self.cache_bytes % (self.cache_line_bytes * self.cache_ways):
            raise ConfigError("cache_bytes must be a multiple of cache_line_bytes * cache_ways")

    @property
    def cache_sets(self) -> int:
        return self.cache_bytes // (self.cache_line_bytes * self.cache_ways)

    @property
    def elements_per_line(self) -> int:
        return max(1, self.cache_line_bytes // self.element_bytes)

    @property
    def dram_latency_cycles(self) -> int:
        return int(round(self.dram_latency_ns * self.clock_ghz))

    @property
    def dram_bytes_per_cycle(self) -> float:
        """Bytes per cycle; ``inf`` when the bandwidth is unlimited."""
        return self.dram_gbps / self.clock_ghz if self.dram_gbps > 0 else math.inf

    @property
    def tree_levels(self) -> int:
        return max(1, math.ceil(math.log2(self.n_mult)))

    def with_psram(self, psram_bytes: int) -> HardwareConfig:
        return replace(self, psram_bytes=psram_bytes)

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.value if isinstance(v, Enum) else v) for k, v in asdict(self).items()}


def reference_config(**overrides: Any) -> HardwareConfig:
    """The configuration of the published runs (spec section 6): 1 GHz, 80 ns DRAM, bw 64."""
    return replace(HardwareConfig(), **overrides)


def ideal_config(**overrides: Any) -> HardwareConfig:
    """The prose machine (spec section 2): 800 MHz, ~100 ns HBM2 at 256 GB/s, bw 16."""
    base = HardwareConfig(profile=Profile.IDEAL, dn_bw=16, rn_bw=16, dram_latency_ns=100.0,
                          dram_gbps=256.0, clock_ghz=0.8, step_cycles=1,
                          merge_row_overhead=6,
                          time_output_writes=True)
    return replace(base, **overrides)


def config_for(profile: Profile, **overrides: Any) -> HardwareConfig:
    return reference_config(**overrides) if profile is Profile.REFERENCE else ideal_config(
        **overrides)
