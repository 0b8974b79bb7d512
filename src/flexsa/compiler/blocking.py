"""Two-level blocking: GBUF blocks of GEMM tiles, and the DMA traffic DRAM <-> GBUF.

For ``C[M,N] = A[M,K] @ B[K,N]`` (``instances`` independent copies) partitioned over the
groups (forward/data gradient along M, the B operand replicated into every group's GBUF;
weight gradient along K, the groups' partial sums reduced through DRAM), each group's part
is cut into GBUF blocks ``bm x bn x bk`` (multiples of the wave tile ``blk_M x blk_N x
blk_K``) visited with K innermost, so an output block stays in the GBUF until complete and
is written to DRAM once. Two outer orders are considered:

* ``NMK`` (n outer): A blocks are read once per n-block (once in total when the whole A of
  the part is one block); B blocks once per m-block (once when K is one block: the ``K x bn``
  panel stays resident while the m-blocks stream past it);
* ``MNK``: symmetric.

Double buffering: ``2 x (A block + B block + C block)`` must fit in the group's GBUF share.
Among all block sizes (tile multiples giving 1, 2, 3, ... blocks per dimension) the plan
with the least DRAM traffic wins; ties go to plans with at least ``MIN_BLOCKS`` (4) blocks
(splitting a dimension that costs no traffic lets the DMA overlap compute), then to fewer
blocks, then to a smaller footprint.
When everything fits, the traffic is the compulsory traffic (inputs read once, output
written once).

Inputs are assumed in DRAM when a GEMM starts and outputs go back to DRAM when it ends.
Cross-group reduction of a K-partitioned GEMM with ``g`` active groups: ``g - 1`` groups
write their partial sums to DRAM and one group reads and adds them before writing the final
result: ``(g - 1) x M x N`` output words each way, counted in the traffic.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from flexsa.arch.config import ArchConfig
from flexsa.compiler.tiling import partition_axis, partition_sizes
from flexsa.errors import ConfigError
from flexsa.workloads.layers import Gemm

ORDERS: tuple[str, ...] = ("NMK", "MNK")
MIN_BLOCKS = 4


@dataclass(frozen=True)
class BlockPlan:
    """GBUF blocking of one group's part of a GEMM (one instance)."""

    m: int
    n: int
    k: int
    bm: int
    bn: int
    bk: int
    order: str
    a_bytes: int          # DRAM -> GBUF bytes of A (one instance)
    b_bytes: int          # DRAM -> GBUF bytes of B
    c_bytes: int          # GBUF -> DRAM bytes of C
    footprint_bytes: int  # double-buffered GBUF use

    @property
    def blocks(self) -> tuple[int, int, int]:
        return (math.ceil(self.m / self.bm), math.ceil(self.n / self.bn),
                math.ceil(self.k / self.bk))

    @property
    def block_count(self) -> int:
        nm, nn, nk = self.blocks
        return nm * nn * nk

    def as_dict(self) -> dict[str, Any]:
        return {"m": self.m, "n": self.n, "k": self.k, "bm": self.bm, "bn": self.bn,
                "bk": self.bk, "order": self.order, "blocks": list(self.blocks),
                "dram_read_bytes": self.a_bytes + self.b_bytes,
                "dram_write_bytes": self.c_bytes, "gbuf_footprint_bytes": self.footprint_bytes}


@dataclass(frozen=True)
class PartPlan:
    """A group's part (``m x n x k``, ``instances`` copies) and its blocking."""

    group: int
    m: int
    n: int
    k: int
    instances: int
    plan: BlockPlan
    m0: int = 0   # offset of the part in the GEMM (rows of A and C)
    k0: int = 0   # offset of the part along K


@dataclass(frozen=True)
class GemmMemoryPlan:
    """Blocking and DRAM traffic of one GEMM over all groups (bytes, all instances)."""

    gemm: Gemm
    axis: str
    parts: tuple[PartPlan, ...]
    dram_to_gbuf: int
    gbuf_to_dram: int
    compulsory_bytes: int
    replication_bytes: int   # extra reads of the shared operand (one copy per extra group)
    reduction_bytes: int     # partial sums moved through DRAM (each way)

    @property
    def dram_bytes(self) -> int:
        return self.dram_to_gbuf + self.gbuf_to_dram


