"""Column combining: greedy column grouping, conflict pruning and control values.

The filter matrix ``F`` has one row per filter (output channel) and one column per input
element. Column combining packs groups of sparse columns into one dense array column: in
every (row, group) only the weight of largest magnitude survives (the others are
*conflicts* and are pruned) and the cell's multiplexer is told which column of the group it
multiplies (the *control value*).

Grouping (spec section 3) is the greedy of Kung, McDanel and Zhang (ASPLOS 2019):

1. columns are split into consecutive sections (optional); groups never cross a section;
2. all-zero columns and rows are dropped; every remaining column is a group;
3. merging groups ``g`` and ``h`` is feasible if the merged size is at most ``alpha`` and
   its conflicts (summed over rows of ``max(count_g + count_h - 1, 0)``) are at most
   ``int(gamma * rows)``; a feasible pair scores the rows where both are zero;
4. the lowest-indexed group with a feasible partner absorbs its best-scoring partner
   (ties: lowest index); repeat until no feasible pair is left.

Two facts make this fast. Feasibility only gets harder as groups grow, so once a group has
no feasible partner it never gets one again: the greedy finishes group ``g`` before moving
on, and every candidate partner of ``g`` is still a single column. For a single column
``j`` the merged conflicts are ``conflicts(g) + overlap(g, j)`` (rows where both are
nonzero) and the both-zero score is ``rows - |support(g)| - nnz(j) + overlap(g, j)``, so
one integer *overlap* vector per growing group, updated with the rows each merge newly
covers, answers every feasibility and score question in a few vector operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from flexsa.errors import FlexsaError
from flexsa.validation import as_float, non_negative, positive


class PackingError(FlexsaError):
    """Invalid column-combining input: parameters or weight matrix."""


@dataclass(frozen=True)
class PackingConfig:
    """Knobs of the grouping: ``alpha`` (max columns per group, the multiplexer width),
    ``gamma`` (conflicts allowed per group as a fraction of the rows) and ``section``
    (columns per section, 0 for none; the authors use 256)."""

    alpha: int = 8
    gamma: float = 0.0
    section: int = 0

    def __post_init__(self) -> None:
        positive(self.alpha, "alpha", error=PackingError, strict=True)
        as_float(self.gamma, "gamma", low=0.0, error=PackingError)
        non_negative(self.section, "section (0: no sections)", error=PackingError, strict=True)

    def conflict_budget(self, rows: int) -> int:
        """Most conflicts one group may hold: ``int(gamma * rows)`` (capped at
        ``rows * alpha``, more than any group can hold, so huge gamma cannot overflow)."""
        return int(min(self.gamma * rows, float(rows * self.alpha)))

    def as_dict(self) -> dict[str, Any]:
        return {"alpha": int(self.alpha), "gamma": float(self.gamma),
                "section": int(self.section)}


@dataclass(frozen=True, eq=False)
class Packing:
    """A packed filter matrix.

    ``groups[g]`` lists the input-matrix column indices combined into packed column ``g``
    (ascending). ``packed[r, g]`` is the surviving weight of row ``r`` in group ``g`` and
    ``control[r, g]`` its position within ``groups[g]`` (0 for an empty cell, whose weight
    is 0). ``mask`` marks the surviving weights in input-matrix coordinates.
    """

    config: PackingConfig
    rows: int
    cols: int
    groups: tuple[tuple[int, ...], ...]
    dropped_zero_columns: tuple[int, ...]
    dropped_zero_rows: tuple[int, ...]
    packed: np.ndarray
    control: np.ndarray
    mask: np.ndarray
    nnz_before: int

    @property
    def packed_cols(self) -> int:
        return len(self.groups)

    @cached_property
    def selected_columns(self) -> np.ndarray:
        """``[rows, packed_cols]``: the input-matrix column each cell multiplies."""
        if not self.groups:
            return np.zeros((self.rows, 0), dtype=np.int64)
        table = group_table(self.groups, self.cols)
        return table[np.arange(self.packed_cols)[None, :], self.control]

    @property
    def nnz_after(self) -> int:
        return int(np.count_nonzero(self.packed))

    @property
    def conflict_pruned(self) -> int:
        return self.nnz_before - self.nnz_after

    def multiply(self, inputs: np.ndarray) -> np.ndarray:
        """The packed matrix times the gathered inputs: equals ``masked @ inputs``.

        ``inputs`` has one row per input-matrix column (any trailing shape)."""
        gathered = np.asarray(inputs)[self.selected_columns]  # [rows, packed, ...]
        weights = self.packed.reshape(self.packed.shape + (1,) * (gathered.ndim - 2))
        return (weights * gathered).sum(axis=1)


def group_table(groups: tuple[tuple[int, ...], ...], cols: int) -> np.ndarray:
    """``[packed_cols, max_group_size]`` column indices, padded with the group's first."""
    width = max((len(g) for g in groups), default=1)
    table = np.zeros((len(groups), width), dtype=np.int64)
    for index, members in enumerate(groups):
        table[index, :] = members[0]
        table[index, : len(members)] = members
    return table


