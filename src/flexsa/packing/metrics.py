"""Packing metrics: utilization efficiency, conflict-pruned fraction, array tiles.

Utilization efficiency is ``nonzero weights / (rows x columns)`` of the matrix as mapped:
before packing every input column occupies an array column, after packing one array column
per group. Rows are the matrix's rows in both cases (all-zero rows are not removed from
the mapping; they are pruned filters that a network would drop before packing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flexsa.packing.grouping import Packing, PackingError
from flexsa.validation import positive


@dataclass(frozen=True)
class ArrayShape:
    """A systolic array of ``rows`` x ``cols`` cells."""

    rows: int = 32
    cols: int = 32

    def __post_init__(self) -> None:
        for name, value in (("rows", self.rows), ("cols", self.cols)):
            positive(value, f"array {name}", error=PackingError, strict=True)

    @classmethod
    def parse(cls, text: str) -> ArrayShape:
        """Parse ``"R,C"`` (e.g. ``"32,32"``)."""
        parts = text.replace("x", ",").split(",")
        try:
            rows, cols = (int(p) for p in parts)
        except ValueError:
            raise PackingError(f"--array must be R,C with two positive integers, "
                               f"got {text!r}") from None
        return cls(rows, cols)


def tiles(rows: int, cols: int, array: ArrayShape) -> int:
    """Array tiles for a ``rows`` x ``cols`` filter matrix."""
    return math.ceil(rows / array.rows) * math.ceil(cols / array.cols)


def utilization(nnz: int, rows: int, cols: int) -> float:
    return nnz / (rows * cols) if rows * cols else 0.0


@dataclass(frozen=True)
class PackingMetrics:
    rows: int
    cols: int
    packed_cols: int
    nnz_before: int
    nnz_after: int
    utilization_before: float
    utilization_after: float
    conflict_pruned_fraction: float
    tiles_before: int
    tiles_after: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def packing_metrics(packing: Packing, array: ArrayShape) -> PackingMetrics:
    """Metrics of one packed matrix on an array."""
    nnz_before, nnz_after = packing.nnz_before, packing.nnz_after
    return PackingMetrics(
        rows=packing.rows, cols=packing.cols, packed_cols=packing.packed_cols,
        nnz_before=nnz_before, nnz_after=nnz_after,
        utilization_before=utilization(nnz_before, packing.rows, packing.cols),
        utilization_after=utilization(nnz_after, packing.rows, packing.packed_cols),
        conflict_pruned_fraction=(nnz_before - nnz_after) / nnz_before if nnz_before else 0.0,
        tiles_before=tiles(packing.rows, packing.cols, array),
        tiles_after=tiles(packing.rows, packing.packed_cols, array),
    )