def _counts(total: int, tile: int) -> np.ndarray:
    """Candidate block sizes (tile multiples) giving 1, 2, 3, ... blocks."""
    tiles = math.ceil(total / tile)
    counts = set(range(1, min(tiles, 16) + 1))
    p = 1
    while p <= tiles:
        counts.add(p)
        p *= 2
    counts.add(tiles)
    sizes = {min(total, math.ceil(tiles / c) * tile) for c in counts}
    return np.array(sorted(sizes), dtype=np.int64)


@lru_cache(maxsize=65536)
def plan_block(m: int, n: int, k: int, tile_m: int, tile_n: int, tile_k: int,
               capacity: float, in_bytes: int, out_bytes: int,
               min_blocks: int = MIN_BLOCKS) -> BlockPlan:
    """The least-traffic GBUF blocking of an ``m x n x k`` GEMM part (one instance).

    Among the plans with the least traffic, one with at least ``min_blocks`` blocks is
    preferred (so DMA overlaps compute), then the fewest blocks, then the smallest
    footprint."""
    bm = _counts(m, tile_m)[:, None, None]
    bn = _counts(n, tile_n)[None, :, None]
    bk = _counts(k, tile_k)[None, None, :]
    nm, nn, nk = -(-m // bm), -(-n // bn), -(-k // bk)
    footprint = 2 * ((bm * bk + bk * bn) * in_bytes + bm * bn * out_bytes)
    fits = footprint <= capacity
    if not fits.any():
        need = int(footprint.min())
        raise ConfigError(
            f"GBUF share of {capacity / 2**20:.3f} MiB is too small for one block "
            f"({need} bytes double-buffered for a {tile_m}x{tile_n}x{tile_k} tile); "
            "increase memory.gbuf_mib")
    a_all, b_all, c_all = m * k * in_bytes, k * n * in_bytes, m * n * out_bytes
    best: tuple[tuple[int, int, int, int], BlockPlan] | None = None
    for order in ORDERS:
        if order == "NMK":
            a = a_all * np.where(nm * nk == 1, 1, nn)
            b = b_all * np.where(nk == 1, 1, nm)
        else:
            a = a_all * np.where(nk == 1, 1, nn)
            b = b_all * np.where(nn * nk == 1, 1, nm)
        total = np.where(fits, a + b + c_all, np.iinfo(np.int64).max)
        transfers = np.broadcast_to(nm * nn * nk, total.shape)
        short = np.maximum(min_blocks - transfers, 0)
        keys = np.lexsort((np.broadcast_to(footprint, total.shape).ravel(),
                           transfers.ravel(), short.ravel(), total.ravel()))
        i = np.unravel_index(keys[0], total.shape)
        key = (int(total[i]), int(short[i]), int(transfers[i]),
               int(np.broadcast_to(footprint, total.shape)[i]))
        plan = BlockPlan(m, n, k, int(bm[i[0], 0, 0]), int(bn[0, i[1], 0]),
                         int(bk[0, 0, i[2]]), order,
                         int(np.broadcast_to(a, total.shape)[i]),
                         int(np.broadcast_to(b, total.shape)[i]), c_all, key[3])
        if best is None or key < best[0]:
            best = (key, plan)
    assert best is not None
    return best[1]


@lru_cache(maxsize=65536)
def plan_gemm(gemm: Gemm, arch: ArchConfig) -> GemmMemoryPlan:
    """Partition ``gemm`` over the groups and block every part for the GBUF."""
    ib, ob = arch.input_bytes, arch.output_bytes
    tm, tn, tk = arch.blk_m, arch.blk_n, arch.blk_k
    axis = partition_axis(gemm)
    total = gemm.k if axis == "k" else gemm.m
    parts = []
    for group, (start, size) in enumerate(partition_sizes(total, arch.groups)):
        m, k = (gemm.m, size) if axis == "k" else (size, gemm.k)
        m0, k0 = (0, start) if axis == "k" else (start, 0)
        plan = plan_block(m, gemm.n, k, tm, tn, tk, arch.gbuf_bytes_per_group, ib, ob)
        parts.append(PartPlan(group, m, gemm.n, k, gemm.groups, plan, m0, k0))
    g = gemm.groups
    reads = sum(p.plan.a_bytes + p.plan.b_bytes for p in parts) * g
    writes = sum(p.plan.c_bytes for p in parts) * g
    compulsory = (gemm.m * gemm.k + gemm.k * gemm.n) * ib * g + gemm.m * gemm.n * ob * g
    replication = (len(parts) - 1) * gemm.k * gemm.n * ib * g if axis == "m" else 0
    reduction = 0
    if axis == "k":
        # g - 1 groups write partial sums (their parts' C writes); the last group reads
        # them block by block, adds its own and writes the final result.
        reduction = (len(parts) - 1) * gemm.m * gemm.n * ob * g
        reads += reduction
    return GemmMemoryPlan(gemm, axis, tuple(parts), reads, writes, compulsory, replication,
                          reduction)


# ---------------------------------------------------------------------- DMA program
@dataclass(frozen=True)
class Dma:
    """One DMA instruction between DRAM and a group's GBUF."""

    op: str        # "LdGBUF" (DRAM -> GBUF) or "StGBUF" (GBUF -> DRAM)
    group: int
    operand: str   # "A", "B", "C" or "P" (partial sums of a K-partitioned GEMM)
    instance: int
    row0: int
    col0: int
    rows: int
    cols: int
    nbytes: int

    def text(self) -> str:
        return (f"{self.op}(g{self.group}, {self.operand}[{self.instance}], "
                f"{self.row0}:{self.row0 + self.rows}, {self.col0}:{self.col0 + self.cols}, "
                f"{self.nbytes}B)")


def block_ranges(total: int, block: int) -> list[tuple[int, int]]:
    """(offset, size) of the blocks of ``block`` (the last one shorter) covering ``total``."""
    return [(i, min(block, total - i)) for i in range(0, total, block)]


def part_dma(part: PartPlan, ib: int, ob: int, instance: int = 0,
             partial_sources: int = 0) -> Iterator[Dma]:
    """DMA instructions of one group's part, in block order (loads before their use).

    ``partial_sources`` other groups' partial sums are loaded and added before every
    output block is stored (the reducing group of a K-partitioned GEMM)."""
    p = part.plan
    ms, ns, ks = block_ranges(p.m, p.bm), block_ranges(p.n, p.bn), block_ranges(p.k, p.bk)
    outer, inner = (ns, ms) if p.order == "NMK" else (ms, ns)
    g, dm, dk = part.group, part.m0, part.k0
    last_a = last_b = None
    for o in outer:
        for i in inner:
            (m0, mm), (n0, nn) = (i, o) if p.order == "NMK" else (o, i)
            for k0, kk in ks:
                if (m0, k0) != last_a:
                    yield Dma("LdGBUF", g, "A", instance, dm + m0, dk + k0, mm, kk, mm * kk * ib)
                    last_a = (m0, k0)
                if (k0, n0) != last_b:
                    yield Dma("LdGBUF", g, "B", instance, dk + k0, n0, kk, nn, kk * nn * ib)
                    last_b = (k0, n0)
            for _ in range(partial_sources):
                yield Dma("LdGBUF", g, "P", instance, dm + m0, n0, mm, nn, mm * nn * ob)
            yield Dma("StGBUF", g, "C", instance, dm + m0, n0, mm, nn, mm * nn * ob)


def dma_program(plan: GemmMemoryPlan, arch: ArchConfig) -> Iterator[Dma]:
    """Every DMA instruction of a GEMM: the parts' blocks, then the cross-group reduction."""
    ib, ob = arch.input_bytes, arch.output_bytes
    last = len(plan.parts) - 1
    for instance in range(plan.gemm.groups):
        for i, part in enumerate(plan.parts):
            sources = last if (plan.axis == "k" and i == last) else 0
            yield from part_dma(part, ib, ob, instance, sources)


def dma_listing(gemm: Gemm, arch: ArchConfig, limit: int = 200) -> Iterator[str]:
    """A readable summary of the GBUF blocking and the first ``limit`` DMA instructions."""
    plan = plan_gemm(gemm, arch)
    yield (f"; GBUF blocking: DRAM->GBUF {plan.dram_to_gbuf:,} B, GBUF->DRAM "
           f"{plan.gbuf_to_dram:,} B (compulsory {plan.compulsory_bytes:,} B, replication "
           f"{plan.replication_bytes:,} B, reduction {plan.reduction_bytes:,} B)")
    for part in plan.parts:
        p = part.plan
        yield (f"; group {part.group}: blocks {p.bm}x{p.bn}x{p.bk} ({p.order}, "
               f"{'x'.join(map(str, p.blocks))}), GBUF use {p.footprint_bytes:,} B")
    for count, dma in enumerate(dma_program(plan, arch)):
        if count == limit:
            yield f"; ... (first {limit} DMA instructions shown)"
            return
        yield dma.text()
