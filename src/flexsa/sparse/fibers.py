"""Fibre statistics and vectorised index helpers shared by the cost models and the predictor.

Everything here is O(nnz) numpy index arithmetic (``cumsum``, ``repeat``, ``reduceat``); no
per-element Python loops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from flexsa.sparse.formats import SpGemmProblem


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + l)`` for every pair, vectorised."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    base = np.repeat(np.asarray(starts, dtype=np.int64) - offsets, lengths)
    return base + np.arange(total, dtype=np.int64)


def positions(lengths: np.ndarray) -> np.ndarray:
    """Position of every element inside its group for groups of ``lengths`` (0, 1, ...)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    return ranges(np.zeros(lengths.size, dtype=np.int64), lengths)


def ceil_div(x: np.ndarray | int, y: int) -> np.ndarray:
    return -(-np.asarray(x, dtype=np.int64) // y)


def greedy_pack(lengths: np.ndarray, capacity: int) -> np.ndarray:
    """Batch index of each item when packing consecutive items (each <= capacity) greedily.

    ``nxt[i]`` is the first item of the batch after one starting at ``i``; the batch starts are
    the orbit of item 0 under ``nxt``, enumerated by pointer doubling (O(n log n), no loop
    over batches).
    """
    n = lengths.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    cum = np.concatenate([[0], np.cumsum(lengths)])
    nxt = np.searchsorted(cum, cum[:-1] + capacity, side="right") - 1
    nxt = np.maximum(nxt, np.arange(1, n + 1))
    jump = np.concatenate([nxt, [n]])  # n is absorbing
    starts = np.zeros(1, dtype=np.int64)
    while True:
        ahead = jump[starts]
        ahead = ahead[ahead < n]
        if ahead.size == 0:
            break
        starts = np.concatenate([starts, ahead])
        jump = jump[jump]
    starts = np.unique(starts)
    batch = np.zeros(n, dtype=np.int64)
    batch[starts[1:]] = 1
    return np.cumsum(batch)


def chunks(lengths: np.ndarray, capacity: int) -> tuple[np.ndarray, np.ndarray]:
    """Split fibres longer than ``capacity`` into chunks: (chunk lengths, owner fibre)."""
    n_chunks = np.where(lengths > 0, -(-lengths // capacity), 0)
    owner = np.repeat(np.arange(lengths.size), n_chunks)
    first_chunk = np.cumsum(n_chunks) - n_chunks
    position = np.arange(owner.size) - np.repeat(first_chunk, n_chunks)
    chunk_len = np.minimum(capacity, lengths[owner] - position * capacity)
    return chunk_len.astype(np.int64), owner


def segment_reduce(ufunc: np.ufunc, values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``ufunc.reduceat`` over consecutive groups of ``lengths`` (> 0) elements."""
    if values.size == 0 or lengths.size == 0:
        return np.zeros(lengths.size, dtype=np.int64)
    return ufunc.reduceat(values, np.cumsum(lengths) - lengths)


@dataclass(frozen=True)
class Operands:
    """Fibre statistics of one (M-variant) problem and its result."""

    a: sp.csr_matrix
    a_csc: sp.csc_matrix
    b: sp.csr_matrix
    b_csc: sp.csc_matrix
    c_row_nnz: np.ndarray
    a_row_len: np.ndarray
    a_col_len: np.ndarray
    b_row_len: np.ndarray
    b_col_len: np.ndarray
    prod_row: np.ndarray  # products per output row

    @property
    def products(self) -> int:
        return int(self.prod_row.sum())


def build_operands(a: sp.csr_matrix, a_csc: sp.csc_matrix, b: sp.csr_matrix,
                   b_csc: sp.csc_matrix, c: sp.csr_matrix) -> Operands:
    b_row_len = np.diff(b.indptr)
    a_row_len = np.diff(a.indptr)
    rows = np.repeat(np.arange(a.shape[0]), a_row_len)
    prod_row = np.bincount(rows, weights=b_row_len[a.indices], minlength=a.shape[0])
    return Operands(a=a, a_csc=a_csc, b=b, b_csc=b_csc, c_row_nnz=np.diff(c.indptr),
                    a_row_len=a_row_len, a_col_len=np.diff(a_csc.indptr),
                    b_row_len=b_row_len, b_col_len=np.diff(b_csc.indptr),
                    prod_row=prod_row.astype(np.int64))


def operands_of(problem: SpGemmProblem, c: sp.csr_matrix) -> Operands:
    a, b = problem.a, problem.b
    return build_operands(a, a.tocsc(), b, b.tocsc(), c)


class LayerOperands:
    """Fibre statistics of a problem in both orientations, shared by all six dataflows."""

    def __init__(self, problem: SpGemmProblem, c: sp.csr_matrix) -> None:
        self.m_variant = operands_of(problem, c)
        self._c = c
        self._n_variant: Operands | None = None

    def for_transposed(self, transposed: bool) -> Operands:
        if not transposed:
            return self.m_variant
        if self._n_variant is None:
            ops = self.m_variant
            # C^T = B^T A^T: the transposes are free CSR/CSC views
            self._n_variant = build_operands(ops.b_csc.T, ops.b.T, ops.a_csc.T, ops.a.T,
                                             self._c.T.tocsr())
        return self._n_variant
