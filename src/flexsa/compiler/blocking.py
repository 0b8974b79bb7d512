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

Double buffering: ``2 x (A block + B block + C block)`` must fit in the group's GBUF share
(the A block is the stored tensor under it: for an implicit GEMM the feature-map region,
not the im2col expansion). The operand that stays resident across the inner loop (the B
panel in NMK, the A panel in MNK, when K is one block) may instead be held once
(``single_resident``): that frees GBUF for larger blocks, but the next panel cannot be
prefetched (its load waits until the previous block is done; :mod:`flexsa.sim.memory`).
Among all block sizes (tile multiples giving 1, 2, 3, ... blocks per dimension) the plan
with the least DRAM traffic wins; ties go to plans with at least ``MIN_BLOCKS`` (4) blocks
(splitting a dimension that costs no traffic lets the DMA overlap compute), then to double
buffering, then to fewer blocks, then to a smaller footprint.
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
from flexsa.workloads.layers import Gemm, Im2col

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
    footprint_bytes: int  # GBUF use (double-buffered, the resident operand once if single)
    single_resident: bool = False  # the resident operand is not double-buffered

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
                "dram_write_bytes": self.c_bytes, "gbuf_footprint_bytes": self.footprint_bytes,
                "single_buffered_resident": self.single_resident}


@dataclass(frozen=True)
class PartBlocking:
    """A group's part (``m x n x k``, ``instances`` copies) and its GBUF blocking."""

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
    parts: tuple[PartBlocking, ...]
    dram_to_gbuf: int
    gbuf_to_dram: int
    compulsory_bytes: int
    replication_bytes: int   # extra reads of the shared operand (one copy per extra group)
    reduction_bytes: int     # partial sums moved through DRAM (each way)

    @property
    def dram_bytes(self) -> int:
        return self.dram_to_gbuf + self.gbuf_to_dram


@lru_cache(maxsize=16384)
def _counts(total: int, tile: int) -> np.ndarray:
    """Candidate block sizes (tile multiples) giving 1, 2, 3, ... blocks (read-only)."""
    tiles = math.ceil(total / tile)
    counts = set(range(1, min(tiles, 16) + 1))
    p = 1
    while p <= tiles:
        counts.add(p)
        p *= 2
    counts.add(tiles)
    sizes = {min(total, math.ceil(tiles / c) * tile) for c in counts}
    out = np.array(sorted(sizes), dtype=np.int64)
    out.flags.writeable = False
    return out


def a_elems(im2col: Im2col | None, rows: Any, cols: Any) -> Any:
    """Stored elements of an ``rows x cols`` block of ``A`` (ints or arrays): the block
    itself, or for an implicit GEMM the feature-map footprint under it."""
    if im2col is None:
        return rows * cols
    if im2col.pixel_axis == "m":
        return im2col.footprint(rows, cols)
    return im2col.footprint(cols, rows)