def pack(weights: Any, config: PackingConfig) -> Packing:
    """Group the columns of a 2-D weight matrix (numpy or scipy.sparse) and conflict-prune."""
    matrix = as_weight_matrix(weights)
    rows, cols = matrix.shape
    column_nnz = np.asarray((matrix != 0).sum(axis=0)).ravel()
    row_nnz = np.asarray((matrix != 0).sum(axis=1)).ravel()
    zero_rows = np.flatnonzero(row_nnz == 0)
    budget = config.conflict_budget(int(rows - zero_rows.size))
    groups: list[tuple[int, ...]] = []
    width = config.section or cols
    for start in range(0, cols, width):
        stop = min(start + width, cols)
        live = start + np.flatnonzero(column_nnz[start:stop])
        if live.size == 0:
            continue
        support = _dense_columns(matrix, live) != 0
        for members in group_section(support, int(config.alpha), budget):
            groups.append(tuple(int(c) for c in live[list(members)]))
    return pack_with_groups(matrix, tuple(groups), config)


def pack_with_groups(weights: Any, groups: tuple[tuple[int, ...], ...],
                     config: PackingConfig) -> Packing:
    """Conflict-prune ``weights`` with a given grouping (e.g. one fixed during retraining).

    Columns absent from ``groups`` must be all-zero."""
    matrix = as_weight_matrix(weights)
    rows, cols = matrix.shape
    column_nnz = np.asarray((matrix != 0).sum(axis=0)).ravel()
    row_nnz = np.asarray((matrix != 0).sum(axis=1)).ravel()
    grouped = np.zeros(cols, dtype=bool)
    for members in groups:
        grouped[list(members)] = True
    if (column_nnz[~grouped] > 0).any():
        raise PackingError("pack_with_groups: a nonzero column is in no group")
    packed, control, mask = conflict_prune(matrix, groups)
    return Packing(
        config=config, rows=rows, cols=cols, groups=groups,
        dropped_zero_columns=tuple(int(c) for c in np.flatnonzero(~grouped)),
        dropped_zero_rows=tuple(int(r) for r in np.flatnonzero(row_nnz == 0)),
        packed=packed, control=control, mask=mask, nnz_before=int(column_nnz.sum()),
    )


