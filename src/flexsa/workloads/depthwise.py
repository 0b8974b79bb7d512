"""Depthwise convolutions (one input channel per group): the three lowerings of the knob.

A depthwise conv is element-wise in character: per channel its GEMMs have ``N = 1``
(``cout / groups`` with a channel multiplier), so one output tile uses a single PE column.
:class:`DepthwiseLowering` chooses what the toolkit does with it:

* ``simd`` (default): the data-parallel op runs on the SIMD unit like the other non-GEMM
  layers (:func:`flexsa.sim.simd.depthwise_breakdown`); it counts in end-to-end time
  (``simd_cycles``) and not in the systolic array's PE utilization. No GEMM is emitted.
* ``per-channel``: ``groups`` independent per-channel GEMMs (the implicit-GEMM table).
* ``packed``: ``P`` channels packed block-diagonally into one GEMM. Forward and data
  gradient pack the weight side: ``A = [A_1 .. A_P]`` (concatenated along K),
  ``B = blockdiag(B_1 .. B_P)``, so ``C = [A_1 B_1 .. A_P B_P]`` (``m x Pn x Pk``);
  ``P = min(rows // k, cols // n)`` fills the array's stationary tile (``rows x cols``, the
  unit's ``blk_K x blk_N``). The weight gradient packs the output side:
  ``A = [A_1; ..; A_P]`` (stacked along M), ``B = [B_1 .. B_P]``, and the wanted results
  are the diagonal blocks ``A_p B_p`` of ``C`` (``Pm x Pn x k``); ``P = cols // n``. The
  MACs outside the blocks are executed and wasted: utilization counts useful MACs only.
  :func:`pack_operands` / :func:`unpack_result` build and read the packed matrices, so a
  packed GEMM is compiled, executed and checked like any other program.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from flexsa.errors import WorkloadError
from flexsa.workloads.layers import ConvLayer, Gemm, Phase

DEFAULT_PACK_SHAPE: tuple[int, int] = (128, 128)  # a 128x128 unit (1G1C, 1G1F)


class DepthwiseLowering(StrEnum):
    SIMD = "simd"
    PER_CHANNEL = "per-channel"
    PACKED = "packed"


DEPTHWISE_CHOICES = ", ".join(v.value for v in DepthwiseLowering)


def parse_depthwise(value: str | DepthwiseLowering, field: str = "depthwise"
                    ) -> DepthwiseLowering:
    """The knob's value; an unknown one is one line naming the field."""
    try:
        return DepthwiseLowering(str(value).strip().lower().replace("_", "-"))
    except ValueError:
        raise WorkloadError(f"{field} must be one of {DEPTHWISE_CHOICES}, "
                            f"got {value!r}") from None


def weight_packed(phase: Phase) -> bool:
    """Forward and data gradient pack the weight side; the weight gradient the output."""
    return phase is not Phase.WGRAD


