"""Frozen, validated layer records and the training-GEMM record.

Three layer kinds cover the workloads: :class:`ConvLayer` (any kernel, stride, padding and
groups; an FC layer is a 1x1 conv on a 1x1 map), :class:`LinearLayer` (a weight applied to
``tokens`` rows per sample: FC layers and transformer projections) and :class:`MatMulLayer`
(an activation x activation batched product, e.g. attention). :class:`ElementwiseLayer`
records the non-GEMM work (normalisation, activation, element-wise, pooling) that runs on
the SIMD unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flexsa.errors import WorkloadError
from flexsa.validation import gemm_size, non_negative, positive


class Phase(StrEnum):
    """Training phase of a GEMM."""

    FWD = "fwd"
    DGRAD = "dgrad"
    WGRAD = "wgrad"


def _positive(owner: str, **values: int) -> None:
    for field_name, value in values.items():  # records take exact ints only (not 4.0)
        positive(value, f"{owner}: {field_name}", error=WorkloadError, strict=True)


def _non_negative(owner: str, **values: int) -> None:
    for field_name, value in values.items():
        non_negative(value, f"{owner}: {field_name}", error=WorkloadError, strict=True)


def conv_out_size(size: int, kernel: int, stride: int, pad: int) -> int:
    """Output extent of a convolution along one axis (floor mode, like PyTorch)."""
    return (size + 2 * pad - kernel) // stride + 1


@dataclass(frozen=True)
class ConvLayer:
    """A 2-D convolution. ``hin``/``win`` are the input feature-map size."""

    name: str
    cin: int
    cout: int
    kh: int
    kw: int
    hin: int
    win: int
    stride: int = 1
    pad_h: int = 0
    pad_w: int = 0
    groups: int = 1
    bias: bool = False
    bn: bool = True

    def __post_init__(self) -> None:
        owner = f"layer {self.name!r}"
        _positive(owner, cin=self.cin, cout=self.cout, kh=self.kh, kw=self.kw,
                  hin=self.hin, win=self.win, stride=self.stride, groups=self.groups)
        _non_negative(owner, pad_h=self.pad_h, pad_w=self.pad_w)
        if self.cin % self.groups or self.cout % self.groups:
            raise WorkloadError(
                f"{owner}: groups={self.groups} must divide cin={self.cin} and cout={self.cout}"
            )
        if self.hout <= 0 or self.wout <= 0:
            raise WorkloadError(
                f"{owner}: output size {self.hout}x{self.wout} is not positive for input "
                f"{self.hin}x{self.win}, kernel {self.kh}x{self.kw}, stride {self.stride}; "
                "use a larger input resolution"
            )

    @property
    def hout(self) -> int:
        return conv_out_size(self.hin, self.kh, self.stride, self.pad_h)

    @property
    def wout(self) -> int:
        return conv_out_size(self.win, self.kw, self.stride, self.pad_w)

    @property
    def cin_per_group(self) -> int:
        return self.cin // self.groups

    @property
    def cout_per_group(self) -> int:
        return self.cout // self.groups

    @property
    def is_depthwise(self) -> bool:
        return self.groups > 1 and self.groups == self.cin

    @property
    def weight_params(self) -> int:
        return self.cout * self.cin_per_group * self.kh * self.kw

    @property
    def params(self) -> int:
        """Weights + bias + BN affine (gamma, beta)."""
        bias = self.cout if self.bias else 0
        return self.weight_params + bias + (2 * self.cout if self.bn else 0)

    @property
    def macs(self) -> int:
        """Forward multiply-accumulates per sample (padding positions included, as usual)."""
        return self.hout * self.wout * self.cout * self.cin_per_group * self.kh * self.kw


@dataclass(frozen=True)
class LinearLayer:
    """A fully-connected layer applied to ``tokens`` rows per sample."""

    name: str
    cin: int
    cout: int
    tokens: int = 1
    bias: bool = True
    bn: bool = False

    def __post_init__(self) -> None:
        _positive(f"layer {self.name!r}", cin=self.cin, cout=self.cout, tokens=self.tokens)

    @property
    def params(self) -> int:
        bias = self.cout if self.bias else 0
        return self.cin * self.cout + bias + (2 * self.cout if self.bn else 0)

    @property
    def macs(self) -> int:
        return self.tokens * self.cin * self.cout


@dataclass(frozen=True)
class MatMulLayer:
    """``count`` independent products ``[m, k] @ [k, n]`` per sample, both operands activations."""

    name: str
    m: int
    n: int
    k: int
    count: int = 1

    def __post_init__(self) -> None:
        _positive(f"layer {self.name!r}", m=self.m, n=self.n, k=self.k, count=self.count)

    @property
    def params(self) -> int:
        return 0

    @property
    def macs(self) -> int:
        return self.count * self.m * self.n * self.k


@dataclass(frozen=True)
class ElementwiseLayer:
    """Non-GEMM work per sample: ``elements`` outputs, each costing ``flops_per_element``.

    ``kind`` is one of ``bn``, ``relu``, ``add``, ``pool``, ``softmax``, ``layernorm``, ``gelu``
    or any other label; ``inputs`` is the number of input tensors of that size read.
    """

    name: str
    kind: str
    elements: int
    flops_per_element: int = 1
    inputs: int = 1

    def __post_init__(self) -> None:
        _positive(f"layer {self.name!r}", elements=self.elements, inputs=self.inputs)
        _non_negative(f"layer {self.name!r}", flops_per_element=self.flops_per_element)


GemmLayer = ConvLayer | LinearLayer | MatMulLayer
Layer = ConvLayer | LinearLayer | MatMulLayer | ElementwiseLayer


@dataclass(frozen=True)
class Im2col:
    """How an implicit GEMM's ``A`` operand maps onto the tensor stored in DRAM.

    ``A`` is the im2col view of a feature map: one row (or column, ``pixel_axis="k"`` for a
    weight gradient) per output pixel, one column per (channel, kernel tap), channel-major;
    an ``kh x kw`` window with ``stride`` over output rows ``wout`` pixels wide. Implicit
    GEMM reads the feature map, not the expanded matrix: see :meth:`footprint`.
    """

    kh: int
    kw: int
    stride: int
    wout: int
    pixel_axis: str = "m"

    def __post_init__(self) -> None:
        _positive("im2col", kh=self.kh, kw=self.kw, stride=self.stride, wout=self.wout)
        if self.pixel_axis not in ("m", "k"):
            raise WorkloadError(f"im2col pixel_axis must be 'm' or 'k', got {self.pixel_axis!r}")

    def footprint(self, pixels: Any, taps: Any) -> Any:
        """Stored elements under a block of ``pixels`` consecutive output pixels (raster
        order) x ``taps`` consecutive (channel, tap) columns (ints or numpy arrays).

        The block needs ``ceil(taps / (kh kw))`` channels of the input rows and columns its
        windows touch: per output row ``min(stride, kh)`` new input rows plus a halo of
        ``max(kh - stride, 0)`` rows, and likewise along the width (a block shorter than one
        output row needs only its own columns); never more than the expanded block."""
        s = self.stride
        channels = -(-taps // (self.kh * self.kw))
        rows_out = -(-pixels // self.wout)
        span = _smaller(pixels, self.wout)
        width = span * min(s, self.kw) + max(self.kw - s, 0)
        rows_in = rows_out * min(s, self.kh) + max(self.kh - s, 0)
        return _smaller(pixels * taps, channels * rows_in * width)


def _smaller(a: Any, b: Any) -> Any:
    """Elementwise minimum of ints or numpy arrays (no numpy import here)."""
    return a - (a - b) * (a > b)


@dataclass(frozen=True)
class Gemm:
    """One training GEMM ``C[m, n] = A[m, k] @ B[k, n]``, repeated ``groups`` times.

    ``groups`` counts identical independent instances (convolution groups, attention heads x
    batch, identical stride-split sub-problems). ``macs`` is the *useful* MAC count that
    utilization is measured against; for data gradients it may differ from ``m*n*k*groups``
    (see :mod:`flexsa.workloads.lowering`). ``part`` names a sub-problem of the layer's phase
    (empty for most GEMMs).
    """

    layer: str
    phase: Phase
    m: int
    n: int
    k: int
    groups: int = 1
    macs: int = -1
    part: str = ""
    im2col: Im2col | None = None  # A is an implicit-GEMM view of a feature map (DRAM bytes)

    def __post_init__(self) -> None:
        _positive(f"GEMM of {self.layer!r}", m=self.m, n=self.n, k=self.k, groups=self.groups)
        gemm_size(self.m, self.n, self.k, self.groups, f"GEMM of {self.layer!r}")
        if self.macs == -1:
            object.__setattr__(self, "macs", self.executed_macs)
        _non_negative(f"GEMM of {self.layer!r}", macs=self.macs)

    @property
    def executed_macs(self) -> int:
        """MACs the hardware performs: ``m * n * k * groups``."""
        return self.m * self.n * self.k * self.groups

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.m, self.n, self.k)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "layer": self.layer, "phase": self.phase.value, "m": self.m, "n": self.n,
            "k": self.k, "groups": self.groups, "macs": self.macs,
        }
        if self.part:
            out["part"] = self.part
        return out
