"""Typed results of one dataflow run: cycle terms, traffic per tier, cache and PSRAM."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from flexsa.sparse.config import Dataflow


@dataclass(frozen=True)
class CycleTerms:
    """Every cycle term of one run; ``multiply + merge + other`` is the run's cycles.

    Multiply phase: ``stationary`` (fills), ``stream_overhead`` (controller cycles per
    streaming step), ``stream_depth`` (bank-conflict depth of the steps' requests, or the
    pipelined issue in the ideal profile), ``stream_miss`` (DRAM round trips), ``reduce``
    (reduction-tree depth), ``merge_root`` (Gustavson outputs exceeding the root's rate),
    ``output_write``. Merge phase: ``merge``. Other: ``output_drain``, ``psram_spill``,
    ``dram_bandwidth_excess``.
    """

    stationary: int = 0
    stream_overhead: int = 0
    stream_depth: int = 0
    stream_miss: int = 0
    reduce: int = 0
    merge_root: int = 0
    output_write: int = 0
    merge: int = 0
    output_drain: int = 0
    psram_spill: int = 0
    dram_bandwidth_excess: int = 0

    @property
    def multiply(self) -> int:
        return (self.stationary + self.stream_overhead + self.stream_depth + self.stream_miss
                + self.reduce + self.merge_root + self.output_write)

    @property
    def other(self) -> int:
        return self.output_drain + self.psram_spill + self.dram_bandwidth_excess

    @property
    def total(self) -> int:
        return self.multiply + self.merge + self.other

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CycleTerms:
        names = {f.name for f in fields(cls)}
        return cls(**{k: int(v) for k, v in raw.items() if k in names})


@dataclass(frozen=True)
class TierTraffic:
    """Flexagon traffic per memory tier: elements moved on-chip and bytes off-chip.

    Not :class:`flexsa.sim.result.Traffic` (the FlexSA core's on-chip bytes).
    """

    stationary_reads: int  # elements read for the stationary operand
    streamed_reads: int  # elements requested from the streamed-operand cache
    distributed: int  # elements delivered by the DN to multipliers (incl. explicit zeros)
    psram_writes: int  # partial-sum elements written to the PSRAM
    psram_reads: int  # partial-sum elements read (consumed) from the PSRAM
    output_writes: int  # final C elements written
    dram_read_bytes: int
    dram_write_bytes: int


@dataclass(frozen=True)
class DataflowResult:
    """Cycles (split into phases), traffic and memory statistics of one dataflow run."""

    dataflow: Dataflow
    cycles: int
    multiply_cycles: int
    merge_cycles: int
    other_cycles: int  # output drain / spills / DRAM bandwidth excess
    steps: int
    stationary_fills: int
    products: int
    c_nnz: int
    traffic: TierTraffic
    cache_accesses: int  # streamed-operand line accesses
    cache_misses: int
    cache_sampled_fraction: float
    psram_peak_bytes: int
    psram_spill_bytes: int
    terms: CycleTerms
    depth_sampled_fraction: float = 1.0  # share of the steps whose bank depth was counted
    depth_error_bound: float = 0.0  # 95% half-width of the cycles from that sampling
    psram_demand: tuple[int, ...] = ()  # bytes that must be resident at once, per merge unit

    @property
    def cache_miss_rate(self) -> float:
        return self.cache_misses / self.cache_accesses if self.cache_accesses else 0.0

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["dataflow"] = self.dataflow.value
        out.pop("psram_demand")
        out["cache_miss_rate"] = self.cache_miss_rate
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> DataflowResult:
        """Rebuild a result from :meth:`as_dict` output (plus an optional ``psram_demand``)."""
        values = dict(raw)
        values.pop("cache_miss_rate", None)
        values["dataflow"] = Dataflow(values["dataflow"])
        values["traffic"] = TierTraffic(**values["traffic"])
        values["terms"] = CycleTerms.from_dict(values["terms"])
        values["psram_demand"] = tuple(values.get("psram_demand", ()))
        return cls(**values)