def pack_factor(gemm: Gemm, pack_shape: tuple[int, int]) -> int:
    """Channels per packed GEMM: as many as fill the ``rows x cols`` stationary tile."""
    rows, cols = pack_shape
    factor = cols // gemm.n
    if weight_packed(gemm.phase):
        factor = min(rows // gemm.k, factor)
    return max(1, min(factor, gemm.groups))


def _split(total: int, weights: list[int]) -> list[int]:
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    shares[0] += total - sum(shares)
    return shares


def pack_gemm(gemm: Gemm, pack_shape: tuple[int, int] = DEFAULT_PACK_SHAPE) -> list[Gemm]:
    """The packed GEMMs of ``gemm``'s ``groups`` per-channel instances (full packs of ``P``
    channels, then one pack of the remainder); useful MACs split by channels packed."""
    factor = pack_factor(gemm, pack_shape)
    if factor == 1:
        return [gemm]
    full, rest = divmod(gemm.groups, factor)
    packs = [(factor, full)] + ([(rest, 1)] if rest else [])
    useful = _split(gemm.macs, [p * count for p, count in packs])
    out = []
    for (p, count), macs in zip(packs, useful, strict=True):
        part = "+".join(x for x in (gemm.part, f"packed{p}") if x)
        m, k = (gemm.m, p * gemm.k) if weight_packed(gemm.phase) else (p * gemm.m, gemm.k)
        out.append(Gemm(gemm.layer, gemm.phase, m, p * gemm.n, k, count, macs, part))
    return out


def pack_operands(phase: Phase, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Packed ``(A, B)`` (each ``1 x ...``) of per-channel operands ``a`` (P x m x k) and
    ``b`` (P x k x n), as the packed GEMM of ``phase`` multiplies them."""
    count, m, k = a.shape
    n = b.shape[2]
    if b.shape[:2] != (count, k):
        raise WorkloadError(f"per-channel operands {a.shape} and {b.shape} do not match")
    if weight_packed(phase):
        packed_a = np.concatenate(list(a), axis=1)
        packed_b = np.zeros((count * k, count * n), dtype=b.dtype)
        for p in range(count):
            packed_b[p * k:(p + 1) * k, p * n:(p + 1) * n] = b[p]
    else:
        packed_a = np.concatenate(list(a), axis=0)
        packed_b = np.concatenate(list(b), axis=1)
    return packed_a[None], packed_b[None]


def unpack_result(phase: Phase, c: np.ndarray, count: int) -> np.ndarray:
    """Per-channel results (P x m x n) from the packed product ``c`` (1 x M x N)."""
    c = c[0]
    n = c.shape[1] // count
    if weight_packed(phase):
        return np.stack([c[:, p * n:(p + 1) * n] for p in range(count)])
    m = c.shape[0] // count
    return np.stack([c[p * m:(p + 1) * m, p * n:(p + 1) * n] for p in range(count)])


def depthwise_convs(model: object) -> tuple[ConvLayer, ...]:
    """The depthwise convolutions of a model (``groups == cin > 1``), in order."""
    layers = getattr(model, "layers", ())
    return tuple(layer for layer in layers
                 if isinstance(layer, ConvLayer) and layer.is_depthwise)


NOTES: dict[DepthwiseLowering, str] = {
    DepthwiseLowering.SIMD: "depthwise convolutions run on the SIMD unit: counted in "
    "simd_cycles (end-to-end time), excluded from PE utilization",
    DepthwiseLowering.PER_CHANNEL: "depthwise convolutions run on the array as per-channel "
    "GEMMs (N = 1): counted in cycles and PE utilization",
    DepthwiseLowering.PACKED: "depthwise convolutions run on the array, channels packed "
    "block-diagonally into GEMMs: counted in cycles and PE utilization (useful MACs only)",
}


@dataclass(frozen=True)
class DepthwiseInfo:
    """What a result says about its depthwise layers: how they ran and where they count."""

    lowering: DepthwiseLowering
    layers: int
    pack_shape: tuple[int, int] | None = None  # the stationary tile packs fill (packed)

    @property
    def in_pe_utilization(self) -> bool:
        return self.lowering is not DepthwiseLowering.SIMD

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"lowering": self.lowering.value, "layers": self.layers,
                                  "in_pe_utilization": self.in_pe_utilization,
                                  "note": NOTES[self.lowering]}
        if self.pack_shape is not None:
            out["pack_shape"] = list(self.pack_shape)
        return out


def depthwise_info(model: object, lowering: DepthwiseLowering | str,
                   pack_shape: tuple[int, int] | None = None) -> DepthwiseInfo | None:
    """How ``model``'s depthwise layers ran (``None`` if it has none)."""
    layers = depthwise_convs(model)
    if not layers:
        return None
    chosen = parse_depthwise(lowering)
    shape = pack_shape if chosen is DepthwiseLowering.PACKED else None
    return DepthwiseInfo(chosen, len(layers), shape)


def describe(model: object, lowering: DepthwiseLowering | str,
             pack_shape: tuple[int, int] | None = None) -> dict[str, object]:
    """:func:`depthwise_info` as a dict (empty if the model has no depthwise layers)."""
    info = depthwise_info(model, lowering, pack_shape)
    return {} if info is None else info.as_dict()
