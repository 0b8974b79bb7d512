"""Lowering layers to training GEMMs (implicit-GEMM / im2col convention).

=========  ====================  ==========  ==================
phase      M                     N           K
=========  ====================  ==========  ==================
fwd        batch x Ho x Wo       Cout        Cin x kh x kw
dgrad      batch x Hi x Wi       Cin         Cout x kh x kw
wgrad      Cin x kh x kw         Cout        batch x Ho x Wo
=========  ====================  ==========  ==================

All per group (``groups`` identical GEMMs). Linear layers are 1x1 convs with ``batch x
tokens`` rows. For a :class:`MatMulLayer` ``C = A @ B`` (both activations) ``dgrad`` is
``dA = dC @ B^T`` and ``wgrad`` is ``dB = A^T @ dC``.

The data-gradient *form* is a knob (:class:`DgradForm`):

* ``split`` (default): the transposed convolution with the kernel split into ``s x s``
  stride phases (CUTLASS's strided dgrad). Each phase is a dense GEMM over the input pixels
  of that phase and the kernel taps that reach them, so no inserted zero is multiplied.
  Phases with the same shape are merged into one GEMM with a larger ``groups`` count; a phase
  no tap reaches (e.g. odd pixels of a 1x1 stride-2 conv) gets a zero gradient and no GEMM.
  For stride 1 it is the single implicit GEMM of the table.
* ``implicit``: one transposed-convolution GEMM over all input pixels with the full kernel;
  for stride s > 1 it multiplies the zeros inserted between output pixels.
* ``col2im``: ``M = batch x Ho x Wo``, ``N = Cin x kh x kw``, ``K = Cout``, then a
  scatter-add (not counted as MACs).

Useful MACs. Utilization is counted against useful MACs. For ``fwd`` and ``wgrad`` they are
``m*n*k*groups``. For ``dgrad`` in every form the layer's useful MACs equal its forward MACs
(batch x per-sample MACs); when a layer lowers to several sub-GEMMs, that total is split
over them in proportion to their executed MACs (largest remainder, so it sums exactly).
The layer that reads the model input has no data gradient.

Depthwise convolutions follow the ``depthwise`` knob (:mod:`flexsa.workloads.depthwise`):
``simd`` (default, no GEMM: the SIMD unit runs them), ``per-channel`` (the table above per
channel, ``N = 1``) or ``packed`` (channels packed block-diagonally to fill ``pack_shape``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum

from flexsa.errors import WorkloadError
from flexsa.validation import positive
from flexsa.workloads.depthwise import (
    DEFAULT_PACK_SHAPE,
    DepthwiseLowering,
    pack_gemm,
    parse_depthwise,
)
from flexsa.workloads.layers import (
    ConvLayer,
    ElementwiseLayer,
    Gemm,
    GemmLayer,
    Im2col,
    LinearLayer,
    MatMulLayer,
    Phase,
)
from flexsa.workloads.model import Model

ALL_PHASES: tuple[Phase, ...] = (Phase.FWD, Phase.DGRAD, Phase.WGRAD)


class DgradForm(StrEnum):
    SPLIT = "split"
    IMPLICIT = "implicit"
    COL2IM = "col2im"


def parse_phases(phase: str | Phase | Iterable[str | Phase] | None) -> tuple[Phase, ...]:
    """``"all"``/None -> every phase; otherwise one phase name or an iterable of them."""
    if phase is None or phase == "all":
        return ALL_PHASES
    items = [phase] if isinstance(phase, str | Phase) else list(phase)
    try:
        return tuple(Phase(p) for p in items)
    except ValueError:
        raise WorkloadError(f"unknown phase {phase!r}; use fwd, dgrad, wgrad or all") from None


def _phase_rows(size: int, kernel: int, stride: int, pad: int) -> list[tuple[int, int]]:
    """Per stride phase p: (input positions with (i + pad) % s == p, kernel taps == p mod s)."""
    result = []
    for p in range(stride):
        rows = len(range((p - pad) % stride, size, stride))
        taps = len(range(p, kernel, stride))
        result.append((rows, taps))
    return result


def _split_useful(total: int, executed: Sequence[int]) -> list[int]:
    """Split ``total`` over parts in proportion to ``executed`` (exact integer sum)."""
    weight = sum(executed)
    shares = [total * e // weight for e in executed]
    remainders = sorted(range(len(executed)), key=lambda i: -(total * executed[i] % weight))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _conv_dgrad(layer: ConvLayer, batch: int, form: DgradForm) -> list[Gemm]:
    g, cin, cout = layer.groups, layer.cin_per_group, layer.cout_per_group
    useful = batch * layer.macs
    name = layer.name
    if form is DgradForm.COL2IM:
        m, n, k = batch * layer.hout * layer.wout, cin * layer.kh * layer.kw, cout
        return [Gemm(name, Phase.DGRAD, m, n, k, g, useful)]
    if form is DgradForm.IMPLICIT or layer.stride == 1:
        m, k = batch * layer.hin * layer.win, cout * layer.kh * layer.kw
        # the transposed convolution slides the kernel over the (zero-dilated) gradient
        view = Im2col(layer.kh, layer.kw, 1, layer.win) if layer.stride == 1 else None
        return [Gemm(name, Phase.DGRAD, m, cin, k, g, useful, im2col=view)]
    rows_h = _phase_rows(layer.hin, layer.kh, layer.stride, layer.pad_h)
    rows_w = _phase_rows(layer.win, layer.kw, layer.stride, layer.pad_w)
    shapes: dict[tuple[int, int], list[str]] = {}
    for ph, (rh, th) in enumerate(rows_h):
        for pw, (rw, tw) in enumerate(rows_w):
            if rh * rw and th * tw:
                shapes.setdefault((batch * rh * rw, cout * th * tw), []).append(f"s{ph}{pw}")
    keys = list(shapes)
    executed = [m * k * cin * g * len(shapes[(m, k)]) for m, k in keys]
    shares = _split_useful(useful, executed)
    # each stride phase is a stride-1 convolution of the output gradient with its taps
    views = {(batch * rh * rw, cout * th * tw): Im2col(max(th, 1), max(tw, 1), 1, max(rw, 1))
             for rh, th in rows_h for rw, tw in rows_w}
    return [Gemm(name, Phase.DGRAD, m, cin, k, g * len(shapes[(m, k)]), share,
                 "+".join(shapes[(m, k)]), views.get((m, k)))
            for (m, k), share in zip(keys, shares, strict=True)]


def lower_layer(layer: GemmLayer, batch: int, phases: Sequence[Phase] = ALL_PHASES,
                dgrad_form: DgradForm = DgradForm.SPLIT, needs_dgrad: bool = True) -> list[Gemm]:
    """The training GEMMs of one layer at a mini-batch, in phase order."""
    positive(batch, "batch", error=WorkloadError, strict=True)
    gemms: list[Gemm] = []
    for phase in phases:
        if phase is Phase.DGRAD and not needs_dgrad:
            continue
        gemms.extend(_lower_phase(layer, batch, phase, dgrad_form))
    return gemms


def _lower_phase(layer: GemmLayer, batch: int, phase: Phase, form: DgradForm) -> list[Gemm]:
    name = layer.name
    if isinstance(layer, ConvLayer):
        g, cin, cout = layer.groups, layer.cin_per_group, layer.cout_per_group
        pixels = batch * layer.hout * layer.wout
        window = layer.kh * layer.kw
        if phase is Phase.FWD:
            view = Im2col(layer.kh, layer.kw, layer.stride, layer.wout)
            return [Gemm(name, phase, pixels, cout, cin * window, g, im2col=view)]
        if phase is Phase.WGRAD:
            view = Im2col(layer.kh, layer.kw, layer.stride, layer.wout, "k")
            return [Gemm(name, phase, cin * window, cout, pixels, g, im2col=view)]
        return _conv_dgrad(layer, batch, form)
    if isinstance(layer, LinearLayer):
        rows = batch * layer.tokens
        if phase is Phase.FWD:
            return [Gemm(name, phase, rows, layer.cout, layer.cin)]
        if phase is Phase.WGRAD:
            return [Gemm(name, phase, layer.cin, layer.cout, rows)]
        return [Gemm(name, phase, rows, layer.cin, layer.cout)]
    count = batch * layer.count
    if phase is Phase.FWD:
        return [Gemm(name, phase, layer.m, layer.n, layer.k, count)]
    if phase is Phase.DGRAD:
        return [Gemm(name, phase, layer.m, layer.k, layer.n, count)]
    return [Gemm(name, phase, layer.k, layer.n, layer.m, count)]


def lower_model(model: Model, batch: int, phases: str | Iterable[str | Phase] | None = "all",
                dgrad_form: DgradForm | str = DgradForm.SPLIT,
                depthwise: DepthwiseLowering | str = DepthwiseLowering.SIMD,
                pack_shape: tuple[int, int] = DEFAULT_PACK_SHAPE) -> list[Gemm]:
    """Every training GEMM of ``model`` at ``batch``, layer by layer in execution order.

    ``depthwise``: ``simd`` (depthwise convs emit no GEMM), ``per-channel`` or ``packed``
    (to fill a ``pack_shape`` = (rows, cols) stationary tile, the unit's blk_K x blk_N)."""
    selected = parse_phases(phases)
    try:
        form = DgradForm(dgrad_form)
    except ValueError:
        raise WorkloadError(
            f"unknown dgrad form {dgrad_form!r}; use split, implicit or col2im") from None
    lowering = parse_depthwise(depthwise)
    gemms: list[Gemm] = []
    for layer in model.layers:
        if isinstance(layer, ElementwiseLayer):
            continue
        dw = isinstance(layer, ConvLayer) and layer.is_depthwise
        if dw and lowering is DepthwiseLowering.SIMD:
            continue
        needs_dgrad = not model.reads_model_input(layer.name)
        lowered = lower_layer(layer, batch, selected, form, needs_dgrad)
        if dw and lowering is DepthwiseLowering.PACKED:
            lowered = [p for g in lowered for p in pack_gemm(g, pack_shape)]
        gemms.extend(lowered)
    return gemms


def phase_totals(gemms: Iterable[Gemm]) -> dict[str, int]:
    """Useful MACs per phase and in total: ``{"fwd", "dgrad", "wgrad", "all"}``."""
    totals = {phase.value: 0 for phase in ALL_PHASES}
    for gemm in gemms:
        totals[gemm.phase.value] += gemm.macs
    totals["all"] = sum(totals.values())
    return totals


__all__ = ["ALL_PHASES", "DepthwiseLowering", "DgradForm", "lower_layer", "lower_model",
           "parse_phases", "phase_totals", "MatMulLayer"]