def group_section(support: np.ndarray, alpha: int, budget: int) -> list[list[int]]:
    """Greedy grouping of the columns of one section (``support``: rows x n, bool).

    Returns groups of local column indices, each ascending, ordered by first member. The
    candidate columns are kept in a compacted copy that is rebuilt whenever absorbed
    columns make up a third of it, so each step touches only still-free columns."""
    n = support.shape[1]
    if alpha == 1:
        return [[j] for j in range(n)]
    counts = np.ascontiguousarray(support, dtype=np.int32)
    column_nnz = counts.sum(axis=0)
    free = np.ones(n, dtype=bool)
    n_free = n
    cols = np.arange(n)
    sub, sub_nnz = counts, column_nnz
    worst = np.iinfo(np.int32).max
    groups: list[list[int]] = []
    for first in range(n):
        if not free[first]:
            continue
        free[first] = False
        n_free -= 1
        if cols.size > 64 and 3 * (cols.size - n_free) > cols.size:
            cols = np.flatnonzero(free)
            sub, sub_nnz = np.ascontiguousarray(counts[:, cols]), column_nnz[cols]
        members = [first]
        live = free[cols]
        covered = support[:, first].copy()
        overlap = sub[np.flatnonzero(covered)].sum(axis=0, dtype=np.int32)
        conflicts = 0
        while len(members) < alpha:
            feasible = live & (overlap <= budget - conflicts)
            score = np.where(feasible, overlap - sub_nnz, worst)
            k = int(np.argmin(score)) if score.size else 0
            if not score.size or score[k] == worst:
                break
            partner = int(cols[k])
            live[k] = False
            free[partner] = False
            n_free -= 1
            members.append(partner)
            conflicts += int(overlap[k])
            new_rows = np.flatnonzero(support[:, partner] & ~covered)
            covered[new_rows] = True
            overlap += sub[new_rows].sum(axis=0, dtype=np.int32)
        groups.append(sorted(members))
    return groups


def conflict_prune(matrix: Any, groups: tuple[tuple[int, ...], ...],
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the largest-|w| weight per (row, group) (ties: first in the group).

    Returns ``(packed [rows, G], control [rows, G], mask [rows, cols])``. The grouped
    columns are gathered once in group order; per-group maxima and first arg-maxima are
    segment reductions (``reduceat``), so nothing is padded to the widest group."""
    rows, cols = matrix.shape
    mask = np.zeros((rows, cols), dtype=bool)
    if not groups:
        return np.zeros((rows, 0)), np.zeros((rows, 0), dtype=np.int64), mask
    sizes = np.array([len(g) for g in groups], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    order = np.fromiter((c for g in groups for c in g), dtype=np.int64, count=int(sizes.sum()))
    block = _dense_columns(matrix, order)                              # [rows, grouped cols]
    magnitude = np.abs(block)
    group_max = np.maximum.reduceat(magnitude, starts, axis=1)         # [rows, G]
    position = np.arange(order.size) - np.repeat(starts, sizes)        # index within group
    is_max = magnitude == np.repeat(group_max, sizes, axis=1)
    candidates = np.where(is_max, position[None, :], np.iinfo(np.int64).max)
    control = np.minimum.reduceat(candidates, starts, axis=1)
    chosen = starts[None, :] + control
    packed = np.take_along_axis(block, chosen, axis=1)
    keep_rows, keep_groups = np.nonzero(packed)
    mask[keep_rows, order[chosen[keep_rows, keep_groups]]] = True
    return packed, control.astype(np.int64), mask


def as_weight_matrix(weights: Any) -> Any:
    """Validate a weight matrix: numpy-like or scipy.sparse, 2-D, numeric, non-empty."""
    import scipy.sparse as sp

    if sp.issparse(weights):
        matrix = sp.csc_matrix(weights)
        kind = matrix.dtype.kind
    else:
        try:
            matrix = np.asarray(weights)
        except (ValueError, TypeError) as err:
            raise PackingError(f"weights must be a numeric 2-D array ({err})") from None
        kind = matrix.dtype.kind
    if kind not in "biuf":
        raise PackingError(f"weights must be numeric (int or float), got dtype {matrix.dtype}")
    if matrix.ndim != 2:
        raise PackingError(f"weights must be a 2-D matrix (rows x columns), got "
                           f"{matrix.ndim}-D shape {tuple(matrix.shape)}")
    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise PackingError(f"weights matrix is empty (shape {tuple(matrix.shape)}); "
                           "give at least one row and one column")
    if kind == "f":
        finite = np.isfinite(matrix.data if sp.issparse(matrix) else matrix)
        if not finite.all():
            raise PackingError("weights contain NaN or infinity; give finite numbers")
    if kind == "b":
        matrix = matrix.astype(np.int8)
    return matrix


def _dense_columns(matrix: Any, columns: np.ndarray) -> np.ndarray:
    """Dense ``matrix[:, columns]`` for numpy or scipy.sparse input."""
    block = matrix[:, columns]
    return block.toarray() if hasattr(block, "toarray") else np.asarray(block)