def _a_grid(im2col: Im2col | None, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``a_elems(im2col, rows[i], cols[j])`` for every ``(i, j)`` (2-D, exact integers).

    The footprint is ``min(pixels x taps, channels(taps) x rows_in(pixels) x
    width(pixels))`` (:meth:`Im2col.footprint`), so both terms are outer products of
    1-D vectors."""
    if im2col is None:
        return np.multiply.outer(rows, cols)
    pixels, taps = (rows, cols) if im2col.pixel_axis == "m" else (cols, rows)
    s = im2col.stride
    channels = -(-taps // (im2col.kh * im2col.kw))
    span = np.minimum(pixels, im2col.wout)
    width = span * min(s, im2col.kw) + max(im2col.kw - s, 0)
    rows_in = -(-pixels // im2col.wout) * min(s, im2col.kh) + max(im2col.kh - s, 0)
    expanded = np.multiply.outer(pixels, taps)
    stored = np.multiply.outer(rows_in * width, channels)
    out = np.minimum(expanded, stored)
    return out if im2col.pixel_axis == "m" else out.T


def _a_pass(im2col: Im2col | None, m: int, k: int, bm: np.ndarray, bk: np.ndarray
            ) -> np.ndarray:
    """Stored elements of A read by one pass over all its ``bm x bk`` blocks (1-D block
    sizes in, a ``len(bm) x len(bk)`` grid out)."""
    if im2col is None:
        return np.full((bm.size, bk.size), m * k, dtype=np.int64)
    m_parts = ((m // bm, bm), ((m % bm > 0).astype(np.int64), np.maximum(m % bm, 1)))
    k_parts = ((k // bk, bk), ((k % bk > 0).astype(np.int64), np.maximum(k % bk, 1)))
    total = np.zeros((bm.size, bk.size), dtype=np.int64)
    for m_count, m_size in m_parts:
        for k_count, k_size in k_parts:
            total += np.multiply.outer(m_count, k_count) * _a_grid(im2col, m_size, k_size)
    return total


@lru_cache(maxsize=65536)
def plan_block(m: int, n: int, k: int, tile_m: int, tile_n: int, tile_k: int,
               capacity: float, in_bytes: int, out_bytes: int,
               min_blocks: int = MIN_BLOCKS, im2col: Im2col | None = None,
               dram_out_bytes: int | None = None) -> BlockPlan:
    """The least-traffic GBUF blocking of an ``m x n x k`` GEMM part (one instance).

    Among the plans with the least traffic, one with at least ``min_blocks`` blocks is
    preferred (so DMA overlaps compute), then the fewest blocks, then the smallest
    footprint. ``im2col``: A is an implicit-GEMM view whose DRAM bytes are the feature map
    under each block; ``dram_out_bytes``: bytes of a finished output word written to DRAM
    (default ``out_bytes``; the GBUF keeps ``out_bytes`` partial sums)."""
    bm_1d, bk_1d = _counts(m, tile_m), _counts(k, tile_k)
    bm, bn, bk = bm_1d[:, None, None], _counts(n, tile_n)[None, :, None], bk_1d[None, None, :]
    nm, nn, nk = -(-m // bm), -(-n // bn), -(-k // bk)
    a_block = _a_grid(im2col, bm_1d, bk_1d)[:, None, :] * in_bytes  # the stored tensor
    b_block, c_block = bk * bn * in_bytes, bm * bn * out_bytes
    footprint = 2 * (a_block + b_block + c_block)
    if not (footprint <= capacity).any():
        need = int(footprint.min())
        raise ConfigError(
            f"GBUF share of {capacity / 2**20:.3f} MiB is too small for one block "
            f"({need} bytes double-buffered for a {tile_m}x{tile_n}x{tile_k} tile); "
            "increase memory.gbuf_mib")
    a_all = _a_pass(im2col, m, k, bm_1d, bk_1d)[:, None, :] * in_bytes
    b_all = k * n * in_bytes
    c_all = m * n * (out_bytes if dram_out_bytes is None else dram_out_bytes)
    shape = (bm.shape[0], bn.shape[1], bk.shape[2])

    def full(x: Any) -> np.ndarray:
        return np.broadcast_to(x, shape)

    variants: list[tuple[str, int, np.ndarray, np.ndarray, np.ndarray]] = []
    # (order, single, traffic, footprint, fits) per order and buffering
    least = int(a_all.min()) + b_all + c_all  # every operand read once
    for order in ORDERS:
        if order == "NMK":
            a = a_all * np.where(nm * nk == 1, 1, nn)
            b = b_all * np.where(nk == 1, 1, nm)
            # the K x bn panel of B stays while the m-blocks stream past it
            resident, inner = b_block, nm
        else:
            a = a_all * np.where(nk == 1, 1, nn)
            b = b_all * np.where(nn * nk == 1, 1, nm)
            resident, inner = a_block, nn
        traffic = full(a + b + c_all)
        fits = full(footprint <= capacity)
        variants.append((order, 0, traffic, full(footprint), fits))
        if fits.any() and traffic[fits].min() <= least:
            continue  # double buffering reaches the least traffic: no need to hold once
        # the resident operand held once: its change is not prefetched
        single = full(footprint - resident)
        variants.append((order, 1, traffic, single,
                         full((single <= capacity) & (nk == 1) & (inner > 1))))
    v, i, j, q, fp = _pick(variants, nm * nn * nk, min_blocks)
    order, single_flag, traffic, _, _ = variants[v]
    b_bytes = b_part(order, b_all, nm, nk, nn, i, j, q)
    return BlockPlan(m, n, k, int(bm[i, 0, 0]), int(bn[0, j, 0]), int(bk[0, 0, q]), order,
                     int(traffic[i, j, q] - b_bytes - c_all), b_bytes, c_all, fp,
                     bool(single_flag))


def _pick(variants: list[tuple[str, int, np.ndarray, np.ndarray, np.ndarray]],
          transfers: np.ndarray, min_blocks: int) -> tuple[int, int, int, int, int]:
    """(variant, i, j, q, footprint) of the best fitting plan: least traffic, then at least
    ``min_blocks`` blocks, double buffering, fewest blocks, smallest footprint."""
    total = np.stack([np.where(v[4], v[2], np.iinfo(np.int64).max) for v in variants])
    blocks = np.broadcast_to(transfers, total.shape)
    short = np.maximum(min_blocks - blocks, 0)
    single = np.broadcast_to(np.array([v[1] for v in variants])[:, None, None, None],
                             total.shape)
    fp = np.stack([v[3] for v in variants])
    flat = total.ravel()
    tied = np.flatnonzero(flat == flat.min())
    keys = [x.ravel()[tied] for x in (fp, blocks, single, short)]
    best = int(tied[np.lexsort(keys)[0]])
    v, i, j, q = (int(x) for x in np.unravel_index(best, total.shape))
    return v, i, j, q, int(fp[v, i, j, q])


def b_part(order: str, b_all: int, nm: np.ndarray, nk: np.ndarray, nn: np.ndarray,
           i: int, j: int, q: int) -> int:
    """DRAM bytes of B of the block plan at grid point (i, j, q) in ``order``."""
    m_blocks, k_blocks, n_blocks = int(nm[i, 0, 0]), int(nk[0, 0, q]), int(nn[0, j, 0])
    if order == "NMK":
        return b_all * (1 if k_blocks == 1 else m_blocks)
    return b_all * (1 if n_blocks * k_blocks == 1 else m_blocks)


@lru_cache(maxsize=65536)
def plan_gemm(gemm: Gemm, arch: ArchConfig) -> GemmMemoryPlan:
    """Partition ``gemm`` over the groups and block every part for the GBUF."""
    ib, ob, dob = arch.input_bytes, arch.output_bytes, arch.memory.dram_output_bytes
    tm, tn, tk = arch.blk_m, arch.blk_n, arch.blk_k
    axis = partition_axis(gemm)
    total = gemm.k if axis == "k" else gemm.m
    parts = []
    shares = partition_sizes(total, arch.groups)
    for group, (start, size) in enumerate(shares):
        m, k = (gemm.m, size) if axis == "k" else (size, gemm.k)
        m0, k0 = (0, start) if axis == "k" else (start, 0)
        # partial sums of a K split go to DRAM in FP32; finished outputs in dram_output_bytes
        out = ob if axis == "k" and group < len(shares) - 1 else dob
        plan = plan_block(m, gemm.n, k, tm, tn, tk, arch.gbuf_bytes_per_group, ib, ob,
                          MIN_BLOCKS, gemm.im2col, out)
        parts.append(PartBlocking(group, m, gemm.n, k, gemm.groups, plan, m0, k0))
    g = gemm.groups
    reads = sum(p.plan.a_bytes + p.plan.b_bytes for p in parts) * g
    writes = sum(p.plan.c_bytes for p in parts) * g
    a_stored = int(a_elems(gemm.im2col, gemm.m, gemm.k))
    compulsory = (a_stored + gemm.k * gemm.n) * ib * g + gemm.m * gemm.n * dob * g
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


def store_word(part: PartBlocking) -> int:
    """Bytes of one output word the part stores to DRAM (FP16 result or FP32 partial)."""
    return part.plan.c_bytes // (part.plan.m * part.plan.n)


def block_ranges(total: int, block: int) -> list[tuple[int, int]]:
    """(offset, size) of the blocks of ``block`` (the last one shorter) covering ``total``."""
    return [(i, min(block, total - i)) for i in range(0, total, block)]


def part_dma(part: PartBlocking, ib: int, ob: int, instance: int = 0,
             partial_sources: int = 0, im2col: Im2col | None = None) -> Iterator[Dma]:
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
                    yield Dma("LdGBUF", g, "A", instance, dm + m0, dk + k0, mm, kk,
                              int(a_elems(im2col, mm, kk)) * ib)
                    last_a = (m0, k0)
                if (k0, n0) != last_b:
                    yield Dma("LdGBUF", g, "B", instance, dk + k0, n0, kk, nn, kk * nn * ib)
                    last_b = (k0, n0)
            for _ in range(partial_sources):
                yield Dma("LdGBUF", g, "P", instance, dm + m0, n0, mm, nn, mm * nn * ob)
            yield Dma("StGBUF", g, "C", instance, dm + m0, n0, mm, nn,
                      mm * nn * store_word(part))


def dma_program(plan: GemmMemoryPlan, arch: ArchConfig) -> Iterator[Dma]:
    """Every DMA instruction of a GEMM: the parts' blocks, then the cross-group reduction."""
    ib, ob = arch.input_bytes, arch.output_bytes
    last = len(plan.parts) - 1
    for instance in range(plan.gemm.groups):
        for i, part in enumerate(plan.parts):
            sources = last if (plan.axis == "k" and i == last) else 0
            yield from part_dma(part, ib, ob, instance, sources, plan.gemm.im2col)


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
