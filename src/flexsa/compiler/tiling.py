"""Partitioning a GEMM over groups and tiling each part into waves."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flexsa.arch.config import ArchConfig
from flexsa.workloads.layers import Gemm, Phase

FULL, EDGE = 0, 1


@dataclass(frozen=True)
class Dim:
    """One GEMM dimension cut into ``full`` tiles of ``block`` plus an optional ``edge`` tile."""

    total: int
    block: int
    full: int = field(init=False)
    edge: int = field(init=False)
    count: int = field(init=False)

    def __post_init__(self) -> None:
        full, edge = divmod(self.total, self.block)
        object.__setattr__(self, "full", full)
        object.__setattr__(self, "edge", edge)
        object.__setattr__(self, "count", full + (1 if edge else 0))

    def size(self, cls: int) -> int:
        return self.block if cls == FULL else self.edge

    def count_of(self, cls: int) -> int:
        return self.full if cls == FULL else (1 if self.edge else 0)

    def classes(self) -> tuple[int, ...]:
        if self.full:
            return (FULL, EDGE) if self.edge else (FULL,)
        return (EDGE,)

    def cls_of(self, index: int) -> int:
        return EDGE if (self.edge and index == self.count - 1) else FULL

    def tiles(self) -> list[tuple[int, int]]:
        """(offset, size) of every tile in order."""
        return [(i * self.block, min(self.block, self.total - i * self.block))
                for i in range(self.count)]


@dataclass(frozen=True)
class GroupPart:
    """The share of a GEMM one group computes: rows ``m0..m0+m`` and ``k0..k0+k``."""

    group: int
    m: int
    n: int
    k: int
    m0: int
    k0: int
    instances: int


def partition_sizes(total: int, parts: int) -> list[tuple[int, int]]:
    """(offset, size) of ``parts`` near-equal shares (larger first), empty ones dropped."""
    base, extra = divmod(total, parts)
    out, start = [], 0
    for i in range(parts):
        size = base + (1 if i < extra else 0)
        if size:
            out.append((start, size))
        start += size
    return out


def partition_axis(gemm: Gemm) -> str:
    """``"m"`` for forward and data-gradient GEMMs, ``"k"`` for weight gradients (spec 4.2)."""
    return "k" if gemm.phase is Phase.WGRAD else "m"


def partition(arch: ArchConfig, gemm: Gemm) -> list[GroupPart]:
    """One part per group (empty parts dropped). Every instance is split the same way."""
    axis = partition_axis(gemm)
    parts = []
    total = gemm.k if axis == "k" else gemm.m
    for group, (start, size) in enumerate(partition_sizes(total, arch.groups)):
        if axis == "k":
            parts.append(GroupPart(group, gemm.m, gemm.n, size, 0, start, gemm.groups))
        else:
            parts.append(GroupPart(group, size, gemm.n, gemm.k, start, 0, gemm.groups))
    return parts


def reduction_bytes(arch: ArchConfig, gemm: Gemm) -> int:
    """Partial outputs moved between groups to reduce a K-partitioned GEMM."""
    if partition_axis(gemm) != "k":
        return 0
    active = min(arch.groups, gemm.k)
    return (active - 1) * gemm.m * gemm.n * gemm.groups * arch.output_bytes


ShapeKey = tuple[int, int, int, int, bool]


def shape_key(gemm: Gemm) -> ShapeKey:
    """What a GEMM's partition and timing depend on: sizes, instances, K-split (wgrad)."""
    return (gemm.m, gemm.n, gemm.k, gemm.groups, gemm.phase is Phase.WGRAD)


@dataclass(frozen=True)
class GemmPartition:
    """One GEMM shape split over the groups: its parts and the cross-group reduction."""

    parts: tuple[GroupPart, ...]
    reduction_bytes: int


def partition_gemms(arch: ArchConfig, gemms: Iterable[Gemm]) -> dict[ShapeKey, GemmPartition]:
    """The group partition of every distinct GEMM shape of a run (each computed once)."""
    out: dict[ShapeKey, GemmPartition] = {}
    for gemm in gemms:
        key = shape_key(gemm)
        if key not in out:
            out[key] = GemmPartition(tuple(partition(arch, gemm)), reduction_bytes(arch, gemm))
    return out
