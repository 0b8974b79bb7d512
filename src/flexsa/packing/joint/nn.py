"""Masked convolution / linear layers and the parameter-free spatial shift."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class MaskedMixin:
    """A weight mask (buffer, same shape as the weight) applied in ``forward``, and a
    ``keep`` mask of the *stored* weights, re-applied after every optimiser step.

    The cumulative schedule keeps both equal, so pruned weights are zeroed for good. The
    authors' schedule zeroes only magnitude-pruned weights (``keep``); weights removed by
    conflict pruning are masked in ``forward`` but keep their stored value, so the next
    step, which rebuilds the mask from the stored weights, can bring them back.
    ``alpha`` is the layer's column-combining width (1: the layer stays dense)."""

    weight: Any
    mask: Any
    keep: Any
    alpha: int

    def init_mask(self, alpha: int) -> None:
        self.register_buffer("mask", torch.ones_like(self.weight))  # type: ignore[attr-defined]
        self.register_buffer("keep", torch.ones_like(self.weight))  # type: ignore[attr-defined]
        self.alpha = alpha

    @property
    def combinable(self) -> bool:
        return self.alpha > 1

    def masked_weight(self) -> torch.Tensor:
        return self.weight * self.mask

    @torch.no_grad()
    def apply_mask(self) -> None:
        self.weight.mul_(self.keep)

    def filter_matrix(self) -> np.ndarray:
        """The masked weights as the filter matrix: one row per filter, one column per
        input element (cin x kh x kw)."""
        weight = self.masked_weight().detach().cpu().numpy()
        return weight.reshape(weight.shape[0], -1)

    def stored_matrix(self) -> np.ndarray:
        """The stored weights (conflict-pruned ones included) as a filter matrix."""
        weight = self.weight.detach().cpu().numpy()
        return weight.reshape(weight.shape[0], -1)

    @torch.no_grad()
    def set_matrix_mask(self, mask: np.ndarray, keep: np.ndarray | None = None) -> None:
        """Mask the forward weights with ``mask``; zero the stored weights outside
        ``keep`` (default: ``mask``, i.e. zero everything pruned)."""
        keep = mask if keep is None else keep
        self.mask.copy_(torch.from_numpy(mask.reshape(self.mask.shape)).to(self.mask.dtype))
        self.keep.copy_(torch.from_numpy(keep.reshape(self.keep.shape)).to(self.keep.dtype))
        self.apply_mask()


class MaskedConv2d(nn.Conv2d, MaskedMixin):
    def __init__(self, *args: Any, alpha: int = 8, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.init_mask(alpha)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.masked_weight(), self.bias)


class MaskedLinear(nn.Linear, MaskedMixin):
    def __init__(self, *args: Any, alpha: int = 8, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.init_mask(alpha)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.masked_weight(), self.bias)


def _shift(x: torch.Tensor, groups: tuple[tuple[int, int, int, int], ...],
           sign: int) -> torch.Tensor:
    """Move channels ``lo:hi`` by ``sign * (dy, dx)`` with zero fill (one fill, one copy
    per offset group)."""
    out = torch.zeros_like(x)
    height, width = x.shape[2:]
    for lo, hi, dy, dx in groups:
        dy, dx = sign * dy, sign * dx
        out[:, lo:hi, max(0, dy):height - max(0, -dy), max(0, dx):width - max(0, -dx)] \
            = x[:, lo:hi, max(0, -dy):height - max(0, dy), max(0, -dx):width - max(0, dx)]
    return out


class _ShiftFunction(torch.autograd.Function):
    """The shift and its adjoint: a zero-filled shift by ``d`` is a partial permutation
    whose transpose is the zero-filled shift by ``-d``. (Autograd through the slicing
    would fill a whole zero gradient per offset group: half the training time of the
    wide shift networks went there, measured with the torch profiler.)"""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor,
                groups: tuple[tuple[int, int, int, int], ...]) -> torch.Tensor:
        ctx.groups = groups
        return _shift(x, groups, 1)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return _shift(grad, ctx.groups, -1), None


class Shift(nn.Module):
    """Parameter-free spatial shift: channel groups move by one of the 9 (dy, dx) offsets
    (zero fill), the same pattern as :func:`flexsa.packing.systolic.default_shifts`."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        from flexsa.packing.systolic import default_shifts

        self.channels = channels
        self.shifts = default_shifts(channels)
        groups = []
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                chans = np.flatnonzero((self.shifts[:, 0] == dy) & (self.shifts[:, 1] == dx))
                if chans.size:  # contiguous by construction
                    groups.append((int(chans[0]), int(chans[-1]) + 1, dy, dx))
        self.groups = tuple(groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = _ShiftFunction.apply(x, self.groups)
        return out


Masked = MaskedConv2d | MaskedLinear


def masked_layers(model: nn.Module) -> Iterator[tuple[str, Masked]]:
    for name, module in model.named_modules():
        if isinstance(module, MaskedConv2d | MaskedLinear):
            yield name, module
